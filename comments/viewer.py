"""The comments part of the viewer endpoint (``lessons.viewer``): what the shared lesson page
cannot show about its viewer."""

from django.db.models import CharField, DateTimeField, Exists, F, Subquery, Value
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lessons.models import Lesson
from lessons.viewer import nav_item

from . import rules, selectors
from .models import Comment, CommentFlag, CommentStatus, Notification, ReplySubscription
from .selectors import _comments_open_subquery, _count_subquery, _notifications_visible_q
from .threads import articles_html, thread_item


def comments_values(*, user, lesson_id) -> dict:
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).filter(
        _notifications_visible_q(user)
    )
    values = {"comments_unread": _count_subquery(unread, by="recipient")}
    if lesson_id is not None:
        subscription = ReplySubscription.objects.filter(
            lesson_id=lesson_id, user_id=user.pk, active=True
        )
        is_open = Lesson.objects.filter(pk=lesson_id).annotate(o=_comments_open_subquery())
        values["comments_subscribed"] = Exists(subscription)
        values["comments_open"] = Subquery(is_open.values("o")[:1])
    return values


def comments_rows(*, user, lesson_id):
    """The viewer's own comments on the lesson (id, status, time) and the ones they flagged."""
    if lesson_id is None:
        return []
    own = Comment.objects.filter(lesson_id=lesson_id, author_id=user.pk).values_list(
        Value("comments:own", output_field=CharField()), F("pk"), F("status"), F("created_at")
    )
    flagged = CommentFlag.objects.filter(user_id=user.pk, comment__lesson_id=lesson_id).values_list(
        Value("comments:flag", output_field=CharField()),
        F("comment_id"),
        Value("", output_field=CharField()),
        Value(None, output_field=DateTimeField()),
    )
    return [own, flagged]


def _nav(unread: int) -> list[dict]:
    badge = ngettext("%(count)d unread", "%(count)d unread", unread) % {"count": unread}
    return [
        nav_item(
            url=reverse("stream_comments:notifications"),
            label=_("Notifications"),
            badge=badge if unread else None,
        )
    ]


def comments_viewer_part(*, request, lesson, page, values, rows) -> dict:
    """The header's notifications link and unread count; with ``lesson``: the 🔔, whether the
    viewer may comment, their own comments' controls, the comments they flagged and their own
    comments awaiting moderation (rendered: 1 query more, only when there are some)."""
    user = request.user
    unread = values["comments_unread"] or 0
    part = {"nav": _nav(unread), "unread": unread, "lesson": None}
    if lesson is None:
        return part
    comments_open = bool(values["comments_open"])
    own = [
        Comment(pk=ref, lesson_id=lesson.pk, author_id=user.pk, status=text, created_at=at)
        for kind, ref, text, at in rows
        if kind == "comments:own"
    ]
    pending_ids = [comment.pk for comment in own if comment.status == CommentStatus.PENDING]
    return part | {
        "lesson": lesson.pk,
        "subscribed": bool(values["comments_subscribed"]),
        "comments_open": comments_open,
        "may_comment": comments_open and selectors.user_may_comment(user=user, lesson=lesson),
        "moderator": rules.comment_can_moderate(user),
        "own": [
            {
                "id": comment.pk,
                "can_edit": rules.comment_can_edit(comment, user),
                "can_delete": rules.comment_can_delete(comment, user),
            }
            for comment in own
        ],
        "flagged": [ref for kind, ref, _, _ in rows if kind == "comments:flag"],
        "pending": _pending(request, lesson, pending_ids, comments_open) if pending_ids else [],
    }


def _pending(request, lesson, ids, comments_open) -> list[dict]:
    """The viewer's comments awaiting moderation, rendered as they see them."""
    comments = list(Comment.objects.filter(pk__in=ids).select_related("author").order_by("pk"))
    nodes = []
    for comment in comments:
        comment.lesson = lesson
        nodes.append(
            selectors.comment_node(
                comment, user=request.user, lesson=lesson, comments_open=comments_open
            )
        )
    articles = articles_html(nodes, lesson=lesson, request=request)
    return [
        {"id": c.pk, "parent": c.parent_id, "html": thread_item(c.pk, articles[c.pk])}
        for c in comments
    ]
