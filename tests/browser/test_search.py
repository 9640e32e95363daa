"""Search in the browser: the header's box, reached and used from the keyboard, leads to the
results; on a desktop and on a 360 px phone, accessible."""

from pathlib import Path

import pytest

from lessons.lesson_files import lessons_import

DEMO_CONTENT = Path(__file__).resolve().parents[2] / "config" / "demo_content"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    lessons_import(directory=DEMO_CONTENT)


def test_typing_in_the_header_box_shows_results_with_marked_snippets(
    page, demo, screenshot, assert_accessible
):
    # given the catalogue
    page.goto("/")

    # when a learner tabs to the header's search box, types two syllables found only inside
    # words (파라미터) and presses Enter
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "site-search-q":
            break
    assert page.evaluate("document.activeElement.id") == "site-search-q"
    page.keyboard.type("라미")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")

    # then the results list lessons with their course and the syllables marked
    results = page.locator(".search-result")
    assert results.count() >= 3
    first = results.first
    assert first.locator(".search-result__course a").inner_text()
    assert first.locator(".search-result__snippet mark").first.inner_text().lower() == "라미"
    assert page.get_by_label("제목과 본문에서 찾을 낱말").input_value() == "라미"
    assert page.errors == []
    screenshot(page, "search-results-desktop")
    assert_accessible(page)

    # and an English word finds the lesson with it in its title first
    page.get_by_label("제목과 본문에서 찾을 낱말").fill("llama")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=llama")
    assert page.locator(".search-result__title").first.inner_text().startswith("LLaMA")

    # and the first result opens the lesson
    page.locator(".search-result__title a").first.click()
    page.wait_for_url("**/courses/dense-families/llama/")


def test_on_a_phone_the_box_and_results_fit_the_screen(
    phone_page, demo, screenshot, assert_accessible
):
    phone_page.goto("/")
    box = phone_page.get_by_role("searchbox", name="레슨 검색")
    assert box.bounding_box()["width"] >= 200
    screenshot(phone_page, "search-header-phone", full_page=False)

    box.fill("양자화")
    box.press("Enter")
    phone_page.wait_for_url("**/search/?q=*")

    assert phone_page.locator(".search-result").count() >= 1
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone_page, "search-results-phone")
    assert_accessible(phone_page)
