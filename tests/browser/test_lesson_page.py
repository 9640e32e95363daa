"""The demo lesson in a real browser: every element of the reference page, copy, no XSS."""

from pathlib import Path

import pytest

from lessons.lesson_files import lessons_import
from lessons.models import Lesson
from tests.browser.conftest import hover_everything
from tests.factories import LessonFactory
from tests.xss_corpus import XSS_PAYLOADS

DEMO_CONTENT = Path(__file__).resolve().parents[2] / "config" / "demo_content"
DEMO_LESSON = "/courses/dense-families/llama/"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    lessons_import(directory=DEMO_CONTENT)


def test_demo_lesson_shows_every_reference_element(page, demo, screenshot, assert_accessible):
    page.goto(DEMO_LESSON)

    header = page.locator(".site-header")
    assert header.get_by_text("C.W.K.").is_visible()
    assert header.get_by_text("Stream").is_visible()
    assert page.locator(".lesson-position").inner_text() == "Lesson 02 of 05 · published"
    assert page.locator("h1").inner_text() == "LLaMA 패밀리 — 시대의 open-weight backbone"
    assert page.locator(".lesson-facts").inner_text() == "~12 min · dense, llama, families"
    for tag in ("dense", "llama", "families"):
        assert (
            page.locator(".lesson-facts").get_by_role("link", name=tag).get_attribute("href")
            == f"/tags/{tag}/"
        )
    for heading in (
        "왜 Llama 가 비례 이상으로 중요해",
        "Llama 3 (2024년 4월)",
        "Llama 3.1 (2024년 7월)",
        "Llama 3.2 / 3.3",
        "Llama 4 (2025년 4월) — MoE pivot",
        "Code",
    ):
        section = page.locator(".lesson-body h2", has_text=heading)
        assert section.count() == 1, heading
        anchor = section.locator("a.heading-anchor")
        assert anchor.get_attribute("href") == f"#{section.get_attribute('id')}"
    caption = page.locator("figure.code-block figcaption")
    assert caption.inner_text() == "Llama 3 dense 라인업 한눈에 · python"
    assert page.locator("figure.code-block .highlight span[class]").count() > 10
    assert page.get_by_role("heading", name="External links").is_visible()
    assert page.locator(".lesson-links a").count() >= 2
    assert page.get_by_role("heading", name="Exercise").is_visible()
    assert page.locator("a[rel=prev]").is_visible() and page.locator("a[rel=next]").is_visible()
    assert page.errors == []
    screenshot(page, "lesson-desktop")
    assert_accessible(page)


def test_demo_lesson_on_a_phone(phone_page, demo, screenshot, assert_accessible):
    phone_page.goto(DEMO_LESSON)

    # Nothing wider than the screen, except scrollable code and tables inside their own boxes.
    overflow = phone_page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 360
    screenshot(phone_page, "lesson-phone")
    assert_accessible(phone_page)


def test_dark_scheme_is_accessible(chromium, live_server, demo, screenshot, assert_accessible):
    context = chromium.new_context(base_url=live_server.url, color_scheme="dark", locale="ko-KR")
    page = context.new_page()
    try:
        page.goto(DEMO_LESSON)
        screenshot(page, "lesson-desktop-dark")
        assert_accessible(page)
    finally:
        context.close()


def test_copy_button_copies_the_code(page, demo):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(DEMO_LESSON)
    button = page.get_by_role("button", name="코드 복사: Llama 3 dense 라인업 한눈에")

    button.click()

    copied = page.evaluate("navigator.clipboard.readText()")
    code = page.locator("figure.code-block pre").inner_text()
    assert copied.strip() == code.strip()
    assert "Llama" in copied and "\n" in copied
    assert button.inner_text() == "복사했어요"


def test_language_switch_changes_the_interface_language(page, demo):
    page.goto(DEMO_LESSON)
    assert page.locator("html").get_attribute("lang") == "ko"

    # the language is in the address: the switch links the same page in the other language
    english = page.locator(".site-header").get_by_role("link", name="English")
    assert english.get_attribute("hreflang") == "en"
    english.click()

    page.wait_for_url(f"**/en{DEMO_LESSON}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".breadcrumbs").first.get_by_role("link").first.inner_text() == "Courses"
    korean = page.locator(".language-switch a")
    assert korean.inner_text() == "한국어" and korean.get_attribute("lang") == "ko"
    korean.click()
    page.wait_for_url(f"**{DEMO_LESSON}")
    assert page.locator("html").get_attribute("lang") == "ko"


def test_catalogue_course_and_tag_pages(page, demo, phone_page, screenshot, assert_accessible):
    for path, name in (
        ("/", "catalogue"),
        ("/courses/dense-families/", "course"),
        ("/tags/llama/", "tag"),
    ):
        page.goto(path)
        assert page.errors == []
        screenshot(page, f"{name}-desktop")
        assert_accessible(page)
        phone_page.goto(path)
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(phone_page, f"{name}-phone")


XSS_CHUNKS = 4  # the payloads in four tests, so parallel workers share the longest test


@pytest.mark.parametrize("chunk", range(XSS_CHUNKS))
def test_no_xss_payload_runs_in_the_browser(page, dialogs, transactional_db, chunk):
    # No database field takes NUL (PostgreSQL cannot store it; forms and imports refuse it),
    # so a NUL trick reaches the page as the replacement character a browser would show.
    payloads = XSS_PAYLOADS[chunk::XSS_CHUNKS]
    lessons = [
        LessonFactory(slug=f"xss-{index}", body=clean, exercise=clean)
        for index, (_, source) in enumerate(payloads)
        for clean in [source.replace("\x00", "\ufffd")]
    ]

    for lesson in lessons:
        page.goto(lesson.get_absolute_url())
        page.wait_for_load_state("load")
        # Hover and click everything that could carry a handler.
        hover_everything(page, ".lesson-body *")

    assert dialogs == [], f"a payload opened a dialog: {dialogs}"
    assert Lesson.objects.count() == len(payloads)
