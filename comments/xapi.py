"""Comments' xAPI statement: a learner commented on a lesson.

A comment is described when it is first published (at once, or when staff approve it): one
waiting for moderation or hidden is not news to tell a learning record store. The statement's
id is derived from the comment, so publishing it again (unhide after hide) queues nothing new.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model

from lessons import xapi

from .models import Comment, CommentStatus


def comment_statement(comment: Comment, config, *, lesson=None) -> dict:
    """The statement for ``comment``. ``lesson``: its lesson, read with its course and both's
    titles in every language (``comment.lesson`` by default: read without them, they cost a
    query each)."""
    return xapi.statement_comment_posted(
        user=comment.author,
        lesson=lesson or comment.lesson,
        comment_id=comment.pk,
        text=comment.body,
        at=comment.created_at,
        config=config,
    )


def comment_statement_record(*, comment: Comment) -> None:
    """Queue the statement for ``comment``, just published (nothing while xAPI is off): 1
    query for its lesson and course with their names in every language, 1 insert."""
    config = xapi.xapi_config()
    if config is None or comment.author_id is None:
        return
    lesson = xapi.lessons_with_names([comment.lesson_id])[comment.lesson_id]
    statement = comment_statement(comment, config, lesson=lesson)
    xapi.statements_record(user=comment.author, statements=[statement])


def comment_statements_past(config) -> Iterator[tuple[object, list[dict]]]:
    """Every learner's published comments so far, as statements (``manage.py
    xapi_backfill``). One query per learner."""
    published = Comment.objects.filter(status=CommentStatus.PUBLISHED, author__isnull=False)
    learners = get_user_model()._default_manager.filter(pk__in=published.values("author_id"))
    for user in learners.order_by("pk").iterator():
        comments = published.filter(author_id=user.pk).select_related("lesson__course")
        statements = []
        for comment in xapi.lesson_titles_annotate(comments, through="lesson").order_by("pk"):
            xapi.lesson_titles_attach(comment, through="lesson")
            comment.author = user
            statements.append(comment_statement(comment, config))
        yield user, statements
