"""The signed-in hint for shared pages' scripts.

Shared pages are the same for everyone (``lessons.caching``), so the page cannot say whether
its viewer is signed in; the session cookie cannot either (scripts cannot read it). This
middleware keeps a cookie scripts can read, ``STREAM["VIEWER_COOKIE"]`` = ``1``, while the
browser is signed in: ``viewer.js`` asks the viewer endpoint only when it is there, so
anonymous visitors make no request. It holds nothing secret; the endpoint decides from the
session.

It looks at the session only when the two cookies disagree (a session cookie without the hint,
or the hint without a session) or the request signed in or out (Django's ``user_logged_in`` and
``user_logged_out`` signals), so a request that carries both, or neither, costs nothing and
leaves the response's ``Vary`` alone. List it after ``AuthenticationMiddleware``::

    MIDDLEWARE = [..., "django.contrib.auth.middleware.AuthenticationMiddleware",
                  "lessons.middleware.ViewerCookieMiddleware", ...]

It keeps a second hint for visitors, ``<VIEWER_COOKIE>_messages`` = ``1``, while messages
(Django's messages framework) wait for a browser that is not signed in: allauth's "You have
signed out." is left for the page its sign-out redirects to, a shared page that renders no
messages, so ``viewer.js`` asks the endpoint for them when this hint is there too (see
:func:`messages_cookie_sync`).
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.messages import get_messages

from .conf import lessons_settings

REDIRECTS = frozenset({301, 302, 303, 307, 308})


def messages_cookie_name() -> str:
    """The name of the "messages waiting" hint: the signed-in hint's, suffixed."""
    return f"{lessons_settings.VIEWER_COOKIE}_messages"


def _hint_set(response, name: str, *, max_age=None) -> None:
    """Set a hint cookie (``1``) beside the session's, readable by ``viewer.js``: it says only
    "signed in" or "messages wait", never who."""
    response.set_cookie(
        name,
        "1",
        max_age=max_age,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite=settings.SESSION_COOKIE_SAMESITE or "Lax",
        httponly=False,
    )


def _hint_delete(response, name: str) -> None:
    response.delete_cookie(
        name,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        samesite=settings.SESSION_COOKIE_SAMESITE or "Lax",
    )


def viewer_cookie_sync(request, response) -> None:
    """Set or delete the hint on ``response`` so it says whether ``request.user`` is signed in
    (the viewer endpoint calls this on every answer: a session that ended on the server loses
    its hint at the next page view)."""
    name = lessons_settings.VIEWER_COOKIE
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    if signed_in and name not in request.COOKIES:
        _hint_set(response, name, max_age=settings.SESSION_COOKIE_AGE)
    elif not signed_in and name in request.COOKIES:
        _hint_delete(response, name)


def messages_cookie_sync(request, response) -> None:
    """Set the messages hint when ``response`` redirects a visitor who is not signed in and
    leaves messages waiting for the next page (the pattern messages are made for: allauth's
    sign-out says "You have signed out." to the page it sends the visitor to); drop it once a
    response has read them (the viewer endpoint, or a page that renders them).

    Only the messages framework's public surface is used: its storage is true when messages
    wait, and ``used`` once they were read. Whether any wait is asked only on a visitor's
    redirect, never on a shared page: with the session storage, asking reads the session, and
    a shared page that read it would ``Vary: Cookie``."""
    storage = get_messages(request)
    if not hasattr(storage, "used"):  # the messages middleware is not installed
        return
    name = messages_cookie_name()
    if name in request.COOKIES:
        if storage.used:
            _hint_delete(response, name)
        return
    if response.status_code not in REDIRECTS or storage.used:
        return  # before the user, whom asking about reads the session
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return  # the signed-in hint has the page's script ask already
    if storage:
        _hint_set(response, name)


class ViewerCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        hinted = lessons_settings.VIEWER_COOKIE in request.COOKIES
        session = settings.SESSION_COOKIE_NAME in request.COOKIES
        if hinted != session or getattr(request, "stream_signed_in_changed", False):
            viewer_cookie_sync(request, response)
        messages_cookie_sync(request, response)
        return response


def _signed_in_changed(sender, request=None, **kwargs):
    # Django's user_logged_in / user_logged_out: this response must set or drop the hint.
    if request is not None:
        request.stream_signed_in_changed = True


user_logged_in.connect(_signed_in_changed, dispatch_uid="stream-viewer-login")
user_logged_out.connect(_signed_in_changed, dispatch_uid="stream-viewer-logout")
