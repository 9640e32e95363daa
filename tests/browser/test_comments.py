"""Comments in Chromium: a threaded conversation with notifications, the section as the
reference shows it, no-JavaScript posting, accessibility at desktop and phone widths, and the
XSS corpus with a dialog listener."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from comments.models import Comment, CommentStatus, Notification
from tests.browser.conftest import hover_everything
from tests.factories import CommentFactory, LessonFactory, StaffFactory, UserFactory
from tests.xss_corpus import XSS_PAYLOADS

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "## 준비\n\nText.\n\n## Llama 3 (2024년 4월)\n\nMore text.\n"


@pytest.fixture
def lesson(transactional_db):
    return LessonFactory(title="LLaMA 패밀리", body=BODY)


@pytest.fixture
def second_page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, locale="ko-KR", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def comments(page):
    return page.locator("#comments")


def viewer_arrived(page):
    """The page knows its signed-in viewer (the header shows their name): the section's controls
    for them are in place."""
    expect(page.locator(".site-nav__user")).not_to_be_empty()


def test_two_learners_hold_a_threaded_conversation_with_notifications(
    page, second_page, sign_in, lesson, screenshot
):
    a = sign_in(page, UserFactory(username="ada"))
    b = sign_in(second_page, UserFactory(username="bora"))
    url = lesson.get_absolute_url()

    # A posts a comment: it appears without a reload and the count goes up
    page.goto(url)
    viewer_arrived(page)
    page.evaluate("window.__noReload = true")
    comments(page).get_by_label("내 댓글").fill("RoPE 는 왜 **상대 위치**를 잘 다루나요?")
    comments(page).get_by_role("button", name="댓글 남기기").click()
    first = comments(page).locator("article.stream-comment").first
    first.wait_for()
    assert page.evaluate("window.__noReload") is True
    assert "상대 위치" in first.locator("strong").inner_text()
    assert comments(page).locator("h2").inner_text() == "댓글 1"
    assert (
        comments(page).get_by_role("button", name="🔔 답글 알림").get_attribute("aria-pressed")
        == "true"
    )
    parent = Comment.objects.get()

    # B replies inline, without a reload
    second_page.goto(url)
    viewer_arrived(second_page)
    thread = second_page.locator(f"#comment-{parent.pk}")
    thread.locator("a[data-action=reply]").click()
    thread.get_by_label("내 답글").fill("회전 행렬의 내적이 위치 차이에만 의존해서예요.")
    thread.get_by_role("button", name="답글 남기기").click()
    reply = second_page.locator(f'[data-replies-for="{parent.pk}"] article.stream-comment')
    reply.wait_for()
    assert "위치 차이" in reply.inner_text()
    assert second_page.locator("#comments h2").inner_text() == "댓글 2"

    # A sees one unread notification, the reply on the notifications page, and an email
    page.goto(url)
    expect(page.locator(".site-header .stream-unread-count")).to_have_text("1개 안 읽음")
    screenshot(page, "comments-thread-desktop")
    page.locator(".site-header").get_by_role("link", name=re.compile("^알림")).click()
    assert "위치 차이" in page.locator(".stream-notification").inner_text()
    assert [message.to for message in mail.outbox] == [[a.email]]
    page.get_by_role("button", name="모두 읽음으로 표시").click()
    assert page.locator(".stream-unread-count").count() == 0

    # A turns the 🔔 off for this lesson
    page.goto(url)
    viewer_arrived(page)
    toggle = comments(page).get_by_role("button", name="🔔 답글 알림")
    toggle.click()
    expect(page.locator(".stream-toggle")).to_have_attribute("aria-pressed", "false")

    # B replies again; A gets no new notification
    second_page.reload()
    viewer_arrived(second_page)
    thread = second_page.locator(f"#comment-{parent.pk}")
    thread.locator("a[data-action=reply]").first.click()
    thread.get_by_label("내 답글").fill("그리고 길이 외삽에도 도움이 돼요.")
    thread.get_by_role("button", name="답글 남기기").click()
    second_page.locator("#comments h2", has_text="댓글 3").wait_for()

    page.goto(url)
    viewer_arrived(page)
    assert page.locator(".stream-unread-count").count() == 0
    assert Notification.objects.filter(recipient=a).count() == 1
    assert len(mail.outbox) == 1
    assert Comment.objects.filter(author=b).count() == 2
    assert page.errors == [] and second_page.errors == []


def test_anonymous_section_reads_like_the_reference(
    page, phone_page, lesson, screenshot, assert_accessible
):
    for current, name in ((page, "desktop"), (phone_page, "phone")):
        current.goto(lesson.get_absolute_url())
        section = current.locator("#comments")

        assert section.locator("h2").inner_text() == "댓글 0"
        toggle = section.get_by_role("button", name="🔔 답글 알림 (로그인 필요)")
        assert toggle.is_disabled()
        login = section.get_by_role("link", name="로그인")
        assert login.get_attribute("href").endswith("%23comments")
        assert section.get_by_text("댓글을 남기려면 로그인해 주세요.").is_visible()
        assert section.get_by_text("아직 댓글이 없어요. 첫 댓글을 남겨보세요.").is_visible()
        summary = current.locator(".stream-report summary")
        assert (
            summary.inner_text() == "이 페이지에서 버그를 발견하셨거나 피드백이 있으세요? 문제 신고"
        )
        assert current.evaluate("document.documentElement.scrollWidth") <= (
            360 if name == "phone" else 1280
        )
        section.scroll_into_view_if_needed()
        screenshot(current, f"comments-empty-{name}")
        assert_accessible(current)
        assert current.errors == []


def test_sign_in_link_returns_to_the_comments(page, lesson, transactional_db):
    user = UserFactory(email="ada@example.com")
    page.goto(lesson.get_absolute_url())

    page.locator("#comments").get_by_role("link", name="로그인").click()
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill("correct horse battery staple")
    page.locator("form").filter(has=page.locator("input[name=password]")).locator(
        "button[type=submit]"
    ).click()

    page.wait_for_url(re.compile(r".*#comments$"))
    assert page.url.endswith(f"{lesson.get_absolute_url()}#comments")
    expect(page.locator("#comments").get_by_label("내 댓글")).to_be_visible()


@pytest.fixture
def busy_thread(lesson):
    """A thread with an instructor's reply, an edited reply, a deep chain and a pending one."""
    learner = UserFactory(username="ada")
    top = CommentFactory(
        lesson=lesson,
        author=learner,
        body="GQA 와 MQA 의 차이는?\n\n```python\nkv_heads = 8\n```",
    )
    staff_reply = CommentFactory(parent=top, author=StaffFactory(username="instructor"))
    staff_reply.body = "좋은 질문이에요. KV head 수가 다릅니다 — [문서](https://example.com/gqa)."
    staff_reply.save()
    chain = CommentFactory(parent=staff_reply, body="그럼 메모리는 얼마나 줄어요?")
    CommentFactory(parent=chain, body="대략 head 수의 비율만큼요.", edited_at=chain.created_at)
    CommentFactory(
        lesson=lesson, author=learner, body="검토 중인 댓글", status=CommentStatus.PENDING
    )
    CommentFactory(lesson=lesson, body="두 번째 스레드")
    return learner


def test_thread_is_accessible_at_desktop_and_phone_widths(
    page, phone_page, sign_in, busy_thread, lesson, screenshot, assert_accessible
):
    for current, name in ((page, "desktop"), (phone_page, "phone")):
        sign_in(current, busy_thread)
        current.goto(f"{lesson.get_absolute_url()}#comments")
        viewer_arrived(current)
        section = current.locator("#comments")
        assert section.locator(".badge--instructor").inner_text() == "강사"
        # the learner's own comment awaiting moderation, from the viewer endpoint
        expect(section.get_by_text("검토 대기 중")).to_be_visible()
        assert section.get_by_text("수정됨").is_visible()
        # open a reply form and the report form too, so their controls are checked as well
        section.locator("article.stream-comment").first.locator("a[data-action=reply]").click()
        current.locator(".stream-report summary").click()
        assert current.evaluate("document.documentElement.scrollWidth") <= (
            360 if name == "phone" else 1280
        )
        screenshot(current, f"comments-signed-in-{name}")
        assert_accessible(current)
        assert current.errors == []


def test_time_shows_relative_with_the_exact_time_on_hover(page, busy_thread, lesson):
    older = CommentFactory(lesson=lesson, body="어제 남긴 글")
    Comment.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=26))
    page.goto(lesson.get_absolute_url())

    time = page.locator(f"#comments article:not(#comment-{older.pk}) time").first

    # the server writes the date and time; the page's script says how long ago, in Korean
    expect(time).to_have_text("방금")
    assert re.match(r"\d{4}년 \d{1,2}월 \d{1,2}일", time.get_attribute("title"))
    assert time.get_attribute("datetime")
    expect(page.locator(f"#comment-{older.pk} time")).to_have_text("1일 전")


def test_edit_and_delete_without_reload(page, sign_in, lesson):
    learner = sign_in(page, UserFactory())
    mine = CommentFactory(lesson=lesson, author=learner, body="처음 쓴 글")
    lonely = CommentFactory(lesson=lesson, author=learner, body="지울 글")
    page.goto(lesson.get_absolute_url())
    viewer_arrived(page)
    page.evaluate("window.__noReload = true")

    article = page.locator(f"#comment-{mine.pk}")
    article.locator("summary", has_text="수정").click()
    article.get_by_label("내 댓글").fill("고친 글 **굵게**")
    article.get_by_role("button", name="수정 저장").click()
    page.locator(f"#comment-{mine.pk} strong", has_text="굵게").wait_for()
    assert page.locator(f"#comment-{mine.pk}").get_by_text("수정됨").is_visible()

    gone = page.locator(f"#comment-{lonely.pk}")
    gone.locator("summary", has_text="삭제").click()
    gone.get_by_role("button", name="댓글 삭제").click()
    page.locator(f"#comment-{lonely.pk}").wait_for(state="detached")

    assert page.locator("#comments h2").inner_text() == "댓글 1"
    assert page.evaluate("window.__noReload") is True
    assert Comment.objects.get(pk=lonely.pk).status == CommentStatus.REMOVED
    assert page.errors == []


def own_comment_with_its_text_held(page, sign_in, lesson):
    """The signed-in learner's comment on the lesson page, the server holding back the text
    that opening Edit asks for (the held requests are returned, to be let go); saves pass."""
    learner = sign_in(page, UserFactory())
    mine = CommentFactory(lesson=lesson, author=learner, body="처음 쓴 글")
    page.goto(lesson.get_absolute_url())
    viewer_arrived(page)
    held = []

    def hold_the_text(route):
        if route.request.method == "GET":
            held.append(route)
        else:
            route.continue_()

    page.route(f"**/comments/{mine.pk}/edit/", hold_the_text)
    return mine, held


def test_an_edit_typed_before_its_text_loads_is_the_one_saved(page, sign_in, lesson):
    mine, held = own_comment_with_its_text_held(page, sign_in, lesson)

    # when the learner types their edit before the disclosure's toggle event has come, and
    # saves it
    article = page.locator(f"#comment-{mine.pk}")
    article.locator('details[data-action="edit"] textarea').evaluate(
        "field => { field.closest('details').open = true; field.value = '고친 글 **굵게**'; }"
    )
    article.get_by_role("button", name="수정 저장").click()

    # then what they typed is saved (the field used to be disabled while the old text loaded,
    # so the form went without it and was refused as empty)
    page.locator(f"#comment-{mine.pk} strong", has_text="굵게").wait_for()
    for route in held:
        route.continue_()
    mine.refresh_from_db()
    assert mine.body == "고친 글 **굵게**"
    assert page.errors == []


def test_while_the_old_text_loads_the_edit_cannot_be_typed_over_or_saved(page, sign_in, lesson):
    mine, held = own_comment_with_its_text_held(page, sign_in, lesson)

    # when the learner opens Edit
    article = page.locator(f"#comment-{mine.pk}")
    article.locator("summary", has_text="수정").click()
    field = article.get_by_label("내 댓글")
    save = article.get_by_role("button", name="수정 저장")

    # then, until the text comes, the field is read-only and the save is off; then both work
    # and the field holds the comment's Markdown
    expect(save).to_be_disabled()
    expect(field).not_to_be_editable()
    for _ in range(100):  # Playwright hands the held request over while it waits
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()
    expect(field).to_have_value("처음 쓴 글")
    expect(field).to_be_editable()
    expect(save).to_be_enabled()
    assert page.errors == []


def test_flag_uses_the_sections_one_shared_form(page, sign_in, lesson):
    # given two comments by someone else, and no flag form anywhere in the threads
    first = CommentFactory(lesson=lesson, body="첫 번째")
    second = CommentFactory(lesson=lesson, body="두 번째")
    learner = sign_in(page, UserFactory())
    page.goto(lesson.get_absolute_url())
    viewer_arrived(page)
    assert page.locator("[data-thread-list] form").count() == 0

    # when the learner opens "Flag" under the second, picks a reason and sends it
    article = page.locator(f"#comment-{second.pk}")
    article.locator("a[data-action=flag]").click()
    reason = article.get_by_label("관리자가 왜 살펴봐야 하나요?")
    assert reason.input_value() == ""  # no reason chosen in advance
    reason.select_option("spam")
    article.get_by_role("button", name="댓글 신고").click()

    # then that comment is flagged, with that reason, and the other is not
    article.locator(".stream-comment__flagged").wait_for()
    flag = second.flags.get()
    assert (flag.user_id, flag.reason) == (learner.pk, "spam")
    assert not first.flags.exists()
    assert page.errors == []


def test_errors_show_next_to_the_form(page, sign_in, lesson, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_MAX_LENGTH": 20}
    sign_in(page, UserFactory())
    page.goto(lesson.get_absolute_url())
    viewer_arrived(page)
    form = page.locator('[data-stream-form="post"]')

    # maxlength stops typing past the limit; remove it to see the server's answer
    form.locator("textarea").evaluate("el => el.removeAttribute('maxlength')")
    form.locator("textarea").fill("이 댓글은 스무 글자를 훌쩍 넘어가는 긴 글이에요.")
    form.get_by_role("button", name="댓글 남기기").click()

    errors = form.locator("[data-form-errors]")
    errors.wait_for()
    assert errors.inner_text().startswith("댓글은 최대 20자까지 쓸 수 있어요")
    assert not Comment.objects.exists()


def test_comments_work_without_javascript(chromium, live_server, sign_in, lesson):
    # The lesson page is the same for everyone and carries no token: "Write a comment", "Reply"
    # and the 🔔 lead to pages of their own (tests/browser/test_viewer.py follows every one).
    context = chromium.new_context(
        base_url=live_server.url, locale="ko-KR", java_script_enabled=False
    )
    page = context.new_page()
    try:
        sign_in(page, UserFactory())
        other = CommentFactory(lesson=lesson, body="먼저 남긴 글")
        page.goto(lesson.get_absolute_url())

        page.locator("#comments").get_by_role("link", name="댓글 쓰기").click()
        page.get_by_label("내 댓글").fill("스크립트 없이 남겨요")
        page.get_by_role("button", name="댓글 남기기").click()
        mine = Comment.objects.get(body="스크립트 없이 남겨요")
        assert page.url.endswith(f"#comment-{mine.pk}")
        assert page.locator(f"#comment-{mine.pk}").is_visible()

        thread = page.locator(f"#comment-{other.pk}")
        thread.locator("a[data-action=reply]").click()
        page.get_by_label("내 답글").fill("답글도 돼요")
        page.get_by_role("button", name="답글 남기기").click()
        reply = Comment.objects.get(body="답글도 돼요")
        assert reply.parent == other and page.url.endswith(f"#comment-{reply.pk}")
    finally:
        context.close()


def test_no_xss_payload_in_comments_runs_in_the_browser(page, dialogs, sign_in, lesson, settings):
    # given a sample of the corpus as comments and replies, seen by a signed-in learner
    settings.STREAM = {**settings.STREAM, "COMMENTS_PER_PAGE": 200}
    sample = XSS_PAYLOADS[::3]
    top = CommentFactory(lesson=lesson, body="top")
    for _name, source in sample:
        body = source.replace("\x00", "\ufffd")
        CommentFactory(lesson=lesson, body=body)
        CommentFactory(parent=top, body=body)
    sign_in(page, UserFactory())

    page.goto(lesson.get_absolute_url())
    viewer_arrived(page)
    # hover everything a handler could hang on, and open every reply form
    hover_everything(page, ".stream-comment__body *")
    for link in page.locator("#comments a[data-action=reply]").all()[:20]:
        link.click()

    assert dialogs == [], f"a payload opened a dialog: {dialogs}"
    assert page.locator("#comments article.stream-comment").count() == 2 * len(sample) + 1
    assert page.errors == []
