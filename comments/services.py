"""Operations that change comments, subscriptions, notifications and problem reports.

Pages, the API and the admin call these, never the models directly: the rules (who may do
what, rate limits, moderation, notifications, the progress hook) live here once. Each raises a
:class:`~comments.exceptions.CommentsError` subclass with a message a learner can read, or
Django's ``ValidationError`` for bad input.
"""

from __future__ import annotations

import importlib
import logging
from datetime import timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lessons.adapter import adapter_overrides
from lessons.background import enqueue_on_commit
from lessons.ids import ids_parse
from lessons.models import Lesson
from lessons.selectors import user_is_staff
from lessons.translations import active_language, content_languages
from lessons.variants import lesson_text
from lessons.xapi import xapi_enabled

from . import rules, signals, tasks
from .conf import comments_settings
from .exceptions import CommentsClosed, NotAllowed, RateLimited
from .limits import rate_limit_hit
from .models import (
    Comment,
    CommentFlag,
    CommentStatus,
    FlagReason,
    Notification,
    NotificationKind,
    NotificationSettings,
    ProblemReport,
    ReplySubscription,
    ReportKind,
    ReportStatus,
)
from .selectors import (
    comment_post_state,
    lesson_is_public,
    lesson_is_visible,
    lesson_sections,
    user_may_comment,
)
from .xapi import comment_statement_record

logger = logging.getLogger(__name__)


# --- Comments ------------------------------------------------------------------------------------


def comment_body_clean(body) -> str:
    """The comment text to store, or ``ValidationError`` (empty, too long, NUL characters)."""
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError(_("Write something first."), code="required")
    if "\x00" in body:
        raise ValidationError(_("The text contains a NUL character."), code="null_characters")
    limit = comments_settings.COMMENTS_MAX_LENGTH
    if len(body) > limit:
        raise ValidationError(
            ngettext(
                "A comment can be at most %(limit)d character long (this one has %(count)d).",
                "A comment can be at most %(limit)d characters long (this one has %(count)d).",
                limit,
            )
            % {"limit": limit, "count": len(body)},
            code="max_length",
        )
    return body


def _post_limits_check(*, author, recent: int) -> None:
    """Refuse a post over the rate limit or over ``COMMENTS_PER_LESSON_PER_HOUR`` (``recent``:
    ``author``'s comments on the lesson in the last hour)."""
    if user_is_staff(author):
        return  # instructors answering a burst of questions are not the abuse this stops
    wait = rate_limit_hit(
        scope="post",
        key=author.pk,
        limit=comments_settings.COMMENTS_POST_LIMIT,
        window=comments_settings.COMMENTS_POST_WINDOW,
    )
    if wait is not None:
        raise RateLimited(
            ngettext(
                "You are posting too fast. Please wait %(seconds)d second and try again.",
                "You are posting too fast. Please wait %(seconds)d seconds and try again.",
                wait,
            )
            % {"seconds": wait},
            wait=wait,
        )
    cap = comments_settings.COMMENTS_PER_LESSON_PER_HOUR
    if cap is not None and recent >= cap:
        raise RateLimited(
            ngettext(
                "You have posted %(count)d comment on this lesson in the last hour, the "
                "most allowed. Please come back later.",
                "You have posted %(count)d comments on this lesson in the last hour, the "
                "most allowed. Please come back later.",
                recent,
            )
            % {"count": recent},
            wait=3600,
        )


def _initial_status(author) -> str:
    mode = comments_settings.COMMENTS_MODERATION
    if user_is_staff(author) or mode == "post":
        return CommentStatus.PUBLISHED
    if mode == "first":
        approved_before = (
            Comment.objects.filter(author=author)
            .exclude(status__in=[CommentStatus.PENDING, CommentStatus.REMOVED])
            .exists()
        )
        return CommentStatus.PUBLISHED if approved_before else CommentStatus.PENDING
    return CommentStatus.PENDING


def _reply_parent(parent: Comment) -> Comment:
    """The comment a reply to ``parent`` attaches to: ``parent``, or its deepest ancestor that
    is still allowed to have replies (``COMMENTS_MAX_DEPTH``)."""
    max_depth = max(0, int(comments_settings.COMMENTS_MAX_DEPTH))
    while parent.depth >= max_depth and parent.parent_id is not None:
        parent = parent.parent
    if parent.depth >= max_depth:  # a cap of 0: no replies below top-level comments
        return None
    return parent


def _comment_language(language: str) -> str:
    codes = {code for code, _name in content_languages()}
    return language if language in codes else active_language()


def comment_post(
    *,
    lesson: Lesson,
    author,
    body: str,
    parent: Comment | None = None,
    site_url: str = "",
    language: str = "",
) -> Comment:
    """Post ``author``'s comment on ``lesson``, or a reply to ``parent``.

    Refuses anonymous or inactive users, lessons ``author`` cannot open, closed lessons,
    replies to comments ``author`` cannot read, and posts over the rate limits (nothing is
    saved then). A reply deeper than ``COMMENTS_MAX_DEPTH`` attaches to the deepest allowed
    ancestor. Depending on ``COMMENTS_MODERATION`` the comment is published or waits for staff;
    a published reply notifies the thread's subscribers in the background, once the transaction
    commits (the ``reply_notify`` task: notifications, then emails with links built on
    ``site_url`` unless ``COMMENTS_SITE_URL`` is set).

    ``language`` is the page's it was written on (the active language when empty or not one of
    the site's): the comment is marked with it, and readers may show one language only.

    The comment returned carries what the lesson's comment section shows right after it, so
    that pages answering the post need not read it again: ``lesson_comment_count`` (its
    published comments) and ``author_subscribed`` (whether ``author``'s 🔔 is on).
    """
    if not rules.user_is_learner(author):
        raise NotAllowed(_("Please sign in to leave a comment."))
    if not lesson_is_visible(lesson, author):
        raise NotAllowed(_("This lesson is not available."))
    if not user_may_comment(user=author, lesson=lesson):
        raise NotAllowed(_("You cannot comment on this lesson."))
    body = comment_body_clean(body)
    if parent is not None:
        if parent.lesson_id != lesson.pk or not rules.comment_can_reply(parent, author):
            raise NotAllowed(_("You cannot reply to this comment."))
        parent = _reply_parent(parent)
    state = comment_post_state(
        lesson=lesson, user=author, since=timezone.now() - timedelta(hours=1)
    )
    if not state.comments_open:
        raise CommentsClosed(_("Comments are closed for this lesson."))
    _post_limits_check(author=author, recent=state.recent)

    with transaction.atomic():
        comment = Comment(
            lesson=lesson,
            author=author,
            body=body,
            parent=parent,
            root_id=parent.thread_id if parent is not None else None,
            depth=parent.depth + 1 if parent is not None else 0,
            status=_initial_status(author),
            language=_comment_language(language),
        )
        comment.save()
        if comments_settings.COMMENTS_SUBSCRIBE_ON_POST and state.subscription is None:
            # A row is the learner's own choice (perhaps "off"), one made since the read too.
            ReplySubscription.objects.bulk_create(
                [ReplySubscription(user=author, lesson=lesson)], ignore_conflicts=True
            )
        if comment.status == CommentStatus.PUBLISHED:
            _comment_published(
                comment=comment, site_url=site_url, published_before=state.published_before
            )
        transaction.on_commit(
            lambda: signals.comment_posted.send_robust(
                Comment, comment=comment, lesson=lesson, user=author, parent=parent
            ),
            robust=True,
        )
    published = comment.status == CommentStatus.PUBLISHED
    comment.lesson_comment_count = state.count + (1 if published else 0)
    comment.author_subscribed = (
        state.subscription
        if state.subscription is not None
        else bool(comments_settings.COMMENTS_SUBSCRIBE_ON_POST)
    )
    return comment


def comment_edit(*, comment: Comment, user, body: str) -> Comment:
    """Replace the text of ``user``'s own comment; marks it edited."""
    if not rules.comment_can_edit(comment, user):
        raise NotAllowed(_("You can only edit your own comments."))
    body = comment_body_clean(body)
    if body != comment.body:
        comment.body = body
        comment.edited_at = timezone.now()
        comment.save(update_fields=["body", "edited_at"])
    return comment


def comment_delete(*, comment: Comment, user) -> Comment:
    """Soft-delete ``comment`` (its author, or staff): it reads "deleted" while replies hang
    under it and disappears otherwise. The row and its text stay for staff."""
    if not rules.comment_can_delete(comment, user):
        raise NotAllowed(_("You can only delete your own comments."))
    comment.status = CommentStatus.REMOVED
    comment.moderated_at = timezone.now() if comment.author_id != user.pk else None
    comment.save(update_fields=["status", "moderated_at"])
    return comment


def _flags_review(comment: Comment) -> None:
    comment.flags.filter(reviewed_at__isnull=True).update(reviewed_at=timezone.now())


def comment_hide(*, comment: Comment, user) -> Comment:
    """Staff hide ``comment`` from learners (staff still see it, marked hidden)."""
    if not rules.comment_can_moderate(user):
        raise NotAllowed(_("Only staff can hide comments."))
    with transaction.atomic():
        if comment.status != CommentStatus.HIDDEN:
            comment.status = CommentStatus.HIDDEN
            comment.moderated_at = timezone.now()
            comment.save(update_fields=["status", "moderated_at"])
        _flags_review(comment)
    return comment


def comment_unhide(*, comment: Comment, user, site_url: str = "") -> Comment:
    """Staff publish a hidden or waiting comment again (approving it when it was waiting).

    A comment published for the first time notifies as a new reply would; nobody is notified
    twice about the same reply.
    """
    if not rules.comment_can_moderate(user):
        raise NotAllowed(_("Only staff can unhide comments."))
    with transaction.atomic():
        if comment.status in {CommentStatus.HIDDEN, CommentStatus.PENDING}:
            comment.status = CommentStatus.PUBLISHED
            comment.moderated_at = timezone.now()
            comment.save(update_fields=["status", "moderated_at"])
            _comment_published(comment=comment, site_url=site_url)
        _flags_review(comment)
    return comment


def comment_approve(*, comment: Comment, user, site_url: str = "") -> Comment:
    """Staff approve a comment waiting for moderation (same as unhiding it)."""
    return comment_unhide(comment=comment, user=user, site_url=site_url)


def comment_flags_dismiss(*, comment: Comment, user) -> int:
    """Staff mark ``comment``'s flags reviewed and leave it as it is; returns how many."""
    if not rules.comment_can_moderate(user):
        raise NotAllowed(_("Only staff can review flags."))
    return comment.flags.filter(reviewed_at__isnull=True).update(reviewed_at=timezone.now())


def comment_flag(*, comment: Comment, user, reason: str = FlagReason.OTHER):
    """Flag ``comment`` for moderation; returns ``(flag, created)``.

    Once per user and comment: flagging again changes nothing and returns the first flag.
    """
    if not rules.comment_can_flag(comment, user):
        raise NotAllowed(_("You cannot flag this comment."))
    if reason not in FlagReason.values:
        raise ValidationError(_("Choose a reason."), code="invalid_choice")
    existing = CommentFlag.objects.filter(comment=comment, user=user).first()
    if existing is not None:
        return existing, False
    wait = rate_limit_hit(
        scope="flag",
        key=user.pk,
        limit=comments_settings.COMMENTS_FLAG_LIMIT,
        window=comments_settings.COMMENTS_FLAG_WINDOW,
    )
    if wait is not None:
        raise RateLimited(
            _("You have flagged many comments in a short time. Please try again later."),
            wait=wait,
        )
    try:
        with transaction.atomic():
            return CommentFlag.objects.create(comment=comment, user=user, reason=reason), True
    except IntegrityError:  # the same learner flagging twice at the same moment
        return CommentFlag.objects.get(comment=comment, user=user), False


# --- Publishing: notifications and the progress hook --------------------------------------------


def _comment_published(
    *, comment: Comment, site_url: str, published_before: bool | None = None
) -> None:
    """What publishing ``comment`` sets off. ``published_before``: whether its author had a
    comment published before it (``None``: not known yet)."""
    if comment.parent_id is not None:
        # However many subscribers the thread has, the request only enqueues this.
        enqueue_on_commit(tasks.reply_notify, reply_id=comment.pk, site_url=site_url)
    _progress_first_comment(comment=comment, published_before=published_before)
    if xapi_enabled():
        comment_statement_record(comment=comment)


def reply_notifications_create(*, reply_id: int) -> list[int]:
    """Notify the subscribers who took part in reply ``reply_id``'s thread; returns those it
    found not yet notified (a run beside it may be notifying them at the same moment: each
    still gets one notification).

    Taking part means having written a comment in the thread (the replied-to comment
    included); the 🔔 of that lesson must be on. Never the replier, never twice for one reply
    (calling it again notifies only those it missed), and, for a lesson learners cannot open,
    staff only. A reply that is no longer published notifies nobody. The comments task
    ``reply_notify`` calls it after the reply's transaction committed.
    """
    reply = (
        Comment.objects.select_related("lesson")
        .filter(pk=reply_id, parent__isnull=False, status=CommentStatus.PUBLISHED)
        .first()
    )
    if reply is None:
        return []
    lesson = reply.lesson
    thread = Comment.objects.filter(pk=reply.root_id) | Comment.objects.filter(
        root_id=reply.root_id
    )
    participants = thread.filter(author__isnull=False).values("author_id")
    subscribers = ReplySubscription.objects.filter(
        lesson_id=lesson.pk, active=True, user_id__in=participants, user__is_active=True
    ).exclude(user_id=reply.author_id)
    if not lesson_is_public(lesson):
        subscribers = subscribers.filter(user__is_staff=True)
    if adapter_overrides("lessons_for_user"):
        # The host's enrolment rules: a subscriber no longer let into the lesson hears nothing
        # (the notification and the email would name it). A query per subscriber, only here.
        model = get_user_model()
        candidates = model._default_manager.filter(pk__in=subscribers.values("user_id"))
        allowed = [u.pk for u in candidates if lesson_is_visible(lesson, u)]
        subscribers = subscribers.filter(user_id__in=allowed)
    already = Notification.objects.filter(kind=NotificationKind.REPLY, comment=reply).values(
        "recipient_id"
    )
    recipient_ids = list(
        subscribers.exclude(user_id__in=already)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    if not recipient_ids:
        return []
    # The unique constraint on (recipient, reply) keeps a second run that overlaps this one from
    # notifying anybody twice.
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=user_id, kind=NotificationKind.REPLY, lesson=lesson, comment=reply
            )
            for user_id in recipient_ids
        ],
        ignore_conflicts=True,
    )
    return recipient_ids


def _progress_first_comment(*, comment: Comment, published_before: bool | None) -> None:
    """Tell the progress app about a learner's first published comment, if it is installed.

    A failure there is logged and never takes the comment down with it.
    """
    if comment.author_id is None or not apps.is_installed("progress"):
        return
    if published_before is None:
        published_before = (
            Comment.objects.filter(author_id=comment.author_id)
            .exclude(pk=comment.pk)
            .exclude(status__in=[CommentStatus.PENDING])
            .exists()
        )
    if published_before:
        return
    try:
        progress_services = importlib.import_module("progress.services")
        with transaction.atomic():
            progress_services.comment_posted_record(user=comment.author)
    except Exception:
        logger.exception("progress.services.comment_posted_record failed; the comment stays.")


# --- Subscriptions and notifications -------------------------------------------------------------


def subscription_set(*, user, lesson: Lesson, active: bool) -> ReplySubscription:
    """Turn ``user``'s reply notifications on ``lesson`` on or off (the 🔔 toggle)."""
    if not rules.user_is_learner(user):
        raise NotAllowed(_("Please sign in to get reply notifications."))
    if not lesson_is_visible(lesson, user):
        raise NotAllowed(_("This lesson is not available."))
    subscription, _created = ReplySubscription.objects.update_or_create(
        user=user, lesson=lesson, defaults={"active": bool(active)}
    )
    return subscription


def email_replies_set(*, user, enabled: bool) -> NotificationSettings:
    """Turn reply emails on or off for ``user``; in-app notifications are not affected."""
    if not rules.user_is_learner(user) and enabled:
        raise NotAllowed(_("Please sign in first."))
    row, _created = NotificationSettings.objects.update_or_create(
        user=user, defaults={"email_replies": bool(enabled)}
    )
    return row


def notifications_mark_read(*, user, ids=None) -> int:
    """Mark ``user``'s unread notifications read (only those in ``ids`` when given).

    Ids of other users' notifications are ignored, and so is anything in ``ids`` that is not an
    id (the page's form posts text; see ``lessons.ids.id_parse``). Returns how many changed.
    """
    if not rules.user_is_learner(user):
        raise NotAllowed(_("Please sign in first."))
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids_parse(ids))
    return unread.update(read_at=timezone.now())


# --- Problem reports -----------------------------------------------------------------------------


def report_file(
    *,
    lesson: Lesson,
    reporter,
    kind: str,
    message: str,
    section: str = "",
    contact_email: str = "",
    page_url: str = "",
    user_agent: str = "",
    ip: str = "",
    language: str = "",
) -> ProblemReport:
    """File a problem report on ``lesson`` from anyone who can open it, signed in or not.

    Rate-limited per IP address and per signed-in user. ``section`` must be one of the
    headings' anchors of the text the reader saw (or empty); a signed-in reporter's
    ``contact_email`` is ignored (staff reach them through their account). ``language`` is the
    page's (the active language by default): the report records the lesson's variant in it, or
    the original where there is none, with that text's revision.
    """
    text = lesson_text(lesson=lesson, language=language or None)
    if not lesson_is_visible(lesson, reporter):
        raise NotAllowed(_("This lesson is not available."))
    errors = {}
    if kind not in ReportKind.values:
        errors["kind"] = _("Choose what kind of problem it is.")
    message = (message or "").replace("\r\n", "\n").strip()
    limit = comments_settings.REPORTS_MAX_LENGTH
    if not message:
        errors["message"] = _("Tell us what is wrong.")
    elif "\x00" in message:
        errors["message"] = _("The text contains a NUL character.")
    elif len(message) > limit:
        errors["message"] = ngettext(
            "A report can be at most %(limit)d character long (this one has %(count)d).",
            "A report can be at most %(limit)d characters long (this one has %(count)d).",
            limit,
        ) % {"limit": limit, "count": len(message)}
    if section and section not in {anchor for anchor, _text in lesson_sections(lesson=text)}:
        errors["section"] = _("Choose a section of this lesson.")
    if errors:
        raise ValidationError(errors)
    signed_in = rules.user_is_learner(reporter)

    window = comments_settings.REPORTS_WINDOW
    waits = [
        rate_limit_hit(
            scope="report-ip",
            key=ip or "unknown",
            limit=comments_settings.REPORTS_LIMIT_PER_IP,
            window=window,
        )
    ]
    if signed_in:
        waits.append(
            rate_limit_hit(
                scope="report-user",
                key=reporter.pk,
                limit=comments_settings.REPORTS_LIMIT_PER_USER,
                window=window,
            )
        )
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise RateLimited(
            _("You have sent several reports in a short time. Please try again later."),
            wait=wait,
        )
    report = ProblemReport.objects.create(
        lesson=lesson,
        lesson_revision=text.revision,
        lesson_updated_at=text.content_updated_at,
        language=text.language,
        section=section,
        kind=kind,
        message=message,
        reporter=reporter if signed_in else None,
        contact_email="" if signed_in else (contact_email or "").strip(),
        page_url=(page_url or "")[:500],
        user_agent=(user_agent or "")[:300],
    )
    transaction.on_commit(
        lambda: signals.report_filed.send_robust(
            ProblemReport, report=report, lesson=lesson, user=report.reporter
        ),
        robust=True,
    )
    return report


def report_resolve(
    *, report: ProblemReport, user, status: str = ReportStatus.RESOLVED, note: str | None = None
) -> ProblemReport:
    """Staff close ``report`` as resolved or won't fix (or reopen it with ``open``).

    Closing an open report notifies a signed-in reporter in the app, once.
    """
    if not user_is_staff(user):
        raise NotAllowed(_("Only staff can resolve reports."))
    if status not in ReportStatus.values:
        raise ValidationError({"status": _("Choose a status.")})
    with transaction.atomic():
        was_open = report.status == ReportStatus.OPEN
        report.status = status
        if note is not None:
            report.staff_note = note
        if status == ReportStatus.OPEN:
            report.resolved_at, report.resolved_by = None, None
        elif was_open:
            report.resolved_at, report.resolved_by = timezone.now(), user
        report.save(update_fields=["status", "staff_note", "resolved_at", "resolved_by"])
        reporter = report.reporter
        if was_open and status != ReportStatus.OPEN and reporter is not None and reporter.is_active:
            Notification.objects.create(
                recipient=reporter,
                kind=NotificationKind.REPORT_RESOLVED,
                lesson_id=report.lesson_id,
                report=report,
            )
    return report
