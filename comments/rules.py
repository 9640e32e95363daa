"""Who may do what to a comment: one place for the page, the API and the services.

Each rule takes the acting user and the comment (with ``lesson`` loaded) and answers with a
bool; the services enforce them, the selectors use them to show or hide buttons, and the API's
permission classes call them per object.
"""

from lessons.selectors import user_is_staff

from .models import CommentStatus


def user_is_learner(user) -> bool:
    """A signed-in, active account: the only kind that may comment, flag or subscribe."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def comment_is_visible(comment, user) -> bool:
    """Whether ``user`` may read ``comment``'s text (placeholders aside)."""
    if user_is_staff(user):
        return True
    if comment.status == CommentStatus.PUBLISHED:
        return True
    return (
        comment.status == CommentStatus.PENDING
        and user_is_learner(user)
        and comment.author_id == user.pk
    )


def comment_can_edit(comment, user) -> bool:
    """The author edits their own comment while it is published or waiting for moderation."""
    return (
        user_is_learner(user)
        and comment.author_id == user.pk
        and comment.status in {CommentStatus.PUBLISHED, CommentStatus.PENDING}
    )


def comment_can_delete(comment, user) -> bool:
    """The author deletes their own comment; staff may delete anyone's (both soft)."""
    if comment.status == CommentStatus.REMOVED or not user_is_learner(user):
        return False
    if user_is_staff(user):
        return True
    return comment.author_id == user.pk and comment.status != CommentStatus.HIDDEN


def comment_can_flag(comment, user) -> bool:
    """Anyone signed in flags a comment they can read, except their own."""
    return (
        user_is_learner(user)
        and comment.author_id != user.pk
        and comment.status == CommentStatus.PUBLISHED
    )


def comment_can_reply(comment, user) -> bool:
    """Anyone signed in replies to a comment they can read (closed lessons aside)."""
    return (
        user_is_learner(user)
        and comment.status in {CommentStatus.PUBLISHED, CommentStatus.PENDING}
        and comment_is_visible(comment, user)
    )


def comment_can_moderate(user) -> bool:
    """Staff hide, unhide and approve comments."""
    return user_is_staff(user)
