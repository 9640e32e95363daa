"""The progress app's settings, read from the host's ``STREAM`` dict (see ``lessons.conf``).

::

    STREAM = {
        "PROGRESS_SYNC_BATCH_LIMIT": 500,
        "PROGRESS_TIME_ZONE": None,
        "PROGRESS_STORAGE_KEY": "stream.progress.v1",
    }
"""

from lessons.conf import app_settings

PROGRESS_DEFAULTS = {
    # The most events one POST to progress/sync/ may carry; a larger batch is refused with a 400
    # that names the limit, and the browser sends its events in batches of this size.
    "PROGRESS_SYNC_BATCH_LIMIT": 500,
    # The time zone "lessons in one day" and "streak of days" rules count days in, for learners
    # whose profile names none. None means the site's TIME_ZONE.
    "PROGRESS_TIME_ZONE": None,
    # The localStorage key anonymous progress is kept under. The version suffix changes only when
    # the stored shape does; a new key starts empty rather than misreading an old one.
    "PROGRESS_STORAGE_KEY": "stream.progress.v1",
    # Open Badges (progress.badges): the issuer every badge names, as a dict with "name",
    # "url", "email" and optionally "description". A key left out falls back to the site:
    # SITE_NAME, HOME_URL on the site's address, the address in DEFAULT_FROM_EMAIL.
    "BADGE_ISSUER": {},
    # The scheme and host badge addresses are built on, e.g. "https://learn.example.org".
    # Empty: the address each request came to. Set it in production, so a badge's id does not
    # depend on the host name or scheme a request used.
    "BADGE_BASE_URL": "",
    # Seconds a backpack, browser or proxy may keep a badge document or image before asking
    # again (Cache-Control: public, max-age): a revoked badge says so at most this much later.
    "BADGE_MAX_AGE": 300,
}

progress_settings = app_settings(PROGRESS_DEFAULTS)
