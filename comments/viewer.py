"""The comments part of the viewer endpoint (``lessons.viewer``): what the shared lesson page
cannot show about its viewer."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lessons.viewer import nav_item

from . import rules, selectors
from .models import CommentStatus
from .threads import articles_html, thread_item


def comments_viewer_part(*, request, lesson, page) -> dict:
    """The header's notifications link and unread count; with ``lesson``: the 🔔, whether the
    viewer may comment, their own comments' controls, the comments they flagged and their own
    comments awaiting moderation (rendered)."""
    user = request.user
    unread = selectors.unread_count(user=user)
    badge = ngettext("%(count)d unread", "%(count)d unread", unread) % {"count": unread}
    part = {
        "nav": [
            nav_item(
                url=reverse("stream_comments:notifications"),
                label=_("Notifications"),
                badge=badge if unread else None,
            )
        ],
        "unread": unread,
        "lesson": None,
    }
    if lesson is None:
        return part
    state = selectors.comment_section_state(lesson=lesson, user=user)
    mine = selectors.comments_of_viewer(lesson=lesson, user=user)
    own = [comment for comment in mine if comment.author_id == user.pk]
    pending = [comment for comment in own if comment.status == CommentStatus.PENDING]
    for comment in pending:
        comment.lesson = lesson
    nodes = [
        selectors.comment_node(comment, user=user, lesson=lesson, comments_open=state.comments_open)
        for comment in pending
    ]
    articles = articles_html(nodes, lesson=lesson, request=request) if nodes else {}
    return part | {
        "lesson": lesson.pk,
        "subscribed": bool(state.subscribed),
        "comments_open": state.comments_open,
        "may_comment": state.comments_open and selectors.user_may_comment(user=user, lesson=lesson),
        "moderator": rules.comment_can_moderate(user),
        "own": [
            {
                "id": comment.pk,
                "can_edit": rules.comment_can_edit(comment, user),
                "can_delete": rules.comment_can_delete(comment, user),
            }
            for comment in own
        ],
        "flagged": [comment.pk for comment in mine if getattr(comment, "flagged_by_me", False)],
        "pending": [
            {
                "id": comment.pk,
                "parent": comment.parent_id,
                "html": thread_item(comment.pk, articles[comment.pk]),
            }
            for comment in pending
        ],
    }
