"""``django.contrib.sessions.backends.cached_db`` reading the session row, when the cache has
none, by a prepared query."""

from django.contrib.sessions.backends import cached_db

from . import PreparedLoadMixin


class SessionStore(PreparedLoadMixin, cached_db.SessionStore):
    pass
