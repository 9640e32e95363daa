"""The comments services: posting rules, moderation, notifications, emails, reports."""

import sys
import types
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import modify_settings

from comments import services
from comments.emails import plain_excerpt, unsubscribe_token_make, unsubscribe_token_user_id
from comments.exceptions import CommentsClosed, NotAllowed, RateLimited
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
from lessons.models import Status
from tests.factories import (
    CommentFactory,
    CommentFlagFactory,
    ProblemReportFactory,
    ReplySubscriptionFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_progress():
    """The progress hook replaced by a recorder (the progress app has its own tests)."""
    fake = types.SimpleNamespace(comment_posted_record=mock.Mock(return_value=[]))
    with mock.patch.dict(sys.modules, {"progress.services": fake}):
        yield fake.comment_posted_record


def post(lesson, author, body="Hello", **kwargs):
    return services.comment_post(lesson=lesson, author=author, body=body, **kwargs)


# --- Posting ----------------------------------------------------------------------------------


def test_posting_stores_rendered_html_and_subscribes_the_author(lesson, learner):
    comment = post(lesson, learner, "Use `torch.compile` and <script>alert(1)</script>")

    assert comment.status == CommentStatus.PUBLISHED and comment.depth == 0
    assert comment.root is None and comment.parent is None
    assert "<code>torch.compile</code>" in comment.body_html
    assert "<script>" not in comment.body_html and "&lt;script&gt;" in comment.body_html
    assert ReplySubscription.objects.get(user=learner, lesson=lesson).active


def test_posting_keeps_a_learners_choice_to_stay_unsubscribed(lesson, learner):
    ReplySubscriptionFactory(user=learner, lesson=lesson, active=False)

    post(lesson, learner)

    assert not ReplySubscription.objects.get(user=learner, lesson=lesson).active


def test_no_automatic_subscription_when_the_setting_is_off(lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_SUBSCRIBE_ON_POST": False}

    post(lesson, learner)

    assert not ReplySubscription.objects.exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ("   \n ", "먼저 내용을 써 주세요."),
        ("x" * 11, "댓글은 최대 10자까지 쓸 수 있어요 (지금 11자)."),
        ("nul\x00", "내용에 NUL 문자가 들어 있어요."),
    ],
)
def test_bad_bodies_are_refused_with_a_clear_message(lesson, learner, settings, body, message):
    settings.STREAM = {**settings.STREAM, "COMMENTS_MAX_LENGTH": 10}

    with pytest.raises(ValidationError) as error:
        post(lesson, learner, body)

    assert error.value.messages == [message]
    assert not Comment.objects.exists()


def test_anonymous_and_inactive_users_cannot_post(lesson, learner):
    from django.contrib.auth.models import AnonymousUser

    learner.is_active = False
    for user in (AnonymousUser(), learner, None):
        with pytest.raises(NotAllowed):
            post(lesson, user)
    assert not Comment.objects.exists()


def test_learners_cannot_post_on_a_draft_lesson_but_staff_can(lesson, learner, staff):
    lesson.status = Status.DRAFT
    lesson.save()

    with pytest.raises(NotAllowed):
        post(lesson, learner)
    assert post(lesson, staff).pk


def test_closed_lessons_refuse_comments_and_replies(lesson, learner):
    top = CommentFactory(lesson=lesson)
    CommentSettings.objects.create(lesson=lesson, comments_open=False)

    with pytest.raises(CommentsClosed, match="댓글을 닫았어요"):
        post(lesson, learner)
    with pytest.raises(CommentsClosed):
        post(lesson, learner, parent=top)
    assert Comment.objects.count() == 1


def test_reply_to_a_comment_of_another_lesson_or_a_hidden_one_is_refused(lesson, learner):
    elsewhere = CommentFactory()
    hidden = CommentFactory(lesson=lesson, status=CommentStatus.HIDDEN)

    with pytest.raises(NotAllowed):
        post(lesson, learner, parent=elsewhere)
    with pytest.raises(NotAllowed):
        post(lesson, learner, parent=hidden)


def test_depth_cap_attaches_deeper_replies_to_the_deepest_allowed_ancestor(lesson, learner):
    # given a chain down to the default cap (depth 3)
    chain = [CommentFactory(lesson=lesson)]
    for _ in range(3):
        chain.append(CommentFactory(parent=chain[-1]))
    assert [c.depth for c in chain] == [0, 1, 2, 3]

    # when a learner replies to the deepest comment
    reply = post(lesson, learner, parent=chain[3])

    # then it becomes that comment's sibling, at the cap
    assert reply.parent == chain[2] and reply.depth == 3 and reply.root == chain[0]


def test_a_lower_cap_applies_to_existing_deep_threads(lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_MAX_DEPTH": 1}
    top = CommentFactory(lesson=lesson)
    deep = CommentFactory(parent=CommentFactory(parent=top))

    reply = post(lesson, learner, parent=deep)

    assert reply.parent == top and reply.depth == 1


def test_posting_never_renumbers_other_comments(lesson, learner, django_assert_num_queries):
    top = CommentFactory(lesson=lesson)
    CommentFactory.create_batch(3, parent=top)

    post(lesson, learner, parent=top)

    # the reply is one insert; the rows already there keep their values
    assert sorted(Comment.objects.values_list("depth", flat=True)) == [0, 1, 1, 1, 1]


# --- Moderation modes -------------------------------------------------------------------------


def test_pre_moderation_holds_learners_comments_but_not_staff(lesson, learner, staff, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_MODERATION": "pre"}

    assert post(lesson, learner).status == CommentStatus.PENDING
    assert post(lesson, learner).status == CommentStatus.PENDING
    assert post(lesson, staff).status == CommentStatus.PUBLISHED


def test_first_comment_moderation_holds_only_until_one_is_approved(
    lesson, learner, staff, settings
):
    settings.STREAM = {**settings.STREAM, "COMMENTS_MODERATION": "first"}

    first = post(lesson, learner)
    second = post(lesson, learner)
    services.comment_approve(comment=first, user=staff)
    third = post(lesson, learner)

    assert (first.status, second.status) == (CommentStatus.PUBLISHED, CommentStatus.PENDING)
    assert third.status == CommentStatus.PUBLISHED


# --- Rate limits ------------------------------------------------------------------------------


def test_the_post_after_the_limit_is_refused_and_nothing_saved(lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_POST_LIMIT": 3, "COMMENTS_POST_WINDOW": 60}
    for number in range(3):
        post(lesson, learner, f"comment {number}")

    with pytest.raises(RateLimited) as refused:
        post(lesson, learner, "one too many")

    assert "너무 빨리 쓰고 있어요." in refused.value.message
    assert 1 <= refused.value.wait <= 60
    assert Comment.objects.count() == 3
    assert not Comment.objects.filter(body="one too many").exists()


def test_limits_are_per_user_and_staff_are_not_limited(
    lesson, learner, other_learner, staff, settings
):
    settings.STREAM = {**settings.STREAM, "COMMENTS_POST_LIMIT": 1}
    post(lesson, learner)

    post(lesson, other_learner)
    for _ in range(3):
        post(lesson, staff)

    with pytest.raises(RateLimited):
        post(lesson, learner)


def test_per_lesson_hourly_cap(lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_PER_LESSON_PER_HOUR": 2}
    CommentFactory.create_batch(2, lesson=lesson, author=learner)

    with pytest.raises(RateLimited, match="지난 한 시간 동안 이 레슨에 댓글을 2개"):
        post(lesson, learner)
    assert Comment.objects.count() == 2
    assert post(CommentFactory().lesson, learner).pk  # another lesson is fine


def test_flagging_is_rate_limited_but_repeats_cost_nothing(lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_FLAG_LIMIT": 2}
    first, second, third = CommentFactory.create_batch(3, lesson=lesson)
    services.comment_flag(comment=first, user=learner)
    services.comment_flag(comment=first, user=learner)
    services.comment_flag(comment=second, user=learner)

    with pytest.raises(RateLimited):
        services.comment_flag(comment=third, user=learner)
    assert CommentFlag.objects.count() == 2


# --- Edit, delete, hide -----------------------------------------------------------------------


def test_author_edits_and_the_comment_is_marked_edited(lesson, learner, other_learner, staff):
    comment = CommentFactory(lesson=lesson, author=learner, body="old")

    for user in (other_learner, staff):
        with pytest.raises(NotAllowed):
            services.comment_edit(comment=comment, user=user, body="hijacked")
    services.comment_edit(comment=comment, user=learner, body="**new**")

    comment.refresh_from_db()
    assert comment.body == "**new**" and comment.body_html == "<p><strong>new</strong></p>"
    assert comment.edited_at is not None


def test_soft_delete_keeps_the_row_and_the_replies(lesson, learner, other_learner):
    comment = CommentFactory(lesson=lesson, author=learner, body="mine")
    reply = CommentFactory(parent=comment, author=other_learner)

    with pytest.raises(NotAllowed):
        services.comment_delete(comment=comment, user=other_learner)
    services.comment_delete(comment=comment, user=learner)

    comment.refresh_from_db()
    assert comment.status == CommentStatus.REMOVED and comment.body == "mine"
    assert Comment.objects.get(pk=reply.pk).parent == comment


def test_a_comment_with_replies_cannot_be_deleted_from_the_database(lesson):
    from django.db.models import ProtectedError

    comment = CommentFactory(lesson=lesson)
    CommentFactory(parent=comment)

    with pytest.raises(ProtectedError):
        comment.delete()


def test_staff_delete_hide_and_unhide(lesson, learner, staff):
    comment = CommentFactory(lesson=lesson, author=learner)
    CommentFlagFactory(comment=comment)

    with pytest.raises(NotAllowed):
        services.comment_hide(comment=comment, user=learner)
    services.comment_hide(comment=comment, user=staff)
    assert comment.status == CommentStatus.HIDDEN
    assert not CommentFlag.objects.filter(reviewed_at__isnull=True).exists()
    with pytest.raises(NotAllowed):
        services.comment_unhide(comment=comment, user=learner)
    services.comment_unhide(comment=comment, user=staff)
    assert comment.status == CommentStatus.PUBLISHED
    services.comment_delete(comment=comment, user=staff)
    assert comment.status == CommentStatus.REMOVED and comment.moderated_at


def test_flag_once_per_user_and_never_ones_own(lesson, learner, other_learner):
    comment = CommentFactory(lesson=lesson, author=learner)

    flag, created = services.comment_flag(comment=comment, user=other_learner, reason="abuse")
    again, created_again = services.comment_flag(comment=comment, user=other_learner, reason="spam")

    assert created and not created_again and again == flag and again.reason == "abuse"
    with pytest.raises(NotAllowed):
        services.comment_flag(comment=comment, user=learner)
    with pytest.raises(ValidationError):
        services.comment_flag(comment=CommentFactory(lesson=lesson), user=learner, reason="x")


# --- Notifications ----------------------------------------------------------------------------


def test_a_reply_notifies_the_parent_author_once_and_emails_after_commit(
    lesson, learner, other_learner, django_capture_on_commit_callbacks
):
    # given A's comment (A is subscribed by posting it)
    parent = post(lesson, learner, "Question")

    # when B replies, then nothing is made or sent before the transaction commits
    with django_capture_on_commit_callbacks() as callbacks:
        reply = post(lesson, other_learner, "Answer", parent=parent, site_url="https://s.test")
        assert len(mail.outbox) == 0
    assert not Notification.objects.exists()
    for callback in callbacks:
        callback()

    # then A gets one notification and one email
    assert Notification.objects.filter(recipient=learner, comment=reply).count() == 1
    assert [message.to for message in mail.outbox] == [[learner.email]]


def test_no_self_notification(lesson, learner, django_capture_on_commit_callbacks):
    parent = post(lesson, learner)

    with django_capture_on_commit_callbacks(execute=True):
        post(lesson, learner, parent=parent)

    assert not Notification.objects.exists() and not mail.outbox


def test_one_notification_per_reply_even_with_many_comments_in_the_thread(
    lesson, learner, other_learner, django_capture_on_commit_callbacks
):
    parent = post(lesson, learner)
    post(lesson, learner, parent=parent)
    post(lesson, learner, parent=parent)

    with django_capture_on_commit_callbacks(execute=True):
        reply = post(lesson, other_learner, parent=parent)

    assert Notification.objects.filter(comment=reply).count() == 1
    assert len(mail.outbox) == 1


def test_thread_participants_are_notified_and_other_subscribers_are_not(
    lesson, learner, other_learner, django_capture_on_commit_callbacks
):
    # given A's thread with C's reply, and D subscribed to the lesson without taking part
    c, d, e = UserFactory(), UserFactory(), UserFactory()
    parent = post(lesson, learner)
    post(lesson, c, parent=parent)
    ReplySubscriptionFactory(user=d, lesson=lesson)
    post(lesson, e)  # E subscribed by a comment in another thread

    with django_capture_on_commit_callbacks(execute=True):
        reply = post(lesson, other_learner, parent=parent)

    recipients = set(Notification.objects.filter(comment=reply).values_list("recipient", flat=True))
    assert recipients == {learner.pk, c.pk}


def test_unsubscribed_learners_get_nothing(
    lesson, learner, other_learner, django_capture_on_commit_callbacks
):
    parent = post(lesson, learner)
    services.subscription_set(user=learner, lesson=lesson, active=False)

    with django_capture_on_commit_callbacks(execute=True):
        post(lesson, other_learner, parent=parent)

    assert not Notification.objects.exists() and not mail.outbox


def test_email_off_keeps_in_app_notifications(
    lesson, learner, other_learner, django_capture_on_commit_callbacks
):
    parent = post(lesson, learner)
    services.email_replies_set(user=learner, enabled=False)

    with django_capture_on_commit_callbacks(execute=True):
        post(lesson, other_learner, parent=parent)

    assert Notification.objects.filter(recipient=learner).count() == 1
    assert not mail.outbox


def test_a_rolled_back_reply_sends_nothing(
    lesson, learner, other_learner, django_capture_on_commit_callbacks
):
    parent = post(lesson, learner)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        post(lesson, other_learner, parent=parent)
        raise RuntimeError("the request failed after the reply was saved")

    assert callbacks == []
    assert not mail.outbox
    assert not Notification.objects.exists()
    assert Comment.objects.count() == 1


def test_pending_replies_notify_once_approved_and_only_once(
    lesson, learner, other_learner, staff, settings, django_capture_on_commit_callbacks
):
    parent = post(lesson, learner)
    settings.STREAM = {**settings.STREAM, "COMMENTS_MODERATION": "pre"}

    with django_capture_on_commit_callbacks(execute=True):
        reply = post(lesson, other_learner, parent=parent)
    assert not Notification.objects.exists() and not mail.outbox

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve(comment=reply, user=staff)
        services.comment_hide(comment=reply, user=staff)
        services.comment_unhide(comment=reply, user=staff)

    assert Notification.objects.filter(recipient=learner).count() == 1
    assert len(mail.outbox) == 1


def test_replies_in_a_lesson_learners_cannot_open_notify_staff_only(
    lesson, learner, staff, django_capture_on_commit_callbacks
):
    parent = post(lesson, learner)
    post(lesson, staff, parent=parent)
    lesson.status = Status.DRAFT
    lesson.save()

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.comment_post(lesson=lesson, author=StaffFactory(), body="x", parent=parent)

    assert list(Notification.objects.filter(comment=reply).values_list("recipient", flat=True)) == [
        staff.pk
    ]


def test_a_reply_hidden_before_the_email_goes_is_not_emailed(lesson, learner, other_learner, staff):
    from comments.emails import reply_emails_send

    parent = post(lesson, learner)
    reply = post(lesson, other_learner, parent=parent)
    services.comment_hide(comment=reply, user=staff)

    assert services.reply_notifications_create(reply_id=reply.pk) == []
    assert reply_emails_send(reply_id=reply.pk) == 0
    assert not mail.outbox


def test_reply_email_is_plain_text_with_one_click_unsubscribe_and_no_learner_links(
    lesson, learner, django_capture_on_commit_callbacks
):
    # given a reply full of links and an image, from someone whose name looks like a link
    parent = post(lesson, learner)
    replier = UserFactory(username="evil.example.com")
    body = (
        "See https://phish.test/login and [this](http://bad.test/x) or www.spam.test,\n"
        "write to me@mail.test, ![pic](http://img.test/a.png) <a href='http://raw.test'>raw</a>"
    )

    with django_capture_on_commit_callbacks(execute=True):
        post(lesson, replier, body, parent=parent, site_url="https://learn.test")

    # then the email is plain text and every link in it is ours
    (message,) = mail.outbox
    assert message.content_subtype == "plain" and not getattr(message, "alternatives", [])
    for host in ("phish.test", "bad.test", "spam.test", "mail.test", "img.test", "raw.test"):
        assert host not in message.body and host not in message.subject
    assert "evil.example.com" not in message.body
    assert "this" in message.body and "[링크 삭제됨]" in message.body
    links = [line for line in message.body.splitlines() if "://" in line]
    assert links and all(line.startswith("https://learn.test/") for line in links)
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://learn.test/comments/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in message.body
    token = unsubscribe[1:-1].rstrip("/").rsplit("/", 1)[1]
    assert unsubscribe_token_user_id(token) == learner.pk


def test_site_url_setting_wins_for_links_in_emails(
    lesson, learner, other_learner, settings, django_capture_on_commit_callbacks
):
    settings.STREAM = {**settings.STREAM, "COMMENTS_SITE_URL": "https://school.test/"}
    parent = post(lesson, learner)

    with django_capture_on_commit_callbacks(execute=True):
        post(lesson, other_learner, parent=parent, site_url="http://internal:8000")

    assert "https://school.test/comments/" in mail.outbox[0].body
    assert "internal" not in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_emails_follow_real_commits_and_rollbacks(lesson, learner, other_learner):
    # given a real database transaction per request (no test transaction around it)
    parent = post(lesson, learner)

    # when one reply's transaction rolls back and another commits
    with pytest.raises(RuntimeError), transaction.atomic():
        post(lesson, other_learner, "rolled back", parent=parent)
        raise RuntimeError
    assert not mail.outbox
    post(lesson, other_learner, "committed", parent=parent)

    # then only the committed reply was emailed
    assert len(mail.outbox) == 1 and "committed" in mail.outbox[0].body
    assert "rolled back" not in mail.outbox[0].body
    assert Notification.objects.count() == 1


# --- Unsubscribe tokens -----------------------------------------------------------------------


def test_unsubscribe_tokens_carry_the_user_and_reject_tampering(learner, settings):
    token = unsubscribe_token_make(user=learner)

    assert unsubscribe_token_user_id(token) == learner.pk
    assert unsubscribe_token_user_id(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert unsubscribe_token_user_id("not-a-token") is None
    settings.STREAM = {**settings.STREAM, "COMMENTS_UNSUBSCRIBE_MAX_AGE": -1}
    assert unsubscribe_token_user_id(token) is None


def test_plain_excerpt_drops_tags_and_addresses():
    excerpt = plain_excerpt(
        '<p>Go to <a href="https://x.test">the site</a>: https://y.test/a?b=1 or z.test</p>'
        "<pre><code>print('hi')</code></pre>"
    )

    assert "x.test" not in excerpt and "y.test" not in excerpt and "z.test" not in excerpt
    assert "the site" in excerpt and "print('hi')" in excerpt and "<" not in excerpt


# --- Progress hook ----------------------------------------------------------------------------


def test_first_published_comment_is_reported_to_progress_once(lesson, learner, no_progress):
    post(lesson, learner)
    post(lesson, learner)

    no_progress.assert_called_once_with(user=learner)


def test_a_pending_first_comment_is_reported_when_approved(
    lesson, learner, staff, settings, no_progress
):
    settings.STREAM = {**settings.STREAM, "COMMENTS_MODERATION": "pre"}
    comment = post(lesson, learner)
    no_progress.assert_not_called()

    services.comment_approve(comment=comment, user=staff)

    no_progress.assert_called_once_with(user=learner)


def test_a_failing_progress_hook_never_takes_the_comment_down(lesson, learner, no_progress, caplog):
    no_progress.side_effect = RuntimeError("progress is broken")

    comment = post(lesson, learner)

    assert Comment.objects.filter(pk=comment.pk).exists()
    assert "comment_posted_record failed" in caplog.text


def test_the_real_progress_service_is_called_when_installed(lesson, learner):
    with mock.patch("progress.services.comment_posted_record") as record:
        post(lesson, learner)

    record.assert_called_once_with(user=learner)


def test_comments_work_without_the_progress_app(lesson, learner, no_progress):
    with modify_settings(INSTALLED_APPS={"remove": ["progress.apps.ProgressConfig"]}):
        from django.apps import apps

        assert not apps.is_installed("progress")
        comment = post(lesson, learner)

    assert comment.pk and comment.status == CommentStatus.PUBLISHED
    no_progress.assert_not_called()


# --- Subscriptions and notifications ----------------------------------------------------------


def test_subscription_set_needs_a_signed_in_learner_who_can_open_the_lesson(lesson, learner):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed):
        services.subscription_set(user=AnonymousUser(), lesson=lesson, active=True)
    services.subscription_set(user=learner, lesson=lesson, active=True)
    services.subscription_set(user=learner, lesson=lesson, active=False)

    assert ReplySubscription.objects.get().active is False


def test_mark_read_touches_only_the_users_own_notifications(lesson, learner, other_learner):
    reply = CommentFactory(parent=CommentFactory(lesson=lesson))
    mine = Notification.objects.create(
        recipient=learner, kind="reply", lesson=lesson, comment=reply
    )
    theirs = Notification.objects.create(
        recipient=other_learner, kind="reply", lesson=lesson, comment=reply
    )

    changed = services.notifications_mark_read(user=learner, ids=[mine.pk, theirs.pk])

    assert changed == 1
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(pk=theirs.pk).read_at is None


# --- Reports ----------------------------------------------------------------------------------


def report(lesson, reporter=None, **kwargs):
    from django.contrib.auth.models import AnonymousUser

    values = {"kind": "bug", "message": "Typo in the table", "ip": "203.0.113.9", **kwargs}
    return services.report_file(lesson=lesson, reporter=reporter or AnonymousUser(), **values)


def test_anonymous_report_keeps_the_lesson_revision_and_contact(lesson):
    filed = report(lesson, section="details", contact_email="r@example.com", user_agent="UA")

    assert filed.lesson_revision == lesson.revision
    assert filed.lesson_updated_at == lesson.content_updated_at
    assert (filed.section, filed.contact_email, filed.reporter) == (
        "details",
        "r@example.com",
        None,
    )


def test_report_validation(lesson):
    with pytest.raises(ValidationError) as error:
        report(lesson, kind="rant", message="", section="no-such-heading")

    assert set(error.value.message_dict) == {"kind", "message", "section"}
    assert not ProblemReport.objects.exists()


def test_reports_are_limited_per_ip_and_per_user(lesson, learner, settings):
    settings.STREAM = {**settings.STREAM, "REPORTS_LIMIT_PER_IP": 2, "REPORTS_LIMIT_PER_USER": 1}
    report(lesson)
    report(lesson)

    with pytest.raises(RateLimited, match="신고를 여러 번"):
        report(lesson)
    report(lesson, ip="198.51.100.1", reporter=learner)
    with pytest.raises(RateLimited):
        report(lesson, ip="198.51.100.2", reporter=learner)

    assert ProblemReport.objects.count() == 3


def test_resolving_notifies_a_signed_in_reporter_once(lesson, learner, staff):
    filed = ProblemReportFactory(lesson=lesson, reporter=learner)
    anonymous = ProblemReportFactory(lesson=lesson, reporter=None, contact_email="x@example.com")

    with pytest.raises(NotAllowed):
        services.report_resolve(report=filed, user=learner)
    services.report_resolve(report=filed, user=staff, note="Fixed the table")
    services.report_resolve(report=filed, user=staff)
    services.report_resolve(report=anonymous, user=staff, status="wont_fix")

    filed.refresh_from_db()
    assert filed.status == "resolved" and filed.resolved_by == staff and filed.resolved_at
    assert filed.staff_note == "Fixed the table"
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind, notification.report) == (
        learner,
        "report_resolved",
        filed,
    )


def test_reopening_clears_the_resolution(lesson, staff):
    filed = ProblemReportFactory(lesson=lesson)
    services.report_resolve(report=filed, user=staff)

    services.report_resolve(report=filed, user=staff, status="open")

    assert (filed.status, filed.resolved_at, filed.resolved_by) == ("open", None, None)


def test_notification_settings_default_to_the_site_setting(learner, settings):
    from comments.selectors import email_replies_enabled

    assert email_replies_enabled(user=learner) is True
    settings.STREAM = {**settings.STREAM, "COMMENTS_EMAIL_REPLIES": False}
    assert email_replies_enabled(user=learner) is False
    NotificationSettings.objects.create(user=learner, email_replies=True)
    assert email_replies_enabled(user=learner) is True
