"""A course's English title in Chromium: the language switch on the Korean course page lands on
its English title and summary, and the English lesson page's breadcrumb names it. Desktop and
phone, axe clean."""

from pathlib import Path

import pytest

from lessons.lesson_files import lessons_import

DEMO_CONTENT = Path(__file__).resolve().parents[2] / "config" / "demo_content"
COURSE = "/courses/dense-families/"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    lessons_import(directory=DEMO_CONTENT)


def test_the_language_switch_lands_on_the_courses_english_title(
    page, phone_page, demo, screenshot, assert_accessible
):
    page.goto(COURSE)
    assert page.locator("h1").inner_text() == "Dense 모델 패밀리"

    page.locator(".site-header").get_by_role("link", name="English").click()

    page.wait_for_url(f"**/en{COURSE}")
    assert page.locator("h1").inner_text() == "Dense model families"
    assert (
        "backbone of today's open-weight ecosystem" in page.locator(".course__summary").inner_text()
    )
    assert_accessible(page)
    screenshot(page, "course-title-english-desktop", full_page=False)

    phone_page.goto(f"/en{COURSE}llama/")
    crumb = phone_page.locator(".breadcrumbs").get_by_role("link", name="Dense model families")
    assert crumb.get_attribute("href") == f"/en{COURSE}"
    assert_accessible(phone_page)
    screenshot(phone_page, "course-title-english-lesson-phone", full_page=False)
