"""The lesson editor on a laptop and a desktop screen: the preview beside the source, in view."""

from pathlib import Path

import pytest

from lessons.lesson_files import lessons_import
from lessons.models import Lesson
from tests.browser.conftest import wait_until
from tests.factories import StaffFactory

DEMO_CONTENT = Path(__file__).resolve().parents[2] / "config" / "demo_content"

pytestmark = pytest.mark.django_db(transaction=True)

BOXES = """() => {
  const box = (selector) => {
    const rect = document.querySelector(selector).getBoundingClientRect();
    return {left: rect.left, right: rect.right, top: rect.top, bottom: rect.bottom};
  };
  return {
    source: box('.field-body .markdownx-editor'),
    preview: box('.field-body .markdownx-preview'),
    viewport: window.innerHeight,
  };
}"""


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_preview_sits_beside_the_source_and_stays_in_view(
    chromium, live_server, sign_in, screenshot, width
):
    # given an instructor editing the demo's longest kind of lesson
    lessons_import(directory=DEMO_CONTENT)
    lesson = Lesson.objects.get(course__slug="dense-families", slug="llama")
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 800}, locale="ko-KR"
    )
    page = context.new_page()
    sign_in(page, StaffFactory())

    # when the change page opens and the preview has rendered
    page.goto(f"/admin/stream_lessons/lesson/{lesson.pk}/change/")
    page.locator(".field-body .markdownx-preview h2").first.wait_for()
    screenshot(page, f"admin-lesson-editor-{width}", full_page=False)

    # then the labelled preview is to the right of the source, level with it
    preview = page.get_by_role("region", name="미리 보기").first
    assert preview.evaluate("element => element.matches('.field-body .markdownx-preview')")
    boxes = page.evaluate(BOXES)
    assert boxes["preview"]["left"] >= boxes["source"]["right"]
    assert abs(boxes["preview"]["top"] - boxes["source"]["top"]) < 60
    source_width = boxes["source"]["right"] - boxes["source"]["left"]
    assert source_width >= 350

    # and it stays in view while the instructor scrolls down a long source
    page.evaluate(
        "window.scrollTo(0, document.querySelector('.field-body .markdownx-editor')"
        ".getBoundingClientRect().top + window.scrollY + 1500)"
    )
    wait_until(page, "window.scrollY > 1000")
    boxes = page.evaluate(BOXES)
    assert boxes["source"]["top"] < 0 < boxes["source"]["bottom"]
    assert boxes["preview"]["top"] >= 0 and boxes["preview"]["bottom"] <= boxes["viewport"]
    screenshot(page, f"admin-lesson-editor-{width}-scrolled", full_page=False)
    context.close()
