"""Level and achievement names in the page's language, in Chromium: the English page's notice
names the award in English (the Korean page's: tests/browser/test_progress.py), staff name a
level in Korean in the admin's row for it and the Korean page shows it at once, and
/me/progress/ lists the achievements in Korean; screenshots at 1280 and 360 px."""

import pytest
import yaml
from playwright.sync_api import expect

from lessons.lesson_files import lessons_import
from progress import services
from progress.models import Level
from tests.browser.test_progress import DEMO_CONTENT, DEMO_LESSON
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
LEVEL_NAME = "[data-progress-field=level_name]"


@pytest.fixture
def demo(transactional_db):
    lessons_import(directory=DEMO_CONTENT)
    services.definitions_load(**yaml.safe_load((DEMO_CONTENT / "progress.yml").read_text()))


def sign_in(page, username):
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def test_the_english_page_announces_the_award_in_english(page, demo):
    page.goto(f"/en{DEMO_LESSON}")

    page.get_by_role("button", name="Mark as complete").click()

    expect(page.locator(".progress-notice__item p")).to_have_text(
        ["Achievement unlocked: First steps (+10 XP)"]
    )


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_staff_name_a_level_in_korean_and_the_korean_page_shows_it(
    request, device, demo, screenshot, assert_accessible
):
    page = request.getfixturevalue("page" if device == "desktop" else "phone_page")
    StaffFactory(username="instructor")
    sign_in(page, "instructor")
    level = Level.objects.get(number=0)

    # when staff fill the Korean row of level 0's names per language
    page.goto(f"/admin/stream_progress/level/{level.pk}/change/")
    korean_row = page.locator("select[name=translations-0-language]")
    expect(korean_row).to_have_value("ko")
    page.fill("input[name=translations-0-name]", "탐색자")
    screenshot(page, f"admin-level-names-per-language-{device}")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/stream_progress/level/")

    # then the Korean page names the level in Korean, the English page as before
    page.goto(DEMO_LESSON)
    expect(page.locator(LEVEL_NAME).first).to_have_text("탐색자")
    page.goto(f"/en{DEMO_LESSON}")
    expect(page.locator(LEVEL_NAME).first).to_have_text("Scout")

    # and /me/progress/ lists the achievements in Korean, with their descriptions
    page.goto("/me/progress/")
    cards = page.locator(".achievement-card__name")
    expect(cards.first).to_have_text("첫걸음")
    expect(page.locator(".achievement-card__description").first).to_have_text(
        "모든 강좌는 레슨 하나에서 시작해요."
    )
    assert_accessible(page)
    screenshot(page, f"my-progress-korean-names-{device}")
