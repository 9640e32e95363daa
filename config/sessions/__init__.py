"""Session engines for the demo: Django's ``db`` and ``cached_db`` engines reading the session
row with a query compiled once (``config.prepared``) instead of on every request.

``SESSION_ENGINE = "config.sessions.db"`` (or ``"config.sessions.cached_db"``). Everything
but that one read is Django's: saving, expiry, cycling keys, the cache of ``cached_db``.
"""

from django.utils import timezone

from ..prepared import Unprepared, prepared_select


class PreparedLoadMixin:
    def _get_session_from_db(self):
        try:
            select = prepared_select(self.model, ("session_key", "expire_date__gt"))
        except Unprepared:
            return super()._get_session_from_db()
        session = select.first(self.session_key, timezone.now())
        if session is None:
            self._session_key = None  # as Django's: a missing or expired key starts anew
        return session
