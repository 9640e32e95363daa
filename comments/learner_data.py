"""The comments app's part of a learner's own data (``lessons.learner_data``): their comments,
the flags they raised, their reply subscriptions and notification settings, the notifications
they received and the problem reports they filed.

Erasing keeps the conversation whole: each of the learner's comments stays where it is in its
thread, with its status and replies, but without its author and (unless
``COMMENTS_ERASE_KEEPS_TEXT``) without its text, so pages show it as a deleted learner's.
Reports keep their lesson, kind and message for the staff working through them, without who
sent them (the reporter, the contact address and the browser). Flags, subscriptions,
notification settings and notifications go.
"""

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lessons.learner_data import lesson_titles_annotate, row_lesson_summary
from lessons.versions import content_changed

from .conf import comments_settings
from .models import (
    Comment,
    CommentFlag,
    Notification,
    NotificationSettings,
    ProblemReport,
    ReplySubscription,
)


def _reports_q(user) -> Q:
    """Reports the learner filed: signed in, or signed out with their email as the contact."""
    mine = Q(reporter_id=user.pk)
    email = getattr(user, user.get_email_field_name(), "") or ""
    if email:
        mine |= Q(contact_email__iexact=email)
    return mine


def comments_data_export(user) -> dict:
    """The learner's comments-app rows. 6 queries."""
    comments = lesson_titles_annotate(
        Comment.objects.filter(author_id=user.pk).select_related("lesson__course")
    )
    flags = CommentFlag.objects.filter(user_id=user.pk).order_by("created_at", "id")
    subscriptions = lesson_titles_annotate(
        ReplySubscription.objects.filter(user_id=user.pk)
        .select_related("lesson__course")
        .order_by("id")
    )
    settings_row = NotificationSettings.objects.filter(user_id=user.pk).first()
    notifications = lesson_titles_annotate(
        Notification.objects.filter(recipient_id=user.pk)
        .select_related("lesson__course")
        .order_by("created_at", "id")
    )
    reports = lesson_titles_annotate(
        ProblemReport.objects.filter(_reports_q(user))
        .select_related("lesson__course")
        .order_by("created_at", "id")
    )
    return {
        "comments": [
            {
                "id": row.pk,
                "lesson": row_lesson_summary(row),
                "parent": row.parent_id,
                "status": row.status,
                "body": row.body,
                "created_at": row.created_at,
                "edited_at": row.edited_at,
            }
            for row in comments
        ],
        "flags": [
            {
                "id": row.pk,
                "comment": row.comment_id,
                "reason": row.reason,
                "created_at": row.created_at,
                "reviewed_at": row.reviewed_at,
            }
            for row in flags
        ],
        "subscriptions": [
            {
                "id": row.pk,
                "lesson": row_lesson_summary(row),
                "active": row.active,
                "updated_at": row.updated_at,
            }
            for row in subscriptions
        ],
        "notification_settings": None
        if settings_row is None
        else {"email_replies": settings_row.email_replies, "updated_at": settings_row.updated_at},
        "notifications": [
            {
                "id": row.pk,
                "kind": row.kind,
                "lesson": row_lesson_summary(row),
                "comment": row.comment_id,
                "report": row.report_id,
                "created_at": row.created_at,
                "read_at": row.read_at,
            }
            for row in notifications
        ],
        "reports": [
            {
                "id": row.pk,
                "lesson": row_lesson_summary(row),
                "lesson_revision": row.lesson_revision,
                "section": row.section,
                "kind": row.kind,
                "message": row.message,
                "contact_email": row.contact_email,
                "page_url": row.page_url,
                "user_agent": row.user_agent,
                "status": row.status,
                "staff_note": row.staff_note,
                "created_at": row.created_at,
                "resolved_at": row.resolved_at,
            }
            for row in reports
        ],
    }


def _deleted(queryset) -> int:
    _total, deleted = queryset.delete()
    return deleted.get(queryset.model._meta.label, 0)


def comments_data_erase(user) -> dict:
    """Anonymise the learner's comments and reports, delete the rest; answers the counts. The
    lesson pages that show the comments get new content versions in the same transaction."""
    with transaction.atomic():
        own = Comment.objects.filter(author_id=user.pk)
        lesson_ids = set(own.values_list("lesson_id", flat=True).distinct())
        # update() is no save(): it moves the revision on itself (see ``Comment.revision``).
        anonymous = {"author": None, "revision": F("revision") + 1}
        if not comments_settings.COMMENTS_ERASE_KEEPS_TEXT:
            anonymous |= {"body": "", "body_html": ""}
        counts = {"comments_anonymised": own.update(**anonymous)}
        content_changed(lesson_ids=lesson_ids)
        counts["reports_anonymised"] = ProblemReport.objects.filter(_reports_q(user)).update(
            reporter=None, contact_email="", user_agent=""
        )
        # a learner who once had staff rights may have resolved reports
        ProblemReport.objects.filter(resolved_by_id=user.pk).update(resolved_by=None)
        counts["flags"] = _deleted(CommentFlag.objects.filter(user_id=user.pk))
        counts["subscriptions"] = _deleted(ReplySubscription.objects.filter(user_id=user.pk))
        counts["notification_settings"] = _deleted(
            NotificationSettings.objects.filter(user_id=user.pk)
        )
        counts["notifications"] = _deleted(Notification.objects.filter(recipient_id=user.pk))
    return counts


def _erase_note() -> str:
    if comments_settings.COMMENTS_ERASE_KEEPS_TEXT:
        comments = _(
            "Comments stay in their threads with their text, so that replies still make "
            "sense, but show as a deleted learner's."
        )
    else:
        comments = _(
            "Comments stay in their threads, so that replies still make sense, but show as a "
            "deleted learner's, without their text."
        )
    reports = _(
        "Problem reports stay for the staff, without the name, email address or browser of "
        "whoever sent them."
    )
    return f"{comments} {reports}"


def register() -> None:
    """The comments app's part (``CommentsConfig.ready``)."""
    from lessons.learner_data import learner_data_register

    learner_data_register(
        "comments",
        export=comments_data_export,
        erase=comments_data_erase,
        label=_("Comments, notifications and reports"),
        template="stream/comments/learner_data.html",
        erase_note=_erase_note,
        order=20,
    )
