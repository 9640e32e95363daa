"""A lesson in several languages, in Chromium: the language switch lands on the English
variant; an English page of a lesson with no English variant shows the Korean text with a
notice; a variant older than the original says so. Desktop and phone, axe clean."""

from pathlib import Path

import pytest

from lessons.lesson_files import lessons_import
from lessons.models import Lesson

DEMO_CONTENT = Path(__file__).resolve().parents[2] / "config" / "demo_content"
LLAMA = "/courses/dense-families/llama/"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    lessons_import(directory=DEMO_CONTENT)


def test_the_language_switch_lands_on_the_english_variant(
    page, demo, screenshot, assert_accessible
):
    page.goto(LLAMA)
    assert page.locator("h1").inner_text() == "LLaMA 패밀리 — 시대의 open-weight backbone"
    # the Korean page offers the English text beside the header's switch
    offer = page.locator(".lesson-languages")
    assert offer.get_by_role("link", name="English").get_attribute("hreflang") == "en"

    page.locator(".site-header").get_by_role("link", name="English").click()

    page.wait_for_url(f"**/en{LLAMA}")
    assert page.locator("h1").inner_text() == (
        "The LLaMA family — the open-weight backbone of its era"
    )
    assert page.get_by_role("heading", name="Why Llama matters out of all proportion").is_visible()
    notice = page.locator(".lesson-languages")
    assert "Translated from 한국어." in notice.inner_text()
    assert notice.get_by_role("link", name="한국어").get_attribute("lang") == "ko"
    # the lesson is the same one: same id for progress and comments
    assert page.locator("article.lesson").get_attribute("data-lesson-uuid") == str(
        Lesson.objects.get(slug="llama").uuid
    )
    assert_accessible(page)
    screenshot(page, "lesson-variant-english-desktop", full_page=False)


def test_an_english_page_without_an_english_variant_shows_the_korean_text_with_a_notice(
    page, phone_page, demo, screenshot, assert_accessible
):
    for viewer, name in ((page, "desktop"), (phone_page, "phone")):
        viewer.goto("/en/courses/tokenization/bpe/")

        notice = viewer.locator(".lesson-languages")
        assert "This lesson has no English version yet" in notice.inner_text()
        assert notice.is_visible()
        assert viewer.locator(".lesson-body").get_attribute("lang") == "ko"
        assert viewer.locator("h1").get_attribute("lang") == "ko"
        # nothing wider than the screen
        assert viewer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert_accessible(viewer)
        screenshot(viewer, f"lesson-variant-fallback-{name}", full_page=False)


def test_a_variant_older_than_the_original_says_it_may_be_out_of_date(
    phone_page, demo, screenshot, assert_accessible
):
    lesson = Lesson.objects.get(slug="llama")
    lesson.body += "\n\n새 문단.\n"
    lesson.save()

    phone_page.goto(f"/en{LLAMA}")

    stale = phone_page.locator(".lesson-languages__stale")
    assert stale.is_visible()
    assert "This translation may be out of date" in stale.inner_text()
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone_page)
    screenshot(phone_page, "lesson-variant-stale-phone", full_page=False)
