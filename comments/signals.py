"""Signals the comments app sends, so a host can hook its own LMS or analytics. Each is sent
once, after the transaction that saved the row commits; ``sender`` is the model class. A
receiver that raises is logged and the learner's request still succeeds (send_robust).
"""

from django.dispatch import Signal

# A comment or a reply was posted (published at once, or waiting for moderation: check
# ``comment.status``). sender: Comment; arguments: comment (Comment), lesson (Lesson),
# user (the author), parent (the Comment replied to, or None).
comment_posted = Signal()

# A problem report was filed on a lesson. sender: ProblemReport; arguments: report
# (ProblemReport), lesson (Lesson), user (the reporter, or None for a visitor).
report_filed = Signal()
