"""The comment section and report line on the lesson page, its forms without JavaScript and
with it (fragment JSON), the notifications page and the unsubscribe page."""

import re
from html import unescape

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from comments.conf import comments_settings
from comments.emails import unsubscribe_token_make
from comments.models import (
    Comment,
    CommentFlag,
    CommentSettings,
    CommentStatus,
    Notification,
    NotificationSettings,
    ProblemReport,
    ReplySubscription,
)
from lessons.caching import page_cache
from lessons.models import Status
from tests.comments.helpers import comments_bulk_create
from tests.factories import (
    CommentFactory,
    LessonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FRAGMENT = {"HTTP_X_STREAM_FRAGMENT": "1"}


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def section_html(html: str) -> str:
    start = html.index('<section class="stream-comments"')
    return html[start : html.index("</section>", start)]


def outside_templates(html: str) -> str:
    """What the page shows before its script adds the viewer's parts from its <template>s."""
    return re.sub(r"<template\b.*?</template>", "", html, flags=re.S)


def report_html(html: str) -> str:
    start = html.index('<section class="stream-report"')
    return html[start : html.index("</section>", start)]


# --- Reads as the reference -------------------------------------------------------------------


def test_anonymous_visitor_sees_the_reference_section_in_korean(client, lesson):
    html = client.get(lesson.get_absolute_url()).content.decode()

    comments = section_html(html)
    assert "data-comments-count>댓글 0</h2>" in comments
    assert (
        '<button type="button" class="stream-toggle" disabled>🔔 답글 알림 (로그인 필요)</button>'
        in comments
    )
    login = f"/accounts/login/?next={lesson.get_absolute_url().replace('/', '%2F')}%23comments"
    assert f'<a class="button" href="{login}">로그인</a>' in comments
    assert "<span>댓글을 남기려면 로그인해 주세요.</span>" in comments
    assert ">아직 댓글이 없어요. 첫 댓글을 남겨보세요.</p>" in comments
    assert "<textarea" not in outside_templates(comments)
    # without JavaScript, writing a comment starts on a page of its own
    write = f'<a href="/comments/lessons/{lesson.pk}/write/">댓글 쓰기</a>'
    assert f'<noscript><p class="stream-comments__write">{write}' in comments
    summary = re.search(r"<summary[^>]*>(.*?)</summary>", report_html(html), re.S)[1]
    assert text_of(summary) == "이 페이지에서 버그를 발견하셨거나 피드백이 있으세요? 문제 신고"


def test_anonymous_visitor_sees_the_section_in_english_when_the_browser_asks(client, lesson):
    with translation.override("en"):
        url = lesson.get_absolute_url()  # the demo puts the language in the address
    html = client.get(url).content.decode()

    comments = text_of(outside_templates(section_html(html)))
    assert comments.startswith(
        "Comments 0 🔔 Reply notifications (login required) Reply notification settings Sign in"
    )
    assert "Please sign in to leave a comment." in comments
    assert "No comments yet. Be the first to comment." in comments
    summary = re.search(r"<summary[^>]*>(.*?)</summary>", report_html(html), re.S)[1]
    assert text_of(summary) == "Found a bug on this page or have feedback? Report a problem"


def test_report_form_offers_the_lessons_sections_and_a_hidden_honeypot(client, lesson):
    report = report_html(client.get(lesson.get_absolute_url()).content.decode())

    assert '<option value="llama-3-2024년-4월">Llama 3 (2024년 4월)</option>' in report
    assert '<option value="details">Details</option>' in report
    assert 'name="contact_email"' in report
    assert '<p class="stream-hp" data-report-visitor-only>' in report and 'name="website"' in report
    # the form waits in a template for the script; without it the report page has it
    assert 'name="contact_email"' not in outside_templates(report)
    assert f'<a href="/comments/lessons/{lesson.pk}/report/">' in report


def test_the_signed_in_parts_wait_in_templates_for_the_script(client, lesson, learner):
    # given a signed-in learner: the section is the visitor's (comments.js upgrades it from
    # the viewer endpoint)
    client.force_login(learner)

    comments = section_html(client.get(lesson.get_absolute_url()).content.decode())

    shown = outside_templates(comments)
    assert "로그인 필요" in shown and "댓글을 남기려면" in shown and "<textarea" not in shown
    form = re.search(r"<template data-comment-form-template>(.*?)</template>", comments, re.S)[1]
    assert 'data-stream-form="post"' in form and "<textarea" in form
    toggle = re.search(r"<template data-subscription-template>(.*?)</template>", comments, re.S)[1]
    assert 'aria-pressed="false">🔔 답글 알림</button>' in toggle
    assert "csrfmiddlewaretoken" not in comments


def test_count_and_markers(client, lesson, learner, other_learner, staff):
    # given a thread with an instructor's reply, an edited reply and an older comment
    old = CommentFactory(lesson=lesson, author=learner, body="Old **one**")
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=2))
    lesson.body += "\n\nA new paragraph."
    lesson.save()
    staff_reply = CommentFactory(parent=old, author=staff, body="From the instructor")
    edited = CommentFactory(parent=old, author=other_learner, edited_at=timezone.now())
    CommentFactory(lesson=lesson, status=CommentStatus.HIDDEN)

    html = section_html(client.get(lesson.get_absolute_url()).content.decode())

    assert "댓글 3" in html
    old_html = html[html.index(f'id="comment-{old.pk}"') : html.index(f"thread-{staff_reply.pk}")]
    assert "이 레슨의 이전 버전에 남긴 댓글" in old_html
    assert "<p>Old <strong>one</strong></p>" in old_html
    assert f'<a class="stream-comment__time" href="/comments/{old.pk}/"' in old_html
    # the date and time written out (the page may stay cached for long); comments.js shows
    # "2일 전" (tests/browser/test_comments.py)
    shown = timezone.localtime(timezone.now() - timezone.timedelta(days=2)).date()
    written = re.search(
        r'<time datetime="([^"]+)" title="[^"]+" data-relative>([^<]+)</time>', old_html
    )
    assert written and written[1].startswith(shown.isoformat())
    assert str(shown.year) in written[2] and "전" not in written[2]
    staff_html = html[html.index(f"comment-{staff_reply.pk}") : html.index(f"thread-{edited.pk}")]
    assert '<span class="badge badge--instructor">강사</span>' in staff_html
    assert "이전 버전" not in staff_html
    assert "수정됨" in html[html.index(f'id="comment-{edited.pk}"') :]


def test_author_controls_are_one_template_each_not_on_the_comments(
    client, lesson, learner, other_learner
):
    # given the learner's own comment and someone else's, seen by the learner
    mine = CommentFactory(lesson=lesson, author=learner)
    theirs = CommentFactory(lesson=lesson, author=other_learner)
    client.force_login(learner)

    html = section_html(client.get(lesson.get_absolute_url()).content.decode())

    # then both read as anyone sees them (comments.js adds edit and delete to the learner's own
    # from the viewer endpoint), and each control is in the section once, naming comment 0
    shown = outside_templates(html)
    for comment in (mine, theirs):
        assert f'href="/comments/{comment.pk}/flag/"' in shown
        assert f"/comments/{comment.pk}/edit/" not in html
        assert f"/comments/{comment.pk}/delete/" not in html
        assert f"/comments/{comment.pk}/hide/" not in html
    for action in ("edit", "delete", "hide"):
        assert html.count(f'action="/comments/0/{action}/"') == 1


def test_anonymous_visitors_see_comments_but_no_controls(client, lesson):
    comment = CommentFactory(lesson=lesson)

    html = section_html(client.get(lesson.get_absolute_url()).content.decode())

    assert f'id="comment-{comment.pk}"' in html
    assert "<form" not in outside_templates(html) and "<details" not in outside_templates(html)


def test_pending_comment_shows_to_its_author_only(client, lesson, learner, other_learner):
    pending = CommentFactory(lesson=lesson, author=learner, status=CommentStatus.PENDING)

    client.force_login(learner)
    mine = section_html(client.get(lesson.get_absolute_url()).content.decode())
    client.force_login(other_learner)
    theirs = section_html(client.get(lesson.get_absolute_url()).content.decode())

    # the shared page shows it to nobody: the viewer endpoint hands it to its author
    assert f'id="comment-{pending.pk}"' not in mine
    assert f'id="comment-{pending.pk}"' not in theirs
    assert "댓글 0" in mine and "댓글 0" in theirs


def test_a_hidden_comment_vanishes_from_the_page_for_everyone(client, lesson, learner, staff):
    # given a hidden comment (staff find it in the admin's moderation queue, not on the page)
    hidden = CommentFactory(lesson=lesson, body="Rude words", status=CommentStatus.HIDDEN)

    client.force_login(learner)
    learners_view = section_html(client.get(lesson.get_absolute_url()).content.decode())
    client.force_login(staff)
    staff_view = section_html(client.get(lesson.get_absolute_url()).content.decode())

    assert "Rude words" not in learners_view and f'id="comment-{hidden.pk}"' not in learners_view
    assert staff_view == learners_view


def test_deleted_comment_reads_deleted_while_replies_hang_under_it(client, lesson):
    parent = CommentFactory(lesson=lesson, body="Secret parent", status=CommentStatus.REMOVED)
    reply = CommentFactory(parent=parent, body="Still here")
    lonely = CommentFactory(lesson=lesson, body="Lonely", status=CommentStatus.REMOVED)

    html = section_html(client.get(lesson.get_absolute_url()).content.decode())

    assert "Secret parent" not in html
    assert "삭제된 댓글이에요." in html and "Still here" in html
    assert html.index(f'id="comment-{parent.pk}"') < html.index(f'id="comment-{reply.pk}"')
    assert f'id="comment-{lonely.pk}"' not in html and "Lonely" not in html


def test_closed_lesson_says_so_and_shows_no_form(client, lesson, learner):
    CommentSettings.objects.create(course=lesson.course, comments_open=False)
    CommentFactory(lesson=lesson)
    client.force_login(learner)

    html = section_html(client.get(lesson.get_absolute_url()).content.decode())

    assert "이 레슨은 댓글을 닫았어요." in html
    assert 'data-stream-form="post"' not in html and 'data-stream-form="reply"' not in html


def test_lesson_setting_wins_over_its_course(client, lesson, learner):
    CommentSettings.objects.create(course=lesson.course, comments_open=False)
    CommentSettings.objects.create(lesson=lesson, comments_open=True)
    client.force_login(learner)

    html = section_html(client.get(lesson.get_absolute_url()).content.decode())

    assert 'data-stream-form="post"' in html


def test_pages_of_threads_never_split_a_thread(client, lesson, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_PER_PAGE": 2}
    threads = [CommentFactory(lesson=lesson) for _ in range(5)]
    replies = [CommentFactory(parent=threads[1]), CommentFactory(parent=threads[2])]
    deep = CommentFactory(parent=replies[0])

    first = section_html(client.get(lesson.get_absolute_url()).content.decode())
    second = section_html(
        client.get(lesson.get_absolute_url(), {"comments_page": 2}).content.decode()
    )
    # past the end: sent to the last page
    past = client.get(lesson.get_absolute_url(), {"comments_page": 9})
    assert past["Location"] == f"{lesson.get_absolute_url()}?comments_page=3"
    third = section_html(client.get(past["Location"]).content.decode())

    ids = lambda html: [int(i) for i in re.findall(r'id="comment-(\d+)"', html)]  # noqa: E731
    assert ids(first) == [threads[0].pk, threads[1].pk, replies[0].pk, deep.pk]
    assert ids(second) == [threads[2].pk, replies[1].pk, threads[3].pk]
    assert ids(third) == [threads[4].pk]
    assert "1 / 3 페이지" in first and 'href="?comments_page=2#comments"' in first


def test_newest_first_order(client, lesson, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_ORDER": "newest"}
    first, second = CommentFactory(lesson=lesson), CommentFactory(lesson=lesson)

    html = section_html(client.get(lesson.get_absolute_url()).content.decode())

    assert html.index(f'id="comment-{second.pk}"') < html.index(f'id="comment-{first.pk}"')


# --- Query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("total", [0, 10, 1000])
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_lesson_page_query_count_is_the_same_for_any_number_of_comments(
    client, django_assert_num_queries, comments_slots_only, lesson, total, signed_in
):
    # given a lesson with N comments in 60 threads (more than one page), nested to depth 3,
    # from many authors, with flags (some by the viewer) and hidden, deleted, pending ones
    viewer = UserFactory() if signed_in else None
    comments_bulk_create(lesson=lesson, total=total, threads=60, viewer=viewer)
    if viewer is not None:
        client.force_login(viewer)
        client.get("/")  # the first answer after signing in gives the browser its hint
    page_cache().clear()

    # when the page is opened, then it costs exactly, for anyone (the page is everyone's):
    #   the lesson's status and content versions (this first view is a miss);
    #   lessons: the lesson with its course, tags, links, number/total, previous, next (6),
    #   and the site's prerequisites, read once per site version and kept under it (3);
    #   comments: section state (count, threads, open), the page of threads with their marks,
    #   and the replies of the threads not kept yet (none to read on a page with no threads).
    with django_assert_num_queries(13 if total else 12):
        response = client.get(lesson.get_absolute_url())

    # and opened again, the kept page: the versions only
    with django_assert_num_queries(1):
        again = client.get(lesson.get_absolute_url())
    assert again.content == response.content

    assert response.status_code == 200
    html = response.content.decode()
    shown = len(re.findall(r'<article class="stream-comment', html))
    assert (shown > 300) if total == 1000 else (shown > 0) == bool(total)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_page_query_count_with_every_app_installed_does_not_grow(
    client, django_assert_num_queries, lesson, signed_in, django_user_model
):
    # given the page as the demo site serves it (every app's slots)
    viewer = UserFactory() if signed_in else None
    if viewer:
        client.force_login(viewer)
        client.get("/")  # the first answer after signing in gives the browser its hint
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        page_cache().clear()  # what rendering costs, not what the cache saves
        with CaptureQueriesContext(connection) as queries:
            assert client.get(lesson.get_absolute_url()).status_code == 200
        return len(queries)

    empty = count()
    comments_bulk_create(lesson=lesson, total=10, threads=4, viewer=viewer)
    ten = count()
    comments_bulk_create(lesson=lesson, total=990, threads=60, viewer=viewer, seed=3)
    thousand = count()

    # (a page with no thread reads no replies: one query fewer)
    assert empty + 1 == ten == thousand


# --- Writing without JavaScript ------------------------------------------------------------------


def post_url(lesson):
    return reverse("stream_comments:post", kwargs={"lesson_id": lesson.pk})


def test_posting_redirects_back_to_the_new_comments_anchor(client, lesson, learner):
    client.force_login(learner)

    response = client.post(post_url(lesson), {"body": "First **post**"})

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{lesson.get_absolute_url()}#comment-{comment.pk}"
    assert comment.author == learner and comment.body_html == "<p>First <strong>post</strong></p>"
    # the shared page shows the new comment at that anchor; no message waits for a later page
    page = client.get(response["Location"]).content.decode()
    assert f'id="comment-{comment.pk}"' in page
    assert "댓글을 남겼어요." not in client.get("/me/notifications/").content.decode()


def test_a_comment_awaiting_moderation_is_answered_with_a_page_of_its_own(
    client, lesson, learner, settings
):
    settings.STREAM = {**settings.STREAM, "COMMENTS_MODERATION": "pre"}
    client.force_login(learner)

    response = client.post(post_url(lesson), {"body": "Please approve me"})

    assert Comment.objects.get().status == CommentStatus.PENDING
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    from django.utils import translation

    with translation.override("ko"):
        thanks = translation.gettext(
            "Thanks! Your comment will appear once a moderator approves it."
        )
    assert thanks in text_of(response.content.decode())


def test_reply_lands_on_the_page_that_shows_its_thread(client, lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_PER_PAGE": 1}
    CommentFactory(lesson=lesson)
    second = CommentFactory(lesson=lesson)
    client.force_login(learner)

    response = client.post(post_url(lesson), {"body": "A reply", "parent": second.pk})

    reply = Comment.objects.get(body="A reply")
    assert reply.parent == second and reply.root == second and reply.depth == 1
    assert response["Location"] == (
        f"{lesson.get_absolute_url()}?comments_page=2#comment-{reply.pk}"
    )


def test_an_invalid_post_shows_the_form_again_with_the_text_kept(client, lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_MAX_LENGTH": 10}
    client.force_login(learner)

    response = client.post(post_url(lesson), {"body": "far too long for this"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "댓글은 최대 10자까지 쓸 수 있어요 (지금 21자)." in html
    assert ">far too long for this</textarea>" in html
    assert not Comment.objects.exists()


def test_edit_and_delete_redirect_back_and_flag_says_thanks(client, lesson, learner, other_learner):
    mine = CommentFactory(lesson=lesson, author=learner)
    theirs = CommentFactory(lesson=lesson, author=other_learner)
    client.force_login(learner)

    edited = client.post(reverse("stream_comments:edit", args=[mine.pk]), {"body": "Better"})
    flagged = client.post(reverse("stream_comments:flag", args=[theirs.pk]), {"reason": "spam"})
    deleted = client.post(reverse("stream_comments:delete", args=[mine.pk]))

    assert edited["Location"].endswith(f"#comment-{mine.pk}")
    assert flagged.status_code == 200 and f"#comment-{theirs.pk}" in flagged.content.decode()
    assert deleted["Location"] == f"{lesson.get_absolute_url()}#comments"
    mine.refresh_from_db()
    assert mine.body == "Better" and mine.edited_at and mine.status == CommentStatus.REMOVED
    assert CommentFlag.objects.get().reason == "spam"


def test_subscription_toggle_without_javascript(client, lesson, learner):
    client.force_login(learner)
    url = reverse("stream_comments:subscription", args=[lesson.pk])

    on = client.post(url, {"active": "1"})
    assert ReplySubscription.objects.get(user=learner, lesson=lesson).active
    html = client.get(url).content.decode()  # the 🔔's page of its own
    off = client.post(url, {"active": "0"})

    assert on.status_code == 200 and off.status_code == 200
    assert f'href="{lesson.get_absolute_url()}#comments"' in on.content.decode()
    assert 'name="active" value="0"' in html and "답글 알림 끄기" in html
    assert not ReplySubscription.objects.get(user=learner, lesson=lesson).active


def test_permalink_redirects_to_the_comment_on_its_page(client, lesson, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_PER_PAGE": 1}
    CommentFactory(lesson=lesson)
    thread = CommentFactory(lesson=lesson)
    reply = CommentFactory(parent=thread)

    response = client.get(reverse("stream_comments:permalink", args=[reply.pk]))

    assert response["Location"] == (
        f"{lesson.get_absolute_url()}?comments_page=2#comment-{reply.pk}"
    )


def test_permalink_of_a_hidden_comment_or_a_draft_lesson_is_404(client, lesson):
    hidden = CommentFactory(lesson=lesson, status=CommentStatus.HIDDEN)
    draft = CommentFactory(lesson=LessonFactory(status=Status.DRAFT))

    assert client.get(reverse("stream_comments:permalink", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("stream_comments:permalink", args=[draft.pk])).status_code == 404


def test_comments_on_a_draft_lesson_cannot_be_posted_by_learners(client, learner):
    draft = LessonFactory(status=Status.DRAFT)
    client.force_login(learner)

    assert client.post(post_url(draft), {"body": "hi"}).status_code == 404
    assert not Comment.objects.exists()


def test_get_on_a_write_url_is_refused(client, lesson, learner):
    client.force_login(learner)
    assert client.get(post_url(lesson)).status_code == 405


# --- Writing with JavaScript (fragment JSON) --------------------------------------------------


def test_fragment_post_answers_with_the_rendered_thread(client, lesson, learner):
    client.force_login(learner)

    response = client.post(post_url(lesson), {"body": "Hello <b>you</b>"}, **FRAGMENT)

    data = response.json()
    comment = Comment.objects.get()
    assert response.status_code == 201
    assert data["ok"] and data["id"] == comment.pk and data["parent"] is None
    assert data["html"].startswith(f'<li class="stream-thread" id="thread-{comment.pk}">')
    assert "&lt;b&gt;you&lt;/b&gt;" in data["html"]
    assert data["count_label"] == "댓글 1"
    assert data["message"] == "댓글을 남겼어요."


def test_fragment_reply_names_the_parent_it_attached_to(client, lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_MAX_DEPTH": 1}
    top = CommentFactory(lesson=lesson)
    reply = CommentFactory(parent=top)
    client.force_login(learner)

    data = client.post(post_url(lesson), {"body": "deep", "parent": reply.pk}, **FRAGMENT).json()

    assert data["parent"] == top.pk


def test_fragment_edit_and_errors(client, lesson, learner):
    mine = CommentFactory(lesson=lesson, author=learner)
    client.force_login(learner)
    url = reverse("stream_comments:edit", args=[mine.pk])

    done = client.post(url, {"body": "*changed*"}, **FRAGMENT)
    empty = client.post(url, {"body": "   "}, **FRAGMENT)

    assert done.status_code == 200 and "<em>changed</em>" in done.json()["html"]
    assert done.json()["html"].lstrip().startswith('<article class="stream-comment')
    assert empty.status_code == 400
    assert empty.json() == {"ok": False, "errors": ["먼저 내용을 써 주세요."]}


def test_fragment_refusals_are_json(client, lesson, learner, other_learner):
    theirs = CommentFactory(lesson=lesson, author=other_learner)

    anonymous = client.post(post_url(lesson), {"body": "x"}, **FRAGMENT)
    client.force_login(learner)
    edit_url = reverse("stream_comments:edit", args=[theirs.pk])
    not_mine = client.post(edit_url, {"body": "x"}, **FRAGMENT)

    assert anonymous.status_code == 403 and anonymous.json()["errors"]
    assert not_mine.status_code == 403
    assert not_mine.json()["errors"] == ["자기 댓글만 수정할 수 있어요."]


# --- Authorization matrix (page) -----------------------------------------------------------------


@pytest.fixture
def world(lesson, learner, other_learner, staff):
    """The author's comment, a notification for the author and the author's report."""
    comment = CommentFactory(lesson=lesson, author=learner, body="Original")
    reply = CommentFactory(parent=comment, author=other_learner)
    notification = Notification.objects.create(
        recipient=learner, kind="reply", lesson=lesson, comment=reply
    )
    report = ProblemReport.objects.create(
        lesson=lesson,
        lesson_revision=1,
        lesson_updated_at=lesson.content_updated_at,
        kind="bug",
        message="Typo",
        reporter=learner,
    )
    return {
        "lesson": lesson,
        "comment": comment,
        "notification": notification,
        "report": report,
        "users": {"anonymous": None, "other": other_learner, "author": learner, "staff": staff},
    }


def _do_post(client, world):
    client.post(post_url(world["lesson"]), {"body": "New comment"})
    return Comment.objects.filter(body="New comment").exists()


def _do_reply(client, world):
    client.post(post_url(world["lesson"]), {"body": "New reply", "parent": world["comment"].pk})
    return Comment.objects.filter(body="New reply", parent=world["comment"]).exists()


def _do_edit(client, world):
    client.post(reverse("stream_comments:edit", args=[world["comment"].pk]), {"body": "Changed"})
    return Comment.objects.get(pk=world["comment"].pk).body == "Changed"


def _do_delete(client, world):
    client.post(reverse("stream_comments:delete", args=[world["comment"].pk]))
    return Comment.objects.get(pk=world["comment"].pk).status == CommentStatus.REMOVED


def _do_flag(client, world):
    client.post(reverse("stream_comments:flag", args=[world["comment"].pk]), {"reason": "spam"})
    return CommentFlag.objects.filter(comment=world["comment"]).exists()


def _do_subscribe(client, world):
    client.post(reverse("stream_comments:subscription", args=[world["lesson"].pk]), {"active": "1"})
    return ReplySubscription.objects.filter(lesson=world["lesson"], active=True).exists()


def _do_mark_read(client, world):
    client.post(
        reverse("stream_comments:notifications_read"),
        {"notification": world["notification"].pk},
    )
    return Notification.objects.get(pk=world["notification"].pk).read_at is not None


def _do_resolve(client, world):
    url = reverse("admin:stream_comments_problemreport_changelist")
    client.post(url, {"action": "mark_resolved", "_selected_action": [world["report"].pk]})
    return ProblemReport.objects.get(pk=world["report"].pk).status == "resolved"


WRITES = {
    "post": (_do_post, {"anonymous": False, "other": True, "author": True, "staff": True}),
    "reply": (_do_reply, {"anonymous": False, "other": True, "author": True, "staff": True}),
    "edit": (_do_edit, {"anonymous": False, "other": False, "author": True, "staff": False}),
    "delete": (_do_delete, {"anonymous": False, "other": False, "author": True, "staff": True}),
    "flag": (_do_flag, {"anonymous": False, "other": True, "author": False, "staff": True}),
    "subscribe": (
        _do_subscribe,
        {"anonymous": False, "other": True, "author": True, "staff": True},
    ),
    "mark read": (
        _do_mark_read,
        {"anonymous": False, "other": False, "author": True, "staff": False},
    ),
    "resolve report": (
        _do_resolve,
        {"anonymous": False, "other": False, "author": False, "staff": True},
    ),
}


@pytest.mark.parametrize("who", ["anonymous", "other", "author", "staff"])
@pytest.mark.parametrize("write", list(WRITES))
def test_authorization_matrix_on_the_page(client, world, write, who):
    # given the author's comment, notification and report, and `who` signed in (or not)
    ReplySubscription.objects.all().delete()
    action, allowed = WRITES[write]
    user = world["users"][who]
    if user is not None:
        client.force_login(user)

    # when `who` tries the write, then it happened exactly when allowed
    assert action(client, world) is allowed[who]


def test_refused_writes_by_visitors_send_them_to_sign_in(client, world):
    response = client.post(reverse("stream_comments:delete", args=[world["comment"].pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


# --- Reports -----------------------------------------------------------------------------------


def test_anonymous_report_is_filed_and_the_reporter_thanked(client, lesson):
    url = reverse("stream_comments:report", args=[lesson.pk])

    response = client.post(
        url,
        {
            "kind": "content",
            "message": "The date is wrong",
            "section": "llama-3-2024년-4월",
            "contact_email": "reader@example.com",
            "website": "",
        },
        HTTP_USER_AGENT="TestBrowser/1.0",
        HTTP_REFERER=f"http://testserver{lesson.get_absolute_url()}",
    )

    report = ProblemReport.objects.get()
    # a page of its own thanks the reporter and leads back (the lesson page shows no messages)
    assert response.status_code == 200
    assert f'href="{lesson.get_absolute_url()}"' in response.content.decode()
    assert (report.kind, report.section, report.contact_email, report.reporter) == (
        "content",
        "llama-3-2024년-4월",
        "reader@example.com",
        None,
    )
    assert report.lesson_revision == lesson.revision
    assert report.user_agent == "TestBrowser/1.0"
    assert report.get_lesson_url() == f"{lesson.get_absolute_url()}#llama-3-2024년-4월"
    assert "고마워요! 신고가 강사에게 전달됐어요." in response.content.decode()


def test_honeypot_report_is_thanked_and_dropped(client, lesson):
    url = reverse("stream_comments:report", args=[lesson.pk])

    response = client.post(url, {"kind": "bug", "message": "buy pills", "website": "http://x"})

    # thanked like a real report (a page of its own), and nothing is filed
    assert response.status_code == 200 and not ProblemReport.objects.exists()


def test_invalid_report_shows_its_form_again(client, lesson):
    url = reverse("stream_comments:report", args=[lesson.pk])

    response = client.post(url, {"kind": "bug", "message": "", "section": "nope"})

    assert response.status_code == 400
    assert not ProblemReport.objects.exists()
    assert 'name="message"' in response.content.decode()


def test_signed_in_reporter_is_kept_without_contact_email(client, lesson, learner):
    client.force_login(learner)
    url = reverse("stream_comments:report", args=[lesson.pk])

    client.post(url, {"kind": "bug", "message": "Broken", "contact_email": "x@example.com"})

    report = ProblemReport.objects.get()
    assert report.reporter == learner and report.contact_email == ""


# --- Notifications page and header ---------------------------------------------------------------


def test_notifications_page_needs_sign_in(client):
    response = client.get(reverse("stream_comments:notifications"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_header_shows_unread_count_and_the_page_lists_replies(client, lesson, learner):
    parent = CommentFactory(lesson=lesson, author=learner)
    reply = CommentFactory(parent=parent, body="An answer")
    Notification.objects.create(recipient=learner, kind="reply", lesson=lesson, comment=reply)
    client.force_login(learner)

    def badge():
        # the header's links come from the viewer endpoint on every page
        nav = client.get("/api/v1/me/page/", {"lesson": lesson.pk}).json()["nav"]
        return next(item["badge"] for item in nav if item["url"] == "/me/notifications/")

    before = badge()
    html = client.get(reverse("stream_comments:notifications")).content.decode()
    client.post(reverse("stream_comments:notifications_read"))

    assert before == "1개 안 읽음"
    assert "An answer" in html and f'href="/comments/{reply.pk}/"' in html
    assert badge() is None


def test_notifications_about_hidden_replies_disappear(client, lesson, learner):
    reply = CommentFactory(parent=CommentFactory(lesson=lesson, author=learner))
    Notification.objects.create(recipient=learner, kind="reply", lesson=lesson, comment=reply)
    reply.status = CommentStatus.HIDDEN
    reply.save()
    client.force_login(learner)

    html = client.get(reverse("stream_comments:notifications")).content.decode()

    assert "아직 알림이 없어요." in html and "안 읽음" not in html


def test_learner_turns_reply_emails_off_and_on(client, learner):
    client.force_login(learner)
    url = reverse("stream_comments:notifications_email")

    client.post(url, {"email_replies": "0"})
    assert NotificationSettings.objects.get(user=learner).email_replies is False
    client.post(url, {"email_replies": "1"})
    assert NotificationSettings.objects.get(user=learner).email_replies is True


# --- Unsubscribe ---------------------------------------------------------------------------------


def test_unsubscribe_get_asks_and_post_turns_emails_off(client, learner):
    token = unsubscribe_token_make(user=learner)
    url = reverse("stream_comments:unsubscribe", args=[token])

    asked = client.get(url)
    assert asked.status_code == 200 and not NotificationSettings.objects.exists()
    done = client.post(url, {"List-Unsubscribe": "One-Click"})

    assert done.status_code == 200
    assert NotificationSettings.objects.get(user=learner).email_replies is False


def test_one_click_unsubscribe_works_without_csrf_token(learner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    url = reverse("stream_comments:unsubscribe", args=[unsubscribe_token_make(user=learner)])

    response = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert NotificationSettings.objects.get(user=learner).email_replies is False


@pytest.mark.parametrize("tamper", ["flip", "other-salt", "expired"])
def test_unsubscribe_rejects_tampered_and_expired_tokens(client, learner, tamper, settings):
    from django.core import signing

    token = unsubscribe_token_make(user=learner)
    if tamper == "flip":
        payload, rest = token.split(":", 1)
        token = signing.b64_encode(b'{"user":999,"purpose":"reply-emails"}').decode() + ":" + rest
    elif tamper == "other-salt":
        token = signing.dumps({"user": learner.pk, "purpose": "reply-emails"}, salt="elsewhere")
    else:
        settings.STREAM = {**settings.STREAM, "COMMENTS_UNSUBSCRIBE_MAX_AGE": -1}

    response = client.post(reverse("stream_comments:unsubscribe", args=[token]))

    assert response.status_code == 400
    assert not NotificationSettings.objects.exists()
    assert len(mail.outbox) == 0


def test_the_post_over_the_limit_is_refused_on_the_page_with_the_text_kept(
    client, lesson, learner, settings
):
    settings.STREAM = {**settings.STREAM, "COMMENTS_POST_LIMIT": 2}
    client.force_login(learner)
    for number in range(2):
        client.post(post_url(lesson), {"body": f"comment {number}"})

    page = client.post(post_url(lesson), {"body": "third, too soon"})
    script = client.post(post_url(lesson), {"body": "fourth"}, **FRAGMENT)

    assert page.status_code == 429
    assert "너무 빨리 쓰고 있어요." in page.content.decode()
    assert ">third, too soon</textarea>" in page.content.decode()
    assert script.status_code == 429 and "너무 빨리" in script.json()["errors"][0]
    assert Comment.objects.count() == 2


def test_system_checks_refuse_bad_settings(settings):
    from comments.checks import comments_settings_check

    assert comments_settings_check(None) == []
    settings.STREAM = {
        **settings.STREAM,
        "COMMENTS_MODERATION": "sometimes",
        "COMMENTS_ORDER": "random",
        "COMMENTS_PER_PAGE": 0,
    }
    ids = [error.id for error in comments_settings_check(None)]
    assert ids == ["stream_comments.E001", "stream_comments.E002", "stream_comments.E003"]


# --- Pages of their own: where the shared page's buttons lead without JavaScript --------------


def _form_pages(world):
    lesson, comment = world["lesson"], world["comment"]
    return {
        "write": reverse("stream_comments:write", args=[lesson.pk]),
        "reply": reverse("stream_comments:reply", args=[comment.pk]),
        "flag": reverse("stream_comments:flag", args=[comment.pk]),
        "edit": reverse("stream_comments:edit", args=[comment.pk]),
        "subscription": reverse("stream_comments:subscription", args=[lesson.pk]),
    }


# Who gets the form (200); the others are told why, with a link back to the lesson (403).
FORM_PAGE_OPEN_TO = {
    "write": {"other", "author", "staff"},
    "reply": {"other", "author", "staff"},
    "flag": {"other", "staff"},
    "edit": {"author"},
    "subscription": {"other", "author", "staff"},
}


@pytest.mark.parametrize("who", ["other", "author", "staff"])
@pytest.mark.parametrize("page", list(FORM_PAGE_OPEN_TO))
def test_form_pages_serve_who_may_use_them_with_their_own_token(client, world, page, who):
    # given `who` signed in
    client.force_login(world["users"][who])

    # when they open the page a button of the lesson page leads to without JavaScript
    response = client.get(_form_pages(world)[page])

    # then they get a form with their own token, kept by no shared cache, when they may use it
    assert "private" in response["Cache-Control"]
    if who in FORM_PAGE_OPEN_TO[page]:
        assert response.status_code == 200
        assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    else:
        assert response.status_code == 403
        assert f'href="{world["lesson"].get_absolute_url()}#comments"' in response.content.decode()


@pytest.mark.parametrize("page", list(FORM_PAGE_OPEN_TO))
def test_form_pages_send_visitors_to_sign_in_and_back_to_the_page(client, world, page):
    url = _form_pages(world)[page]

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_write_page_posts_a_comment(client, lesson, learner):
    client.force_login(learner)
    html = client.get(reverse("stream_comments:write", args=[lesson.pk])).content.decode()

    assert f'action="{post_url(lesson)}"' in html and "댓글 쓰기" in html
    response = client.post(post_url(lesson), {"body": "Without a script"})

    assert response.status_code == 302
    assert Comment.objects.get().body == "Without a script"


def test_the_form_pages_textarea_stops_at_the_longest_comment_as_the_lesson_page_does(
    client, lesson, learner
):
    # A learner typing past the limit on the page of its own lost the words to a refusal (or,
    # with an expired session, to the sign-in redirect); the lesson page's form stops them.
    comment = CommentFactory(lesson=lesson)
    client.force_login(learner)
    limit = comments_settings.COMMENTS_MAX_LENGTH

    for url in (
        reverse("stream_comments:write", args=[lesson.pk]),
        reverse("stream_comments:reply", args=[comment.pk]),
    ):
        html = client.get(url).content.decode()
        textarea = re.search(r"<textarea[^>]*>", html).group()
        assert f'maxlength="{limit}"' in textarea and "required" in textarea


def test_write_page_says_comments_are_closed(client, lesson, learner):
    CommentSettings.objects.create(lesson=lesson, comments_open=False)
    client.force_login(learner)

    response = client.get(reverse("stream_comments:write", args=[lesson.pk]), follow=True)

    assert "이 레슨은 댓글을 닫았어요." in response.content.decode()


def test_flag_page_preselects_no_reason(client, world):
    client.force_login(world["users"]["other"])

    html = client.get(_form_pages(world)["flag"]).content.decode()

    assert '<option value="" selected>' in html
    assert "selected" not in html.split('<option value="" selected>')[1].split("</select>")[0]


def test_edit_page_holds_the_authors_text_and_answers_the_script_with_it(client, world):
    client.force_login(world["users"]["author"])
    url = _form_pages(world)["edit"]

    page = client.get(url).content.decode()
    data = client.get(url, **FRAGMENT).json()

    assert ">Original</textarea>" in page
    assert data == {"ok": True, "id": world["comment"].pk, "body": "Original"}


def test_edit_text_is_refused_to_others_as_json(client, world):
    client.force_login(world["users"]["other"])

    response = client.get(_form_pages(world)["edit"], **FRAGMENT)

    assert response.status_code == 403 and response.json()["ok"] is False


def test_subscription_page_shows_the_setting_and_changes_it(client, lesson, learner):
    client.force_login(learner)
    url = reverse("stream_comments:subscription", args=[lesson.pk])

    off = client.get(url).content.decode()
    client.post(url, {"active": "1"})
    on = client.get(url).content.decode()

    assert "이 레슨의 답글 알림을 껐어요." in off
    assert 'name="active" value="1"' in off and "답글 알림 켜기" in off
    assert "이 레슨의 답글 알림을 켰어요." in on
    assert 'name="active" value="0"' in on and "답글 알림 끄기" in on


def test_report_page_is_open_to_visitors_and_asks_them_for_an_address(client, lesson, learner):
    url = reverse("stream_comments:report", args=[lesson.pk])

    visitor = client.get(url)
    client.force_login(learner)
    member = client.get(url)

    assert visitor.status_code == member.status_code == 200
    assert "private" in visitor["Cache-Control"]
    assert 'name="contact_email"' in visitor.content.decode()
    assert 'name="csrfmiddlewaretoken"' in visitor.content.decode()
    assert 'name="contact_email"' not in member.content.decode()


# --- Posting once -------------------------------------------------------------------------------


def test_a_post_sent_again_with_its_idempotency_key_is_saved_once(client, lesson, learner):
    # given a comment posted by the script with an idempotency key
    client.force_login(learner)
    form = {"body": "Only once", "idempotency_key": "0f8e1c2a-5d7b-4e3f-9a10-2b3c4d5e6f70"}
    first = client.post(post_url(lesson), form, **FRAGMENT)

    # when the same form arrives again (the browser posted it the plain way after the
    # connection dropped before the answer)
    again = client.post(post_url(lesson), form)

    # then one comment is saved and the second post lands on it
    comment = Comment.objects.get()
    assert first.status_code == 201 and first.json()["id"] == comment.pk
    assert again["Location"].endswith(f"#comment-{comment.pk}")


def test_posts_without_a_key_or_with_another_key_are_separate_comments(client, lesson, learner):
    client.force_login(learner)

    client.post(post_url(lesson), {"body": "Twice"})
    client.post(post_url(lesson), {"body": "Twice"})
    client.post(post_url(lesson), {"body": "Twice", "idempotency_key": "a1"})
    client.post(post_url(lesson), {"body": "Twice", "idempotency_key": "b2"})

    assert Comment.objects.count() == 4


def test_an_idempotency_key_is_the_authors_own(client, lesson, learner, other_learner):
    key = {"idempotency_key": "same-key"}
    client.force_login(learner)
    client.post(post_url(lesson), {"body": "Hers", **key})
    client.force_login(other_learner)
    client.post(post_url(lesson), {"body": "His", **key})

    assert sorted(Comment.objects.values_list("body", flat=True)) == ["Hers", "His"]


def test_the_post_answer_says_what_the_author_may_do(client, lesson, learner):
    client.force_login(learner)

    data = client.post(post_url(lesson), {"body": "Mine"}, **FRAGMENT).json()

    assert data["own"] == {"id": data["id"], "can_edit": True, "can_delete": True}
