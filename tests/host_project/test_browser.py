"""Acme Academy in Chromium: a visitor completes a lesson, signs in through the academy's own
sign-in page and finds the completion in their account; two members post and reply; the
lesson page inside the academy's layout passes axe at desktop and phone width."""

import pytest
from django.urls import reverse

from comments.models import Comment
from progress.models import LessonCompletion
from tests.factories import LevelFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SYNC_URL = "**/learn/api/v1/progress/sync/"


@pytest.fixture
def levels(transactional_db):
    LevelFactory(number=0, name="Apprentice", min_xp=0)
    LevelFactory(number=1, name="Journeyman", min_xp=100)


def lesson_url(lesson):
    return reverse(
        "stream_lessons:lesson", kwargs={"course": lesson.course.slug, "lesson": lesson.slug}
    )


def status(page):
    return " ".join(page.locator("[data-progress-figures]").inner_text().split())


def test_a_visitor_completes_a_lesson_and_signs_in_through_the_academy(
    page, lessons, levels, screenshot, assert_accessible
):
    ada = UserFactory(email="ada@acme.test", nickname="Ada")
    url = lesson_url(lessons[0])

    # given a visitor who marks the first lesson complete before signing in
    page.goto(url)
    assert page.title() == "Weld 1 · Welding basics · Acme Academy"
    page.get_by_role("button", name="Mark as complete").click()
    page.get_by_role("button", name="✓ Completed").wait_for()
    assert "10 XP" in status(page)
    assert not LessonCompletion.objects.exists()
    assert_accessible(page)

    # when they follow the section's sign-in link: it is the academy's own page
    page.locator("#progress").get_by_role("link", name="Sign in").click()
    page.wait_for_url("**/members/sign-in/**")
    page.get_by_label("Email").fill("ada@acme.test")
    page.get_by_label("Password").fill("correct horse battery staple")
    with page.expect_response(SYNC_URL) as synced:
        page.get_by_role("button", name="Sign in to the academy").click()

    # then they are back on the lesson, signed in, and the completion reached the account
    assert synced.value.status == 200
    assert page.url.split("#")[0].endswith(url)
    assert page.locator("[data-acme-member]").inner_text() == "Ada"
    assert list(LessonCompletion.objects.filter(learner=ada).values_list("lesson", flat=True)) == [
        lessons[0].pk
    ]
    assert "10 XP" in status(page)
    assert page.errors == []


def test_two_members_post_and_reply(page, chromium, live_server, lessons, sign_in, screenshot):
    ada = sign_in(page, UserFactory(email="ada@acme.test", nickname="Ada"))
    url = lesson_url(lessons[0])

    # Ada posts a comment: it appears without a reload, under her nickname
    page.goto(url)
    page.get_by_label("Your comment").fill("How hot should the **plate** be?")
    page.get_by_role("button", name="Post comment").click()
    first = page.locator("#comments article.stream-comment").first
    first.wait_for()
    assert first.locator(".stream-comment__author").inner_text() == "Ada"
    parent = Comment.objects.get()

    # Bora, in a browser of her own, replies inline
    context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    try:
        second = context.new_page()
        sign_in(second, UserFactory(email="bora@acme.test", nickname="Bora"))
        second.goto(url)
        # "Reply" is a link to a page of its own until the viewer's part has arrived and says
        # she may comment (the section's form shows then); only after that it opens inline.
        second.get_by_label("Your comment").wait_for()
        thread = second.locator(f"#comment-{parent.pk}")
        thread.locator("a[data-action=reply]").click()
        thread.get_by_label("Your reply").fill("Hot enough to glow.")
        thread.get_by_role("button", name="Post reply").click()
        reply = second.locator(f'[data-replies-for="{parent.pk}"] article.stream-comment')
        reply.wait_for()
        assert "Bora" in reply.inner_text()
    finally:
        context.close()

    # Ada is told of the reply in the academy's header, and reads it on her notifications page
    page.goto(url)
    assert page.locator(".stream-unread-count").count() == 1
    page.locator(".stream-notifications-link").click()
    assert "Hot enough to glow." in page.locator(".stream-notification").inner_text()
    assert page.title() == "Notifications · Acme Academy"
    assert Comment.objects.filter(parent=parent, author__nickname="Bora").exists()
    assert ada.email not in page.content()


def test_the_lesson_page_in_the_academy_layout_at_desktop_and_phone(
    page, phone_page, lessons, levels, screenshot, assert_accessible
):
    for current, name in ((page, "host-lesson-desktop"), (phone_page, "host-lesson-phone")):
        current.goto(lesson_url(lessons[1]))
        current.locator("[data-progress-figures]").wait_for()
        assert current.locator(".acme-masthead").is_visible()
        assert current.locator("[data-acme-override=partial]").is_visible()
        width = current.evaluate("document.documentElement.scrollWidth")
        assert width <= current.viewport_size["width"], f"{name} scrolls sideways ({width} px)"
        assert_accessible(current)
        screenshot(current, name)
        assert current.errors == []
