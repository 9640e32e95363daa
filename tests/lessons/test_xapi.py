"""xAPI statements delivered to a real learning record store (Ralph, see tests/lrs.py).

Every test reads what the LRS holds back through its own ``GET statements``: how many
statements, what they say, and the X-Experience-API-Version header.
"""

import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from comments import services as comment_services
from lessons import xapi
from lessons.learner_data import learner_data_erase, learner_data_export
from lessons.models import CourseTranslation, XapiStatement
from progress import services
from progress.models import AchievementTranslation
from tests.factories import (
    AchievementFactory,
    CommentFactory,
    CourseFactory,
    LessonFactory,
    LessonVariantFactory,
    StaffFactory,
    UserFactory,
)
from tests.lrs import PASSWORD, USERNAME, VERSION, Lrs

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
Delivery = XapiStatement.Delivery


@pytest.fixture
def course():
    course = CourseFactory(title="Python basics")
    LessonFactory(course=course, title="Variables", position=1)
    LessonFactory(course=course, title="Loops", position=2)
    return course


def lessons_of(course):
    return list(course.lessons.order_by("position"))


def complete(user, lesson, at=T0, capture=None):
    with capture(execute=True):
        return services.completion_record(user=user, lesson=lesson, at=at)


def by_verb(statements):
    found = {}
    for statement in statements:
        found.setdefault(statement["verb"]["id"], []).append(statement)
    return found


# --- Off unless an LRS is named ------------------------------------------------------------------


def test_without_an_lrs_nothing_is_queued(learner, course, django_capture_on_commit_callbacks):
    complete(learner, lessons_of(course)[0], capture=django_capture_on_commit_callbacks)

    assert XapiStatement.objects.count() == 0


# --- What the LRS receives -----------------------------------------------------------------------


def test_a_completion_reaches_the_lrs_once_with_its_lesson_course_language_and_revision(
    xapi_lrs, learner, course, django_capture_on_commit_callbacks
):
    # given a lesson edited once (revision 2), read in English
    lesson = lessons_of(course)[0]
    lesson.body = "## Changed\n\nNew text.\n"
    lesson.save()
    assert lesson.revision == 2

    # when the learner completes it (the delivery task runs after commit)
    with translation.override("en"):
        complete(learner, lesson, capture=django_capture_on_commit_callbacks)
        page = lesson.get_absolute_url()

    # then the LRS holds exactly one statement, which says who, what, where and when
    [statement] = xapi_lrs.statements()
    site = xapi_lrs.site_url
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert statement["actor"]["account"]["homePage"] == site + "/"
    name = statement["actor"]["account"]["name"]
    assert name == xapi.actor_key(learner)
    assert str(learner.pk) != name and learner.email not in str(statement)
    assert statement["object"]["id"] == f"{site}/xapi/lessons/{lesson.uuid}"
    assert statement["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/lesson"
    # named under the language its title is written in (the lesson's, the site's default), not
    # under the learner's: the lesson has no English title
    assert statement["object"]["definition"]["name"] == {"ko": "Variables"}
    assert statement["object"]["definition"]["moreInfo"] == site + page
    context = statement["context"]
    assert context["language"] == "en"
    assert context["revision"] == "2"
    [parent] = context["contextActivities"]["parent"]
    assert parent["id"] == f"{site}/xapi/courses/{course.uuid}"
    assert parent["definition"]["name"] == {"ko": "Python basics"}
    assert statement["result"] == {"completion": True}
    assert datetime.fromisoformat(statement["timestamp"]) == T0
    # the id is derived from the event, and the outbox says it was sent
    row = XapiStatement.objects.get()
    assert statement["id"] == str(row.statement_id)
    assert uuid.UUID(statement["id"]).version == 5
    assert (row.status, row.attempts, row.last_error) == (Delivery.SENT, 0, "")


@pytest.fixture
def course_in_two_languages():
    """A Korean course and lesson, each with its English title (a variant, a translation)."""
    course = CourseFactory(title="파이썬 기초")
    CourseTranslation.objects.create(course=course, language="en", title="Python basics")
    lesson = LessonFactory(course=course, title="변수", position=1)
    LessonVariantFactory(lesson=lesson, language="en", title="Variables")
    LessonFactory(course=course, title="반복문", position=2)
    return course


@pytest.mark.parametrize("page_language", ["ko", "en"])
def test_a_lesson_with_an_english_variant_is_named_in_both_languages_each_under_its_own(
    xapi_lrs, learner, course_in_two_languages, page_language, django_capture_on_commit_callbacks
):
    lesson = lessons_of(course_in_two_languages)[0]

    with translation.override(page_language):
        complete(learner, lesson, capture=django_capture_on_commit_callbacks)

    # whichever language the learner read it in
    [statement] = xapi_lrs.statements()
    assert statement["object"]["definition"]["name"] == {"ko": "변수", "en": "Variables"}
    [parent] = statement["context"]["contextActivities"]["parent"]
    assert parent["definition"]["name"] == {"ko": "파이썬 기초", "en": "Python basics"}
    assert statement["context"]["language"] == page_language


def test_the_lrs_answers_with_the_xapi_version_and_refuses_requests_without_one(xapi_lrs):
    status, headers, _ = xapi_lrs.ralph.get("statements", {"limit": 1})
    assert status == 200
    assert headers["X-Experience-API-Version"] == VERSION

    status, _, _ = xapi_lrs.ralph.get("statements", {"limit": 1}, version=None)
    assert status == 400


def test_a_statement_sent_with_a_version_the_lrs_does_not_speak_fails_and_is_listed(
    xapi_lrs, settings, learner, course, django_capture_on_commit_callbacks
):
    settings.STREAM = {**settings.STREAM, "XAPI": {**settings.STREAM["XAPI"], "VERSION": "0.95"}}

    complete(learner, lessons_of(course)[0], capture=django_capture_on_commit_callbacks)

    row = XapiStatement.objects.get()
    assert row.status == Delivery.FAILED
    assert row.last_error.startswith("HTTP 400")
    assert xapi_lrs.statements() == []


def test_finishing_a_course_through_the_sync_api_sends_lesson_course_and_award_statements(
    xapi_lrs, learner, course_in_two_languages, django_capture_on_commit_callbacks
):
    course = course_in_two_languages
    achievement = AchievementFactory(
        slug="course-done",
        name="완주",
        description="과정을 끝까지 마쳤습니다.",
        rule_kind="course_completed",
        rule_params={"course": course.slug},
    )
    AchievementTranslation.objects.create(achievement=achievement, language="en", name="Finisher")
    first, second = lessons_of(course)
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(learner)
    events = [
        {"id": str(uuid.uuid4()), "type": "lesson_completed", "lesson": lesson.pk, "at": at}
        for lesson, at in ((first, "2026-03-02T01:00:00Z"), (second, "2026-03-02T02:00:00Z"))
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/progress/sync/", {"events": events}, content_type="application/json"
        )
    assert response.status_code == 200

    verbs = by_verb(xapi_lrs.statements())
    completed = {s["object"]["id"]: s for s in verbs[xapi.VERB_COMPLETED]}
    site = xapi_lrs.site_url
    assert set(completed) == {
        f"{site}/xapi/lessons/{first.uuid}",
        f"{site}/xapi/lessons/{second.uuid}",
        f"{site}/xapi/courses/{course.uuid}",
    }
    course_statement = completed[f"{site}/xapi/courses/{course.uuid}"]
    assert course_statement["object"]["definition"]["type"] == xapi.ACTIVITY_COURSE
    assert course_statement["object"]["definition"]["name"] == {
        "ko": "파이썬 기초",
        "en": "Python basics",
    }
    assert datetime.fromisoformat(course_statement["timestamp"]) == datetime(
        2026, 3, 2, 2, tzinfo=UTC
    )
    [earned] = verbs[xapi.VERB_EARNED]
    assert earned["object"]["id"] == f"{site}/xapi/achievements/course-done"
    # the achievement's own text is in the site's language; its English translation has a name
    # but no description of its own
    assert earned["object"]["definition"]["name"] == {"ko": "완주", "en": "Finisher"}
    assert earned["object"]["definition"]["description"] == {"ko": "과정을 끝까지 마쳤습니다."}

    # the same events again (a browser retrying) send nothing new
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/progress/sync/", {"events": events}, content_type="application/json")
    assert len(xapi_lrs.statements()) == 4
    assert XapiStatement.objects.count() == 4


def test_the_no_javascript_form_sends_the_completion_too(
    xapi_lrs, learner, course, django_capture_on_commit_callbacks
):
    lesson = lessons_of(course)[0]
    client = Client()
    client.force_login(learner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/me/progress/lessons/{lesson.pk}/complete/")

    assert response.status_code in (200, 302)
    [statement] = xapi_lrs.statements()
    assert statement["object"]["id"].endswith(str(lesson.uuid))


# --- Exactly once --------------------------------------------------------------------------------


def test_a_statement_delivered_twice_is_stored_once(
    xapi_lrs, learner, course, django_capture_on_commit_callbacks
):
    complete(learner, lessons_of(course)[0], capture=django_capture_on_commit_callbacks)
    # a worker that sent it but died before recording so, and a second worker at once
    XapiStatement.objects.update(status=Delivery.PENDING)

    report = xapi.deliver_pending()

    assert report.sent == 1
    assert len(xapi_lrs.statements()) == 1


def test_a_rolled_back_completion_sends_nothing(
    xapi_lrs, learner, course, django_capture_on_commit_callbacks
):
    class Undone(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Undone),
        transaction.atomic(),
    ):
        services.completion_record(user=learner, lesson=lessons_of(course)[0], at=T0)
        raise Undone

    assert callbacks == []
    assert XapiStatement.objects.count() == 0
    xapi.deliver_pending()
    assert xapi_lrs.statements() == []


def test_while_the_lrs_is_down_statements_wait_and_go_once_when_it_returns(
    xapi_lrs, learner, course, django_capture_on_commit_callbacks
):
    first, second = lessons_of(course)
    # given the LRS down
    xapi_lrs.ralph.stop()

    # when two lessons are completed
    complete(learner, first, capture=django_capture_on_commit_callbacks)
    complete(learner, second, capture=django_capture_on_commit_callbacks)

    # then the statements wait, each with its attempt counted and a later try planned
    rows = list(XapiStatement.objects.order_by("id"))
    assert len(rows) == 3  # two lessons, and the course they finish
    assert {row.status for row in rows} == {Delivery.PENDING}
    assert all(row.next_attempt_at > timezone.now() for row in rows)
    assert rows[0].last_error == "ConnectionRefusedError: [Errno 111] Connection refused"

    # when the LRS returns, nothing is sent before the planned time
    xapi_lrs.ralph.start()
    assert xapi.deliver_pending().sent == 0
    # and at that time everything goes, once
    later = timezone.now() + timedelta(hours=1)
    report = xapi.deliver_pending(now=later)
    assert report.sent == 3
    assert xapi.deliver_pending(now=later).sent == 0
    assert len(xapi_lrs.statements()) == 3
    assert set(XapiStatement.objects.values_list("status", flat=True)) == {Delivery.SENT}


def test_the_wait_doubles_and_a_statement_gives_up_after_the_last_attempt(
    xapi_lrs, settings, learner, course, django_capture_on_commit_callbacks
):
    settings.STREAM = {
        **settings.STREAM,
        "XAPI": {**settings.STREAM["XAPI"], "MAX_ATTEMPTS": 3, "RETRY_SECONDS": 60},
    }
    xapi_lrs.ralph.stop()
    complete(learner, lessons_of(course)[0], capture=django_capture_on_commit_callbacks)
    row = XapiStatement.objects.get()
    waits = [row.next_attempt_at - row.created_at]

    now = row.next_attempt_at
    xapi.deliver_pending(now=now)
    row.refresh_from_db()
    waits.append(row.next_attempt_at - now)
    report = xapi.deliver_pending(now=row.next_attempt_at)

    row.refresh_from_db()
    assert [round(wait.total_seconds() / 60) for wait in waits] == [1, 2]
    assert report.failed == 1
    assert (row.status, row.attempts) == (Delivery.FAILED, 3)


def test_staff_retry_failed_statements_from_the_admin_and_they_arrive_once(
    xapi_lrs, learner, course, django_capture_on_commit_callbacks
):
    # given a statement that failed while the LRS was down
    xapi_lrs.ralph.stop()
    complete(learner, lessons_of(course)[0], capture=django_capture_on_commit_callbacks)
    XapiStatement.objects.update(status=Delivery.FAILED)
    xapi_lrs.ralph.start()
    url = "/admin/stream_lessons/xapistatement/"
    staff = Client()
    staff.force_login(StaffFactory())

    # the failed list shows it
    listing = staff.get(url, {"status__exact": "failed"})
    assert listing.status_code == 200
    row = XapiStatement.objects.get()
    assert str(row.statement_id) in listing.content.decode()

    # a learner cannot see the list
    other = Client()
    other.force_login(UserFactory())
    assert other.get(url).status_code == 302

    # when staff retry it
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            url, {"action": "retry_statements", "_selected_action": [row.pk]}, follow=True
        )

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.status == Delivery.SENT
    assert len(xapi_lrs.statements()) == 1


# --- Comments ------------------------------------------------------------------------------------


def test_a_published_comment_sends_commented_without_its_text(
    xapi_lrs, learner, course, django_capture_on_commit_callbacks
):
    lesson = lessons_of(course)[0]

    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_services.comment_post(lesson=lesson, author=learner, body="Nice one")

    [statement] = xapi_lrs.statements()
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/commented"
    assert statement["object"]["id"] == f"{xapi_lrs.site_url}/xapi/lessons/{lesson.uuid}"
    assert "result" not in statement
    assert "Nice one" not in str(statement)
    assert datetime.fromisoformat(statement["timestamp"]) == comment.created_at.replace(
        microsecond=comment.created_at.microsecond // 1000 * 1000
    )


def test_a_comment_names_its_lesson_in_every_language_it_is_written_in(
    xapi_lrs, learner, course_in_two_languages, django_capture_on_commit_callbacks
):
    lesson = lessons_of(course_in_two_languages)[0]

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        comment_services.comment_post(lesson=lesson, author=learner, body="Nice one")

    [statement] = xapi_lrs.statements()
    assert statement["object"]["definition"]["name"] == {"ko": "변수", "en": "Variables"}
    [parent] = statement["context"]["contextActivities"]["parent"]
    assert parent["definition"]["name"] == {"ko": "파이썬 기초", "en": "Python basics"}


def test_a_comment_awaiting_moderation_is_sent_when_approved_and_only_then(
    xapi_lrs, settings, learner, course, django_capture_on_commit_callbacks
):
    settings.STREAM = {
        **settings.STREAM,
        "COMMENTS_MODERATION": "all",
        "XAPI": {**settings.STREAM["XAPI"], "COMMENT_TEXT": True},
    }
    lesson = lessons_of(course)[0]
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_services.comment_post(lesson=lesson, author=learner, body="Hello")
    assert xapi_lrs.statements() == []

    with django_capture_on_commit_callbacks(execute=True):
        comment_services.comment_approve(comment=comment, user=StaffFactory())

    [statement] = xapi_lrs.statements()
    assert statement["result"] == {"response": "Hello"}


# --- Past activity -------------------------------------------------------------------------------


def test_backfill_sends_past_activity_once_however_often_it_runs(
    settings, ralph, learner, course_in_two_languages, django_capture_on_commit_callbacks
):
    # given activity from before xAPI was turned on
    course = course_in_two_languages
    first, second = lessons_of(course)
    achievement = AchievementFactory(
        slug="first-steps", name="첫걸음", rule_kind="lessons_completed", rule_params={"count": 1}
    )
    AchievementTranslation.objects.create(
        achievement=achievement, language="en", name="First steps", description="One lesson."
    )
    complete(learner, first, capture=django_capture_on_commit_callbacks)
    complete(learner, second, capture=django_capture_on_commit_callbacks)
    CommentFactory(lesson=first, author=learner)
    CommentFactory(lesson=first, author=learner, status="hidden")
    assert XapiStatement.objects.count() == 0

    # when xAPI is turned on and the backfill runs, twice
    lrs = Lrs(ralph, f"https://school-{uuid.uuid4().hex[:12]}.example")
    settings.STREAM = {
        **settings.STREAM,
        "XAPI": {
            "ENDPOINT": ralph.url,
            "USERNAME": USERNAME,
            "PASSWORD": PASSWORD,
            "SITE_URL": lrs.site_url,
        },
    }
    out, again = StringIO(), StringIO()
    with translation.override("en"):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("xapi_backfill", stdout=out)
        with django_capture_on_commit_callbacks(execute=True):
            call_command("xapi_backfill", stdout=again)

    # then the LRS holds each past event once: two lessons, the course, the award, the comment
    verbs = by_verb(lrs.statements())
    assert len(verbs[xapi.VERB_COMPLETED]) == 3
    assert len(verbs[xapi.VERB_EARNED]) == 1
    assert len(verbs[xapi.VERB_COMMENTED]) == 1
    assert "progress — queued: 4, already queued or sent: 0." in out.getvalue()
    assert "comments — queued: 1, already queued or sent: 0." in out.getvalue()
    assert "progress — queued: 0, already queued or sent: 4." in again.getvalue()
    assert "Delivered: 5 sent, 0 failed, 0 waiting to retry." in out.getvalue()
    assert XapiStatement.objects.filter(status=Delivery.SENT).count() == 5
    # each named in every language it is written in, whatever language the command ran in
    names = {s["object"]["id"]: s["object"]["definition"] for s in lrs.statements()}
    site = lrs.site_url
    assert names[f"{site}/xapi/lessons/{first.uuid}"]["name"] == {"ko": "변수", "en": "Variables"}
    assert names[f"{site}/xapi/lessons/{second.uuid}"]["name"] == {"ko": "반복문"}
    assert names[f"{site}/xapi/courses/{course.uuid}"]["name"] == {
        "ko": "파이썬 기초",
        "en": "Python basics",
    }
    assert names[f"{site}/xapi/achievements/first-steps"] == {
        "type": xapi.ACTIVITY_BADGE,
        "name": {"ko": "첫걸음", "en": "First steps"},
        "description": {"en": "One lesson."},
    }
    [commented] = verbs[xapi.VERB_COMMENTED]
    assert commented["object"]["definition"]["name"] == {"ko": "변수", "en": "Variables"}


def test_backfill_without_an_lrs_says_so():
    with pytest.raises(CommandError, match="XAPI"):
        call_command("xapi_backfill")


# --- Settings, a learner's data ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, message",
    [
        ("https://lrs.example.org", "must be None or a dict"),
        ({"ENDPOINT": "https://lrs.example.org/xAPI/"}, "SITE_URL"),
        ({"ENDPOINT": "ftp://x", "SITE_URL": "https://a.example"}, "ENDPOINT"),
        (
            {"ENDPOINT": "https://l.example/", "SITE_URL": "https://a.example", "PASWORD": ""},
            "unknown keys: PASWORD",
        ),
        (
            {"ENDPOINT": "https://l.example/", "SITE_URL": "https://a.example", "TIMEOUT": 0},
            "TIMEOUT",
        ),
    ],
)
def test_a_malformed_xapi_setting_fails_the_system_check(settings, value, message):
    settings.STREAM = {**settings.STREAM, "XAPI": value}

    errors = [e for e in run_checks() if e.id == "stream_lessons.E008"]

    assert len(errors) == 1
    assert message in errors[0].msg


def test_a_learners_statements_are_in_their_export_and_gone_after_erasing(
    xapi_lrs, learner, other_learner, course, django_capture_on_commit_callbacks
):
    xapi_lrs.ralph.stop()  # waiting statements: erased before they are ever sent
    complete(learner, lessons_of(course)[0], capture=django_capture_on_commit_callbacks)
    complete(other_learner, lessons_of(course)[0], capture=django_capture_on_commit_callbacks)
    mine = XapiStatement.objects.get(learner=learner)

    exported = learner_data_export(user=learner)["parts"]["xapi"]
    assert [item["statement"]["id"] for item in exported] == [str(mine.statement_id)]

    counts = learner_data_erase(user=learner)["xapi"]
    assert counts == {"statements": 1}
    assert not XapiStatement.objects.filter(learner=learner).exists()
    assert XapiStatement.objects.filter(learner=other_learner).count() == 1
    xapi_lrs.ralph.start()
    xapi.deliver_pending(now=timezone.now() + timedelta(days=1))
    assert {s["actor"]["account"]["name"] for s in xapi_lrs.statements()} == {
        xapi.actor_key(other_learner)
    }


def test_statements_cost_one_read_and_one_write_more_than_a_completion_without(
    xapi_lrs, learner, other_learner, course_in_two_languages, django_assert_num_queries, settings
):
    # given the catalogue's figures in the page cache, as an earlier completion leaves them
    lesson = lessons_of(course_in_two_languages)[0]
    on = settings.STREAM["XAPI"]
    settings.STREAM = {**settings.STREAM, "XAPI": None}
    services.completion_record(user=UserFactory(), lesson=lesson, at=T0)  # warms what it reads
    with CaptureQueriesContext(connection) as without:
        services.completion_record(user=other_learner, lesson=lesson, at=T0)
    settings.STREAM = {**settings.STREAM, "XAPI": on}  # a new release: the page cache's keys
    services.completion_record(user=UserFactory(), lesson=lesson, at=T0)  # change, warm again

    # the lesson with its course and both's titles in every language, and the outbox's insert
    with django_assert_num_queries(len(without.captured_queries) + 2):
        services.completion_record(user=learner, lesson=lesson, at=T0)
    statement = XapiStatement.objects.get(learner=learner).statement
    assert statement["object"]["definition"]["name"] == {"ko": "변수", "en": "Variables"}


# --- Through the task queue production uses ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_a_queue_the_task_comes_back_when_the_wait_is_over(xapi_lrs, settings):
    from django_tasks_db.models import DBTaskResult

    # given django-tasks-db's queue and worker, and the LRS down
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    learner, lesson = UserFactory(), LessonFactory(course=CourseFactory())
    xapi_lrs.ralph.stop()

    # when a lesson is completed (the commit enqueues the delivery) and the worker runs it
    services.completion_record(user=learner, lesson=lesson, at=T0)
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)

    # then the statement waits, and the task is queued again for when it is due
    row = XapiStatement.objects.order_by("id").first()  # the lesson's; its course's waits too
    assert (row.status, row.attempts) == (Delivery.PENDING, 1)
    waiting = DBTaskResult.objects.filter(status="READY")
    assert [task.run_after for task in waiting] == [row.next_attempt_at]

    # when the LRS is back and the time has come, the worker delivers everything, once
    xapi_lrs.ralph.start()
    XapiStatement.objects.update(next_attempt_at=timezone.now())
    waiting.update(run_after=timezone.now())
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)

    assert set(XapiStatement.objects.values_list("status", flat=True)) == {Delivery.SENT}
    assert len(xapi_lrs.statements()) == XapiStatement.objects.count() == 2
    assert not DBTaskResult.objects.filter(status="READY").exists()
