"""Progress on Stream's pages: the status bar, the Progress section, per-course figures,
"continue", the no-JavaScript form and /me/progress/."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from lessons.caching import page_cache
from lessons.models import Status
from progress import services
from progress.models import LessonCompletion
from tests.factories import AchievementFactory, CourseFactory, LessonFactory, TagFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def text_of(html, selector_class):
    """The text of the first element with ``class="<selector_class>"`` (tags stripped)."""
    match = re.search(rf'class="{selector_class}"[^>]*>(.*?)</(p|section|div)>', html, re.S)
    assert match, selector_class
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def field(html, name):
    match = re.search(rf'data-progress-field="{name}"[^>]*>([^<]*)<', html)
    assert match, name
    return match.group(1)


def page_data(html):
    match = re.search(
        r'<script id="stream-progress-data" type="application/json">(.*?)</script>', html, re.S
    )
    return json.loads(match.group(1))


def test_anonymous_status_bar_reads_as_the_reference(client, course, lessons, levels):
    AchievementFactory.create_batch(2)

    html = client.get(lessons[0].get_absolute_url()).content.decode()

    assert [
        field(html, name)
        for name in ("level", "level_name", "xp", "lessons", "achievements", "to_next", "to_go")
    ] == [
        "Level 0",
        "Scout",
        "0 XP",
        "0/3 lessons",
        "0/2 achievements",
        "0/100 XP to next level",
        "100 XP to go",
    ]
    assert field(html, "percent") == "0% complete"
    assert 'aria-live="polite"' in html
    # The note and a sign-in link that comes back to the Progress section.
    note = "진행 상황은 이 기기에만 저장돼요 — 로그인하면 기기 간 동기화돼요."
    assert html.count(note) == 1  # in the Progress section only
    assert "/accounts/login/?next=%2Fcourses%2Fbasics%2Fb1%2F%23progress" in html
    assert "/accounts/signup/?next=%2Fcourses%2Fbasics%2Fb1%2F%23progress" in html


def test_the_english_page_reads_the_same_status_bar(client, lessons, levels):
    with translation.override("en"):
        url = lessons[0].get_absolute_url()  # the demo puts the language in the address
    html = client.get(url).content.decode()

    assert field(html, "to_next") == "0/100 XP to next level"
    assert "Progress is local-only — sign in to sync across devices." in html
    assert '<h2 id="stream-progress">Progress</h2>' in html


def test_korean_keeps_the_reference_status_bar_wording():
    with translation.override("ko"):
        from progress.texts import text

        assert text("level", number=0) == "Level 0"
        assert text("percent", percent=0) == "0% complete"
        assert text("top_level") != "Top level reached"  # translated, not left in English


def test_a_learners_lesson_page_is_the_visitors(client, learner, lessons, levels):
    # given a learner with progress (progress.js shows it from the viewer endpoint)
    AchievementFactory(slug="first", rule_params={"count": 1}, xp=90)
    services.completion_record(user=learner, lesson=lessons[0], at=T0)
    client.force_login(learner)

    html = client.get(lessons[0].get_absolute_url()).content.decode()

    # then the page carries a visitor's status bar and button, and the local-only note
    assert [field(html, n) for n in ("xp", "lessons", "achievements")] == [
        "0 XP",
        "0/3 lessons",
        "0/1 achievements",
    ]
    assert re.search(r"data-progress-button>완료로 표시</button>", html)
    assert "진행 상황은 이 기기에만" in html and "data-progress-local-note" in html


def test_top_level_says_so(client, learner, lessons, levels):
    for lesson in lessons:
        services.completion_record(user=learner, lesson=lesson)
    AchievementFactory(slug="big", rule_params={"count": 3}, xp=500)
    services.achievements_evaluate(user=learner)
    client.force_login(learner)

    html = client.get(reverse("stream_progress:overview")).content.decode()

    assert field(html, "level") == "Level 2"
    with translation.override("ko"):
        from progress.texts import text

        assert field(html, "to_next") == text("top_level")
    assert re.search(r'data-progress-field="to_go" hidden>', html)


def facts_of(client, data):
    return json.loads(client.get(data["factsUrl"]).content)


def test_page_data_block_for_an_anonymous_visitor(client, course, lessons, levels):
    tag = TagFactory(slug="moe")
    lessons[2].tags.add(tag)
    AchievementFactory(
        slug="course", rule_kind="course_completed", rule_params={"course": "basics"}
    )
    AchievementFactory(slug="tag", rule_kind="tag_completed", rule_params={"tag": "moe"}, xp=5)
    AchievementFactory(slug="off", active=False)

    html = client.get(lessons[0].get_absolute_url()).content.decode()
    data = page_data(html)

    assert "user" not in data and "state" not in data and "csrfToken" not in data
    assert data["storageKey"] == "stream.progress.v1"
    # the API answers in the page's language (award names), whatever the browser's
    assert data["syncUrl"] == "/api/v1/progress/sync/?lang=ko"
    assert data["factsUrl"].startswith("/progress/facts.json?v=")
    assert "lessons" not in data and "achievements" not in data
    facts = facts_of(client, data)
    assert [(lesson["id"], lesson["xp"]) for lesson in facts["lessons"]] == [
        (lesson.pk, lesson.xp) for lesson in lessons
    ]
    assert facts["lessons"][0]["url"] == "/courses/basics/b1/"
    assert [level["min_xp"] for level in facts["levels"]] == [0, 100, 250]
    assert [(a["slug"], a["rule"]) for a in facts["achievements"]] == [
        ("course", {"kind": "course_completed", "lessons": [lesson.pk for lesson in lessons]}),
        ("tag", {"kind": "tag_completed", "lessons": [lessons[2].pk]}),
    ]
    assert data["text"]["level"] == "Level {number}"
    assert data["text"]["percent"] == "{percent}% complete"
    # No inline scripts: only the JSON block and module tags with a src.
    for script in re.findall(r"<script[^>]*>", html):
        is_module = 'type="module"' in script and "src=" in script
        assert 'type="application/json"' in script or is_module, script


def test_the_facts_address_is_cached_for_good_and_changes_with_the_catalogue(
    client, course, lessons, levels, django_assert_num_queries
):
    # given the address a page names
    url = page_data(client.get(lessons[0].get_absolute_url()).content.decode())["factsUrl"]
    first = client.get(url)
    assert first["Cache-Control"] == "public, max-age=31536000, immutable"
    assert first["Content-Type"] == "application/json"

    # when it is asked again, by anyone: the site's version only, and a 304 to a browser
    # that has it
    with django_assert_num_queries(2):
        again = Client().get(url)
        unchanged = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.content == first.content and "Set-Cookie" not in again.headers
    assert unchanged.status_code == 304

    # when a lesson's XP changes, pages name a new address with the new figure
    lessons[0].xp = 99
    lessons[0].save()
    new_url = page_data(client.get(lessons[1].get_absolute_url()).content.decode())["factsUrl"]
    assert new_url != url
    assert json.loads(client.get(new_url).content)["lessons"][0]["xp"] == 99
    # and an outdated or missing version is answered, but kept by nobody
    for stale in (url, "/progress/facts.json"):
        response = client.get(stale)
        assert response["Cache-Control"] == "public, no-cache"
        assert json.loads(response.content)["lessons"][0]["xp"] == 99


def test_without_a_cache_that_keeps_anything_the_facts_are_right_and_kept_for_good(
    client, course, lessons, settings
):
    # the version lives in the database, so the address still names one content
    dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    settings.CACHES = {"default": dummy, "pages": dummy}

    data = page_data(client.get(lessons[0].get_absolute_url()).content.decode())
    response = client.get(data["factsUrl"])

    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert [lesson["id"] for lesson in json.loads(response.content)["lessons"]] == [
        lesson.pk for lesson in lessons
    ]


def test_the_facts_list_published_lessons_only_and_refuse_writes(client, course, lessons):
    lessons[1].status = Status.DRAFT
    lessons[1].save()

    facts = json.loads(client.get("/progress/facts.json").content)

    assert [lesson["id"] for lesson in facts["lessons"]] == [lessons[0].pk, lessons[2].pk]
    assert client.post("/progress/facts.json").status_code == 405


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_lesson_page_does_not_grow_with_the_catalogue(client, learner, levels, signed_in):
    # given a lesson in a catalogue of 5 lessons, then of 500
    course = CourseFactory(slug="big")
    lesson = LessonFactory(course=course, slug="the-lesson", title="The lesson", position=1)
    LessonFactory.create_batch(4, course=course, title="Another lesson")
    AchievementFactory(rule_kind="course_completed", rule_params={"course": "big"})
    if signed_in:
        services.completion_record(user=learner, lesson=lesson, at=T0)
        client.force_login(learner)

    def size():
        html = client.get(lesson.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content
        # the CSRF token and the facts' version token are random: count them out
        return len(re.sub(rb'(csrf[^"]*"[^"]*"|value="[^"]*"|v=[0-9a-f]+)', b"", html))

    small = size()
    for position in range(495):
        LessonFactory(course=CourseFactory(), title="Another lesson", position=position)

    # when the page is read again, then its size is the same (the figures' digits aside)
    assert abs(size() - small) <= 8


def test_page_data_block_is_the_same_for_a_learner(client, learner, lessons, levels):
    # given a learner with a completion
    services.completion_record(user=learner, lesson=lessons[0], at=T0)
    visitor = page_data(client.get(lessons[0].get_absolute_url()).content.decode())
    client.force_login(learner)

    data = page_data(client.get(lessons[0].get_absolute_url()).content.decode())

    # then the block names no one: the learner's state and token come from the viewer endpoint
    assert data == visitor
    assert "user" not in data and "state" not in data and "csrfToken" not in data


def test_draft_lessons_offer_no_button(client, staff, lessons):
    lessons[0].status = Status.DRAFT
    lessons[0].save()
    client.force_login(staff)

    html = client.get(lessons[0].get_absolute_url()).content.decode()

    assert "data-progress-button" not in html
    assert "공개되면 학습자가 완료로 표시할 수 있어요" in html


# --- The plain form ----------------------------------------------------------------------------


def complete_url(lesson):
    return reverse("stream_progress:lesson_complete", args=[lesson.pk])


def test_the_form_marks_complete_without_javascript_and_returns_to_progress(
    client, learner, lessons
):
    AchievementFactory(slug="first", name="First steps", rule_params={"count": 1}, xp=5)
    client.force_login(learner)

    response = client.post(f"/en{complete_url(lessons[0])}")

    # the answer is a page of its own (the lesson page is everyone's and shows no messages):
    # what happened, and the way back to the lesson's Progress section
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert LessonCompletion.objects.filter(learner=learner, lesson=lessons[0]).exists()
    html = response.content.decode()
    assert "You completed this lesson." in html
    assert "Achievement unlocked: First steps (+5 XP)" in html
    assert 'href="/en/courses/basics/b1/#progress"' in html


def test_the_form_says_why_a_draft_cannot_be_completed_in_its_answer(client, staff, lessons):
    # given staff, who can open a draft lesson, posting its form (an old tab, a typed address)
    lessons[0].status = Status.DRAFT
    lessons[0].save()
    client.force_login(staff)

    response = client.post(complete_url(lessons[0]))

    # then the answer says why (the lesson page shows no messages), with the way back
    assert response.status_code == 409
    html = response.content.decode()
    assert "공개된 레슨만 완료로 표시할 수 있어요." in html
    assert f'href="{lessons[0].get_absolute_url()}#progress"' in html
    assert not LessonCompletion.objects.exists()
    later = client.get(complete_url(lessons[1])).content.decode()
    assert "공개된 레슨만 완료로 표시할 수 있어요." not in later


def test_finishing_a_course_by_form_shows_the_course_complete_moment(client, learner, lessons):
    client.force_login(learner)
    for lesson in lessons[:2]:
        client.post(complete_url(lesson))

    response = client.post(f"/en{complete_url(lessons[2])}")

    assert "Course complete: you finished “Basics”." in response.content.decode()


def test_the_form_needs_a_csrf_token(learner, lessons):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)

    assert client.post(complete_url(lessons[0])).status_code == 403
    assert not LessonCompletion.objects.exists()


def test_anonymous_form_posts_go_to_sign_in_and_come_back(client, lessons):
    response = client.post(complete_url(lessons[0]))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/courses/basics/b1/%23progress"
    assert not LessonCompletion.objects.exists()


def test_the_form_refuses_drafts_and_unknown_lessons(client, learner, lessons):
    lessons[0].status = Status.DRAFT
    lessons[0].save()
    client.force_login(learner)

    assert client.post(complete_url(lessons[0])).status_code == 404
    assert client.post("/me/progress/lessons/999999/complete/").status_code == 404
    assert client.get(complete_url(lessons[0])).status_code == 404
    assert client.put(complete_url(lessons[1])).status_code == 405


# --- The page the button leads to without JavaScript ------------------------------------------


def test_without_javascript_the_button_asks_on_a_page_of_its_own(client, learner, lessons):
    # given a signed-in learner who has not completed the lesson
    client.force_login(learner)

    # when the lesson page's button is followed (a GET: the shared page carries no token)
    response = client.get(complete_url(lessons[0]))

    # then a page asks, with a form carrying the learner's own token, and no cache keeps it
    html = response.content.decode()
    assert response.status_code == 200
    assert f"“{lessons[0].title}” 레슨을 완료로 표시할까요?" in html
    assert f'<form method="post" action="{complete_url(lessons[0])}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "private" in response["Cache-Control"]
    assert not LessonCompletion.objects.exists()


def test_the_page_says_so_when_the_lesson_is_already_complete(
    client, learner, other_learner, lessons
):
    services.completion_record(user=learner, lesson=lessons[0])

    client.force_login(learner)
    done = client.get(complete_url(lessons[0])).content.decode()
    client.force_login(other_learner)
    other = client.get(complete_url(lessons[0])).content.decode()

    assert "이 레슨을 완료했어요." in done and 'method="post"' not in done.split("<main")[1]
    assert f"“{lessons[0].title}” 레슨을 완료로 표시할까요?" in other


def test_the_page_sends_visitors_to_sign_in_and_back_to_it(client, lessons):
    response = client.get(complete_url(lessons[0]))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={complete_url(lessons[0])}"


def test_staff_get_the_same_page_as_learners(client, staff, lessons):
    client.force_login(staff)

    response = client.get(complete_url(lessons[1]))

    assert response.status_code == 200
    assert f"“{lessons[1].title}” 레슨을 완료로 표시할까요?" in response.content.decode()
    assert "private" in response["Cache-Control"]
    assert not LessonCompletion.objects.exists()


# --- Catalogue and course pages ----------------------------------------------------------------


def test_catalogue_and_course_pages_show_progress_and_where_to_continue(client, learner, lessons):
    services.completion_record(user=learner, lesson=lessons[0], at=T0)
    services.completion_record(user=learner, lesson=lessons[2], at=T0 - timedelta(days=1))
    client.force_login(learner)

    catalogue = client.get("/").content.decode()
    course_page = client.get("/courses/basics/").content.decode()

    # the pages are everyone's: the visitor's figures, with a place for each mark, count and
    # "continue" link that the page's script fills from the learner's state
    assert re.search(r"data-progress-course-count>0/3</span>", catalogue)
    assert "data-progress-continue hidden" in catalogue
    marks = re.findall(r'data-progress-done-mark="(\d+)"( hidden)?', course_page)
    assert marks == [(str(lesson.pk), " hidden") for lesson in lessons]
    # and the viewer endpoint gives the script that state
    state = client.get("/api/v1/me/page/").json()["progress"]
    assert {item["lesson"] for item in state["completed"]} == {lessons[0].pk, lessons[2].pk}


def test_nothing_to_continue_before_the_first_completion(client, lessons):
    html = client.get("/").content.decode()

    assert re.search(r"<p class=\"progress-continue\" data-progress-continue hidden>", html)
    assert "data-progress-course-count>0/3</span>" in html


# --- Query counts ------------------------------------------------------------------------------


def lesson_page_setup(count):
    course = CourseFactory(slug="big")
    lessons = LessonFactory.create_batch(count, course=course)
    AchievementFactory.create_batch(3)
    AchievementFactory(rule_kind="tag_completed", rule_params={"tag": TagFactory(slug="t").slug})
    return lessons


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("count", [2, 50])
def test_lesson_page_query_count(
    client, learner, levels, django_assert_num_queries, count, signed_in, progress_slots_only
):
    lessons = lesson_page_setup(count)
    for lesson in lessons[: count // 2]:
        services.completion_record(user=learner, lesson=lesson)
    if signed_in:
        client.force_login(learner)
        client.get("/")  # the first answer after signing in gives the browser its hint
    page_cache().clear()

    # given the lessons app's 1 + 9 (the lesson's status and versions, then its own queries,
    # see tests/lessons/test_views.py), progress adds, for anyone (the page is everyone's):
    # the levels, the published lessons' count and the active achievements, kept under the
    # site version the page read already. The same for 2 lessons or 50
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(lessons[0].get_absolute_url())
    assert response.status_code == 200
    # and once the page is kept, its versions only
    with django_assert_num_queries(1):
        assert client.get(lessons[0].get_absolute_url()).content == response.content


PAGE_QUERIES = 10 + 3


@pytest.mark.parametrize("count", [2, 50])
def test_catalogue_and_course_pages_add_one_query_for_every_card_and_row(
    client, learner, django_assert_num_queries, count, progress_slots_only
):
    courses = CourseFactory.create_batch(count)
    for course in courses:
        LessonFactory(course=course)
    lessons = LessonFactory.create_batch(count, course=courses[0])
    services.completion_record(user=learner, lesson=lessons[0])
    client.force_login(learner)
    client.get("/")  # the first answer after signing in gives the browser its hint
    page_cache().clear()

    # the session and the user (staff see draft courses in the lists, so a browser with a
    # session is asked who it is), the site's version, the catalogue's courses, progress's
    # published lessons; the learner's own marks come from the viewer endpoint
    with django_assert_num_queries(5):
        client.get("/")
    # the same, with the course and its lessons, and the site's prerequisites (3, kept under
    # the site version) for the course's path
    with django_assert_num_queries(9):
        client.get(courses[0].get_absolute_url())


# --- /me/progress/ -----------------------------------------------------------------------------


def test_my_progress_needs_sign_in(client):
    response = client.get("/me/progress/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/progress/"


def test_my_progress_shows_level_achievements_completions_and_streak(
    client, learner, lessons, levels, settings
):
    settings.TIME_ZONE = "UTC"
    AchievementFactory(slug="first", name="First steps", rule_params={"count": 1}, xp=5)
    AchievementFactory(
        slug="whole",
        name="Whole course",
        rule_kind="course_completed",
        rule_params={"course": "basics"},
    )
    AchievementFactory(
        slug="streak", name="Streaker", rule_kind="streak_days", rule_params={"days": 7}
    )
    services.completion_record(user=learner, lesson=lessons[0], at=datetime.now(UTC))
    services.completion_record(
        user=learner, lesson=lessons[1], at=datetime.now(UTC) - timedelta(days=1)
    )
    client.force_login(learner)

    html = client.get("/en/me/progress/").content.decode()

    assert field(html, "xp") == "35 XP"
    assert "Current streak: 2 days" in html
    assert "achievement-card--earned" in html and "First steps" in html
    assert "Complete every lesson of the course “Basics”." in html
    assert "Complete a lesson on each of 7 days in a row." in html
    assert html.count("achievement-card--locked") == 2
    assert 'href="/en/courses/basics/b1/"' in html and 'href="/en/courses/basics/b2/"' in html
    assert "2/3" in html


def test_a_site_without_the_progress_api_is_warned(settings):
    from django.urls import clear_url_caches

    from progress.checks import check_sync_urls

    assert check_sync_urls() == []
    settings.ROOT_URLCONF = "lessons.urls"
    clear_url_caches()
    try:
        assert [warning.id for warning in check_sync_urls()] == ["stream_progress.W001"]
    finally:
        clear_url_caches()
