"""Comments in several languages in Chromium: each marked, and a filter to one language."""

import pytest

from tests.factories import CommentFactory, CourseFactory, LessonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_filter_shows_the_comments_of_one_language(
    page, phone_page, transactional_db, screenshot, assert_accessible
):
    lesson = LessonFactory(course=CourseFactory(slug="c"), slug="l")
    korean = CommentFactory(lesson=lesson, body="좋은 강의예요.", language="ko")
    english = CommentFactory(lesson=lesson, body="Nice one.", language="en")
    CommentFactory(lesson=lesson, parent=english, body="고마워요!", language="ko")

    for viewer, name in ((page, "desktop"), (phone_page, "phone")):
        viewer.goto("/en/courses/c/l/#comments")
        choice = viewer.get_by_label("Show comments written in")
        choice.wait_for()
        assert [o.strip() for o in choice.locator("option").all_inner_texts()] == [
            "every language",
            "한국어",
            "English",
        ]

        marker = viewer.locator(f"#comment-{korean.pk} .stream-comment__language")
        assert marker.inner_text() == "한국어" and marker.get_attribute("lang") == "ko"

        choice.select_option("en")

        assert viewer.locator(f"#comment-{english.pk}").is_visible()
        assert not viewer.locator(f"#comment-{korean.pk}").is_visible()
        assert (
            "Showing 1 of 3 comments."
            in viewer.locator("[data-language-filter-status]").inner_text()
        )
        assert viewer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert_accessible(viewer)
        screenshot(viewer, f"comments-language-filter-{name}", full_page=False)

        choice.select_option("")
        assert viewer.locator(f"#comment-{korean.pk}").is_visible()
