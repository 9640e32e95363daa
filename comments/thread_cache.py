"""The lesson page's comment threads, rendered once and shared by every learner.

Rendering a thousand comments costs far more than reading them, and all learners see the same
threads, the same "Reply" and "Flag" controls, except on their own comments (edit, delete, no
flag) and the ones they flagged. So the list is rendered for *any learner* (a stand-in who wrote
and flagged nothing) and cached per lesson, page, language, settings and
``may_comment``/``comments_open``, under the lesson page cache's version tokens (every comment
write invalidates it; see ``lessons.page_cache``). Each request then re-renders only the
viewer's own and flagged comments (one query finds them) and swaps them in between the
``<!--stream-comment:ID-->`` markers that wrap every article (comment bodies are sanitised
with HTML comments stripped, so no text can forge a marker). CSRF tokens are put in per
request, like the page cache does.

Anonymous visitors get the list without controls, cached the same way. Staff (moderation
controls on every comment) and a learner with a comment awaiting moderation (visible to them
alone, which can change the threads and pages) get the list rendered for them.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AnonymousUser
from django.middleware.csrf import get_token
from django.template.context import make_context
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from lessons.page_cache import fragment_lookup
from lessons.selectors import user_is_staff

from . import rules
from .models import Comment, CommentFlag, CommentStatus
from .selectors import (
    SectionState,
    comment_node,
    comment_section_figures,
    comment_section_state,
    comment_tree_for_lesson,
    comments_of_viewer,
)

THREAD_TEMPLATE = "stream/comments/includes/comment_thread.html"
COMMENT_TEMPLATE = "stream/comments/includes/comment.html"


class AnyLearner:
    """A signed-in learner who wrote and flagged nothing: whose rights the shared list shows."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = object()  # equal to no author id


ANY_LEARNER = AnyLearner()


def flag_lesson_id(flag):
    """The lesson of a flag's comment, for invalidation: no query when the comment is loaded
    (as the services have it), and no failure while a cascade is deleting it (``None`` then,
    which invalidates every page)."""
    if CommentFlag.comment.is_cached(flag):
        return flag.comment.lesson_id
    return Comment.objects.filter(pk=flag.comment_id).values_list("lesson_id", flat=True).first()


def _marker(pk) -> tuple[str, str]:
    return f"<!--stream-comment:{pk}-->", f"<!--/stream-comment:{pk}-->"


def _render_each(template_name, base: dict, request, nodes) -> list[str]:
    """``template_name`` rendered once per node (as ``node``) in one context: the context
    processors run once, not once per comment."""
    template = get_template(template_name).template
    context = make_context(base, request)
    with context.bind_template(template):
        rendered = []
        for node in nodes:
            with context.push(node=node):
                rendered.append(template.render(context))
    return rendered


def _shared_list(section, *, request, viewer, may_reply, placeholder) -> str:
    """Every thread of the page as ``viewer`` (anonymous or any learner) sees it."""
    tree = comment_tree_for_lesson(
        lesson=section.lesson, user=AnonymousUser(), page=section.number, state=section.state
    )
    lesson = section.lesson

    def as_viewer(node):
        fresh = comment_node(node.comment, user=viewer, lesson=lesson, comments_open=may_reply)
        fresh.children = [as_viewer(child) for child in node.children]
        return fresh

    base = {
        "lesson": lesson,
        "comments_page": section.number,
        "comment_markers": True,
        "csrf_token": placeholder,
    }
    return "".join(
        _render_each(THREAD_TEMPLATE, base, request, [as_viewer(node) for node in tree.threads])
    )


def section_state(*, lesson, user) -> SectionState:
    """The comment section's heading figures for ``user``, from the cache: the count, threads
    and open/closed are the same for every visitor and learner, and a learner's 🔔 and
    the threads they see (more when they have a comment awaiting moderation) are cached for
    them (every comment and subscription write invalidates both). No query once cached; 1 on
    a miss. Staff get ``comment_section_state`` (1 query)."""
    learner = rules.user_is_learner(user)
    public = fragment_lookup(name="comment-state", lesson_id=lesson.pk)
    if public is None or user_is_staff(user):
        return comment_section_state(lesson=lesson, user=user)
    viewer = None
    if learner:
        viewer = fragment_lookup(
            name="comment-state-viewer", lesson_id=lesson.pk, parts=(str(user.pk),)
        )
    if not public.hit or (viewer is not None and not viewer.hit):
        row = comment_section_figures(
            lesson=lesson,
            viewer=user if viewer is not None and not viewer.hit else None,
            public=not public.hit,
        )
        if not public.hit:
            public.store({name: row[name] for name in ("count", "threads", "comments_open")})
        if viewer is not None and not viewer.hit:
            viewer.store({name: row[name] for name in ("subscribed", "pending", "viewer_threads")})
    state = SectionState(
        **public.value, subscribed=viewer.value["subscribed"] if viewer is not None else None
    )
    if viewer is not None and viewer.value["pending"]:
        state.threads = viewer.value["viewer_threads"]
    return state


def thread_list_html(section, *, request, csrf_token) -> str:
    """The ``<li>`` threads of ``section``'s page for ``request.user``; ``csrf_token`` is the
    page's (a placeholder of its own when the whole page is being cached)."""
    user = section.user
    lesson = section.lesson
    may_reply = section.comments_open and section.may_comment
    if user_is_staff(user) or request is None:
        return _own_list(section, request=request)
    learner = rules.user_is_learner(user)
    own = _viewer_articles(section, request=request, may_reply=may_reply) if learner else None
    if own is not None and own["pending"]:
        return _own_list(section, request=request)

    fragment = fragment_lookup(
        name="comment-threads",
        lesson_id=lesson.pk,
        parts=(section.number, "learner" if learner else "anonymous", may_reply),
    )
    if fragment is not None and fragment.hit:
        html, placeholder = fragment.value["html"], fragment.value["placeholder"]
    else:
        placeholder = secrets.token_hex(16)
        viewer = ANY_LEARNER if learner else AnonymousUser()
        html = _shared_list(
            section, request=request, viewer=viewer, may_reply=may_reply, placeholder=placeholder
        )
        if fragment is not None:
            fragment.store({"html": html, "placeholder": placeholder})

    token = str(csrf_token) if csrf_token else get_token(request)
    html = html.replace(placeholder, token)
    if own and own["articles"]:
        # The token goes into the few own articles, not into the whole list a second time.
        articles = {
            pk: article.replace(own["placeholder"], token)
            for pk, article in own["articles"].items()
        }
        html = _splice(html, articles)
    return mark_safe(html)  # noqa: S308 (our templates rendered it)


def _viewer_articles(section, *, request, may_reply) -> dict:
    """The viewer's own and flagged comments on this page, rendered for them (cached per
    viewer under the lesson's version tokens: a new comment or flag of theirs is a write that
    invalidates it). ``pending``: they have a comment awaiting moderation here."""
    user, lesson = section.user, section.lesson
    fragment = fragment_lookup(
        name="comment-threads-viewer",
        lesson_id=lesson.pk,
        parts=(section.number, str(user.pk), may_reply),
    )
    if fragment is not None and fragment.hit:
        return fragment.value
    mine = comments_of_viewer(lesson=lesson, user=user)
    placeholder = secrets.token_hex(16)
    articles = {}
    pending = any(c.status == CommentStatus.PENDING and c.author_id == user.pk for c in mine)
    if not pending:
        for comment in mine:
            comment.lesson = lesson
        nodes = [
            comment_node(comment, user=user, lesson=lesson, comments_open=may_reply)
            for comment in mine
        ]
        base = {
            "lesson": lesson,
            "comments_page": section.number,
            "comment_markers": True,
            "csrf_token": placeholder,
        }
        rendered = _render_each(COMMENT_TEMPLATE, base, request, nodes)
        articles = {comment.pk: html for comment, html in zip(mine, rendered, strict=True)}
    value = {"pending": pending, "articles": articles, "placeholder": placeholder}
    if fragment is not None:
        fragment.store(value)
    return value


def _splice(html: str, articles: dict) -> str:
    """``html`` with each article in ``articles`` (by comment id) put in its markers' place.

    Each article's markers are looked up directly (a viewer has a few articles in a list of
    up to thousands): scanning every marker of a 1,000-comment list cost more than the rest
    of the splice."""
    spans = []
    for pk, article in articles.items():
        start_marker, end_marker = _marker(pk)
        start = html.find(start_marker)
        end = html.find(end_marker, start) if start >= 0 else -1
        if end >= 0:
            spans.append((start, end + len(end_marker), article))
    pieces, done = [], 0
    for start, end, article in sorted(spans, key=lambda span: span[0]):
        if start < done:
            continue
        pieces += [html[done:start], article]
        done = end
    pieces.append(html[done:])
    return "".join(pieces)


def _own_list(section, *, request) -> str:
    base = {"lesson": section.lesson, "comments_page": section.number}
    return mark_safe(  # noqa: S308 (our autoescaping templates rendered it)
        "".join(_render_each(THREAD_TEMPLATE, base, request, section.threads))
    )
