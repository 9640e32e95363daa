"""The shared lesson page in Chromium: the same HTML for every viewer, and each viewer's part
(header, status bar, own-comment controls, staff's Hide) from the viewer endpoint, asked for only
by signed-in browsers; without JavaScript every button that posts leads to a page of its own;
nothing moves when the viewer's part arrives."""

import os
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from comments.models import Comment, CommentFlag, ProblemReport, ReplySubscription
from lessons.lesson_files import lessons_import
from progress import services
from progress.models import LessonCompletion
from tests.factories import CommentFactory, LessonFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONTENT = ROOT / "config" / "demo_content"
DEMO_LESSON = "/courses/dense-families/llama/"
VIEWER_URL = "/api/v1/me/page/"
BODY = "## 준비\n\nText.\n\n## Llama 3 (2024년 4월)\n\nMore text.\n"

# Sums the layout shifts of the page (the Layout Instability API), from its first paint on.
RECORD_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__shifts.push(entry.value);
  }
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.fixture
def lesson(transactional_db):
    return LessonFactory(title="LLaMA 패밀리", body=BODY)


@pytest.fixture
def demo(transactional_db):
    lessons_import(directory=DEMO_CONTENT)
    services.definitions_load(**yaml.safe_load((DEMO_CONTENT / "progress.yml").read_text()))


def viewer_requests(page):
    """Every request the page makes to the viewer endpoint, as they happen."""
    seen = []
    page.on("request", lambda request: VIEWER_URL in request.url and seen.append(request.url))
    return seen


def wait_for_viewer(page, name):
    """The viewer's part has arrived once the header shows their name."""
    expect(page.locator(".site-nav__user")).to_have_text(name)


@pytest.fixture
def no_js(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, locale="ko-KR", java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


# --- With JavaScript ----------------------------------------------------------------------------


def test_signed_in_viewer_gets_header_form_and_own_controls_from_the_endpoint(
    page, sign_in, lesson
):
    # given a learner's own comment, a comment they flagged and one they did not
    learner = sign_in(page, UserFactory(username="ada", first_name="Ada"))
    mine = CommentFactory(lesson=lesson, author=learner, body="내 글")
    flagged = CommentFactory(lesson=lesson, body="신고한 글")
    CommentFlag.objects.create(comment=flagged, user=learner, reason="spam")
    other = CommentFactory(lesson=lesson, body="다른 글")
    asked = viewer_requests(page)

    # when they open the lesson
    page.goto(lesson.get_absolute_url())

    # then the page asked the endpoint once, for this lesson, and shows what it said
    wait_for_viewer(page, "Ada")
    assert len(asked) == 1 and f"lesson={lesson.pk}" in asked[0]
    header = page.locator(".site-header")
    assert header.get_by_role("button", name="로그아웃").is_visible()
    assert header.get_by_role("link", name="내 진행 상황").is_visible()
    assert header.get_by_role("link", name="로그인").count() == 0
    section = page.locator("#comments")
    expect(section.get_by_label("내 댓글").first).to_be_visible()
    expect(section.get_by_role("button", name="🔔 답글 알림")).to_be_enabled()
    assert section.get_by_text("댓글을 남기려면 로그인해 주세요.").count() == 0

    own = page.locator(f"#comment-{mine.pk}")
    assert own.locator("summary", has_text="수정").is_visible()
    assert own.locator("summary", has_text="삭제").is_visible()
    assert own.locator("a[data-action=flag]").count() == 0
    assert page.locator(f"#comment-{flagged.pk} .stream-comment__flagged").inner_text() == (
        "관리자에게 신고했어요"
    )
    assert page.locator(f"#comment-{other.pk} a[data-action=flag]").is_visible()
    assert section.get_by_role("button", name="숨기기").count() == 0
    assert page.locator("[data-progress-local-note]").is_hidden()
    assert page.errors == []


def test_signed_in_status_bar_shows_the_learners_own_progress(page, sign_in, demo):
    learner = sign_in(page, UserFactory(first_name="Bora"))
    _complete(learner, "llama")

    page.goto(DEMO_LESSON)

    wait_for_viewer(page, "Bora")
    expect(page.get_by_role("button", name="✓ 완료")).to_be_disabled()
    expect(page.locator("[data-progress-figures]")).to_contain_text("1/41")
    assert page.locator(".progress-note:visible").count() == 0


def _complete(learner, slug):
    from lessons.models import Lesson

    services.completion_record(user=learner, lesson=Lesson.objects.get(slug=slug))


def test_staff_get_hide_on_every_published_comment(page, sign_in, lesson):
    sign_in(page, StaffFactory(first_name="Staff"))
    first = CommentFactory(lesson=lesson, body="하나")
    second = CommentFactory(lesson=lesson, body="둘")
    CommentFactory(parent=second, body="셋")

    page.goto(lesson.get_absolute_url())
    wait_for_viewer(page, "Staff")

    hides = page.locator("#comments").get_by_role("button", name="숨기기")
    expect(hides).to_have_count(3)
    page.locator(f"#comment-{first.pk}").get_by_role("button", name="숨기기").click()
    expect(page.locator(f"#comment-{first.pk}")).to_contain_text("학습자에게 숨김")
    assert Comment.objects.get(pk=first.pk).status == "hidden"
    assert page.errors == []


def test_staff_see_hidden_and_pending_comments_in_full_after_a_reload(
    page, sign_in, lesson, screenshot
):
    # given a hidden comment with an answer (a placeholder for everyone else), a hidden reply
    # and someone's comment awaiting moderation
    rude = CommentFactory(lesson=lesson, body="무례한 말", status="hidden")
    CommentFactory(lesson=lesson, parent=rude, body="그에 대한 답")
    top = CommentFactory(lesson=lesson, body="질문")
    spam = CommentFactory(lesson=lesson, parent=top, body="광고 글", status="hidden")
    waiting = CommentFactory(lesson=lesson, body="기다리는 글", status="pending")
    sign_in(page, StaffFactory(first_name="Staff"))

    # when staff open the page
    page.goto(lesson.get_absolute_url())
    wait_for_viewer(page, "Staff")

    # then each held comment shows in full, marked, where it belongs
    expect(page.locator(f"#comment-{rude.pk}")).to_contain_text("무례한 말")
    expect(page.locator(f"#comment-{rude.pk}")).to_contain_text("학습자에게 숨김")
    expect(page.locator(f"[data-replies-for='{top.pk}'] #comment-{spam.pk}")).to_contain_text(
        "광고 글"
    )
    expect(page.locator(f"#comment-{waiting.pk}")).to_contain_text("기다리는 글")
    screenshot(page, "staff-held-comments")

    # and they release them from the page: Unhide a hidden one, Approve a pending one
    page.locator(f"#comment-{rude.pk}").get_by_role("button", name="다시 보이기").click()
    expect(page.locator(f"#comment-{rude.pk}")).not_to_contain_text("학습자에게 숨김")
    page.locator(f"#comment-{waiting.pk}").get_by_role("button", name="승인").click()
    expect(page.locator(f"#comment-{waiting.pk}")).not_to_contain_text("검토 대기 중")
    assert Comment.objects.get(pk=rude.pk).status == "published"
    assert Comment.objects.get(pk=waiting.pk).status == "published"
    assert page.errors == []


def test_anonymous_visitors_ask_the_endpoint_only_to_send_a_report(page, lesson):
    asked = viewer_requests(page)

    # a visitor reading the page makes no request for a viewer
    page.goto(lesson.get_absolute_url())
    page.wait_for_load_state("networkidle")
    assert asked == []
    assert page.locator(".site-nav__login").is_visible()

    # and asks for a token only when they send the report form
    report = page.locator(".stream-report")
    report.locator("summary").click()
    report.get_by_label("내용 오류").check()
    report.get_by_label("무엇이 잘못됐나요?").fill("오타가 있어요.")
    with page.expect_request(f"**{VIEWER_URL}*"):
        report.get_by_role("button", name="신고 보내기").click()
    report.locator(".stream-report__thanks").wait_for()
    assert len(asked) == 1
    assert ProblemReport.objects.get().message == "오타가 있어요."


def test_own_comment_is_edited_from_its_own_text(page, sign_in, lesson):
    learner = sign_in(page, UserFactory(first_name="Ada"))
    mine = CommentFactory(lesson=lesson, author=learner, body="처음 쓴 **글**")
    page.goto(lesson.get_absolute_url())
    wait_for_viewer(page, "Ada")

    article = page.locator(f"#comment-{mine.pk}")
    article.locator("summary", has_text="수정").click()
    field = article.get_by_label("내 댓글")
    expect(field).to_have_value("처음 쓴 **글**")
    field.fill("고친 글")
    article.get_by_role("button", name="수정 저장").click()

    expect(page.locator(f"#comment-{mine.pk} .stream-comment__body")).to_have_text("고친 글")
    # the new article is the viewer's own again
    expect(page.locator(f"#comment-{mine.pk}").locator("summary", has_text="수정")).to_be_visible()


def test_a_comment_answered_with_a_server_error_page_is_not_posted_again(page, sign_in, lesson):
    # given the server saves the comment but a proxy answers with its own error page
    sign_in(page, UserFactory(first_name="Ada"))
    page.goto(lesson.get_absolute_url())
    wait_for_viewer(page, "Ada")

    def saved_then_broken(route):
        response = route.fetch()
        assert response.status == 201
        route.fulfill(status=502, content_type="text/html", body="<h1>Bad gateway</h1>")

    page.route(f"**/comments/lessons/{lesson.pk}/", saved_then_broken)
    page.evaluate("window.__noReload = true")
    form = page.locator('[data-stream-form="post"]')
    form.get_by_label("내 댓글").fill("한 번만")
    form.get_by_role("button", name="댓글 남기기").click()

    # then the learner reads that something went wrong, and the comment exists once
    expect(form.locator("[data-form-errors]")).to_contain_text("페이지를 새로 고쳐")
    assert page.evaluate("window.__noReload") is True
    assert Comment.objects.filter(body="한 번만").count() == 1


# --- Without JavaScript -----------------------------------------------------------------------


def test_without_javascript_a_learner_comments_replies_flags_and_subscribes(no_js, sign_in, lesson):
    page = no_js
    learner = sign_in(page, UserFactory())
    other = CommentFactory(lesson=lesson, body="먼저 남긴 글")
    page.goto(lesson.get_absolute_url())

    # a comment, from the page "Write a comment" leads to
    page.get_by_role("link", name="댓글 쓰기").click()
    page.get_by_label("내 댓글").fill("스크립트 없이 남겨요")
    page.get_by_role("button", name="댓글 남기기").click()
    mine = Comment.objects.get(body="스크립트 없이 남겨요")
    assert page.url.endswith(f"#comment-{mine.pk}") and mine.author == learner
    assert page.locator(f"#comment-{mine.pk}").is_visible()

    # a reply
    page.locator(f"#comment-{other.pk} a[data-action=reply]").click()
    page.get_by_label("내 답글").fill("답글도 돼요")
    page.get_by_role("button", name="답글 남기기").click()
    reply = Comment.objects.get(body="답글도 돼요")
    assert reply.parent == other and page.url.endswith(f"#comment-{reply.pk}")

    # a flag, with a reason chosen (none is chosen in advance)
    page.locator(f"#comment-{other.pk} a[data-action=flag]").click()
    reason = page.get_by_label("관리자가 왜 살펴봐야 하나요?")
    assert reason.input_value() == ""
    reason.select_option("off_topic")
    page.get_by_role("button", name="댓글 신고").click()
    assert CommentFlag.objects.get().reason == "off_topic"
    # the lesson page is everyone's: a page of its own thanks them and leads back
    assert page.locator("h1").inner_text() == "고마워요. 관리자가 살펴볼게요."
    page.get_by_role("link", name="레슨으로 돌아가기").click()
    assert page.url.endswith(f"#comment-{other.pk}")

    # the 🔔 (on since the first comment): off
    page.get_by_role("link", name="답글 알림 설정").click()
    page.get_by_role("button", name="답글 알림 끄기").click()
    assert page.locator("h1").inner_text() == "이 레슨의 답글 알림을 껐어요."
    assert not ReplySubscription.objects.get(user=learner, lesson=lesson).active
    page.get_by_role("link", name="레슨으로 돌아가기").click()
    assert page.url.endswith("#comments")


def test_without_javascript_a_comment_written_as_the_session_expired_survives_sign_in(
    no_js, sign_in, lesson
):
    from importlib import import_module

    from allauth.account.models import EmailAddress
    from django.conf import settings

    page = no_js
    learner = sign_in(page, UserFactory(email="ada@example.com"))
    EmailAddress.objects.create(user=learner, email=learner.email, verified=True, primary=True)
    page.goto(lesson.get_absolute_url())
    page.get_by_role("link", name="댓글 쓰기").click()
    page.get_by_label("내 댓글").fill("세션이 끝나도 남아요")

    # given the session ends on the server while the learner writes
    session = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    import_module(settings.SESSION_ENGINE).SessionStore(session["value"]).delete()

    # when they post, they are sent to sign in, told their comment is kept
    page.get_by_role("button", name="댓글 남기기").click()
    page.wait_for_url("**/accounts/login/?next=**")
    expect(page.get_by_text("댓글은 보관해 두었어요.", exact=False)).to_be_visible()
    assert not Comment.objects.exists()
    page.locator("#id_login").fill("ada@example.com")
    page.locator("#id_password").fill("correct horse battery staple")
    page.locator("#id_password").press("Enter")

    # then the form holds their words, not yet posted, and posting it is one press
    expect(page.get_by_label("내 댓글")).to_have_value("세션이 끝나도 남아요")
    assert not Comment.objects.exists()
    page.get_by_role("button", name="댓글 남기기").click()
    mine = Comment.objects.get(body="세션이 끝나도 남아요")
    assert mine.author == learner and page.url.endswith(f"#comment-{mine.pk}")


def test_without_javascript_a_learner_marks_the_lesson_complete(no_js, sign_in, lesson):
    learner = sign_in(no_js, UserFactory())
    no_js.goto(lesson.get_absolute_url())

    no_js.get_by_role("button", name="완료로 표시").click()
    no_js.locator("main").get_by_role("button", name="완료로 표시").click()

    # a page of its own says it is done (the lesson page is everyone's) and leads back
    assert no_js.locator("h1").inner_text() == "이 레슨을 완료했어요."
    assert LessonCompletion.objects.filter(learner=learner, lesson=lesson).exists()
    no_js.get_by_role("link", name="레슨으로 돌아가기").click()
    assert no_js.url.endswith(f"{lesson.get_absolute_url()}#progress")


def test_without_javascript_a_visitor_is_sent_to_sign_in_and_back(no_js, lesson):
    no_js.goto(lesson.get_absolute_url())

    no_js.get_by_role("link", name="댓글 쓰기").click()

    assert "/accounts/login/?next=" in no_js.url
    assert no_js.locator("input[name=password]").is_visible()


def test_without_javascript_a_visitor_reports_a_problem(no_js, lesson):
    no_js.goto(lesson.get_absolute_url())

    no_js.locator(".stream-report summary").click()
    no_js.get_by_role("link", name="신고 양식 열기").click()
    no_js.get_by_label("내용 오류").check()
    no_js.get_by_label("무엇이 잘못됐나요?").fill("스크립트 없이 신고해요.")
    no_js.get_by_role("button", name="신고 보내기").click()

    assert ProblemReport.objects.get().message == "스크립트 없이 신고해요."
    no_js.get_by_role("link", name="레슨으로 돌아가기").click()
    assert no_js.url.endswith(lesson.get_absolute_url())


# --- Nothing moves; screenshots -----------------------------------------------------------------

DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.mark.parametrize("who", ["anonymous", "signed-in"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_viewers_part_arrives_without_moving_the_page(
    who, width, page, phone_page, sign_in, demo, screenshot, assert_accessible
):
    current = page if width == "desktop" else phone_page
    current.add_init_script(RECORD_SHIFTS)
    if who == "signed-in":
        learner = sign_in(current, UserFactory(username="mina", first_name="Mina"))
        _complete(learner, "llama")

    current.goto(DEMO_LESSON)
    if who == "signed-in":
        wait_for_viewer(current, "Mina")
        expect(current.get_by_role("button", name="✓ 완료")).to_be_visible()
    current.wait_for_load_state("networkidle")

    shifts = current.evaluate("window.__shifts")
    assert sum(shifts) < 0.01, shifts
    assert current.evaluate("document.documentElement.scrollWidth") <= (
        360 if width == "phone" else 1280
    )
    name = f"lesson-{width}" + ("" if who == "anonymous" else "-signed-in")
    screenshot(current, name, full_page=False)
    if os.environ.get("STREAM_DOCS_SCREENSHOTS"):  # docs/screenshots: the page's top 1500 px
        height = 1500 if width == "desktop" else 750
        clip = {"x": 0, "y": 0, "width": 1280 if width == "desktop" else 360, "height": height}
        current.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"), full_page=True, clip=clip)
    assert_accessible(current)
    assert current.errors == []
