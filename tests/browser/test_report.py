"""Report a problem in Chromium: anonymous, with and without JavaScript, into the admin queue."""

import pytest

from comments.models import ProblemReport
from tests.factories import LessonFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "## 준비\n\nText.\n\n## Llama 3 (2024년 4월)\n\nMore text.\n"


@pytest.fixture
def lesson(transactional_db):
    return LessonFactory(title="LLaMA 패밀리", body=BODY)


def fill_report(page):
    report = page.locator(".stream-report")
    report.locator("summary").click()
    report.get_by_label("내용 오류").check()
    report.get_by_label("페이지의 어느 부분인가요? (선택)").select_option(
        label="Llama 3 (2024년 4월)"
    )
    report.get_by_label("무엇이 잘못됐나요?").fill("출시 연도가 2023년으로 적혀 있어요.")
    report.get_by_label("답변을 받고 싶다면 이메일 (선택)").fill("reader@example.com")
    return report


def test_anonymous_report_reaches_the_admin_queue(
    page, sign_in, lesson, screenshot, assert_accessible
):
    # given an anonymous visitor who opens the report form
    page.goto(lesson.get_absolute_url())
    report = fill_report(page)
    screenshot(page, "report-form-desktop")
    assert_accessible(page)

    # when they send it, then they are thanked in place
    report.get_by_role("button", name="신고 보내기").click()
    thanks = report.locator(".stream-report__thanks")
    thanks.wait_for()
    assert thanks.inner_text() == "고마워요! 신고가 강사에게 전달됐어요."
    filed = ProblemReport.objects.get()
    assert (filed.kind, filed.section, filed.contact_email) == (
        "content",
        "llama-3-2024년-4월",
        "reader@example.com",
    )
    assert filed.reporter is None and "Chrome" in filed.user_agent

    # and the report is in the staff's queue, linked to the section
    sign_in(page, StaffFactory())
    page.goto("/admin/stream_comments/problemreport/?status__exact=open")
    row = page.locator("#result_list tbody tr")
    assert row.count() == 1
    assert "출시 연도가" in row.inner_text()
    link = row.get_by_role("link", name="#llama-3-2024년-4월")
    assert link.get_attribute("href") == f"{lesson.get_absolute_url()}#llama-3-2024년-4월"
    assert page.errors == []


def test_report_without_javascript(chromium, live_server, lesson):
    # The shared page carries no token: its disclosure links the report page, which does.
    context = chromium.new_context(
        base_url=live_server.url, locale="ko-KR", java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(lesson.get_absolute_url())
        page.locator(".stream-report summary").click()
        page.get_by_role("link", name="신고 양식 열기").click()
        report = page.locator("main")
        report.get_by_label("내용 오류").check()
        report.get_by_label("무엇이 잘못됐나요?").fill("출시 연도가 2023년으로 적혀 있어요.")
        report.get_by_label("답변을 받고 싶다면 이메일 (선택)").fill("reader@example.com")

        report.get_by_role("button", name="신고 보내기").click()

        # a page of its own thanks the reporter and leads back to the lesson
        page.get_by_role("link", name="레슨으로 돌아가기").click()
        page.wait_for_url(f"**{lesson.get_absolute_url()}")
        filed = ProblemReport.objects.get()
        assert (filed.kind, filed.contact_email) == ("content", "reader@example.com")
    finally:
        context.close()


def test_report_form_on_a_phone(phone_page, lesson, screenshot, assert_accessible):
    phone_page.goto(lesson.get_absolute_url())
    fill_report(phone_page)

    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone_page, "report-form-phone")
    assert_accessible(phone_page)
