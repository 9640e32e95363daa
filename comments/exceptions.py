"""Why a comments service refused: each carries a message a learner can read."""


class CommentsError(Exception):
    """Base class. ``message`` is translated and safe to show; ``code`` is for the API."""

    code = "error"

    def __init__(self, message, *, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotAllowed(CommentsError):
    """The user may not do this to this object (HTTP 403)."""

    code = "permission_denied"


class CommentsClosed(NotAllowed):
    """Posting is closed on this lesson or its course (HTTP 403)."""

    code = "comments_closed"


class RateLimited(CommentsError):
    """Too many attempts in the window; ``wait`` is how many seconds until it resets (429)."""

    code = "throttled"

    def __init__(self, message, *, wait=None):
        super().__init__(message)
        self.wait = wait
