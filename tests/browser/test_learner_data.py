"""A learner's own data in Chromium: /me/data/ and its erase page at 1280 and 360 px (axe, no
sideways scrolling of the page), erasing from the keyboard, the thread afterwards, and the
admin's "Learner data" page."""

import pytest

from tests.factories import StaffFactory
from tests.learner_data_fixtures import learners_with_data


@pytest.fixture
def people(transactional_db):
    return learners_with_data()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_learners_data_pages_read_well_at_both_widths(
    width, page, phone_page, people, sign_in, screenshot, assert_accessible
):
    current = page if width == "desktop" else phone_page
    widest = 360 if width == "phone" else 1280
    sign_in(current, people.ada)

    current.goto("/me/data/")
    assert current.locator("h1").inner_text() == "내 데이터"
    assert current.get_by_role("link", name="JSON으로 내려받기").is_visible()
    assert current.evaluate("document.documentElement.scrollWidth") <= widest
    screenshot(current, f"learner-data-{width}")
    assert_accessible(current)

    current.get_by_role("link", name="내 학습 데이터 지우기…").click()
    assert current.locator("h1").inner_text() == "내 학습 데이터 지우기"
    assert current.evaluate("document.documentElement.scrollWidth") <= widest
    screenshot(current, f"learner-data-erase-{width}")
    assert_accessible(current)
    assert current.errors == []


def test_erasing_from_the_keyboard_then_the_thread_shows_a_deleted_learner(
    page, people, sign_in, screenshot, assert_accessible
):
    # given Ada on the erase page
    sign_in(page, people.ada)
    page.goto("/me/data/erase/")

    # when she submits without ticking the box, the browser asks for it and nothing happens
    page.get_by_role("button", name="내 학습 데이터 지우기").press("Enter")
    assert page.url.endswith("/me/data/erase/")
    assert page.locator("#id_confirm").evaluate("box => !box.validity.valid")

    # when she ticks it with the keyboard and submits
    page.locator("#id_confirm").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="내 학습 데이터 지우기").press("Enter")

    # then she is told, and her data page is empty
    assert page.locator("h1").inner_text() == "학습 데이터를 지웠어요"
    page.goto("/me/data/")
    assert page.locator(".empty-state").count() >= 9

    # and the lesson's thread keeps her comment's place, with Bob's reply under it
    page.goto(people.lessons[0].get_absolute_url())
    erased = page.locator(f"#comment-{people.ada_comment.pk}")
    assert "삭제된 학습자" in erased.inner_text()
    assert "작성자의 데이터와 함께 글이 지워졌어요." in erased.inner_text()
    assert page.locator(f"#comment-{people.bob_reply.pk}").is_visible()
    erased.scroll_into_view_if_needed()
    screenshot(page, "learner-data-erased-thread", full_page=False)
    assert_accessible(page)


def _admin_findings(page) -> list[str]:
    """axe's serious and critical findings on an admin page, but for the breadcrumbs' links,
    which Django's admin styles by colour alone on every one of its pages."""
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for violation in Axe().run(page).response["violations"]:
        if violation.get("impact") not in ("serious", "critical"):
            continue
        targets = [str(node["target"]) for node in violation["nodes"]]
        if violation["id"] == "link-in-text-block" and all(".breadcrumbs" in t for t in targets):
            continue
        found.append(f"{violation['id']}: {targets}")
    return found


def test_the_admins_learner_data_page(page, people, sign_in, screenshot):
    sign_in(page, StaffFactory())
    page.goto("/admin/stream_lessons/learnerdata/?q=adalovelace@example.com")
    assert page.get_by_role("link", name="데이터를 JSON으로 내려받기").is_visible()
    screenshot(page, "learner-data-admin")
    assert _admin_findings(page) == []

    page.get_by_role("link", name="학습 데이터 지우기…").click()
    screenshot(page, "learner-data-admin-erase")
    assert _admin_findings(page) == []
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="학습 데이터 지우기").click()
    assert "학습 데이터를 지웠어요" in page.locator(".messagelist").inner_text()
