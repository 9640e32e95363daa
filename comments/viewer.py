"""The comments part of the viewer endpoint (``lessons.viewer``): what the shared lesson page
cannot show about its viewer."""

from django.db.models import Count, F, IntegerField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lessons.viewer import nav_item, viewer_first, viewer_row

from . import rules, selectors
from .models import (
    HELD,
    Comment,
    CommentFlag,
    CommentSettings,
    CommentStatus,
    Notification,
    ReplySubscription,
)
from .selectors import _notifications_visible_q
from .threads import articles_html, thread_item

# Moderators see the newest comments held back (models.HELD) on the lesson page in full.
MODERATOR_HELD_SHOWN = 100


def comments_rows(*, user, lesson):
    """The viewer's unread notifications (a count); with ``lesson``: their 🔔 on it, the
    comment settings of the lesson and its course, their own comments (id, status, time) and
    the ones they flagged. (A moderator's held comments are read apart:
    :func:`held_comments`.)"""
    unread = (
        Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
        .filter(_notifications_visible_q(user))
        .values("recipient_id")
        .annotate(n=Count("pk"))
    )
    rows = [viewer_row(unread, "comments:unread", F("n"))]
    if lesson is None:
        return rows
    subscription = ReplySubscription.objects.filter(lesson=lesson, user_id=user.pk, active=True)
    is_open = Cast(F("comments_open"), IntegerField())
    own = Comment.objects.filter(lesson=lesson, author_id=user.pk)
    flagged = CommentFlag.objects.filter(user_id=user.pk, comment__lesson=lesson)
    return [
        *rows,
        viewer_row(subscription, "comments:subscribed", F("pk")),
        viewer_row(CommentSettings.objects.filter(lesson=lesson), "comments:lesson_open", is_open),
        viewer_row(
            CommentSettings.objects.filter(course_id=lesson.course_id),
            "comments:course_open",
            is_open,
        ),
        viewer_row(own, "comments:own", F("pk"), text=F("status"), at=F("created_at")),
        viewer_row(flagged, "comments:flag", F("comment_id")),
    ]


def _nav(unread: int) -> list[dict]:
    badge = ngettext("%(count)d unread", "%(count)d unread", unread) % {"count": unread}
    return [
        nav_item(
            url=reverse("stream_comments:notifications"),
            label=_("Notifications"),
            badge=badge if unread else None,
        )
    ]


def comments_viewer_part(*, request, lesson, page, site_version, rows) -> dict:
    """The header's notifications link and unread count; with ``lesson``: the 🔔, whether the
    viewer may comment, their own comments' controls, the comments they flagged and their own
    comments awaiting moderation — for moderators, the newest ``MODERATOR_HELD_SHOWN`` hidden
    or pending comments of the lesson too (1 query more for moderators; 1 more for a viewer's
    own comments awaiting moderation that are not among those)."""
    user = request.user
    unread = viewer_first(rows, "comments:unread") or 0
    part = {"nav": _nav(unread), "unread": unread, "lesson": None}
    if lesson is None:
        return part
    comments_open = selectors.comments_open_pick(
        lesson=viewer_first(rows, "comments:lesson_open"),
        course=viewer_first(rows, "comments:course_open"),
    )
    own = [
        Comment(pk=ref, lesson_id=lesson.pk, author_id=user.pk, status=text, created_at=at)
        for kind, ref, text, at in rows
        if kind == "comments:own"
    ]
    moderator = rules.comment_can_moderate(user)
    held = list(held_comments(lesson)) if moderator else []
    shown = {comment.pk for comment in held}
    own_pending = [
        comment.pk
        for comment in own
        if comment.status == CommentStatus.PENDING and comment.pk not in shown
    ]
    return part | {
        "lesson": lesson.pk,
        "subscribed": viewer_first(rows, "comments:subscribed") is not None,
        "comments_open": comments_open,
        "may_comment": comments_open and selectors.user_may_comment(user=user, lesson=lesson),
        "moderator": moderator,
        "own": [
            {
                "id": comment.pk,
                "can_edit": rules.comment_can_edit(comment, user),
                "can_delete": rules.comment_can_delete(comment, user),
            }
            for comment in own
        ],
        "flagged": [ref for kind, ref, _, _ in rows if kind == "comments:flag"],
        "pending": _pending(request, lesson, held, own_pending, comments_open),
    }


def held_comments(lesson):
    """The lesson's newest ``MODERATOR_HELD_SHOWN`` hidden or pending comments, with their
    authors: a query of its own, since ``LIMIT`` cannot go inside the rows' ``UNION ALL`` (on
    SQLite). An index holds only such comments, newest first (``stream_comment_held``), so the
    read stops at the last one shown: a lesson with thousands of hidden spam comments does not
    make every moderator's page view read them all."""
    held = Comment.objects.filter(lesson=lesson, status__in=HELD).select_related("author")
    return held.order_by("-created_at", "-pk")[:MODERATOR_HELD_SHOWN]


def _pending(request, lesson, held, own_ids, comments_open) -> list[dict]:
    """The viewer's comments awaiting moderation (``own_ids``, read here) and, for moderators,
    the comments held back (``held``, read already), rendered as they see them."""
    comments = list(held)
    if own_ids:
        comments += Comment.objects.filter(pk__in=own_ids).select_related("author")
    if not comments:
        return []
    comments.sort(key=lambda comment: comment.pk)
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
