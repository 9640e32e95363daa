"""The achievement notice in Chromium: it goes by itself (later while hovered, at once with
reduced motion), never covers the lesson pager on a phone, and never announces an award twice —
not even when the sync after signing up answers with the awards the visitor already saw."""

import pytest
import yaml
from playwright.sync_api import expect

from lessons.lesson_files import lessons_import
from progress import services
from tests.browser.conftest import wait_until
from tests.browser.test_progress import DEMO_CONTENT, DEMO_LESSON, STORAGE_KEY, mark_complete

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_AWARD = "업적 달성: 첫걸음 (+10 XP)"

# Every notice the page shows, kept after it goes (notices go by themselves).
RECORD_NOTICES = """
window.__notices = [];
new MutationObserver((changes) => {
  for (const change of changes) {
    for (const node of change.addedNodes) {
      if (node instanceof Element && node.matches(".progress-notice__item")) {
        window.__notices.push(node.querySelector("p").textContent);
      }
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


@pytest.fixture
def demo(transactional_db):
    lessons_import(directory=DEMO_CONTENT)
    services.definitions_load(**yaml.safe_load((DEMO_CONTENT / "progress.yml").read_text()))


def notices(page):
    return page.locator(".progress-notice__item")


def test_the_notice_goes_by_itself_but_not_while_the_pointer_is_on_it(page, demo):
    # given a visitor who just earned an award (the page's clock is the test's)
    page.clock.install()
    page.goto(DEMO_LESSON)
    mark_complete(page)
    notice = notices(page)
    expect(notice).to_have_text([f"{FIRST_AWARD}닫기"])

    # when the pointer rests on it, it stays however long
    notice.hover()
    page.clock.run_for(30_000)
    expect(notice).to_have_count(1)

    # and when the pointer leaves, it goes a few seconds later
    page.mouse.move(0, 0)
    page.clock.run_for(5_000)
    expect(notice).to_have_count(1)
    page.clock.run_for(2_000)
    expect(notice).to_have_count(0)
    assert page.errors == []


def test_the_notice_stays_while_focused_and_closes_with_its_button(page, demo):
    page.clock.install()
    page.goto(DEMO_LESSON)
    mark_complete(page)
    close = page.get_by_role("button", name="닫기")
    close.focus()
    page.clock.run_for(30_000)
    expect(notices(page)).to_have_count(1)

    close.press("Enter")
    page.clock.run_for(1_000)
    expect(notices(page)).to_have_count(0)


def test_with_reduced_motion_the_notice_neither_moves_nor_stays(page, demo):
    page.emulate_media(reduced_motion="reduce")
    page.goto(DEMO_LESSON)
    mark_complete(page)
    notice = notices(page)
    expect(notice).to_have_count(1)
    assert notice.evaluate("(item) => getComputedStyle(item).animationName") == "none"

    # goes by itself in real time too (no fake clock here)
    expect(notice).to_have_count(0, timeout=10_000)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_notice_never_covers_the_pager(width, page, phone_page, demo, screenshot):
    # given a learner who scrolled to the end of the lesson: the pager at the window's bottom
    current = page if width == "desktop" else phone_page
    current.goto(DEMO_LESSON)
    current.evaluate(
        """() => {
            const pager = document.querySelector(".lesson-pager").getBoundingClientRect();
            window.scrollBy(0, pager.bottom - window.innerHeight);
        }"""
    )

    # when they mark the lesson complete
    mark_complete(current)

    # then the award shows, and neither it nor anything else covers the pager's links
    notice = notices(current)
    expect(notice).to_have_count(1)
    expect(notice).to_be_in_viewport()
    overlaps = current.evaluate(
        """() => {
            const pager = document.querySelector(".lesson-pager").getBoundingClientRect();
            return [...document.querySelectorAll(".progress-notice__item")].some((item) => {
                const box = item.getBoundingClientRect();
                return box.left < pager.right && pager.left < box.right
                    && box.top < pager.bottom && pager.top < box.bottom;
            });
        }"""
    )
    assert not overlaps
    for link in current.locator(".lesson-pager__link").all():
        link.scroll_into_view_if_needed()
        assert link.evaluate(
            """(link) => {
                const box = link.getBoundingClientRect();
                const x = box.x + box.width / 2, y = box.y + box.height / 2;
                return link.contains(document.elementFromPoint(x, y));
            }"""
        )
    notice.scroll_into_view_if_needed()
    screenshot(current, f"progress-notice-{width}", full_page=False)


def test_an_award_shown_before_signing_up_is_not_shown_again_after(page, demo):
    # given a visitor who earned "First steps" and saw it announced
    page.add_init_script(RECORD_NOTICES)
    page.goto(DEMO_LESSON)
    mark_complete(page)
    assert page.evaluate("window.__notices") == [FIRST_AWARD]

    # when they sign up from the Progress section and the browser syncs into the new account
    page.get_by_role("link", name="계정 만들기").click()
    page.locator("input[name=email]").fill("new.learner@example.com")
    page.locator("input[name=password1]").fill("a long and unusual passphrase")
    page.locator("input[name=password2]").fill("a long and unusual passphrase")
    page.locator("form input[name=password2]").press("Enter")
    page.wait_for_url(f"**{DEMO_LESSON}#progress")
    wait_until(page, f"JSON.parse(localStorage.getItem('{STORAGE_KEY}')).events.length === 0")

    # then the page says the progress is saved, and announces no award again
    expect(notices(page)).to_contain_text(["계정에 저장했어요"])
    assert not [text for text in page.evaluate("window.__notices") if "업적" in text]
    # nor on the next page load
    page.reload()
    expect(page.locator(".site-nav__user")).not_to_be_empty()
    assert page.evaluate("window.__notices") == []
