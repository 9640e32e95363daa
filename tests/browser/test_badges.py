"""Open Badges on /me/progress/ in Chromium: each earned achievement offers its baked badge and
its address for a backpack, on a desktop and a phone, and the page passes axe."""

import io
import json

import pytest
from openbadges_bakery import unbake
from playwright.sync_api import expect

from lessons.models import Lesson
from progress import services
from progress.models import AchievementAward
from tests.browser.test_progress import demo  # noqa: F401 (the demo content fixture)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_an_earned_badge_can_be_downloaded_and_added_to_a_backpack(
    width,
    page,
    phone_page,
    demo,  # noqa: F811
    sign_in,
    screenshot,
    assert_accessible,
):
    # given a learner who earned achievements by completing three lessons
    current = page if width == "desktop" else phone_page
    learner = sign_in(current, UserFactory())
    for lesson in Lesson.objects.filter(course__slug="dense-families")[:3]:
        services.completion_record(user=learner, lesson=lesson)
    awards = list(AchievementAward.objects.filter(learner=learner).select_related("achievement"))
    assert awards

    # when they open their progress page
    current.goto("/me/progress/")

    # then each earned card offers its badge, large enough to tap
    downloads = current.locator(".achievement-badge__download")
    expect(downloads).to_have_count(len(awards))
    first = downloads.first
    box = first.bounding_box()
    assert box["height"] >= 44
    # the download is the baked PNG, carrying the address the card gives for a backpack
    response = current.request.get(first.get_attribute("href"))
    assert response.headers["content-type"] == "image/png"
    baked = json.loads(unbake(io.BytesIO(response.body())))
    backpack = current.locator(".achievement-badge__backpack").first
    backpack.get_by_text("백팩에 추가").click()
    address = backpack.get_by_label("배지 주소")
    expect(address).to_be_visible()
    assert address.input_value() == baked["id"]
    hosted = current.request.get(baked["id"])
    assert hosted.status == 200 and json.loads(hosted.body()) == baked
    # and nothing runs off a phone's screen
    assert current.evaluate("document.documentElement.scrollWidth") <= (
        360 if width == "phone" else 1280
    )
    backpack.scroll_into_view_if_needed()
    screenshot(current, f"my-progress-badges-{width}")
    assert_accessible(current)
