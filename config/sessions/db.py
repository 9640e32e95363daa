"""``django.contrib.sessions.backends.db`` with the session row read by a prepared query."""

from django.contrib.sessions.backends import db

from . import PreparedLoadMixin


class SessionStore(PreparedLoadMixin, db.SessionStore):
    pass
