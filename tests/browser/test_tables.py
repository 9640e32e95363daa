"""Lesson tables on a phone: words stay whole, a wide table scrolls sideways in its own box."""

from pathlib import Path

import pytest

from lessons.lesson_files import lessons_import
from tests.browser.conftest import wait_until

DEMO_CONTENT = Path(__file__).resolve().parents[2] / "config" / "demo_content"
DEMO_LESSON = "/courses/dense-families/llama/"

pytestmark = pytest.mark.django_db(transaction=True)

# Every word of every table cell, with the number of line boxes it is drawn on: a word split
# across lines ("Tokeniz" / "er") has more than one.
SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll('.lesson-body td, .lesson-body th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
        if (lines.size > 1) split.push(word[0]);
      }
    }
  }
  return split;
}"""


@pytest.fixture
def demo(transactional_db):
    lessons_import(directory=DEMO_CONTENT)


def test_tables_on_a_phone_scroll_sideways_and_keep_their_words_whole(
    phone_page, demo, screenshot, assert_accessible
):
    # given the demo lesson, whose tables are wider than a 360 px phone
    phone_page.goto(DEMO_LESSON)
    boxes = phone_page.locator(".lesson-body .table-scroll")
    assert boxes.count() == 2

    # when the learner reads it
    boxes.first.scroll_into_view_if_needed()
    screenshot(phone_page, "lesson-tables-phone", full_page=False)

    # then no word in a table is broken across lines, the page itself does not scroll
    # sideways, and each wide table scrolls in its own box, from the keyboard too
    assert phone_page.evaluate(SPLIT_WORDS) == []
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    first = phone_page.get_by_role("group", name="Llama 3 (2024년 4월)", exact=True)
    assert first.evaluate("box => box.scrollWidth > box.clientWidth")
    first.focus()
    phone_page.keyboard.press("ArrowRight")
    wait_until(phone_page, "document.activeElement.scrollLeft > 0")  # scrolling may be smooth
    assert_accessible(phone_page)


def test_tables_on_a_laptop_fit_without_scrolling(page, demo, screenshot):
    page.goto(DEMO_LESSON)

    box = page.locator(".lesson-body .table-scroll").first
    box.scroll_into_view_if_needed()
    screenshot(page, "lesson-tables-desktop", full_page=False)

    assert page.evaluate(SPLIT_WORDS) == []
    assert box.evaluate("box => box.scrollWidth <= box.clientWidth")
