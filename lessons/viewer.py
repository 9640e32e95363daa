"""The viewer endpoint: each viewer's part of a shared page, asked for by the page's script.

Shared pages (``lessons.caching``) are the anonymous visitor's page. When the browser is signed
in — the hint cookie ``STREAM["VIEWER_COOKIE"]`` that :class:`ViewerCookieMiddleware` keeps says
so — ``viewer.js`` asks ``GET api/v1/me/page/?lesson=<id>&comments_page=<n>`` for the rest: who
is signed in, a CSRF token, the header's links, and what each app adds (progress: the status
bar's state; comments: the 🔔, own comments' controls, own comments awaiting moderation).
Anonymous visitors ask only when they must post (the report form): the answer then carries a
token and the CSRF cookie; or when messages wait for them (the hint ``<VIEWER_COOKIE>_messages``
says so: "You have signed out."), which the answer carries.

Each app adds its part with :func:`viewer_part_register` in ``ready()``, the way slots fill pages:
``lessons`` knows neither ``progress`` nor ``comments``. The answer is ``private, no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages import get_messages
from django.db.models import CharField, DateTimeField, F, Value
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
from .middleware import messages_cookie_name, viewer_cookie_sync
from .models import ContentVersion
from .selectors import lessons_visible, user_is_staff
from .versions import NO_VERSION, SITE, read_version

# The lesson's and its course's long texts: the viewer's parts read neither.
LESSON_TEXTS = ("body", "exercise", "body_html", "exercise_html", "search_text")
COURSE_TEXTS = ("summary",)


@dataclass(frozen=True)
class ViewerPart:
    build: Callable
    rows: Callable | None = None


_parts: dict[str, ViewerPart] = {}


def viewer_part_register(name: str, build: Callable, *, rows: Callable | None = None) -> None:
    """Add ``name`` to the viewer endpoint's answer (each app, in ``ready()``).

    So that the answer costs the same few queries whatever the apps add, a part does not query
    on its own: it names the rows it needs, and every part's rows are read in one query.

    - ``rows(user=..., lesson=...)`` returns querysets of ``values_list`` rows shaped
      ``(kind, ref, text, at)``: a string starting ``"<name>:"``, an integer, a string, a time
      (text and time may be null); ``lesson`` is the page's lesson, checked visible to the
      viewer, or ``None``. A single value is a row too (a count: an aggregate grouped by a
      column that holds one value, so one row or none). All parts' rows are read in one
      ``UNION ALL`` query: keep each queryset plain (filters on constants, no subqueries of
      the outer row), which is what keeps the endpoint cheap to build.
    - ``build(request=..., lesson=..., page=..., site_version=..., rows=...)`` returns the
      part's JSON-ready value; ``rows`` are the part's own rows and ``site_version`` the
      site's content version (``lessons.versions``), read with them. A ``"nav"`` key in the
      value (a list of :func:`nav_item`) is moved into the header's list.
    """
    _parts[name] = ViewerPart(build=build, rows=rows)


def viewer_row(queryset, kind: str, ref, *, text=None, at=None):
    """``queryset`` as viewer rows ``(kind, ref, text, at)``: ``ref`` an integer expression,
    ``text`` a string one and ``at`` a time one (empty and null when not given)."""
    return queryset.order_by().values_list(
        Value(kind, output_field=CharField()),
        ref,
        Value("", output_field=CharField()) if text is None else text,
        Value(None, output_field=DateTimeField()) if at is None else at,
    )


def viewer_first(rows, kind: str, default=None):
    """The ``ref`` of the first of ``rows`` of ``kind`` (a single value's row), else
    ``default``."""
    return next((ref for row_kind, ref, _text, _at in rows if row_kind == kind), default)


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
        "messagesCookie": messages_cookie_name(),
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
    """The page's lesson (``None`` unless the viewer may open it), the site's version and every
    part's rows: 2 queries (1 without a lesson)."""
    lesson = None
    if lesson_id is not None:
        # Not its texts (tens of kilobytes a lesson, which the parts never read).
        lesson = (
            lessons_visible(user=user)
            .defer(*LESSON_TEXTS, *(f"course__{name}" for name in COURSE_TEXTS))
            .filter(pk=lesson_id)
            .first()
        )
    site = viewer_row(
        ContentVersion.objects.filter(scope=SITE), "site", F("version"), at=F("changed_at")
    )
    queries = [site] + [
        query
        for part in _parts.values()
        if part.rows is not None
        for query in part.rows(user=user, lesson=lesson)
    ]
    rows = list(queries[0].union(*queries[1:], all=True))
    site_rows = [row for row in rows if row[0] == "site"]
    version = read_version(site_rows[0][1], site_rows[0][3]) if site_rows else NO_VERSION
    return lesson, version, rows


def _messages(request) -> list[dict]:
    """The messages waiting for the viewer (Django's messages framework: "signed in as ...",
    "confirmation sent to ..."), read and so taken off: a shared page renders none, so the
    page's script shows them; left waiting they surfaced on a later page of the viewer's own."""
    return [{"level": message.tags, "text": str(message)} for message in get_messages(request)]


def viewer_payload(request, *, lesson_id=None, page: int = 1) -> dict:
    """The viewer endpoint's answer for ``request``'s user: no query for a visitor (but the
    session's), 2 more for a signed-in viewer on a lesson's page (see
    :func:`viewer_part_register`)."""
    user = request.user
    payload = {
        "user": None,
        "csrf_token": get_token(request),
        "logout_url": None,
        "nav": [],
        "messages": _messages(request),
    }
    if not user.is_authenticated:
        return payload | {name: None for name in _parts}
    payload["user"] = {"id": user.pk, "name": _display_name(user), "is_staff": user.is_staff}
    payload["logout_url"] = reverse_or_none("account_logout") or reverse_or_none("logout")
    lesson, version, rows = _read(user, lesson_id)
    nav = []
    for name, part in _parts.items():
        value = part.build(
            request=request,
            lesson=lesson,
            page=page,
            site_version=version,
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


class ViewerMessageSerializer(serializers.Serializer):
    level = serializers.CharField(help_text="The message's tags, e.g. success or error.")
    text = serializers.CharField()


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
    messages = ViewerMessageSerializer(many=True)
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
