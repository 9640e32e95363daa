"""The lesson page's comment threads, each kept rendered under what changes with it.

The threads are part of the shared page (``lessons.caching``): the same for every viewer, as any
signed-in learner who wrote and flagged nothing would see them (``ANY_LEARNER``: "Reply" and
"Flag" links, no edit or delete). The viewer's own controls come from the viewer endpoint.

Rendering a thousand comments costs far more than reading a page of top-level ones, and a new
comment changes one thread. So the page cache keeps, under keys made of what they show that can
change:

- each thread's HTML, by its top comment's id and revision and its replies' marks (how many,
  the newest id, the sum of their revisions; see ``selectors.thread_tops``), and by what the
  whole page shares, digested as a page's identity is (``lessons.caching.page_identity``):
  the site's content version (authors' names, the lesson's own edits), whether replies are
  open, the language, time zone and release;
- each comment's ``<article>``, by its id and revision (``Comment.revision``, moved on by every
  save), the values it shows from other rows (its node: the author's name, picture and role,
  whether it predates the lesson's last change, the links offered), the language, time zone
  and release: not by the site's version, so an admin's edit elsewhere on the site costs the
  next view a read of the threads and no render.

The page reads its top-level comments with their marks (1 query) and takes the threads the
cache holds (one ``get_many``); a thread it does not hold is read (1 query more) and assembled
from the kept articles, rendering the comments not kept: after a new comment or reply, that one
comment. Nothing here is invalidated: a changed thread or comment has a new key.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AnonymousUser
from django.template.context import make_context
from django.template.loader import get_template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from lessons.caching import page_cache, page_identity
from lessons.conf import lessons_settings
from lessons.versions import Version, site_version

from .conf import comments_settings
from .selectors import comment_node, thread_tops, threads_of

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


def shared_node(comment, *, lesson, comments_open: bool):
    """``comment`` as the shared page shows it (see ``ANY_LEARNER``), without children."""
    return comment_node(comment, user=ANY_LEARNER, lesson=lesson, comments_open=comments_open)


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
    """Each node's article by comment id, rendered now."""
    rendered = _render_articles(nodes, lesson=lesson, request=request)
    return {node.id: article for node, article in zip(nodes, rendered, strict=True)}


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


def _row_key(comment) -> str:
    """A comment row as a key part: its id and revision, and its posting time, so that an id
    a rebuilt database gives again never meets what was kept before."""
    return f"{comment.pk}.{comment.revision}.{comment.created_at.timestamp():.6f}"


def _article_key(node, context_key: str) -> str:
    """An article's key: its row and what its node shows from other rows (the author's name,
    picture and role, whether it predates the lesson's last change, the links offered), so
    that an article outlives changes to the site that do not touch it."""
    shown = (
        node.placeholder,
        node.author_name,
        node.author_avatar,
        node.is_instructor,
        node.earlier_version,
        node.can_reply,
        node.can_flag,
    )
    digest = hashlib.blake2b(repr(shown).encode(), digest_size=8).hexdigest()
    return f"stream:comment:{context_key}:{_row_key(node.comment)}:{digest}"


def _kept(keys: dict, make) -> dict:
    """``{name: value}`` for ``keys`` (``{name: cache key}``): what the page cache holds, and
    ``make(missing names)`` for the rest, kept."""
    seconds = lessons_settings.PAGE_CACHE_SECONDS
    found = page_cache().get_many(list(keys.values())) if seconds else {}
    values = {name: found[key] for name, key in keys.items() if key in found}
    missing = [name for name in keys if name not in values]
    if missing:
        fresh = make(missing)
        if seconds:
            page_cache().set_many({keys[name]: value for name, value in fresh.items()}, seconds)
        values |= fresh
    return values


def _threads_render(tops, *, lesson, comments_open: bool, article_key: str, request):
    """The ``<li>`` of each of ``tops``' threads by top comment id ("" for a thread with
    nothing left to show), from each comment's kept article where the cache holds it. 1
    query."""
    threads = threads_of(
        tops,
        roots=[top.pk for top in tops],
        lesson=lesson,
        user=AnonymousUser(),
        make=lambda comment: shared_node(comment, lesson=lesson, comments_open=comments_open),
    )
    nodes = {node.id: node for node in _all_nodes(threads)}
    articles = _kept(
        {pk: _article_key(node, article_key) for pk, node in nodes.items()},
        lambda missing: articles_html(
            [nodes[pk] for pk in missing], lesson=lesson, request=request
        ),
    )
    return {top.pk: "" for top in tops} | {node.id: _thread(node, articles) for node in threads}


def thread_list_html(section, *, request, version: Version | None = None) -> str:
    """The threads of ``section``'s page as the shared page shows them, at the site's content
    ``version`` (read when not given: 1 query). 1 query when the cache holds every thread, 2
    otherwise."""
    lesson, comments_open = section.lesson, section.comments_open
    size = max(1, int(comments_settings.COMMENTS_PER_PAGE))
    tops, _page_ids = thread_tops(
        lesson=lesson,
        user=AnonymousUser(),
        start=(section.number - 1) * size,
        size=size,
        marked=True,
    )
    # What every kept thread of the page shares, as a page's identity is made: its articles
    # show other rows' values (authors' names), so the site's version; an article's own key
    # names those values instead (_article_key).
    context_key = page_identity(
        parts=("comments", comments_open), versions=(version or site_version(),)
    )
    by_top = {top.pk: top for top in tops}
    threads = _kept(
        {
            top.pk: f"stream:thread:{context_key}:{_row_key(top)}:{top.thread_size}:"
            f"{top.thread_last}:{top.thread_revisions}"
            for top in tops
        },
        lambda missing: _threads_render(
            [by_top[pk] for pk in missing],
            lesson=lesson,
            comments_open=comments_open,
            article_key=page_identity(parts=("comment",), versions=()),
            request=request,
        ),
    )
    return mark_safe("".join(threads[top.pk] for top in tops))  # noqa: S308 (rendered here)
