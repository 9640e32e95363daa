"""The instructor's guide (docs/admin.md), walked through in the real admin.

Each step checks what the guide says the admin shows, and takes the guide's screenshot. The
screenshots go to the run's artefacts; with ``STREAM_DOCS_SCREENSHOTS=1`` they replace
``docs/screenshots/admin-*.png`` instead (run this file alone for that).
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.utils import timezone

from comments.models import CommentStatus, ReportStatus
from lessons.lesson_files import lessons_import
from lessons.models import Lesson
from progress import services
from progress.models import Achievement
from tests.browser.conftest import ARTIFACTS
from tests.factories import (
    CommentFactory,
    CommentFlagFactory,
    ProblemReportFactory,
    StaffFactory,
    UserFactory,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONTENT = ROOT / "config" / "demo_content"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "correct horse battery staple"
SAMPLE_BODY = (
    "## 준비\n\nWrite **Markdown** here; the preview below follows as you type, rendered by "
    "the same pipeline as the lesson page.\n\n"
    '```python title="A captioned block"\nprint("hello")\n```\n\n'
    "| model | layers |\n| --- | --- |\n| Llama 3 8B | 32 |\n"
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def classroom(transactional_db):
    """The demo's courses, levels and achievements, six learners part-way through the first
    course, a few comments (two flagged, one hidden) and problem reports."""
    lessons_import(directory=DEMO_CONTENT)
    services.definitions_load(**yaml.safe_load((DEMO_CONTENT / "progress.yml").read_text()))
    course_lessons = list(Lesson.objects.filter(course__slug="dense-families").order_by("position"))
    learners = [
        UserFactory(username=name) for name in ("ada", "grace", "linus", "guido", "rob", "ken")
    ]
    start = timezone.now() - timedelta(days=6)
    for done, learner in enumerate(learners, start=1):
        for day, lesson in enumerate(course_lessons[: min(done, len(course_lessons))]):
            services.completion_record(user=learner, lesson=lesson, at=start + timedelta(days=day))
    llama = Lesson.objects.get(slug="llama")
    question = CommentFactory(lesson=llama, author=learners[0], body="Why is GQA used in 70B only?")
    CommentFactory(
        lesson=llama, parent=question, author=learners[1], body="Memory for the KV cache."
    )
    spam = CommentFactory(lesson=llama, author=learners[2], body="Buy cheap GPUs at example.com")
    CommentFlagFactory(comment=spam, user=learners[3], reason="spam")
    CommentFlagFactory(comment=spam, user=learners[4], reason="spam")
    CommentFactory(lesson=llama, author=learners[5], body="Off topic.", status=CommentStatus.HIDDEN)
    ProblemReportFactory(
        lesson=llama, kind="content", reporter=learners[0], message="The 405B context is 128K."
    )
    ProblemReportFactory(lesson=llama, kind="bug", reporter=None, message="Copy button missing.")
    ProblemReportFactory(
        lesson=course_lessons[0],
        kind="bug",
        reporter=learners[1],
        message="Typo in the table.",
        status=ReportStatus.RESOLVED,
    )
    return {"learners": learners, "llama": llama}


@pytest.fixture
def admin_page(chromium, live_server):
    """A desktop page in English (the guide's language), signed in through the admin login."""
    context = chromium.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1440, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    StaffFactory(username="instructor")
    page.goto("/admin/login/")
    page.fill("#id_username", "instructor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    # The guide's screenshots show the page without the admin's navigation sidebar.
    page.evaluate("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
    page.reload()
    yield page
    context.close()


@pytest.fixture
def shoot():
    """``shoot(page_or_locator, name)``: the guide's screenshot of a page or of one element."""

    def take(target, name, *, full_page=False):
        folder = DOCS_SCREENSHOTS if os.environ.get("STREAM_DOCS_SCREENSHOTS") else ARTIFACTS
        folder.mkdir(parents=True, exist_ok=True)
        options = {"full_page": full_page} if hasattr(target, "goto") else {}
        target.screenshot(path=str(folder / f"{name}.png"), **options)

    return take


def test_the_instructors_guide_in_the_admin(admin_page, classroom, shoot):
    page = admin_page

    # The admin's home lists Stream's three apps.
    for section in ("Stream lessons", "Stream progress", "Stream comments"):
        assert page.get_by_role("link", name=section).count() == 1 or section in page.content()
    shoot(page, "admin-home", full_page=True)

    # Writing: the editor with the live preview rendered by Stream's own pipeline.
    llama = classroom["llama"]
    page.goto(f"/admin/stream_lessons/lesson/{llama.pk}/change/")
    original = page.locator(".field-body").first  # the lesson's own body; variants follow
    preview = original.locator(".markdownx-preview")
    preview.locator("h2").first.wait_for()
    # the demo lesson's captioned code block, as the page renders it
    caption = preview.locator("figcaption").first
    caption.wait_for()
    assert caption.inner_text() == "Llama 3 dense 라인업 한눈에 · python"
    # and a new text is previewed as it is typed (a short one, for the screenshot)
    page.locator("#id_body").fill(SAMPLE_BODY)
    preview.locator("figcaption", has_text="A captioned block").wait_for()
    # (the editor keeps the height the long text gave it; a short one needs less)
    page.evaluate("document.querySelector('#id_body').style.height = '15rem'")
    shoot(original, "admin-lesson-editor")

    # Its English variant beside it, with the same editor and preview.
    variant = page.locator("#translations-0")
    assert variant.locator("input[name='translations-0-title']").input_value() == (
        "The LLaMA family — the open-weight backbone of its era"
    )
    variant.locator(".markdownx-preview h2").first.wait_for()
    assert variant.get_by_text("Up to date with the original.").is_visible()
    page.evaluate("document.querySelector('#id_translations-0-body').style.height = '15rem'")
    shoot(variant, "admin-lesson-variant")

    # Courses: lessons inline, ordered by position.
    course = llama.course
    page.goto(f"/admin/stream_lessons/course/{course.pk}/change/")
    positions = page.locator("input[name^='lessons-'][name$='-position']")
    assert positions.count() == course.lessons.count()
    shoot(page, "admin-course", full_page=True)

    # The lesson list: filters, publish/unpublish actions, open reports per lesson.
    page.goto("/admin/stream_lessons/lesson/?course__id__exact=" + str(course.pk))
    options = page.locator("select[name=action] option").all_inner_texts()
    assert "Publish the selected lessons" in options
    assert "Unpublish the selected lessons" in options
    assert page.get_by_role("link", name="2").count() >= 1  # llama's two open reports
    shoot(page, "admin-lessons")

    # Achievements: a new active rule shows its dry run before it is saved.
    page.goto("/admin/stream_progress/achievement/add/")
    page.fill("#id_name", "Two lessons")
    page.select_option("#id_rule_kind", "lessons_completed")
    page.fill("#id_rule_number", "2")
    page.fill("#id_xp", "15")
    page.click("input[name=_save]")
    notice = page.locator(".errornote, .errorlist").filter(has_text="would award")
    notice.first.wait_for()
    assert "This rule would award 5 learners now (0 already have it)" in notice.first.inner_text()
    assert not Achievement.objects.filter(slug="two-lessons").exists()
    page.locator("fieldset", has_text="Rule").first.scroll_into_view_if_needed()
    shoot(page, "admin-achievement-dry-run", full_page=True)
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/stream_progress/achievement/")
    assert Achievement.objects.get(slug="two-lessons").awards.count() == 0  # until backfill

    # Levels.
    page.goto("/admin/stream_progress/level/")
    assert page.locator("#result_list tbody tr").count() == 7
    shoot(page, "admin-levels")

    # Completion figures per lesson, most started first within the course.
    page.goto(f"/admin/stream_progress/lessoncompletionfigures/?course__id__exact={course.pk}")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == course.lessons.count()
    assert "100%" in rows.first.inner_text()
    shoot(page, "admin-completion-figures")

    # Comment moderation: flagged first.
    page.goto("/admin/stream_comments/comment/")
    first_row = page.locator("#result_list tbody tr").first
    assert "Buy cheap GPUs" in first_row.inner_text()
    shoot(page, "admin-comments")

    # Problem reports: the queue, each linked to the reported section.
    page.goto("/admin/stream_comments/problemreport/?status__exact=open")
    assert page.locator("#result_list tbody tr").count() == 2
    shoot(page, "admin-reports")


def test_the_admin_sign_in_lock_as_the_guide_shows_it(chromium, live_server, shoot):
    StaffFactory(username="instructor")
    context = chromium.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 700}
    )
    try:
        page = context.new_page()
        for _ in range(5):
            page.goto("/admin/login/")
            page.fill("#id_username", "instructor")
            page.fill("#id_password", "a wrong guess")
            page.click("input[type=submit]")
        page.goto("/admin/login/")
        page.fill("#id_username", "instructor")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")

        note = page.locator(".errornote, .errorlist").first
        assert "Too many failed sign-in attempts. Try again in 15 minutes." in note.inner_text()
        assert "/admin/login/" in page.url
        shoot(page, "admin-login-locked")
    finally:
        context.close()
