"""The comments app's settings, read from the host's ``STREAM`` dict (see ``lessons.conf``).

Every key below can be set in ``settings.STREAM``; values are read on access, so
``override_settings`` and pytest's ``settings`` fixture apply at once.
"""

from lessons.conf import app_settings

COMMENTS_DEFAULTS = {
    # Deepest reply level: top-level comments are depth 0, so 3 allows a comment and three
    # levels of replies under it. A reply to a comment at the cap becomes its sibling instead
    # (it attaches to the deepest ancestor that still allows a reply).
    "COMMENTS_MAX_DEPTH": 3,
    # Top-level comments per page of the lesson's comment section and of the API; a thread
    # (a top-level comment with all its replies) is never split across pages.
    "COMMENTS_PER_PAGE": 50,
    # "oldest" or "newest": the order of top-level comments. Replies are always oldest first.
    "COMMENTS_ORDER": "oldest",
    # Longest comment body, in characters (Markdown source).
    "COMMENTS_MAX_LENGTH": 5000,
    # "post": comments appear at once and staff moderate afterwards (the default);
    # "pre": every learner's comment waits for staff approval;
    # "first": a learner's comments wait until one of them has been approved.
    # Staff comments never wait. A waiting comment is shown to its author only.
    "COMMENTS_MODERATION": "post",
    # Posting a comment turns on reply notifications (the 🔔 toggle) for that lesson, unless
    # the learner turned them off there before.
    "COMMENTS_SUBSCRIBE_ON_POST": True,
    # Per-user posting limit (comments and replies, edits excluded): at most LIMIT within
    # WINDOW seconds, counted in Django's cache (use a shared cache such as Redis in production).
    "COMMENTS_POST_LIMIT": 5,
    "COMMENTS_POST_WINDOW": 60,
    # Per-user cap on comments on one lesson within an hour, counted in the database.
    "COMMENTS_PER_LESSON_PER_HOUR": 30,
    # Per-user flagging limit: at most LIMIT flags within WINDOW seconds.
    "COMMENTS_FLAG_LIMIT": 10,
    "COMMENTS_FLAG_WINDOW": 3600,
    # New learners get reply emails unless they turn them off (in-app notifications stay).
    "COMMENTS_EMAIL_REPLIES": True,
    # How long the unsubscribe link in a reply email keeps working, in seconds (90 days).
    "COMMENTS_UNSUBSCRIBE_MAX_AGE": 90 * 24 * 3600,
    # The site's address for links in emails, e.g. "https://learn.example.com". Empty: the
    # address of the request that triggered the email.
    "COMMENTS_SITE_URL": "",
    # Problem reports: at most LIMIT per IP address and LIMIT per signed-in user within WINDOW
    # seconds, and a message of at most MAX_LENGTH characters.
    "REPORTS_LIMIT_PER_IP": 5,
    "REPORTS_LIMIT_PER_USER": 5,
    "REPORTS_WINDOW": 3600,
    "REPORTS_MAX_LENGTH": 2000,
    # When a learner's data is erased (they ask on /me/data/, staff do it in the admin, or the
    # user is deleted) their comments stay in their threads without an author. False: their
    # text goes too; True: the text stays, shown as a deleted learner's.
    "COMMENTS_ERASE_KEEPS_TEXT": False,
    # Prefix of the comments app's cache keys (rate-limit counters).
    "COMMENTS_CACHE_PREFIX": "stream:comments",
}

MODERATION_MODES = ("post", "pre", "first")
ORDERS = ("oldest", "newest")

comments_settings = app_settings(COMMENTS_DEFAULTS)
