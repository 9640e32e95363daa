"""Prerequisites in Chromium: a locked lesson shows what unlocks it instead of its button, the
visitor follows the link, completes the requirement and comes back to an unlocked lesson; a
signed-in learner gets the server's lock; the course page shows the path; axe passes."""

import pytest
from playwright.sync_api import expect

from lessons.models import Lesson, LessonRequirement
from progress import services
from tests.browser.test_admin_guide import admin_page, shoot  # noqa: F401
from tests.browser.test_progress import DEMO_LESSON, demo, local_events, mark_complete  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

COURSE = "/courses/dense-families/"


@pytest.fixture
def locked(demo):  # noqa: F811
    """The demo's llama lesson requires its course's first lesson, landscape."""
    llama = Lesson.objects.get(slug="llama")
    landscape = Lesson.objects.get(slug="landscape")
    LessonRequirement.objects.create(lesson=llama, required_lesson=landscape)
    return llama, landscape


def lock_box(page):
    return page.locator("[data-progress-locked]")


def test_a_visitor_sees_the_lock_follows_the_link_and_unlocks_the_lesson(
    page, locked, screenshot, assert_accessible
):
    llama, landscape = locked

    # given a visitor on the locked lesson: the lock and its link instead of the button
    page.goto(DEMO_LESSON)
    expect(lock_box(page)).to_be_visible()
    expect(page.locator("[data-progress-form]")).to_be_hidden()
    link = lock_box(page).locator(f'[data-requirement-lesson="{landscape.pk}"] a')
    expect(link).to_have_attribute("href", landscape.get_absolute_url())
    page.locator("#progress").scroll_into_view_if_needed()
    screenshot(page, "requirements-locked-1280", full_page=False)
    whole = screenshot(page, "requirements-page-1280")  # and "Before this lesson" alone:
    page.locator(".lesson-requirements").screenshot(
        path=str(whole.with_name("requirements-before.png"))
    )
    assert_accessible(page)

    # when they follow it and complete that lesson
    link.click()
    page.wait_for_url(f"**{landscape.get_absolute_url()}")
    mark_complete(page)

    # then back on the lesson, it is unlocked, its requirement marked done, and it completes
    page.goto(DEMO_LESSON)
    expect(lock_box(page)).to_be_hidden()
    expect(page.locator("[data-requirement-done]").first).to_be_visible()
    mark_complete(page)
    assert {event["lesson"] for event in local_events(page)} == {landscape.pk, llama.pk}
    assert not page.errors


def test_the_lesson_is_locked_on_a_phone_too(phone_page, locked, screenshot, assert_accessible):
    phone_page.goto(DEMO_LESSON)
    expect(lock_box(phone_page)).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    phone_page.locator("#progress").scroll_into_view_if_needed()
    screenshot(phone_page, "requirements-locked-360", full_page=False)
    assert_accessible(phone_page)


def test_a_signed_in_learner_gets_the_servers_lock_and_unlock(page, locked, sign_in):
    llama, landscape = locked
    learner = sign_in(page, UserFactory())

    page.goto(DEMO_LESSON)
    expect(lock_box(page)).to_be_visible()

    services.completion_record(user=learner, lesson=landscape)
    page.goto(DEMO_LESSON)
    expect(lock_box(page)).to_be_hidden()
    mark_complete(page)
    assert learner.stream_completions.filter(lesson=llama).exists()


@pytest.mark.parametrize("width", [1280, 360])
def test_the_course_page_shows_the_path_with_lock_marks(
    width, page, phone_page, locked, screenshot, assert_accessible
):
    llama, landscape = locked
    current = page if width == 1280 else phone_page

    current.goto(COURSE)
    row = current.locator(f'.lesson-list__item[data-lesson-id="{llama.pk}"]')
    expect(row.locator("[data-progress-lock-mark]")).to_be_visible()
    expect(row.locator(".lesson-list__needs a")).to_have_attribute(
        "href", landscape.get_absolute_url()
    )
    other = current.locator(f'.lesson-list__item[data-lesson-id="{landscape.pk}"]')
    expect(other.locator("[data-progress-lock-mark]")).to_be_hidden()
    assert current.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(current, f"requirements-course-{width}")
    assert_accessible(current)


def test_the_admin_refuses_a_cycle_as_the_guide_shows_it(admin_page, locked, shoot):  # noqa: F811
    # given llama requires landscape; staff make landscape require llama
    llama, landscape = locked
    page = admin_page
    page.goto(f"/admin/stream_lessons/lesson/{landscape.pk}/change/")
    page.locator("#requirements-group .add-row a").click()
    page.evaluate(
        """([id, title]) => {
            const select = document.querySelector("#id_requirements-0-required_lesson");
            select.add(new Option(title, id, true, true));
        }""",
        [str(llama.pk), llama.title],
    )
    page.locator("input[name=_continue]").click()

    # then the form says why, with the cycle's path, and nothing is saved
    group = page.locator("#requirements-group")
    expect(group).to_contain_text("would make a cycle")
    expect(group).to_contain_text(f"lesson “{landscape.title}” → lesson “{llama.title}”")
    shoot(group, "admin-requirements-cycle")
    assert not LessonRequirement.objects.filter(lesson=landscape).exists()


def test_a_course_that_requires_another_shows_it_and_locks_its_lessons(
    page,
    demo,  # noqa: F811 (the fixture imported above)
    screenshot,
    assert_accessible,
):
    # the demo's evaluation course requires Transformer foundations
    page.goto("/courses/evaluation/")
    before = page.locator(".course-requirements")
    expect(before).to_be_visible()
    expect(before.locator("a")).to_have_attribute("href", "/courses/transformer-foundations/")
    marks = page.locator("[data-progress-lock-mark]")
    expect(marks.first).to_be_visible()
    assert marks.count() == page.locator("[data-progress-lock-mark]:not([hidden])").count()
    screenshot(page, "requirements-course-requires-1280")
    assert_accessible(page)
