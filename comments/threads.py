"""The lesson page's comment threads, assembled from each comment's own cached HTML.

The threads are part of the shared page (``lessons.caching``): the same for every viewer, as any
signed-in learner who wrote and flagged nothing would see them (``ANY_LEARNER``: "Reply" and
"Flag" links, no edit or delete). The viewer's own controls come from the viewer endpoint.

Rendering a thousand comments costs far more than reading them, and a new comment changes one.
So each comment's ``<article>`` is kept in the page cache under a digest of everything it
shows (its text, status and times, its author's name and picture, whether replies are open,
the language, time zone and release): a new or edited comment renders that one article, and
the page is assembled from the rest (one ``get_many``). Nothing here is invalidated: a changed
comment has a new digest.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AnonymousUser
from django.template.context import make_context
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from lessons.caching import page_cache
from lessons.conf import lessons_settings
from lessons.versions import release

from .models import Comment, CommentFlag
from .selectors import comment_node, comment_tree_for_lesson

COMMENT_TEMPLATE = "stream/comments/includes/comment.html"


class AnyLearner:
    """A signed-in learner who wrote and flagged nothing: whose rights the shared threads show."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = object()  # equal to no author id


ANY_LEARNER = AnyLearner()


def flag_lesson_id(flag):
    """The lesson of a flag's comment (no query when the comment is loaded)."""
    if CommentFlag.comment.is_cached(flag):
        return flag.comment.lesson_id
    return Comment.objects.filter(pk=flag.comment_id).values_list("lesson_id", flat=True).first()


def shared_node(comment, *, lesson, comments_open: bool):
    """``comment`` as the shared page shows it (see ``ANY_LEARNER``), without children."""
    return comment_node(comment, user=ANY_LEARNER, lesson=lesson, comments_open=comments_open)


def _article_key(node) -> str:
    comment = node.comment
    parts = (
        release(),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        comment.pk,
        comment.status,
        node.placeholder,
        comment.created_at,
        comment.edited_at,
        hashlib.blake2b(comment.body_html.encode(), digest_size=8).hexdigest(),
        comment.language,
        node.author_name,
        node.author_avatar,
        node.is_instructor,
        node.earlier_version,
        node.can_reply,
        node.can_flag,
    )
    return "stream:comment:" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _render_articles(nodes, *, lesson, request) -> list[str]:
    """Each node's article from one template context (the context processors run once)."""
    template = get_template(COMMENT_TEMPLATE).template
    context = make_context({"lesson": lesson, "stream_shared_page": True}, request)
    rendered = []
    with context.bind_template(template):
        for node in nodes:
            with context.push(node=node):
                rendered.append(template.render(context))
    return rendered


def articles_html(nodes, *, lesson, request) -> dict[int, str]:
    """Each node's shared article by comment id: from the cache, rendering only the ones it
    does not hold."""
    keys = {node.id: _article_key(node) for node in nodes}
    seconds = lessons_settings.PAGE_CACHE_SECONDS
    found = page_cache().get_many(list(keys.values())) if seconds else {}
    html = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [node for node in nodes if node.id not in html]
    if missing:
        rendered = _render_articles(missing, lesson=lesson, request=request)
        fresh = {node.id: article for node, article in zip(missing, rendered, strict=True)}
        if seconds:
            page_cache().set_many({keys[pk]: article for pk, article in fresh.items()}, seconds)
        html |= fresh
    return html


def _all_nodes(threads):
    for node in threads:
        yield node
        yield from _all_nodes(node.children)


def thread_item(comment_id: int, article: str, replies: str = "") -> str:
    """A comment's article as a thread's ``<li>``, its replies' list after it."""
    return format_html(
        '<li class="stream-thread" id="thread-{}">{}<ol class="stream-replies" '
        'data-replies-for="{}">{}</ol></li>',
        comment_id,
        mark_safe(article),  # noqa: S308 (our autoescaping template rendered it)
        comment_id,
        mark_safe(replies),  # noqa: S308 (built here from such articles)
    )


def _thread(node, articles) -> str:
    replies = "".join(_thread(child, articles) for child in node.children)
    return thread_item(node.id, articles[node.id], replies)


def threads_html(threads, *, lesson, request) -> str:
    """The ``<li>`` threads of ``threads`` (shared nodes with children)."""
    articles = articles_html(list(_all_nodes(threads)), lesson=lesson, request=request)
    return mark_safe("".join(_thread(node, articles) for node in threads))  # noqa: S308


def thread_list_html(section, *, request) -> str:
    """The threads of ``section``'s page as the shared page shows them. 2 queries (the page of
    top-level comments and their replies; the section's state is given)."""
    lesson = section.lesson
    tree = comment_tree_for_lesson(
        lesson=lesson, user=AnonymousUser(), page=section.number, state=section.state
    )
    comments_open = section.comments_open

    def shared(node):
        fresh = shared_node(node.comment, lesson=lesson, comments_open=comments_open)
        fresh.children = [shared(child) for child in node.children]
        return fresh

    return threads_html([shared(node) for node in tree.threads], lesson=lesson, request=request)
