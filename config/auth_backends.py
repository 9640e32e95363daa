"""The demo's authentication backends: Django's and allauth's, reading the signed-in user with
a query compiled once (``config.prepared``) instead of on every request.

``get_user`` runs on every signed-in request, after the session; it returns exactly what
``ModelBackend.get_user`` returns (the user, or ``None`` for a missing or inactive one), and
falls back to it whenever the user model's manager cannot be prepared.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError

from .prepared import Unprepared, prepared_select


class PreparedUserMixin:
    def get_user(self, user_id):
        model = get_user_model()
        try:
            select = prepared_select(model, ("pk",))
        except Unprepared:
            return super().get_user(user_id)
        try:
            user = select.first(user_id)
        except (ValidationError, ValueError, TypeError):
            return None  # a session naming no valid key signs nobody in
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(PreparedUserMixin, backends.ModelBackend):
    """``django.contrib.auth.backends.ModelBackend`` with a prepared ``get_user``."""


class AuthenticationBackend(PreparedUserMixin, AllauthBackend):
    """allauth's ``AuthenticationBackend`` with a prepared ``get_user``."""
