"""Building comment data fast (bulk, pre-rendered) for tests that need hundreds of comments."""

import random

from django.contrib.auth import get_user_model

from comments.models import Comment, CommentFlag, CommentStatus
from lessons.markdown import render_comment_markdown
from lessons.versions import content_changed


def comments_bulk_create(*, lesson, total, threads, authors=None, viewer=None, seed=7):
    """``total`` comments on ``lesson`` in ``threads`` threads, nested down to depth 3, from
    many authors, with flags (some by ``viewer``) and a few hidden, deleted and pending ones.

    Built level by level with ``bulk_create`` (each level needs its parents' ids).
    """
    if total == 0:
        return []
    rng = random.Random(seed)
    if authors is None:
        # Unusable passwords: hashing forty real ones would take seconds.
        user_model = get_user_model()
        tag = rng.randrange(10**9)
        login, email = user_model.USERNAME_FIELD, user_model.get_email_field_name()
        authors = user_model.objects.bulk_create(
            user_model(
                **{login: f"a{tag}-{i}@example.com", email: f"a{tag}-{i}@example.com"},
                password="!",
            )
            for i in range(min(40, total))
        )
    if viewer is not None:
        authors = [*authors, viewer]
    html = render_comment_markdown("A comment with **bold**, `code` and a [link](https://x.test/).")
    statuses = [CommentStatus.PUBLISHED] * 12 + [
        CommentStatus.HIDDEN,
        CommentStatus.REMOVED,
        CommentStatus.PENDING,
    ]

    def build(parent, index):
        return Comment(
            lesson=lesson,
            author=rng.choice(authors),
            parent=parent,
            root=(parent.root or parent) if parent is not None else None,
            depth=parent.depth + 1 if parent is not None else 0,
            body=f"Comment {index}",
            body_html=html,
            status=CommentStatus.PUBLISHED if parent is None else rng.choice(statuses),
        )

    top = min(threads, max(1, total // 3))
    created = Comment.objects.bulk_create([build(None, i) for i in range(top)])
    levels = [list(created)]
    remaining = total - top
    shares = [0.35, 0.35, 0.30]
    for depth, share in enumerate(shares, start=1):
        count = remaining if depth == len(shares) else int((total - top) * share)
        count = min(count, remaining)
        parents = levels[-1]
        if not parents or not count:
            break
        level = Comment.objects.bulk_create(
            [build(rng.choice(parents), f"{depth}-{i}") for i in range(count)]
        )
        created.extend(level)
        levels.append(level)
        remaining -= count
    flaggers = authors[:10]
    flags = {
        (comment.pk, user.pk): CommentFlag(comment=comment, user=user)
        for comment in rng.sample(created, k=min(len(created), max(1, total // 5)))
        for user in rng.sample(flaggers, k=2)
    }
    if viewer is not None:
        for comment in created[::7]:
            flags[(comment.pk, viewer.pk)] = CommentFlag(comment=comment, user=viewer)
    CommentFlag.objects.bulk_create(flags.values())
    content_changed(lesson_ids=[lesson.pk])  # bulk_create sends no post_save
    return created
