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
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.response import Response

from .api_base import (
    LANGUAGE_PARAMETER,
    StreamAPIView,
    language_param,
    requested_language,
    stream_schema,
)
from .conf import lessons_settings
from .ids import id_parse
from .middleware import viewer_cookie_sync
from .selectors import lessons_visible, user_is_staff
from .versions import Version, site_version_annotations


@dataclass(frozen=True)
class ViewerPart:
    build: Callable
    values: Callable | None = None
    rows: Callable | None = None


_parts: dict[str, ViewerPart] = {}

ROW_FIELDS = ("kind", "ref", "text", "at")


def viewer_part_register(name: str, build: Callable, *, values=None, rows=None) -> None:
    """Add ``name`` to the viewer endpoint's answer (each app, in ``ready()``).

    So that the answer costs the same few queries whatever the apps add, a part does not query
    on its own: it names what it needs and builds from the answers.

    - ``values(user=..., lesson_id=...)`` returns query expressions (subqueries on constants)
      by name; all parts' values are read in one query.
    - ``rows(user=..., lesson_id=...)`` returns querysets of ``values_list`` rows shaped
      ``(kind, ref, text, at)`` (a string starting ``"<name>:"``, an integer, a string, a
      time; text and time may be null); all parts' rows are read in one ``UNION ALL`` query.
    - ``build(request=..., lesson=..., page=..., values=..., rows=...)`` returns the part's
      JSON-ready value; ``lesson`` is the page's lesson, checked visible to the viewer, or
      ``None``; ``rows`` are the part's own rows. A ``"nav"`` key in the value (a list of
      :func:`nav_item`) is moved into the header's list.
    """
    _parts[name] = ViewerPart(build=build, values=values, rows=rows)


def nav_item(*, url: str, label: str, badge: str | None = None) -> dict:
    return {"url": url, "label": str(label), "badge": badge}


def reverse_or_none(name: str) -> str | None:
    """``reverse(name)``, or ``None`` where the URL is not mounted (an app or allauth left
    out)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def viewer_config(*, lesson_id, comments_page: int = 1) -> dict:
    """The JSON block a shared page carries for ``viewer.js`` (no per-viewer value in it)."""
    return {
        "url": language_param(reverse_or_none("stream_lessons_api:viewer")),
        "cookie": lessons_settings.VIEWER_COOKIE,
        "csrfHeader": settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-"),
        "lesson": lesson_id,
        "commentsPage": comments_page,
    }


def _own_nav(user) -> list[dict]:
    items = []
    account = reverse_or_none("account_email")
    if account:
        items.append(nav_item(url=account, label=_("Account")))
    data = reverse_or_none("stream_lessons:learner_data")
    if data:
        items.append(nav_item(url=data, label=_("My data")))
    if user_is_staff(user):
        admin = reverse_or_none("admin:index")
        if admin:
            items.append(nav_item(url=admin, label=_("Admin")))
    return items


def _display_name(user) -> str:
    from .adapter import get_adapter

    return get_adapter().user_display_name(user)


def _read(user, lesson_id) -> tuple:
    """The page's lesson (``None`` unless the viewer may open it), every part's values and
    every part's rows: 2 queries (3 when the lesson is not the viewer's to open)."""
    annotations = site_version_annotations()
    for part in _parts.values():
        if part.values is not None:
            annotations |= part.values(user=user, lesson_id=lesson_id)
    lesson = None
    if lesson_id is not None:
        lesson = lessons_visible(user=user).filter(pk=lesson_id).annotate(**annotations).first()
    if lesson is not None:
        values = {name: getattr(lesson, name) for name in annotations}
    else:
        values = (
            get_user_model()
            .objects.filter(pk=user.pk)
            .annotate(**annotations)
            .values(*annotations)
            .first()
        ) or {name: None for name in annotations}
    queries = [
        query.order_by()  # a compound statement's parts take no ORDER BY
        for part in _parts.values()
        if part.rows is not None
        for query in part.rows(user=user, lesson_id=lesson.pk if lesson is not None else None)
    ]
    rows = list(queries[0].union(*queries[1:], all=True).order_by()) if queries else []
    return lesson, values, rows


def viewer_payload(request, *, lesson_id=None, page: int = 1) -> dict:
    """The viewer endpoint's answer for ``request``'s user: no query for a visitor (but the
    session's), 2 more for a signed-in viewer (see :func:`viewer_part_register`)."""
    user = request.user
    payload = {"user": None, "csrf_token": get_token(request), "logout_url": None, "nav": []}
    if not user.is_authenticated:
        return payload | {name: None for name in _parts}
    payload["user"] = {"id": user.pk, "name": _display_name(user), "is_staff": user.is_staff}
    payload["logout_url"] = reverse_or_none("account_logout") or reverse_or_none("logout")
    lesson, values, rows = _read(user, lesson_id)
    values["site_version"] = Version(values["site_version"] or 0, values["site_changed_at"])
    nav = []
    for name, part in _parts.items():
        value = part.build(
            request=request,
            lesson=lesson,
            page=page,
            values=values,
            rows=[row for row in rows if row[0].startswith(f"{name}:")],
        )
        if isinstance(value, dict) and "nav" in value:
            nav.extend(value.pop("nav"))
        payload[name] = value
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
            LANGUAGE_PARAMETER,
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
        with translation.override(requested_language(request)):
            payload = viewer_payload(request, lesson_id=lesson_id, page=page)
        response = Response(payload)
        patch_cache_control(response, private=True, no_store=True)
        viewer_cookie_sync(request, response)
        return response
