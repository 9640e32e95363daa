"""A lock on the Django admin's sign-in against password guessing.

django-allauth limits failed sign-ins on its own pages only; the admin's login view checks
passwords without any limit. :class:`AdminLoginForm` counts failed admin sign-ins in Django's
cache per username and per client IP address and, past ``ADMIN_LOGIN_FAILURES_PER_USERNAME``
or ``ADMIN_LOGIN_FAILURES_PER_IP`` failures, refuses every sign-in for that username or from
that address — the right password included — until ``ADMIN_LOGIN_WINDOW`` seconds after the
first failure. It works with or without allauth. A host opts in with one line, e.g. in its
``urls.py``::

    from django.contrib import admin
    from lessons.admin_login import AdminLoginForm

    admin.site.login_form = AdminLoginForm

The counters live in the default cache, so with several worker processes that cache must be
shared (Redis), or each process counts on its own. A locked username also locks out its owner
until the window passes: that is the price of stopping a guesser who rotates addresses.
"""

import hashlib
import math
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from .conf import lessons_settings


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or the right-most entry of the header named by
    ``STREAM["CLIENT_IP_HEADER"]`` (the one your own proxy appended; the setting the comments
    app reads too)."""
    header = (getattr(settings, "STREAM", None) or {}).get("CLIENT_IP_HEADER")
    if header:
        parts = [part.strip() for part in request.META.get(header, "").split(",") if part.strip()]
        if parts:
            return parts[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(*, ip: str, username: str):
    """(counter key, opened key, limit) for each kind of limit that applies."""
    kinds = [
        ("ip", ip, lessons_settings.ADMIN_LOGIN_FAILURES_PER_IP),
        (
            "username",
            (username or "").strip().lower(),
            lessons_settings.ADMIN_LOGIN_FAILURES_PER_USERNAME,
        ),
    ]
    for kind, value, limit in kinds:
        if limit is None or not value:
            continue
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        counter = f"{lessons_settings.ADMIN_LOGIN_CACHE_PREFIX}:{kind}:{digest}"
        yield counter, f"{counter}:opened", limit


def admin_login_wait(*, ip: str, username: str) -> int:
    """Seconds until a sign-in for ``username`` from ``ip`` is allowed again; 0 when it is."""
    window = lessons_settings.ADMIN_LOGIN_WINDOW
    now = time.time()
    wait = 0.0
    for counter, opened_key, limit in _keys(ip=ip, username=username):
        opened = cache.get(opened_key)
        count = cache.get(counter)
        if opened is None or count is None or count < limit:
            continue
        wait = max(wait, opened + window - now)
    return math.ceil(wait) if wait > 0 else 0


def admin_login_failure_record(*, ip: str, username: str) -> None:
    """Count one failed admin sign-in. A window opens at the first failure (not at a clock
    boundary) and closes ``ADMIN_LOGIN_WINDOW`` seconds later."""
    window = lessons_settings.ADMIN_LOGIN_WINDOW
    now = time.time()
    for counter, opened_key, _limit in _keys(ip=ip, username=username):
        opened = cache.get(opened_key)
        if opened is None or now >= opened + window:
            cache.set_many({counter: 1, opened_key: now}, timeout=window)
            continue
        try:
            cache.incr(counter)
        except ValueError:  # the counter expired between get() and incr()
            cache.set_many({counter: 1, opened_key: now}, timeout=window)


def admin_login_success_record(*, username: str) -> None:
    """A successful sign-in clears its username's failures (not its address's)."""
    for counter, opened_key, _limit in _keys(ip="", username=username):
        cache.delete_many([counter, opened_key])


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in form with the lock described in this module's docstring.

    The lock is checked before the password, so a locked sign-in costs no password hash and
    tells a guesser nothing about whether the password was right.
    """

    def clean(self):
        ip = client_ip(self.request) if self.request is not None else "unknown"
        username = self.cleaned_data.get("username") or ""
        wait = admin_login_wait(ip=ip, username=username)
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            raise ValidationError(
                ngettext(
                    "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
                    "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
                    minutes,
                ),
                code="locked",
                params={"minutes": minutes},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            admin_login_failure_record(ip=ip, username=username)
            raise
        admin_login_success_record(username=username)
        return cleaned
