"""The Content-Security-Policy holds in Chromium: the pages work and the browser refuses nothing.

Chromium reports every blocked script, style, image, frame or form target as a console error
("Refused to ..." or, in newer versions, "... violates the following Content Security Policy
directive ..."). Each test records the console and fails on any such message.
"""

import pytest

from lessons.models import Status
from tests.factories import CommentFactory, CourseFactory, LessonFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
BODY = '## 준비\n\nSome **bold** text.\n\n```python title="Hello"\nprint("hi")\n```\n'


@pytest.fixture
def refusals(page):
    """Every CSP refusal the page reports (and the policy header is really there)."""
    seen = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if "Content Security Policy" in message.text or message.text.startswith("Refused")
            else None
        ),
    )
    return seen


@pytest.fixture
def lesson(db):
    course = CourseFactory(slug="dense", title="Dense", status=Status.PUBLISHED)
    lesson = LessonFactory(course=course, slug="llama", status=Status.PUBLISHED, body=BODY)
    CommentFactory(lesson=lesson, body="A comment with `code`.")
    return lesson


def test_lesson_page_runs_under_the_policy(page, refusals, lesson, live_server):
    # when an anonymous visitor opens the lesson
    response = page.goto(lesson.get_absolute_url())
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # then the page's modules run: the code block gets its copy button, and marking the
    # lesson complete works without a reload
    page.locator(".code-block button").first.wait_for()
    page.locator("[data-progress-button]").click()
    page.locator("[data-progress-button][disabled]").wait_for()
    # and the page from the cache runs too: the browser's stored progress is shown on it
    response = page.goto(lesson.get_absolute_url())
    assert response.headers.get("etag")
    page.locator("[data-progress-button][disabled]").wait_for()
    page.locator(".code-block button").first.wait_for()
    # and the browser refused nothing
    assert refusals == []
    assert page.errors == []


def test_signed_in_lesson_page_with_comments_runs_under_the_policy(
    page, refusals, lesson, sign_in, learner
):
    sign_in(page, learner)
    page.goto(lesson.get_absolute_url())
    page.fill("#comment-body", "Posted under a strict policy")
    page.click("[data-stream-form=post] button[type=submit]")
    page.get_by_text("Posted under a strict policy").first.wait_for()
    assert refusals == []
    assert page.errors == []


def test_admin_lesson_editor_and_live_preview_run_under_the_policy(page, refusals, lesson):
    staff = StaffFactory(username="instructor")
    page.goto("/admin/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")

    page.goto(f"/admin/stream_lessons/lesson/{lesson.pk}/change/")
    page.fill("#id_body", BODY + "\n\nMore text under the policy.\n")
    preview = page.locator(".field-body .markdownx-preview")
    preview.get_by_text("More text under the policy.").wait_for()
    assert preview.locator("figcaption").inner_text() == "Hello · python"
    page.goto("/admin/stream_lessons/course/")
    assert refusals == []
    assert page.errors == []


def test_sign_in_page_runs_under_the_policy(page, refusals, db):
    page.goto("/accounts/login/")
    page.locator("input[name=login]").wait_for()
    page.goto("/accounts/signup/")
    page.locator("input[name=email]").wait_for()
    assert refusals == []
    assert page.errors == []


def test_the_watcher_sees_a_refusal(page, refusals, db):
    # an inline script, as a careless template would add one: Chromium refuses and says so
    page.goto("/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    # (older Chromium: "Refused to execute inline script ..."; newer: "Executing inline script
    # violates the following Content Security Policy directive ...")
    assert any("inline script" in text for text in refusals)
    assert page.evaluate("() => window.x") is None
