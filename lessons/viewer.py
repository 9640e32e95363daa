"""The viewer endpoint: each viewer's part of a shared page, asked for by the page's script.

Shared pages (``lessons.caching``) are the anonymous visitor's page. When the browser is signed
in — the hint cookie ``STREAM["VIEWER_COOKIE"]`` that :class:`ViewerCookieMiddleware` keeps says
so — ``viewer.js`` asks ``GET api/v1/me/page/?lesson=<id>&comments_page=<n>`` for the rest: who
is signed in, a CSRF token, the header's links, and what each app adds (progress: the status
bar's state; comments: the 🔔, own comments' controls, own comments awaiting moderation).
Anonymous visitors ask only when they must post (the report form): the answer then carries a
token and the CSRF cookie.

Each app adds its part with :func:`viewer_part_register` in ``ready()``, the way slots fill pages:
``lessons`` knows neither ``progress`` nor ``comments``. The answer is ``private, no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.response import Response

from .api import StreamAPIView, stream_schema
from .conf import lessons_settings
from .ids import id_parse
from .middleware import viewer_cookie_sync
from .selectors import lessons_visible, user_is_staff

_parts: dict[str, Callable] = {}


def viewer_part_register(name: str, part: Callable) -> None:
    """Add ``name`` to the viewer endpoint's answer: ``part(request=..., lesson=..., page=...)``
    returns a JSON-ready value (or ``None``); ``lesson`` is the lesson the page shows, already
    checked visible to the viewer, or ``None``. A part may also return ``nav`` items through
    :func:`nav_item` in its value's ``"nav"`` key; they are gathered into the header's list."""
    _parts[name] = part


def nav_item(*, url: str, label: str, badge: str | None = None) -> dict:
    return {"url": url, "label": str(label), "badge": badge}


def _reverse_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def viewer_config(*, lesson_id, comments_page: int = 1) -> dict:
    """The JSON block a shared page carries for ``viewer.js`` (no per-viewer value in it)."""
    url = _reverse_or_none("stream_lessons_api:viewer")
    if url and len(settings.LANGUAGES) > 1:
        url = f"{url}?{urlencode({'lang': translation.get_language()})}"
    return {
        "url": url,
        "cookie": lessons_settings.VIEWER_COOKIE,
        "csrfHeader": settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-"),
        "lesson": lesson_id,
        "commentsPage": comments_page,
    }


def _own_nav(user) -> list[dict]:
    items = []
    account = _reverse_or_none("account_email")
    if account:
        items.append(nav_item(url=account, label=_("Account")))
    if user_is_staff(user):
        admin = _reverse_or_none("admin:index")
        if admin:
            items.append(nav_item(url=admin, label=_("Admin")))
    return items


def _display_name(user) -> str:
    from .adapter import get_adapter

    return get_adapter().user_display_name(user)


def viewer_payload(request, *, lesson_id=None, page: int = 1) -> dict:
    """The viewer endpoint's answer for ``request``'s user."""
    user = request.user
    payload = {
        "user": None,
        "csrf_token": get_token(request),
        "logout_url": None,
        "nav": [],
    }
    signed_in = user.is_authenticated
    if signed_in:
        payload["user"] = {"id": user.pk, "name": _display_name(user), "is_staff": user.is_staff}
        payload["logout_url"] = _reverse_or_none("account_logout") or _reverse_or_none("logout")
    lesson = None
    if signed_in and lesson_id is not None:
        lesson = lessons_visible(user=user).filter(pk=lesson_id).first()
    nav = []
    for name, part in _parts.items():
        value = part(request=request, lesson=lesson, page=page) if signed_in else None
        if isinstance(value, dict) and "nav" in value:
            nav.extend(value.pop("nav"))
        payload[name] = value
    if signed_in:
        payload["nav"] = nav + _own_nav(user)
    return payload


# --- The endpoint ---------------------------------------------------------------------------


class NavItemSerializer(serializers.Serializer):
    url = serializers.CharField()
    label = serializers.CharField()
    badge = serializers.CharField(allow_null=True)


class ViewerUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_staff = serializers.BooleanField()


class ViewerSerializer(serializers.Serializer):
    """The answer; each app's part (``progress``, ``comments``) is an object, or null for an
    anonymous viewer."""

    user = ViewerUserSerializer(allow_null=True)
    csrf_token = serializers.CharField()
    logout_url = serializers.CharField(allow_null=True)
    nav = NavItemSerializer(many=True)
    progress = serializers.DictField(allow_null=True, required=False)
    comments = serializers.DictField(allow_null=True, required=False)


class ViewerView(StreamAPIView):
    """This viewer's part of a shared page (never kept by a shared cache)."""

    @stream_schema(
        operation_id="viewer_page_retrieve",
        tags=["viewer"],
        parameters=[
            OpenApiParameter("lesson", int, description="The lesson the page shows."),
            OpenApiParameter("comments_page", int, description="The page of comments shown."),
            OpenApiParameter("lang", str, description="The page's language (labels in it)."),
        ],
        responses=ViewerSerializer,
        errors=(400,),
    )
    def get(self, request):
        params = request.query_params
        lesson_id = id_parse(params["lesson"]) if "lesson" in params else None
        page = id_parse(params["comments_page"]) if "comments_page" in params else 1
        if page is None or ("lesson" in params and lesson_id is None):
            return Response(
                {
                    "detail": _("lesson and comments_page must be whole numbers from 1."),
                    "code": "invalid",
                },
                status=400,
            )
        language = params.get("lang")
        with translation.override(language if language in dict(settings.LANGUAGES) else None):
            payload = viewer_payload(request, lesson_id=lesson_id, page=page)
        response = Response(payload)
        patch_cache_control(response, private=True, no_store=True)
        viewer_cookie_sync(request, response)
        return response
