"""Purging a reverse proxy's copies of shared pages when a write changes them (optional).

Shared pages answer ``Cache-Control: public, max-age=0, s-maxage=STREAM["PAGE_PROXY_SECONDS"]``,
so a proxy or CDN in front may serve its copy that long without asking Django. To keep copies
long and still show a write at the next request, name a callable ``purge(urls)`` in
``STREAM["PURGE"]`` and the proxy's address in ``STREAM["PURGE_BASE_URLS"]``: after every
transaction that changed pages commits (:data:`lessons.versions.content_committed`),
:func:`purge_on_commit` calls it with the absolute address of every page the write changed,
each path joined to each base URL:

- a lesson's own change (its comments): that lesson's page in every language, with each of
  its comment pages (``?comments_page=N``) and one more (a hidden comment may have removed the
  last page);
- a site change (a course, lesson, tag, link, level, achievement, a commenter's name): every
  page the site shares — the catalogue, every course and tag page, every lesson page with its
  comment pages, in every language. Drafts included: a lesson just unpublished keeps its
  address and must leave the proxy. An address that no longer exists (an old slug) is not
  known any more; its copy lasts until ``s-maxage``.

Several writes in one transaction send several signals: a version already purged by this
process after it was committed is not purged again. A failed purge never fails the write (it
has committed): it is logged on this module's logger, and the proxy's copies expire after
``PAGE_PROXY_SECONDS``. :func:`varnish_purge` is the implementation for Varnish
(docs/deploy.md has a VCL that accepts it).
"""

from __future__ import annotations

import http.client
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.module_loading import import_string

from .caching import page_address, page_param_pages
from .conf import lessons_settings
from .versions import SITE, read_versions

logger = logging.getLogger(__name__)

# scope -> the version this process last purged for it (see the module's docstring)
_purged: dict[int, str] = {}


def purge_on_commit(sender, *, site: bool, lesson_ids, **kwargs) -> None:
    """The receiver of ``content_committed``: purge the pages the committed write changed."""
    if not lessons_settings.PURGE or not lessons_settings.PURGE_BASE_URLS:
        return
    try:
        current = _versions(({SITE} if site else set()) | set(lesson_ids))
        site = site and _purged.get(SITE) != current.get(SITE)
        lesson_ids = {pk for pk in lesson_ids if _purged.get(pk) != current.get(pk)}
        if not site and not lesson_ids:
            return
        urls = purge_urls(changed_paths(site=site, lesson_ids=lesson_ids))
        if urls:
            import_string(lessons_settings.PURGE)(urls)
        _purged.update(current)
    except Exception:
        logger.exception("Purging the proxy failed; its copies last until PAGE_PROXY_SECONDS pass.")


def _versions(scopes: set[int]) -> dict[int, str]:
    ordered = sorted(scopes)
    return dict(zip(ordered, map(str, read_versions(*ordered)), strict=True))


def changed_paths(*, site: bool, lesson_ids=()) -> list[str]:
    """The paths of the shared pages a change of the site (``site``) or of ``lesson_ids``
    changed, in every language of ``LANGUAGES``, without repeats."""
    from .models import Course, Lesson, Tag

    lessons = Lesson.objects.all() if site else Lesson.objects.filter(pk__in=lesson_ids)
    lesson_rows = [
        (row, page_param_pages(row[0]))
        for row in lessons.order_by("pk").values_list("pk", "course__slug", "slug")
    ]
    pages = []
    if site:
        pages.append(("stream_lessons:catalogue", {}, []))
        pages += [
            ("stream_lessons:course", {"course": slug}, [])
            for slug in Course.objects.order_by("pk").values_list("slug", flat=True)
        ]
        pages += [
            ("stream_lessons:tag", {"tag": slug}, [])
            for slug in Tag.objects.order_by("pk").values_list("slug", flat=True)
        ]
    pages += [
        ("stream_lessons:lesson", {"course": course, "lesson": slug}, params)
        for (_, course, slug), params in lesson_rows
    ]
    paths = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for name, kwargs, params in pages:
                try:
                    path = reverse(name, kwargs=kwargs)
                except NoReverseMatch:
                    continue
                paths[path] = None
                for param, count in params:
                    for number in range(2, count + 2):
                        paths[page_address(path, param, number)] = None
    return list(paths)


def purge_urls(paths) -> list[str]:
    """``paths`` joined to each of ``STREAM["PURGE_BASE_URLS"]``."""
    return [
        f"{base.rstrip('/')}{path}" for base in lessons_settings.PURGE_BASE_URLS for path in paths
    ]


def varnish_purge(urls, *, timeout: float = 2.0) -> None:
    """Send ``PURGE <path>`` for each of ``urls`` to the server the URL names (one connection
    per server, ``timeout`` seconds per step). A server that refuses or does not answer is
    logged and skipped; nothing is raised."""
    by_server: dict[tuple[str, str], list[str]] = {}
    for url in urls:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        by_server.setdefault((parts.scheme, parts.netloc), []).append(target or "/")
    for (scheme, netloc), targets in by_server.items():
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        connection = kind(netloc, timeout=timeout)
        try:
            for target in targets:
                connection.request("PURGE", target)
                response = connection.getresponse()
                response.read()
                if response.status not in (200, 204, 404):
                    logger.warning(
                        "PURGE %s%s answered %s %s; not purging the rest there.",
                        netloc,
                        target,
                        response.status,
                        response.reason,
                    )
                    break
        except (OSError, http.client.HTTPException) as error:
            logger.warning("PURGE on %s failed: %s", netloc, error)
        finally:
            connection.close()
