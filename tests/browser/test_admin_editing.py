"""An instructor writes, previews, publishes and reorders a lesson in the admin, in Chromium."""

import pytest

from lessons.models import Lesson, Status
from tests.factories import CourseFactory, LessonFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
BODY = '## 준비\n\nSome **bold** text.\n\n```python title="Hello"\nprint("hi")\n```\n'


@pytest.fixture
def signed_in_staff(page):
    staff = StaffFactory(username="instructor")
    page.goto("/admin/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return staff


def test_write_preview_publish_and_see_the_lesson(page, signed_in_staff, screenshot):
    # given a course with one lesson
    course = CourseFactory(slug="python", title="Python")
    LessonFactory(course=course, slug="intro", position=1)

    # when the instructor writes a new lesson
    page.goto("/admin/stream_lessons/lesson/add/")
    page.select_option("#id_course", str(course.pk))
    page.fill("#id_title", "Loops")
    page.fill("#id_position", "2")
    page.fill("#id_body", BODY)

    # then the live preview shows our pipeline's captioned, highlighted code block
    preview = page.locator(".field-body .markdownx-preview")
    preview.locator("figcaption").wait_for()
    assert preview.locator("figcaption").inner_text() == "Hello · python"
    assert preview.locator("h2").inner_text().startswith("준비")
    screenshot(page, "admin-lesson-preview")

    # when it is saved as published
    assert page.input_value("#id_slug") == "loops"  # prepopulated from the title
    page.select_option("#id_status", Status.PUBLISHED)
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/stream_lessons/lesson/")

    # then learners read it at once as lesson 2 of 2
    lesson = Lesson.objects.get(slug="loops")
    page.context.clear_cookies()
    page.goto(lesson.get_absolute_url())
    assert page.locator(".lesson-position").inner_text() == "Lesson 02 of 02 · published"
    assert page.locator("figure.code-block figcaption").inner_text() == "Hello · python"


def test_reorder_lessons_from_the_course_form(page, signed_in_staff):
    # given a course of three lessons
    course = CourseFactory(slug="python", title="Python")
    first, second, third = (
        LessonFactory(course=course, slug=slug, title=slug.title(), position=n)
        for n, slug in enumerate(("alpha", "beta", "gamma"), start=1)
    )

    # when the instructor moves the last lesson to the front
    page.goto(f"/admin/stream_lessons/course/{course.pk}/change/")
    page.fill("#id_lessons-2-position", "0")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/stream_lessons/course/")

    # then the course page and the numbering follow at once
    page.goto("/courses/python/")
    titles = page.locator(".lesson-list__title").all_inner_texts()
    assert titles == ["Gamma", "Alpha", "Beta"]
    page.goto("/courses/python/gamma/")
    assert page.locator(".lesson-position").inner_text() == "Lesson 01 of 03 · published"
