"""Shared pages: one HTML for every viewer, kept by Django's cache and by HTTP caches.

Catalogue, course, tag and lesson pages render the same bytes for every viewer of the same page,
language and content version (see :func:`shared_context`): no CSRF token, no name, no
per-viewer state. What differs per viewer comes from the viewer endpoint (``lessons.viewer``)
that the page's script asks when the browser is signed in. So a page is an ordinary cacheable
resource:

- **Its identity** is the page's kind and canonical path, the active language, one page number
  parsed as ASCII digits inside the real range (:func:`page_param`), the content versions read
  from the database (``lessons.versions``) and the release (code, settings, templates). The
  query string is otherwise ignored: nothing a page renders reads it.
- **HTTP**: a strong ``ETag`` from that identity and ``Last-Modified`` from the versions answer
  conditional requests with 304; ``Cache-Control: public, max-age=0, s-maxage=`` lets a reverse
  proxy or CDN keep the page (``STREAM["PAGE_PROXY_SECONDS"]``; see ``lessons.purge`` for
  purging it on writes). Drafts, staff views and pages an adapter restricts are ``private``.
- **Server side** (``STREAM["PAGE_CACHE_SECONDS"]`` > 0): the body is kept in the cache named by
  ``STREAM["PAGE_CACHE_ALIAS"]`` under a digest of the same identity. The number of entries is
  bounded by pages × languages × comment pages (× releases and versions, which only replace
  entries), and an entry made before a write is never read after it, from any process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from .conf import lessons_settings
from .ids import id_parse
from .versions import Version, release

_page_params: dict[str, Callable[[int], int]] = {}


def page_param_register(name: str, *, pages: Callable[[int], int]) -> None:
    """Let lesson pages take ``?<name>=N``: ``pages(lesson_id)`` answers how many pages there are
    (the comments app registers ``comments_page``). Any other query parameter is ignored."""
    _page_params[name] = pages


def page_param_pages(lesson_id: int) -> list[tuple[str, int]]:
    """Each page parameter lesson pages take, with how many pages of it ``lesson_id``'s page
    has: what a proxy purge needs to list every address of a lesson (``lessons.purge``)."""
    return [(name, pages(lesson_id)) for name, pages in _page_params.items()]


def page_param(request, *, lesson_id: int) -> tuple[str, int] | HttpResponseRedirect:
    """The lesson page's page parameter as ``(name, number)`` (``("", 1)`` without one), or a
    redirect to the canonical address when it is repeated, not ASCII digits, out of range or
    not written the canonical way (page 1 has no parameter)."""
    for name, pages in _page_params.items():
        values = request.GET.getlist(name)
        if not values:
            continue
        value = values[0]
        number = max(1, min(id_parse(value) or 1, pages(lesson_id)))
        if len(values) == 1 and value == str(number) and number > 1:
            return name, number
        return HttpResponseRedirect(page_address(request.path, name, number))
    return "", 1


def page_address(path: str, name: str, number: int) -> str:
    """The canonical address of page ``number`` of ``path``."""
    return path if number <= 1 or not name else f"{path}?{name}={number}"


def shared_context(context: dict, *, page_path: str) -> dict:
    """``context`` as every viewer's page gets it: an anonymous ``user`` (and ``perms``), no
    CSRF token, no messages, ``stream_shared_page`` and ``page_path`` (the canonical path the
    page's links come back to). These win over what the context processors give."""
    anonymous = AnonymousUser()
    return {
        **context,
        "user": anonymous,
        "perms": PermWrapper(anonymous),
        # No token: templates that serve form pages too skip {% csrf_token %} on a shared
        # page ({% if not stream_shared_page %}); the page's script adds the viewer's token.
        "csrf_token": "",
        "stream_shared_page": True,
        "messages": (),
        "page_path": page_path,
    }


def render_page(
    request, template_name: str, context: dict, *, page_path: str, shared: bool = True
) -> HttpResponse:
    """``template_name`` rendered as the shared page (see :func:`shared_context`), or, for a
    page only this viewer may see (``shared=False``: a draft, a restricted course), with the
    request's own context, so a host's layout shows its member as on its other pages."""
    if shared:
        context = shared_context(context, page_path=page_path)
    else:
        context = {**context, "page_path": page_path}
    return HttpResponse(render_to_string(template_name, context, request=request))


def page_cache():
    """The cache shared pages (and the comments' articles) are kept in."""
    return caches[lessons_settings.PAGE_CACHE_ALIAS]


def page_identity(*, parts: tuple, versions: tuple[Version, ...]) -> str:
    """The digest naming one page's bytes: release, language, ``parts`` and ``versions``."""
    digest = hashlib.blake2b(digest_size=16)
    language = translation.get_language() or ""
    zone = timezone.get_current_timezone_name()
    for part in (release(), language, zone, *parts, *map(str, versions)):
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _language_from_cookie() -> bool:
    """Whether a page's language may come from the language cookie (no ``i18n_patterns``)."""
    return (
        settings.USE_I18N
        and any(name.endswith("LocaleMiddleware") for name in settings.MIDDLEWARE)
        and not is_language_prefix_patterns_used(settings.ROOT_URLCONF)[0]
    )


def private_response(response: HttpResponse) -> HttpResponse:
    """A page only this viewer may see (a draft, a restricted course): kept by no shared
    cache, checked again by the browser."""
    patch_cache_control(response, private=True, no_cache=True)
    return response


def shared_response(
    request, *, parts: tuple, versions: tuple[Version, ...], render: Callable[[], HttpResponse]
) -> HttpResponse:
    """The shared page ``parts`` names, at ``versions``: 304 when the browser or proxy has it,
    else from the page cache, else ``render()`` (kept when it answers 200)."""
    identity = page_identity(parts=parts, versions=versions)
    etag = f'"{identity}"'
    changed = [v.changed_at for v in versions if v.changed_at is not None]
    last_modified = int(max(changed).timestamp()) if changed else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = _cached_or_rendered(f"stream:page:{identity}", render)
    response.headers["ETag"] = etag
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    patch_cache_control(
        response, public=True, max_age=0, s_maxage=lessons_settings.PAGE_PROXY_SECONDS
    )
    if _language_from_cookie():
        patch_vary_headers(response, ("Cookie",))
    return response


def _cached_or_rendered(key: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    seconds = lessons_settings.PAGE_CACHE_SECONDS
    body = page_cache().get(key) if seconds else None
    if body is not None:
        return HttpResponse(body)
    response = render()
    if seconds and response.status_code == 200 and not response.cookies:
        page_cache().set(key, response.content, seconds)
    return response
