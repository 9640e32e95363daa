"""``GET lessons/<id>/comments/`` from the cache: the serialised threads, shared by everyone.

What the HTML threads do (``comments.thread_cache``), for the API's JSON: a page of threads is
serialised once for *any learner* (who wrote and flagged nothing) and once for anonymous
visitors, and cached per lesson, page, language, time zone and ``may_comment``/
``comments_open`` under the lesson page cache's version tokens (every comment, flag,
subscription and lesson write changes them). A learner's own and flagged comments are
serialised for them (cached per viewer) and put in place of the shared ones: their
``is_mine``, ``flagged_by_me`` and ``can`` are theirs. Staff, and a learner with a comment
awaiting moderation (which only they see), get the page built for them.
"""

from __future__ import annotations

import math

from django.contrib.auth.models import AnonymousUser
from django.urls import get_script_prefix
from django.utils import timezone

from lessons.page_cache import fragment_lookup
from lessons.selectors import user_is_staff

from . import rules
from .conf import comments_settings
from .models import CommentStatus
from .selectors import (
    comment_node,
    comment_tree_for_lesson,
    comments_of_viewer,
    user_may_comment,
)
from .thread_cache import ANY_LEARNER, section_state


def _page_fields(page) -> dict:
    return {
        "count": page.count,
        "threads": page.thread_total,
        "page": page.number,
        "pages": page.pages,
        "comments_open": page.comments_open,
        "subscribed": page.subscribed,
    }


def comment_page_payload(*, lesson, user, page: int, node_data) -> dict | None:
    """Page ``page`` of ``lesson``'s threads as ``user`` sees them: the page's figures and
    ``results`` (each thread serialised by ``node_data``), or ``None`` when there is no such
    page. Once cached: no query for a visitor, 1 for a learner's first request on a lesson."""
    if user_is_staff(user):
        return _built(lesson=lesson, user=user, page=page, node_data=node_data)
    learner = rules.user_is_learner(user)
    may_reply = False
    own = None
    state = section_state(lesson=lesson, user=user)
    parts = (timezone.get_current_timezone_name(), get_script_prefix())
    if learner:
        may_reply = state.comments_open and user_may_comment(user=user, lesson=lesson)
        own = _viewer_nodes(lesson=lesson, user=user, may_reply=may_reply, parts=parts)
        if own is None:  # a comment of theirs awaits moderation: their threads are their own
            return _built(lesson=lesson, user=user, page=page, node_data=node_data)
    per_page = max(1, int(comments_settings.COMMENTS_PER_PAGE))
    if not 1 <= page <= max(1, math.ceil(state.threads / per_page)):
        return None
    fragment = fragment_lookup(
        name="api-comments",
        lesson_id=lesson.pk,
        parts=(page, "learner" if learner else "anonymous", may_reply, *parts),
    )
    if fragment is not None and fragment.hit:
        shared = fragment.value
    else:
        shared = _shared(
            lesson=lesson,
            page=page,
            state=state,
            viewer=ANY_LEARNER if learner else AnonymousUser(),
            may_reply=may_reply,
            node_data=node_data,
        )
        if fragment is not None:
            fragment.store(shared)
    results = shared["results"]
    if own:
        results = [_patched(thread, own) for thread in results]
    return {**shared, "subscribed": state.subscribed, "results": results}


def _built(*, lesson, user, page, node_data) -> dict | None:
    found = comment_tree_for_lesson(lesson=lesson, user=user, page=page)
    if found.number != page:
        return None
    return {**_page_fields(found), "results": [node_data(node) for node in found.threads]}


def _shared(*, lesson, page, state, viewer, may_reply, node_data) -> dict:
    tree = comment_tree_for_lesson(lesson=lesson, user=AnonymousUser(), page=page, state=state)

    def as_viewer(node):
        fresh = comment_node(node.comment, user=viewer, lesson=lesson, comments_open=may_reply)
        fresh.children = [as_viewer(child) for child in node.children]
        return fresh

    return {
        **_page_fields(tree),
        "results": [node_data(as_viewer(node)) for node in tree.threads],
    }


def _viewer_nodes(*, lesson, user, may_reply, parts) -> dict | None:
    """The viewer's own and flagged comments, serialised for them without their replies, by
    id (cached per viewer); ``None`` when one of theirs awaits moderation."""
    from .api import _node_data

    fragment = fragment_lookup(
        name="api-comments-viewer", lesson_id=lesson.pk, parts=(str(user.pk), may_reply, *parts)
    )
    if fragment is not None and fragment.hit:
        value = fragment.value
    else:
        mine = comments_of_viewer(lesson=lesson, user=user)
        pending = any(c.status == CommentStatus.PENDING and c.author_id == user.pk for c in mine)
        value = {"pending": pending, "nodes": {}}
        if not pending:
            for comment in mine:
                comment.lesson = lesson
                node = comment_node(comment, user=user, lesson=lesson, comments_open=may_reply)
                data = _node_data(node)
                data.pop("replies")
                value["nodes"][comment.pk] = data
        if fragment is not None:
            fragment.store(value)
    return None if value["pending"] else value["nodes"]


def _patched(thread: dict, own: dict) -> dict:
    replies = [_patched(reply, own) for reply in thread["replies"]]
    mine = own.get(thread["id"])
    if mine is None:
        return {**thread, "replies": replies} if replies != thread["replies"] else thread
    return {**mine, "replies": replies}
