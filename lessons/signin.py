"""One sign-in policy for every way in: against password guessing, without handing a guesser a
way to lock the real owner out.

Failed sign-ins are counted in Django's default cache, three ways (limits in ``STREAM``):

- per account and client address (``SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS`` in
  ``SIGNIN_WINDOW``): stops a guesser at one address without touching the owner elsewhere;
- per client address (``SIGNIN_FAILURES_PER_ADDRESS`` in ``SIGNIN_WINDOW``): stops one
  address trying many accounts;
- per account (``SIGNIN_FAILURES_PER_ACCOUNT`` in ``SIGNIN_ACCOUNT_WINDOW``): bounds a guesser
  spread over many addresses. Reaching it refuses the owner too, so it is larger and slower.

Past a limit every sign-in it covers is refused, the right password included and checking none,
until the window that opened at that counter's first failure has passed. A successful sign-in
clears its account's counters (not its address's). The account is the user the typed login
names (username or email address, any case), so failing as ``demo`` in the admin also counts
against ``demo@example.com`` on allauth's page and the API.

Failures are counted by a receiver of Django's ``user_login_failed`` signal, so every
``authenticate(request, ...)`` that fails counts, whichever view called it. Each way in checks
the policy before it checks a password:

- Django's admin: :class:`lessons.admin_login.AdminLoginForm` (opt-in, one line);
- django-allauth's login: :class:`SignInPolicyAdapterMixin` in ``ACCOUNT_ADAPTER``
  (:class:`lessons.allauth_adapter.AccountAdapter` is allauth's default adapter with it);
- ``POST api/v1/auth/token/``: always;
- a host's own sign-in view: :func:`signin_check` before ``authenticate()``, e.g.::

      from lessons.signin import signin_check

      def clean(self):  # the host's sign-in form
          signin_check(request=self.request, login=self.cleaned_data["email"])  # may raise
          self.user = authenticate(self.request, email=..., password=...)

The client address comes from :func:`client_ip`, which every limit in Stream uses.
"""

import hashlib
import ipaddress
import math
import time

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.dispatch import receiver
from django.utils.translation import ngettext

from .conf import lessons_settings

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
# The keys a login arrives under in authenticate()'s credentials, by the backends Stream knows.
LOGIN_CREDENTIALS = ("username", "email", "login")


def client_ip(request) -> str:
    """The client's address as every Stream limit counts it.

    ``REMOTE_ADDR``, unless ``STREAM["TRUSTED_PROXY_COUNT"]`` is ``n`` > 0: then the ``n``-th
    entry from the right of ``X-Forwarded-For``, the address the outermost of your ``n``
    proxies saw (entries further left are whatever the client sent). The deprecated
    ``CLIENT_IP_HEADER`` still names a header whose right-most entry is used while
    ``TRUSTED_PROXY_COUNT`` is 0. An IPv6 address stands for its /64 network: one household or
    server is given a whole /64.
    """
    count = lessons_settings.TRUSTED_PROXY_COUNT or 0
    header = FORWARDED_FOR
    if not count and lessons_settings.CLIENT_IP_HEADER:
        count, header = 1, lessons_settings.CLIENT_IP_HEADER
    address = ""
    if count:
        entries = [part.strip() for part in request.META.get(header, "").split(",")]
        entries = [entry for entry in entries if entry]
        if entries:
            # fewer entries than proxies: the request passed fewer of them, and the left-most
            # entry is the address the first proxy it met saw
            address = entries[-min(count, len(entries))]
    address = address or request.META.get("REMOTE_ADDR", "")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:100] or "unknown"
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped:  # ::ffff:192.0.2.1 is 192.0.2.1
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((parsed, 64), strict=False))


class SignInLocked(ValidationError):
    """A sign-in the policy refuses: a form shows it as the form's error; ``wait`` is the
    seconds until it would be allowed (an API answers 429 with ``Retry-After``)."""

    def __init__(self, wait: int):
        self.wait = wait
        minutes = max(1, math.ceil(wait / 60))
        super().__init__(
            ngettext(
                "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
                "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
                minutes,
            ),
            code="locked",
            params={"minutes": minutes},
        )


def login_accounts(login: str) -> list[str]:
    """The accounts ``login`` names: ``user:<pk>`` for each user whose login field or email
    address it is (any case; allauth's extra addresses too), else ``login:<login>``."""
    login = (login or "").strip()
    if not login:
        return []
    model = get_user_model()
    names = {model.USERNAME_FIELD, model.get_email_field_name()}
    fields = {field.name for field in model._meta.get_fields()}
    match = Q()
    for name in names & fields:
        match |= Q(**{f"{name}__iexact": login})
    found = set(model._default_manager.filter(match).values_list("pk", flat=True)[:5])
    if apps.is_installed("allauth.account"):
        addresses = apps.get_model("account", "EmailAddress")._default_manager
        found.update(addresses.filter(email__iexact=login).values_list("user_id", flat=True)[:5])
    if found:
        return [f"user:{pk}" for pk in sorted(found)]
    return [f"login:{login.casefold()}"]


def _counters(*, address: str, accounts: list[str]):
    """(kind, cache key, limit, window) of each counter a sign-in from ``address`` to ``accounts``
    meets; a limit of None is left out."""
    short = lessons_settings.SIGNIN_WINDOW
    kinds = [("address", address, lessons_settings.SIGNIN_FAILURES_PER_ADDRESS, short)]
    for account in accounts:
        kinds += [
            (
                "account-address",
                f"{account}|{address}",
                lessons_settings.SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS,
                short,
            ),
            (
                "account",
                account,
                lessons_settings.SIGNIN_FAILURES_PER_ACCOUNT,
                lessons_settings.SIGNIN_ACCOUNT_WINDOW,
            ),
        ]
    prefix = lessons_settings.SIGNIN_CACHE_PREFIX
    for kind, value, limit, window in kinds:
        if limit is not None and window:
            digest = hashlib.sha256(value.encode()).hexdigest()[:32]
            yield kind, f"{prefix}:{kind}:{digest}", limit, window


def signin_wait(*, request, login: str) -> int:
    """Seconds until a sign-in as ``login`` from this request's address is allowed; 0: now."""
    counters = list(_counters(address=client_ip(request), accounts=login_accounts(login)))
    keys = [key for _kind, key, _limit, _window in counters]
    stored = cache.get_many(keys + [f"{key}:opened" for key in keys])
    now = time.time()
    wait = 0.0
    for _kind, key, limit, window in counters:
        count, opened = stored.get(key), stored.get(f"{key}:opened")
        if count is not None and opened is not None and count >= limit:
            wait = max(wait, opened + window - now)
    return math.ceil(wait) if wait > 0 else 0


def signin_check(*, request, login: str) -> None:
    """Raise :class:`SignInLocked` when the policy refuses a sign-in as ``login`` from this
    request's address. Call it before checking the password: a refused attempt costs no
    password hash and tells a guesser nothing about the password."""
    wait = signin_wait(request=request, login=login)
    if wait:
        raise SignInLocked(wait)


def signin_failure_record(*, request, login: str) -> None:
    """Count one failed sign-in as ``login`` from this request's address. Each counter's
    window opens at its first failure and closes ``window`` seconds later (not at a clock
    boundary)."""
    now = time.time()
    for _kind, key, _limit, window in _counters(
        address=client_ip(request), accounts=login_accounts(login)
    ):
        if cache.add(key, 1, timeout=window):
            cache.set(f"{key}:opened", now, timeout=window)
            continue
        try:
            cache.incr(key)
        except ValueError:  # the window closed between add() and incr()
            cache.set_many({key: 1, f"{key}:opened": now}, timeout=window)


def signin_success_record(*, request, user) -> None:
    """A successful sign-in clears its account's failures, from this address and overall;
    never the address's own count, or a guesser with an account could reset it between
    guesses at others."""
    keys = [
        key
        for kind, key, _limit, _window in _counters(
            address=client_ip(request), accounts=[f"user:{user.pk}"]
        )
        if kind != "address"
    ]
    cache.delete_many(keys + [f"{key}:opened" for key in keys])


def credentials_login(credentials: dict) -> str:
    """The login in ``authenticate()``'s credentials (the password is not read)."""
    for name in (get_user_model().USERNAME_FIELD, *LOGIN_CREDENTIALS):
        value = credentials.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return ""


@receiver(user_login_failed, dispatch_uid="stream-signin-failure")
def _count_failure(sender, credentials, request=None, **kwargs):
    if request is None:  # no address to count by (a management command, a test's authenticate)
        return
    login = credentials_login(credentials)
    # A view may try one login under several credential names (the token endpoint tries it as
    # an email address, then as a username): one attempt counts once.
    counted = getattr(request, "stream_signin_counted", None)
    if counted is None:
        counted = set()
        request.stream_signin_counted = counted
    if login.casefold() in counted:
        return
    counted.add(login.casefold())
    signin_failure_record(request=request, login=login)


@receiver(user_logged_in, dispatch_uid="stream-signin-success")
def _clear_on_success(sender, request, user, **kwargs):
    if request is not None and user is not None:
        signin_success_record(request=request, user=user)


class SignInPolicyAdapterMixin:
    """For django-allauth's ``ACCOUNT_ADAPTER``: its login checks Stream's sign-in policy first,
    and allauth's own rate limits (``ACCOUNT_RATE_LIMITS``) count by :func:`client_ip`.

    Put it before allauth's ``DefaultAccountAdapter`` (or your subclass of it) in the bases.
    """

    def get_client_ip(self, request):
        return client_ip(request)

    def pre_authenticate(self, request, **credentials):
        signin_check(request=request, login=credentials_login(credentials))
        super().pre_authenticate(request, **credentials)
