"""A signed-in learner's lesson page on a 360 px phone, and the same page at 1280 px: the header's
brand clear of the top edge and its one-row navigation showing that it scrolls; tag links and
comment actions big enough to tap; "Reply" opening its form in place, with the site's own focus
ring.

Tap targets follow WCAG 2.5.5 (Target Size, enhanced): at least 44×44 CSS px on touch widths.
"""

import pytest
import yaml
from playwright.sync_api import expect

from lessons.lesson_files import lessons_import
from lessons.models import Lesson
from progress import services
from tests.browser.test_progress import DEMO_CONTENT, DEMO_LESSON
from tests.factories import CommentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TARGET = 44

# Where the brand's letters start, from the window's top.
BRAND_TEXT_TOP = """(brand) => {
    const range = document.createRange();
    range.selectNodeContents(brand);
    return range.getBoundingClientRect().top;
}"""


@pytest.fixture
def signed_in_lesson(transactional_db):
    """The demo lesson with a learner's own comment and someone else's, for learner "Mina"."""
    lessons_import(directory=DEMO_CONTENT)
    services.definitions_load(**yaml.safe_load((DEMO_CONTENT / "progress.yml").read_text()))
    learner = UserFactory(username="mina", first_name="Mina")
    lesson = Lesson.objects.get(slug="llama")
    CommentFactory(lesson=lesson, author=learner, body="제가 쓴 글")
    CommentFactory(lesson=lesson, body="다른 사람의 질문")
    return learner


def open_as(page, sign_in, learner):
    sign_in(page, learner)
    page.goto(DEMO_LESSON)
    expect(page.locator(".site-nav__user")).to_have_text("Mina")
    expect(page.locator("#comments summary", has_text="수정")).to_be_visible()


def boxes(page, selector):
    return page.locator(selector).evaluate_all(
        """(items) => items.map((item) => {
            const box = item.getBoundingClientRect();
            return {text: item.textContent.trim(), width: box.width, height: box.height};
        })"""
    )


def test_on_a_phone_tag_links_and_comment_actions_are_big_enough_to_tap(
    phone_page, sign_in, signed_in_lesson
):
    open_as(phone_page, sign_in, signed_in_lesson)

    targets = {
        "tag links": boxes(phone_page, ".lesson-facts .tag-link"),
        "comment actions": boxes(
            phone_page, "#comments :is(a.stream-action, .stream-action > summary)"
        ),
    }

    # and the header's one row of links scrolls to its last link, which then shows whole
    nav = phone_page.locator(".site-nav")
    assert nav.evaluate("(nav) => nav.scrollWidth > nav.clientWidth")
    nav.evaluate("(nav) => { nav.scrollLeft = nav.scrollWidth; }")
    last = nav.locator("a").last.bounding_box()
    assert last["x"] >= 0 and last["x"] + last["width"] <= 360

    assert len(targets["tag links"]) == 3
    assert {target["text"] for target in targets["comment actions"]} == {
        "답글",
        "신고",
        "수정",
        "삭제",
    }
    small = {
        kind: [t for t in found if t["width"] < TARGET or t["height"] < TARGET]
        for kind, found in targets.items()
    }
    assert small == {"tag links": [], "comment actions": []}


def test_on_a_desktop_tag_links_keep_their_look(page, sign_in, signed_in_lesson):
    open_as(page, sign_in, signed_in_lesson)
    heights = {round(target["height"]) for target in boxes(page, ".lesson-facts .tag-link")}
    assert max(heights) < TARGET  # inline links in the line of text, as before


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_reply_opens_in_place_with_the_sites_focus_ring(
    width, page, phone_page, sign_in, signed_in_lesson, screenshot
):
    current = page if width == "desktop" else phone_page
    open_as(current, sign_in, signed_in_lesson)
    header = current.locator(".site-header")
    screenshot(current, f"phone-layout-header-{width}", full_page=False)

    # the brand is clear of the window's top edge
    assert current.locator(".site-brand").evaluate(BRAND_TEXT_TOP) >= 14

    # "Reply" under a comment: its control stays where the link was, the form opens below
    other = current.locator("article.stream-comment", has_text="다른 사람의 질문")
    reply = other.locator("a[data-action=reply]")
    flag = other.locator("a[data-action=flag]")
    reply.scroll_into_view_if_needed()
    before = reply.bounding_box(), flag.bounding_box()
    reply.click()
    field = other.get_by_label("내 답글")
    expect(field).to_be_focused()
    after = (
        other.locator("details[data-action=reply] > summary").bounding_box(),
        flag.bounding_box(),
    )
    for was, now in zip(before, after, strict=True):
        assert abs(was["x"] - now["x"]) <= 2 and abs(was["y"] - now["y"]) <= 2, (was, now)

    # and the empty reply box's focus ring is the site's focus ring, not an error's red
    site_focus = current.evaluate(
        """() => {
            const probe = document.createElement("span");
            probe.style.color = "var(--focus)";
            document.body.append(probe);
            const color = getComputedStyle(probe).color;
            probe.remove();
            return color;
        }"""
    )
    ring = field.evaluate("(field) => getComputedStyle(field).outlineColor")
    assert ring == site_focus
    red, green, blue = (int(part) for part in ring[ring.index("(") + 1 : -1].split(",")[:3])
    assert not (red > 150 and green < 100 and blue < 100), ring  # nothing that reads as an error
    other.scroll_into_view_if_needed()
    screenshot(current, f"phone-layout-reply-{width}", full_page=False)
    assert header.is_visible()
    assert current.errors == []
