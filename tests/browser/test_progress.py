"""Progress in Chromium: local-first completions, sign-up carries them into the account, failed
syncs keep them, a shared browser asks before merging, and the pages pass axe."""

import json
import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from lessons.lesson_files import lessons_import
from lessons.models import Lesson
from progress import services
from progress.models import LessonCompletion
from tests.browser.conftest import wait_until
from tests.factories import UserFactory

DEMO_CONTENT = Path(__file__).resolve().parents[2] / "config" / "demo_content"
DEMO_LESSON = "/courses/dense-families/llama/"
SECOND_LESSON = "/courses/dense-families/landscape/"
STORAGE_KEY = "stream.progress.v1"
# the sync address carries the page's language (?lang=ko)
SYNC_URL = re.compile(r"/api/v1/progress/sync/(\?.*)?$")
FRESH = (
    "Level 0 · Scout · 0 XP · 0/41 lessons · 0/12 achievements · "
    "0/100 XP to next level · 100 XP to go · 0% complete"
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    lessons_import(directory=DEMO_CONTENT)
    services.definitions_load(**yaml.safe_load((DEMO_CONTENT / "progress.yml").read_text()))


def status(page):
    """The status bar's figures as one line of text."""
    return " ".join(page.locator("[data-progress-figures]").inner_text().split())


def local_events(page):
    record = page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')")
    return json.loads(record)["events"] if record else []


def viewer_arrived(page):
    """The page knows its signed-in viewer: the header shows their name, the status bar their
    state (both come from the viewer endpoint)."""
    expect(page.locator(".site-nav__user")).not_to_be_empty()


def mark_complete(page):
    page.get_by_role("button", name="완료로 표시").click()
    page.get_by_role("button", name="✓ 완료").wait_for()


def server_completions(user):
    return {
        completion.lesson.get_absolute_url(): completion.completed_at
        for completion in LessonCompletion.objects.filter(learner=user).select_related(
            "lesson__course"
        )
    }


def test_anonymous_progress_is_carried_into_a_new_account(
    page, chromium, live_server, demo, sign_in, screenshot, assert_accessible
):
    # given a fresh demo lesson page
    page.goto(DEMO_LESSON)
    assert status(page) == FRESH
    page.locator(".progress-status").scroll_into_view_if_needed()
    screenshot(page, "progress-status-before", full_page=False)

    # when an anonymous visitor completes two lessons
    mark_complete(page)
    assert status(page) == (
        "Level 0 · Scout · 30 XP · 1/41 lessons · 1/12 achievements · "
        "30/100 XP to next level · 70 XP to go · 2% complete"
    )
    assert (
        page.locator(".lesson-progress [data-progress-notice]")
        .inner_text()
        .startswith("업적 달성: 첫걸음 (+10 XP)")  # the Korean page's facts name it in Korean
    )
    assert_accessible(page)
    page.goto(SECOND_LESSON)
    mark_complete(page)
    after = (
        "Level 0 · Scout · 40 XP · 2/41 lessons · 1/12 achievements · "
        "40/100 XP to next level · 60 XP to go · 4% complete"
    )
    assert status(page) == after
    page.locator(".progress-status").scroll_into_view_if_needed()
    screenshot(page, "progress-status-after", full_page=False)
    browser_events = local_events(page)
    assert len(browser_events) == 2
    assert LessonCompletion.objects.count() == 0

    # and signs up from the lesson's Progress section
    page.get_by_role("link", name="계정 만들기").click()
    page.locator("input[name=email]").fill("new.learner@example.com")
    page.locator("input[name=password1]").fill("a long and unusual passphrase")
    page.locator("input[name=password2]").fill("a long and unusual passphrase")
    page.locator("form input[name=password2]").press("Enter")

    # then the browser syncs back on the lesson, and drops its events once acknowledged
    page.wait_for_url(f"**{SECOND_LESSON}#progress")
    wait_until(page, f"JSON.parse(localStorage.getItem('{STORAGE_KEY}')).events.length === 0")
    user = LessonCompletion.objects.first().learner
    assert user.email == "new.learner@example.com"
    assert server_completions(user) == {
        Lesson.objects.get(pk=event["lesson"]).get_absolute_url(): _parse(event["at"])
        for event in browser_events
    }
    assert status(page) == after
    assert page.errors == []

    # and another browser signed in as the same learner shows the same numbers
    context = chromium.new_context(base_url=live_server.url, locale="ko-KR")
    try:
        other = context.new_page()
        sign_in(other, user)
        other.goto(DEMO_LESSON)
        expect(other.locator("[data-progress-figures]")).to_have_text(re.compile(r"40 XP"))
        assert status(other) == after
        expect(other.get_by_role("button", name="✓ 완료")).to_be_disabled()
        assert other.locator("[data-progress-local-note]").is_hidden()
    finally:
        context.close()


def _parse(text):
    from django.utils.dateparse import parse_datetime

    return parse_datetime(text)


def test_a_failed_sync_keeps_the_events_and_a_later_one_sends_them(page, demo, sign_in):
    # given an anonymous completion kept in the browser
    page.goto(DEMO_LESSON)
    mark_complete(page)
    learner = sign_in(page, UserFactory())

    # when the server fails the sync
    page.route(SYNC_URL, lambda route: route.fulfill(status=500, body="Server Error"))
    with page.expect_response(SYNC_URL) as failed:
        page.goto(DEMO_LESSON)
    assert failed.value.status == 500

    # then nothing was dropped, and nothing reached the account
    assert len(local_events(page)) == 1
    assert not LessonCompletion.objects.exists()

    # when the server is back, the next page load syncs and only then drops the event
    page.unroute(SYNC_URL)
    with page.expect_response(SYNC_URL) as synced:
        page.goto(DEMO_LESSON)
    assert synced.value.status == 200
    wait_until(page, f"JSON.parse(localStorage.getItem('{STORAGE_KEY}')).events.length === 0")
    assert list(server_completions(learner)) == [DEMO_LESSON]
    assert "10 XP" not in status(page) and "30 XP" in status(page)


def test_a_signed_in_completion_that_fails_waits_in_the_browser(page, demo, sign_in):
    learner = sign_in(page, UserFactory())
    page.route(SYNC_URL, lambda route: route.abort())
    page.goto(DEMO_LESSON)
    viewer_arrived(page)

    mark_complete(page)

    assert len(local_events(page)) == 1
    notice = page.locator(".lesson-progress [data-progress-notice]")
    assert "이 기기에 저장했어요" in notice.inner_text()
    page.unroute(SYNC_URL)
    page.reload()
    wait_until(page, f"JSON.parse(localStorage.getItem('{STORAGE_KEY}')).events.length === 0")
    assert list(server_completions(learner)) == [DEMO_LESSON]


def test_a_shared_browser_asks_before_merging_into_another_account(page, demo, sign_in):
    # given this browser's progress was merged into one account, then more was done here
    first, second = UserFactory(), UserFactory()
    page.goto(DEMO_LESSON)
    mark_complete(page)
    page.evaluate(
        f"""() => {{
            const record = JSON.parse(localStorage.getItem('{STORAGE_KEY}'));
            record.mergedInto = {first.pk};
            localStorage.setItem('{STORAGE_KEY}', JSON.stringify(record));
        }}"""
    )

    # when someone else signs in here, the page asks, and "not now" keeps everything
    sign_in(page, second)
    page.goto(DEMO_LESSON)
    dialog = page.get_by_role("dialog", name="이 기기의 진행 상황을 이 계정에 더할까요?")
    dialog.get_by_role("button", name="나중에").click()
    wait_until(page, "sessionStorage.length > 0")  # "not now" is remembered this session
    assert len(local_events(page)) == 1
    assert not LessonCompletion.objects.exists()
    page.reload()
    viewer_arrived(page)  # progress.js has decided by now whether to ask
    assert page.get_by_role("dialog").count() == 0

    # and "add to this account" merges
    page.evaluate("sessionStorage.clear()")
    page.reload()
    page.get_by_role("dialog").get_by_role("button", name="이 계정에 더하기").click()
    wait_until(page, f"JSON.parse(localStorage.getItem('{STORAGE_KEY}')).events.length === 0")
    assert list(server_completions(second)) == [DEMO_LESSON]
    assert json.loads(page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')"))["mergedInto"] == (
        second.pk
    )


def test_signed_in_completion_updates_the_page_without_a_reload_and_finishes_the_course(
    page, demo, sign_in
):
    learner = sign_in(page, UserFactory())
    for lesson in Lesson.objects.filter(course__slug="dense-families").exclude(slug="llama"):
        services.completion_record(user=learner, lesson=lesson)
    page.goto(DEMO_LESSON)
    viewer_arrived(page)
    page.evaluate("window.stillTheSamePage = true")

    mark_complete(page)

    assert page.evaluate("window.stillTheSamePage") is True
    assert "5/41 lessons" in status(page)
    assert page.locator("[data-progress-course-complete]").inner_text() == (
        "강좌 완료: “Dense 모델 패밀리” 강좌를 모두 마쳤어요."
    )
    notice = page.locator(".lesson-progress [data-progress-notice]").inner_text()
    # the sync answers in the page's language (its address names it)
    assert "업적 2개 달성: " in notice and "계보 정리" in notice
    page.get_by_role("button", name="닫기").first.click()
    expect(page.locator(".progress-notice__item")).to_have_count(0)
    assert LessonCompletion.objects.filter(learner=learner).count() == 5


def test_catalogue_and_course_pages_show_anonymous_progress(page, demo):
    page.goto(DEMO_LESSON)
    mark_complete(page)

    page.goto("/courses/dense-families/")
    assert page.locator("[data-progress-done-mark]:not([hidden])").count() == 1
    assert page.get_by_role("link", name="이어서 학습하기: Mistral").is_visible()
    page.goto("/")
    card = page.locator(".course-card", has_text="Dense 모델 패밀리")
    assert card.locator("[data-progress-course-count]").inner_text() == "1/5"


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_progress_pages_are_accessible(
    width, page, phone_page, demo, sign_in, screenshot, assert_accessible
):
    current = page if width == "desktop" else phone_page
    learner = sign_in(current, UserFactory())
    for lesson in Lesson.objects.filter(course__slug="dense-families")[:3]:
        services.completion_record(user=learner, lesson=lesson)

    current.goto(DEMO_LESSON)
    assert_accessible(current)
    current.goto("/me/progress/")
    assert current.locator("h1").inner_text() == "내 진행 상황"
    assert current.evaluate("document.documentElement.scrollWidth") <= (
        360 if width == "phone" else 1280
    )
    screenshot(current, f"my-progress-{width}")
    assert_accessible(current)


def test_the_catalogue_facts_are_fetched_once_and_still_work_offline(page, demo):
    # given a visitor who opened one lesson page (the page names the facts; the browser
    # fetches them and keeps a copy)
    fetched = []
    page.on("request", lambda request: "facts.json" in request.url and fetched.append(1))
    page.goto(DEMO_LESSON)
    wait_until(page, f"localStorage.getItem('{STORAGE_KEY}.facts') !== null")

    # when the facts' address cannot be reached any more (offline) and they open another lesson
    page.route("**/progress/facts.json*", lambda route: route.abort())
    page.goto(SECOND_LESSON)

    # then completing it still updates the status bar from the kept copy, at once
    mark_complete(page)
    assert "1/41 lessons" in status(page)
    assert len(fetched) == 1
