"""Prerequisites in progress: the server refuses completions of locked lessons (sync, the
service, the form without JavaScript), the viewer endpoint says what is locked, and the
browser's facts carry the requirements."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.adapter import adapter_overrides
from lessons.models import CourseRequirement, LessonRequirement
from lessons.versions import content_changed
from progress import rules, services
from progress.models import CompletionEvent, LessonCompletion
from tests.factories import CourseFactory, LessonFactory, two_courses_three_lessons

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def path():
    """Course "Basics" (a, b; b requires a) and course "Next" (c), which requires Basics."""
    basics, following, a, b, c = two_courses_three_lessons()
    LessonRequirement.objects.create(lesson=b, required_lesson=a)
    CourseRequirement.objects.create(course=following, required_course=basics)
    return a, b, c


def event(lesson, at=None):
    at = at or timezone.now()
    return {
        "id": str(uuid.uuid4()),
        "type": "lesson_completed",
        "lesson": lesson.pk,
        "at": at.isoformat(),
    }


def sync(client, *events):
    body = json.dumps({"events": list(events)})
    return client.post(
        reverse("stream_progress_api:sync"), data=body, content_type="application/json"
    )


def statuses(response):
    return [(result["status"], result.get("reason")) for result in response.json()["results"]]


# --- Sync --------------------------------------------------------------------------------------


def test_an_anonymous_sync_is_refused_before_any_lock_is_judged(client, path):
    _, b, _ = path
    response = sync(client, event(b))
    assert response.status_code == 403
    assert not LessonCompletion.objects.exists()


def test_a_learner_syncing_a_locked_lesson_gets_it_rejected_as_locked(client, learner, path):
    # given a learner who has not completed a
    a, b, c = path
    client.force_login(learner)

    # when their browser syncs b (which requires a) and c (whose course requires Basics)
    response = sync(client, event(b), event(c))

    # then both are rejected as locked and nothing is recorded
    assert response.status_code == 200
    assert statuses(response) == [("rejected", "locked"), ("rejected", "locked")]
    assert not LessonCompletion.objects.filter(learner=learner).exists()


def test_a_batch_unlocks_in_any_order(client, learner, path):
    # given the whole path reported in reverse order in one batch
    a, b, c = path
    client.force_login(learner)

    response = sync(client, event(c), event(b), event(a))

    # then everything applies: a unlocks b, a and b complete Basics, which unlocks c
    assert statuses(response) == [("applied", None)] * 3
    assert LessonCompletion.objects.filter(learner=learner).count() == 3


def test_another_learners_completions_unlock_nothing_for_this_one(
    client, learner, other_learner, path
):
    # given another learner completed a
    a, b, _ = path
    services.completion_record(user=other_learner, lesson=a)
    client.force_login(learner)

    # when this learner syncs b
    response = sync(client, event(b))

    # then it is locked for them, while the other learner may complete it
    assert statuses(response) == [("rejected", "locked")]
    assert services.completion_record(user=other_learner, lesson=b).created


def test_staff_follow_the_path_like_everyone(client, staff, path):
    _, b, _ = path
    client.force_login(staff)

    assert statuses(sync(client, event(b))) == [("rejected", "locked")]


def test_a_completion_made_before_the_requirement_existed_is_kept(client, learner, path):
    # given b's requirement was added an hour ago
    a, b, _ = path
    added = timezone.now() - timedelta(hours=1)
    LessonRequirement.objects.filter(lesson=b).update(created_at=added)
    client.force_login(learner)

    # when a visitor's browser, now signed in, syncs b completed two hours ago and b again now
    earlier = sync(client, event(b, at=added - timedelta(hours=1)))

    # then the earlier one counts (as it would for a learner signed in then)
    assert statuses(earlier) == [("applied", None)]


def test_a_time_before_the_lessons_publication_is_judged_as_now(client, learner, path):
    # given b's requirement is older than any plausible completion of b
    _, b, _ = path
    client.force_login(learner)

    # when a client claims b was completed in year 1
    response = sync(client, event(b, at=datetime(1, 1, 1, tzinfo=UTC)))

    # then the time does not get round the requirement
    assert statuses(response) == [("rejected", "locked")]


def test_a_lesson_completed_before_stays_completed_and_syncs_as_usual(client, learner, path):
    # given the learner completed b before it required anything
    a, b, _ = path
    LessonRequirement.objects.filter(lesson=b).delete()
    services.completion_record(user=learner, lesson=b)
    LessonRequirement.objects.create(lesson=b, required_lesson=a)
    client.force_login(learner)

    # when another device reports b again, earlier
    response = sync(client, event(b, at=timezone.now() - timedelta(minutes=30)))

    # then b is not locked for them: the report applies
    assert statuses(response) == [("applied", None)]


def test_a_batch_is_read_again_and_again_each_event_applied_where_a_reading_finds_it_unlocked(
    client, learner, path
):
    # given c (whose course requires Basics: a and b; b requires a), requirements older than
    # the reports, reported twice on one day (in any time zone): the earlier report first,
    # then b, the later report, and a
    a, b, c = path
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    LessonRequirement.objects.update(created_at=long_ago)
    CourseRequirement.objects.update(created_at=long_ago)
    content_changed(site=True)
    client.force_login(learner)
    early = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    c_early, b_done, c_late, a_done = (
        event(c, early),
        event(b, early),
        event(c, early + timedelta(hours=1)),
        event(a, early),
    )

    response = sync(client, c_early, b_done, c_late, a_done)

    # then the first reading applies a, the second b and then the later c (after b in the
    # batch), the third the earlier c, which moves that day's report of c to its time
    assert statuses(response) == [("applied", None)] * 4
    log = CompletionEvent.objects.filter(learner=learner).order_by("pk")
    assert [(row.lesson_id, str(row.event_id), row.completed_at) for row in log] == [
        (a.pk, a_done["id"], early),
        (b.pk, b_done["id"], early),
        (c.pk, c_late["id"], early),
    ]


# --- A long path in one batch ------------------------------------------------------------------

CHAIN = 200


@pytest.fixture
def chain():
    """200 lessons, each requiring the one before: a path as long as a big sync batch."""
    lessons = LessonFactory.create_batch(CHAIN, course=CourseFactory())
    LessonRequirement.objects.bulk_create(
        LessonRequirement(lesson=later, required_lesson=earlier)
        for earlier, later in pairwise(lessons)
    )
    content_changed(site=True)
    return lessons


def completed_in_order(learner):
    rows = LessonCompletion.objects.filter(learner=learner).order_by("pk")
    return list(rows.values_list("lesson_id", flat=True))


def test_a_long_path_reported_backwards_applies_whole_in_the_paths_order(learner, chain):
    # when a learner's browser reports the 200 lessons of the path last first
    events = [event(lesson) for lesson in reversed(chain)]
    result = services.progress_sync(user=learner, events=events)

    # then every one applies, and the completions are recorded in the path's order
    assert [(r.status, r.reason) for r in result.results] == [("applied", "")] * CHAIN
    assert completed_in_order(learner) == [lesson.pk for lesson in chain]


def test_a_path_reported_backwards_with_a_gap_applies_up_to_the_gap(learner, chain):
    # given the path reported last first, without its 100th lesson
    gap = 99
    events = [event(lesson) for lesson in reversed(chain) if lesson != chain[gap]]

    result = services.progress_sync(user=learner, events=events)

    # then what comes before the gap applies and what comes after it is locked
    answers = [(r.status, r.reason) for r in reversed(result.results)]
    assert answers == [("applied", "")] * gap + [("rejected", "locked")] * (CHAIN - gap - 1)
    assert completed_in_order(learner) == [lesson.pk for lesson in chain[:gap]]


def test_a_long_path_reported_backwards_judges_each_lock_at_most_twice(learner, chain, monkeypatch):
    # given the lock rule, counted
    judged = []
    lesson_locked = rules.lesson_locked

    def counted(**kwargs):
        judged.append(kwargs["lesson_id"])
        return lesson_locked(**kwargs)

    for module in (rules, services):
        monkeypatch.setattr(module, "lesson_locked", counted, raising=False)

    # when the 200 lessons of the path are reported last first
    services.progress_sync(user=learner, events=[event(lesson) for lesson in reversed(chain)])

    # then each locked lesson is judged when it is read and once more when the lesson before it
    # is completed: twice per lesson, not once per lesson completed before it (20,000 times)
    assert len(judged) == 2 * (CHAIN - 1)
    assert set(judged) == {lesson.pk for lesson in chain[1:]}


# --- The service and the form without JavaScript -----------------------------------------------


def test_the_service_refuses_a_locked_lesson_with_what_it_needs(learner, path):
    a, b, c = path

    with pytest.raises(services.CompletionLocked) as refused:
        services.completion_record(user=learner, lesson=c)

    assert [(need.kind, need.title) for need in refused.value.unmet] == [("course", "Basics")]
    services.completion_record(user=learner, lesson=a)
    services.completion_record(user=learner, lesson=b)
    assert services.completion_record(user=learner, lesson=c).created


def test_the_form_without_javascript_says_why_and_links_what_unlocks(client, learner, path):
    a, b, _ = path
    client.force_login(learner)
    url = reverse("stream_progress:lesson_complete", args=[b.pk])

    asked = client.get(url)
    posted = client.post(url)

    for response in (asked, posted):
        html = response.content.decode()
        assert 'class="lesson-locked__title"' in html
        assert f'href="{a.get_absolute_url()}"' in html
        assert f'action="{url}"' not in html
    assert posted.status_code == 409
    assert not LessonCompletion.objects.filter(learner=learner).exists()


def test_the_form_offers_the_button_once_the_requirement_is_met(client, learner, path):
    a, b, _ = path
    services.completion_record(user=learner, lesson=a)
    client.force_login(learner)
    url = reverse("stream_progress:lesson_complete", args=[b.pk])

    assert f'action="{url}"' in client.get(url).content.decode()
    assert client.post(url).status_code == 200
    assert LessonCompletion.objects.filter(learner=learner, lesson=b).exists()


# --- What the browser is told ------------------------------------------------------------------


def test_the_viewer_endpoint_says_what_the_pages_lesson_still_needs(client, learner, path):
    a, b, c = path
    client.force_login(learner)

    def locked(lesson):
        answer = client.get(reverse("stream_lessons_api:viewer"), {"lesson": lesson.pk})
        return answer.json()["progress"]["locked"]

    assert locked(a) == []
    assert locked(b) == [{"lesson": a.pk}]
    assert locked(c) == [{"course": a.course_id, "lessons": [a.pk, b.pk]}]
    services.completion_record(user=learner, lesson=a)
    assert locked(b) == []


def test_the_facts_carry_each_lessons_requirements(client, path):
    a, b, c = path

    facts = client.get(reverse("stream_progress:facts")).json()

    assert facts["requirements"] == {
        str(b.pk): [{"lesson": a.pk}],
        str(c.pk): [{"course": a.course_id, "lessons": [a.pk, b.pk]}],
    }


# --- Pages -------------------------------------------------------------------------------------


def test_a_lesson_page_shows_what_it_builds_on_with_links_the_same_for_everyone(
    client, learner, path
):
    a, b, c = path
    url = c.get_absolute_url()

    visitor = client.get(url)
    client.force_login(learner)
    client.get("/")  # the signed-in hint
    signed_in = client.get(url)

    html = visitor.content.decode()
    assert 'aria-labelledby="stream-requirements"' in html  # "Before this lesson"
    assert (
        f'data-requirement-course="{a.course_id}" data-requirement-lessons="{a.pk} {b.pk}"' in html
    )
    assert f'href="{a.course.get_absolute_url()}"' in html  # the course it builds on, linked
    assert 'id="stream-progress-requires"' in html
    assert "data-progress-locked hidden" in html  # the script decides, for each viewer
    if not adapter_overrides("lessons_for_user"):  # a host's enrolment makes pages private
        assert signed_in.content == visitor.content
        assert "public" in visitor["Cache-Control"]


def test_a_lesson_without_prerequisites_says_nothing_of_them(client, path):
    a, _, _ = path
    html = client.get(a.get_absolute_url()).content.decode()
    assert "stream-requirements" not in html
    assert "stream-progress-requires" not in html


def test_a_course_page_shows_the_path(client, path):
    a, b, c = path

    basics = client.get(a.course.get_absolute_url()).content.decode()
    following = client.get(c.course.get_absolute_url()).content.decode()

    # b comes after a; Next builds on Basics; every row has a lock mark the script shows
    assert re.search(
        r'class="lesson-list__needs">[^<]+<a href="[^"]*/courses/basics/a/">A</a>', basics
    )
    assert 'aria-labelledby="course-requirements-title"' in following  # "Before this course"
    assert f'href="{a.course.get_absolute_url()}"' in following
    assert f'data-progress-lock-mark="{c.pk}" hidden' in following


def test_with_hide_locked_a_locked_lessons_text_is_sent_only_to_who_met_it(
    client, learner, other_learner, path, settings
):
    # given lessons with prerequisites keep their text from those who did not meet them
    settings.STREAM = {**getattr(settings, "STREAM", {}), "REQUIREMENTS_HIDE_LOCKED": True}
    a, b, _ = path
    b.body = "The secret of B."
    b.save()
    services.completion_record(user=learner, lesson=a)

    visitor = client.get(b.get_absolute_url())
    other = Client()
    other.force_login(other_learner)
    locked = other.get(b.get_absolute_url())
    met = Client()
    met.force_login(learner)
    unlocked = met.get(b.get_absolute_url())
    free = client.get(a.get_absolute_url())

    assert "The secret of B." not in visitor.content.decode()
    assert "lesson-body--hidden" in visitor.content.decode()
    assert "?next=" in visitor.content.decode()  # a sign-in link back to the lesson
    assert "The secret of B." not in locked.content.decode()
    assert "The secret of B." in unlocked.content.decode()
    for response in (visitor, locked, unlocked):
        assert "private" in response["Cache-Control"]
    if not adapter_overrides("lessons_for_user"):
        assert "public" in free["Cache-Control"]  # a lesson without prerequisites stays shared


def test_with_hide_locked_the_api_leaves_a_locked_lessons_text_out_too(
    client, learner, path, settings
):
    settings.STREAM = {**getattr(settings, "STREAM", {}), "REQUIREMENTS_HIDE_LOCKED": True}
    a, b, _ = path
    services.completion_record(user=learner, lesson=a)
    met = Client()
    met.force_login(learner)

    def api(lesson):
        return reverse("stream_lessons_api:lesson", args=[lesson.pk])

    hidden = client.get(api(b)).json()
    shown = met.get(api(b)).json()
    free = client.get(api(a)).json()

    assert (hidden["body_html"], hidden["links"]) == ("", [])
    assert shown["body_html"] and free["body_html"]


def test_the_viewer_endpoint_costs_the_same_four_queries_with_prerequisites(
    client, learner, path, django_assert_num_queries
):
    # given a learner on a locked lesson, the site's prerequisites kept (any page view keeps them)
    a, b, c = path
    client.force_login(learner)
    url = reverse("stream_lessons_api:viewer")
    client.get(url, {"lesson": c.pk})

    # session, user, values, rows: as without prerequisites (tests/lessons/test_viewer_endpoint)
    with django_assert_num_queries(4):
        answer = client.get(url, {"lesson": c.pk}).json()
    assert answer["progress"]["locked"]
