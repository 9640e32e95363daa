"""Lesson pages from Django's cache: whole pages for visitors and learners, shared parts.

Every anonymous visitor of a lesson sees the same page (progress lives in their browser), so
the rendered page is kept in the cache named by ``STREAM["PAGE_CACHE_ALIAS"]`` for
``STREAM["PAGE_CACHE_SECONDS"]``; each signed-in learner keeps a copy of their own
(``STREAM["PAGE_CACHE_LEARNERS"]``), and when theirs must be rendered they share the lesson's
own part (:func:`lesson_page_shared`) and, through :func:`fragment_lookup`, the comment threads
(``comments.thread_cache``). What keeps it correct:

- **Visibility first.** Nothing is served before the same visibility check as a rendered page
  (:func:`visible_lesson`: ``selectors.lessons_visible``, which asks the adapter). With the
  default adapter the check reads only the lesson's and its course's status, so its answer is
  cached under the site's version token; an adapter with its own ``lessons_for_user`` is asked
  on every request. A draft is never found for a visitor, so never cached.
- **Who gets a whole page** (:func:`cache_scope`). Only ``GET``/``HEAD`` requests without
  pending messages, whose query string is empty or only ``comments_page``: anonymous visitors
  share one copy, a signed-in learner gets their own (also keyed by their id and checked
  against their own version token, see :func:`user_values_changed`). Staff, and learners when
  the adapter has its own ``can_comment`` (the host's state, which sends us no signal), get a
  page rendered for them; nothing that sets a cookie or touches the session while rendering
  is stored.
- **The key** holds the lesson, the host name, the path and ``comments_page``, the active
  language (``LocaleMiddleware`` picks it from the cookie or ``Accept-Language``), a fingerprint
  of the ``STREAM`` settings, and the lesson's and course's ``updated_at``. Each entry also
  records the version tokens it was rendered at: the site's (any course, lesson, tag, link,
  level, achievement or author-name change: numbers, pager, tag links, the status bar's JSON
  block) and the lesson's (its comments, flags, subscriptions and comment settings). Writes
  change them (receivers below, or :func:`pages_changed` / :func:`lesson_pages_changed` where
  no signal is sent), at once and again after the transaction commits; an entry whose tokens
  differ from the current ones is a miss.
- **CSRF.** The page has forms visitors may post (report a problem, language switch, mark
  complete). The stored body holds a random per-entry placeholder where the token goes; each
  response gets the visitor's own token (and cookie) put in its place, so the no-JS forms work
  for every visitor.
- **Conditional GETs.** A weak ``ETag`` (the entry and the visitor's CSRF secret, so a page
  kept by the browser never carries someone else's or a rotated token) and ``Last-Modified``
  (when the entry was rendered) answer ``If-None-Match``/``If-Modified-Since`` with 304.
  ``Cache-Control: private, no-cache``: browsers keep the page and ask again; shared caches
  must not keep it (the body carries a token).
- **Other apps' shared values** use the same tokens: :func:`site_value` keeps a value derived
  from the catalogue alone (progress's levels, counts, rule lesson sets and browser facts) under
  the site's token; :func:`user_value` keeps one user's own figures (progress's status bar)
  under the site's token and that user's, which the writer changes with
  :func:`user_values_changed`.
- **Before the stack** (optional, ``lessons.middleware.CachedPageMiddleware``): a visitor's
  repeat request shaped exactly like one this worker answered from the cache (no cookie but
  the CSRF and language ones) gets the same entry, checked against the same tokens, before the
  session, locale, CSRF, authentication and message middleware run (:func:`early_response`).
- Comment times are written out in the page ("3 minutes ago" is the browser's work, kept
  current by ``comments.js``), so nothing in a page ages with the clock. Template changes are
  not in the key: :func:`pages_reset` after a release that changes templates.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date

from .conf import lessons_settings

SITE_VERSION_KEY = "stream:pages:site"
EARLY_MIDDLEWARE = "lessons.middleware.CachedPageMiddleware"
_XFRAME_MIDDLEWARE = "django.middleware.clickjacking.XFrameOptionsMiddleware"
_LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"
_CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
_COMMON_MIDDLEWARE = "django.middleware.common.CommonMiddleware"
CACHEABLE_QUERY = frozenset({"comments_page"})


def _cache():
    return caches[lessons_settings.PAGE_CACHE_ALIAS]


class LocalCopies:
    """This process's copies of entries read from the page cache: a hit then fetches only the
    version tokens, a few bytes, instead of the whole page (from Redis, or unpickled from a
    local-memory cache), and every copy is checked against those tokens on each use, so it is
    exactly as fresh as the shared entry. Least recently used copies go first beyond
    ``max_bytes``; a copy also expires when its shared entry would."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, tuple[float, int, dict]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> dict | None:
        with self._lock:
            held = self._entries.get(key)
            if held is None:
                return None
            expires, size, entry = held
            if expires <= time.time():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key, entry: dict, *, expires: float, size: int = 256) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = (expires, size, entry)
            self.size += size
            while self.size > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def discard(self, key) -> None:
        with self._lock:
            self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0

    def _drop(self, key) -> None:
        held = self._entries.pop(key, None)
        if held is not None:
            self.size -= held[1]


_local = LocalCopies(0)


def local_copies() -> LocalCopies | None:
    """This process's :class:`LocalCopies`, or ``None`` when ``PAGE_CACHE_LOCAL_BYTES`` is 0.
    They help a local-memory cache too, which unpickles the whole page on every read."""
    limit = int(lessons_settings.PAGE_CACHE_LOCAL_BYTES or 0)
    if limit <= 0:
        return None
    if _local.max_bytes != limit:
        _local.clear()
        _local.max_bytes = limit
    return _local


def _lesson_version_key(lesson_id) -> str:
    return f"stream:pages:lesson:{lesson_id}"


def _get_with_versions(keys, version_keys) -> dict:
    """``cache.get_many`` of ``keys`` and ``version_keys``, where a missing version token (never
    set, or evicted) is created on the spot: no entry was stored under the new one, so
    eviction can only cause misses."""
    found = _cache().get_many([*keys, *version_keys])
    missing = [key for key in version_keys if key not in found]
    if missing:
        for key in missing:
            _cache().add(key, secrets.token_hex(8), timeout=None)
        found.update(_cache().get_many(missing))
    return found


def _versioned_value(key, version_keys, compute, *, keep=lambda value: True, local=None):
    """``compute()``, kept under ``key`` while every token in ``version_keys`` stays the same:
    one cache round trip on a hit. A value ``keep`` refuses is returned but not stored. With
    ``local`` (:func:`local_copies`), the entry is also kept there, for a caller that checks
    its tokens itself (see :meth:`CachedLessonPage.for_request`)."""
    found = _get_with_versions([key], version_keys)
    versions = tuple(found.get(version_key) for version_key in version_keys)
    entry = found.get(key)
    if entry is None or entry.get("versions") != versions:
        value = compute()
        if not keep(value):
            return value
        entry = {"versions": versions, "value": value}
        _cache().set(key, entry, timeout=lessons_settings.PAGE_CACHE_SECONDS)
    if local is not None:
        local.put(key, entry, expires=time.time() + lessons_settings.PAGE_CACHE_SECONDS)
    return entry["value"]


def _bump(keys) -> None:
    # A fresh random token, never a counter: no entry was ever stored under a new token, so a
    # bump (or an evicted token, recreated by _get_with_versions) can only cause misses.
    _cache().set_many({key: secrets.token_hex(8) for key in keys}, timeout=None)


def _bump_now_and_on_commit(keys) -> None:
    # Now, so this transaction's own next read misses; and again once it commits, so a page
    # that another request rendered meanwhile from the old rows is not kept.
    _bump(keys)
    transaction.on_commit(lambda: _bump(keys), robust=True)


def pages_changed() -> None:
    """Every cached page is out of date (a course, lesson, tag, level, achievement or learner
    name changed). Call it from code that writes without sending ``post_save``."""
    _bump_now_and_on_commit([SITE_VERSION_KEY])


def pages_reset() -> None:
    """Forget every cached page at once, outside any transaction (tests; after a deploy that
    changed templates, since template changes are not part of the key)."""
    _bump([SITE_VERSION_KEY])


def lesson_pages_changed(*, lesson_id) -> None:
    """The cached pages of one lesson are out of date (its comments or comment settings)."""
    if lesson_id is not None:
        _bump_now_and_on_commit([_lesson_version_key(lesson_id)])


_fingerprints: dict[int, tuple[object, str]] = {}


def _settings_fingerprint() -> str:
    """A digest of the ``STREAM`` settings, computed once per settings dict (``override_settings``
    and the ``settings`` fixture put a new dict in place, which gets its own)."""
    stream = getattr(settings, "STREAM", None) or {}
    held = _fingerprints.get(id(stream))
    if held is not None and held[0] is stream:
        return held[1]
    text = repr(sorted(stream.items(), key=str))
    digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    if len(_fingerprints) > 64:
        _fingerprints.clear()
    _fingerprints[id(stream)] = (stream, digest)
    return digest


def cache_scope(request) -> tuple | None:
    """Whose copy of the whole page this request may get and fill: ``("anonymous",)`` for the
    copy every visitor shares, ``("learner", pk)`` for a signed-in learner's own copy, ``None``
    when the page must be rendered for this request alone (writes, other query strings,
    pending messages, staff, learner copies switched off or an adapter with its own
    ``can_comment`` rule, which may read the host's state)."""
    from .adapter import adapter_overrides
    from .selectors import user_is_staff

    if lessons_settings.PAGE_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
        return None
    if not set(request.GET) <= CACHEABLE_QUERY:
        return None
    page = request.GET.get("comments_page", "")
    if page and not (page.isdecimal() and len(page) <= 4):
        return None  # junk values would each fill an entry of their own
    user = getattr(request, "user", None)
    if user is None:
        return None
    if not user.is_authenticated:
        scope = ("anonymous",)
    elif (
        not lessons_settings.PAGE_CACHE_LEARNERS
        or not user.is_active
        or user_is_staff(user)
        or adapter_overrides("can_comment")
    ):
        return None
    else:
        scope = ("learner", user.pk)
    return None if len(get_messages(request)) else scope


@dataclass
class CachedLessonPage:
    """One request's handle on the cache (its scope's copy, see :func:`cache_scope`): a hit to
    serve, or a miss to fill."""

    request: object
    key: str
    versions: tuple
    entry: dict | None
    placeholder: str
    found: tuple  # the lesson's id and its and its course's updated_at
    key_scope: str = "anonymous"  # or "learner": whose copy (see cache_scope)

    @classmethod
    def for_request(
        cls, request, *, lessons, course_slug: str, lesson_slug: str
    ) -> CachedLessonPage | None:
        """The cache handle for this request, or ``None`` when the page must be rendered for
        this visitor alone. ``lessons`` is the queryset of lessons the visitor may see, already
        narrowed to the one asked for (see :func:`visible_lesson`)."""
        scope = cache_scope(request)
        if scope is None:
            return None
        # This process keeps copies of the visibility answer and of the page (LocalCopies): a
        # hit is then one cache read, of the version tokens.
        local = local_copies()
        visible_key = _visible_key(course_slug, lesson_slug)
        held_visible = (
            local.get(visible_key) if local is not None and _visibility_is_shared(request) else None
        )
        if held_visible is not None:
            found = held_visible["value"]
        else:
            found = visible_lesson(
                request=request, lessons=lessons, course_slug=course_slug, lesson_slug=lesson_slug
            )
            if found is None:
                return None  # the view answers 404 as usual
        lesson_id, lesson_updated, course_updated = found
        parts = (
            lesson_id,
            request.get_host(),
            request.path,
            request.GET.get("comments_page", ""),
            translation.get_language(),
            _settings_fingerprint(),
            lesson_updated.isoformat(),
            course_updated.isoformat(),
            *scope,
        )
        key = "stream:pages:page:5:" + hashlib.sha256(repr(parts).encode()).hexdigest()
        version_keys = [SITE_VERSION_KEY, _lesson_version_key(lesson_id)]
        if scope[0] == "learner":
            version_keys.append(_user_version_key(scope[1]))
        held = local.get(key) if local is not None else None
        fetched = _get_with_versions([] if held is not None else [key], version_keys)
        versions = tuple(fetched.get(version_key) for version_key in version_keys)
        if held_visible is not None and held_visible["versions"] != versions[:1]:
            # the site changed since this process kept the answer: ask again
            local.discard(visible_key)
            return cls.for_request(
                request, lessons=lessons, course_slug=course_slug, lesson_slug=lesson_slug
            )
        entry = held if held is not None else fetched.get(key)
        if entry is not None and entry.get("versions") != versions:
            entry = None
        elif entry is not None and held is None:
            # Segments put in place once; this process then keeps the page ready to join.
            pieces = _resolve(entry["pieces"], local)
            entry = None if pieces is None else {**entry, "pieces": pieces}
            if entry is not None and local is not None:
                local.put(
                    key,
                    entry,
                    expires=entry["rendered_at"] + lessons_settings.PAGE_CACHE_SECONDS,
                    size=_entry_size(entry),
                )
        return cls(
            request,
            key,
            versions,
            entry,
            secrets.token_hex(16),
            (lesson_id, lesson_updated, course_updated),
            scope[0],
        )

    @property
    def hit(self) -> bool:
        return self.entry is not None

    def lesson_page(self, *, course_slug, lesson_slug):
        """What ``selectors.lesson_page`` returns, shared with signed-in learners' pages."""
        return lesson_page_shared(
            request=self.request,
            lessons=None,
            course_slug=course_slug,
            lesson_slug=lesson_slug,
            found=self.found,
        )

    def render_context(self) -> dict:
        """Context for rendering the page to store: the token placeholder instead of a token."""
        return {"csrf_token": self.placeholder}

    def respond(self) -> HttpResponse:
        """The stored page for this visitor, or 304 when their copy is still current."""
        return self._response(self.entry)

    def store(self, response) -> HttpResponse:
        """Keep the page just rendered (when nothing in it is this visitor's own) and answer."""
        if response.status_code != 200 or response.streaming or response.cookies:
            return self._personal(response)
        session = getattr(self.request, "session", None)
        if session is not None and session.modified:
            return self._personal(response)
        if self.request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            # Something called get_token() itself: the body holds a real token.
            return self._personal(response)
        body = response.content
        local = local_copies()
        entry = {
            "versions": self.versions,
            # Bytes as rendered, cut where the token goes (None): a hit joins them around the
            # visitor's token (one copy, no search through the page, nothing to encode).
            # A learner's long page refers to segments every learner's copy shares instead.
            "pieces": _pieces(body, self.placeholder.encode()),
            "content_type": response["Content-Type"],
            "rendered_at": int(time.time()),
            "etag": secrets.token_hex(8),
        }
        if self.key_scope == "learner" and len(body) >= SEGMENTED_PAGE_BYTES:
            digests, pieces = _pieces_shared(entry["pieces"], local)
            entry = {**entry, "pieces": digests, "segmented": True}
            ready = {**entry, "pieces": pieces}
        else:
            entry["pieces"] = [_without_markers(piece) for piece in entry["pieces"]]
            ready = entry
        _cache().set(self.key, entry, timeout=lessons_settings.PAGE_CACHE_SECONDS)
        if local is not None:
            local.put(
                self.key,
                ready,
                expires=entry["rendered_at"] + lessons_settings.PAGE_CACHE_SECONDS,
                size=_entry_size(ready),
            )
        return self._response(ready, conditional=False)

    def _personal(self, response):
        # Rendered for this visitor only: put a real token where the placeholder went.
        if not response.streaming:
            body = _without_markers(response.content).decode(response.charset)
            response.content = body.replace(self.placeholder, csrf_token(self.request))
        return response

    def _response(self, entry, *, conditional=True) -> HttpResponse:
        if self.key_scope == "anonymous":
            _remember_request_shape(self.request, self.key, self.found[0])
        return _page_response(self.request, entry, conditional=conditional)


def _page_response(request, entry, *, conditional=True) -> HttpResponse:
    """``entry`` for this visitor: their CSRF token in place, or 304 for a current copy."""
    token = csrf_token(request)
    secret = request.META.get("CSRF_COOKIE", "")
    visitor = hashlib.sha256(secret.encode()).hexdigest()[:12]
    etag = f'W/"{entry["etag"]}-{visitor}"'
    last_modified = entry["rendered_at"]
    response = None
    if conditional:
        response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = HttpResponse(
            b"".join([token.encode() if piece is None else piece for piece in entry["pieces"]]),
            content_type=entry["content_type"],
        )
    response["ETag"] = etag
    response["Last-Modified"] = _http_date(last_modified)
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


# --- Visitors' pages before the rest of the stack (lessons.middleware) -------------------------
# A visitor's request that carries nothing but the CSRF and language cookies is answered, from a
# page this worker already served to a request of exactly that shape through the whole stack,
# before the session, locale, CSRF, authentication and message middleware and URL resolving
# run. The shape (host, path, query string, language cookie, Accept-Language, STREAM settings)
# names the entry the full stack chose; the entry is checked against the version tokens as on
# any hit, and the response gets what the skipped middleware would have added.


def _early_shape(request) -> str | None:
    """The shape of a visitor's plain ``GET``, or ``None`` when the request carries anything
    that the skipped middleware could act on: a session or messages cookie, any cookie but
    the CSRF and language ones, credentials, or a CSRF cookie Django would replace."""
    if request.method != "GET" or settings.CSRF_USE_SESSIONS:
        return None
    meta = request.META
    if "HTTP_AUTHORIZATION" in meta or "REMOTE_USER" in meta:
        return None
    cookies = request.COOKIES
    if cookies and not set(cookies) <= {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}:
        return None
    secret = cookies.get(settings.CSRF_COOKIE_NAME)
    if secret is not None and not _is_csrf_secret(secret):
        return None  # Django's middleware would unmask or replace it: let it
    return "stream:pages:shape:" + repr(
        (
            request.get_host(),
            request.path,
            meta.get("QUERY_STRING", ""),
            cookies.get(settings.LANGUAGE_COOKIE_NAME, ""),
            meta.get("HTTP_ACCEPT_LANGUAGE", ""),
            _settings_fingerprint(),
        )
    )


def _is_csrf_secret(value: str) -> bool:
    return len(value) == CSRF_SECRET_LENGTH and all(char in _CHAR_INDEX for char in value)


def _remember_request_shape(request, key, lesson_id) -> None:
    local = local_copies()
    if local is None or not _answers_early(tuple(settings.MIDDLEWARE)):
        return
    if not _visibility_is_shared(request):
        return
    try:
        shape = _early_shape(request)
    except DisallowedHost:
        return
    if shape is None:
        return
    local.put(
        shape,
        {
            "key": key,
            "version_keys": (SITE_VERSION_KEY, _lesson_version_key(lesson_id)),
            "language": translation.get_language(),
        },
        expires=time.time() + lessons_settings.PAGE_CACHE_SECONDS,
    )


def early_response(request) -> HttpResponse | None:
    """The page for a visitor's request shaped like one this worker served through the whole
    stack (see above), or ``None``: then the request goes down the stack as usual. Costs one
    cache read (the version tokens)."""
    local = local_copies()
    if local is None or lessons_settings.PAGE_CACHE_SECONDS <= 0:
        return None
    try:
        shape = _early_shape(request)
    except DisallowedHost:
        return None  # the stack answers it
    held = local.get(shape) if shape is not None else None
    entry = local.get(held["key"]) if held is not None else None
    if entry is None:
        return None
    fetched = _get_with_versions([], held["version_keys"])
    versions = tuple(fetched.get(version_key) for version_key in held["version_keys"])
    if entry.get("versions") != versions:
        local.discard(shape)
        return None
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if secret is not None:
        request.META["CSRF_COOKIE"] = secret
    response = _page_response(request, entry)
    # What the skipped middleware would have added to it, each only where the site has it
    # after CachedPageMiddleware (one before it still runs on this response itself).
    skipped = _skipped_middleware(tuple(settings.MIDDLEWARE))
    if _LOCALE_MIDDLEWARE in skipped:
        response.headers.setdefault("Content-Language", held["language"])
    if _CSRF_MIDDLEWARE in skipped:
        response.set_cookie(
            settings.CSRF_COOKIE_NAME,
            request.META["CSRF_COOKIE"],
            max_age=settings.CSRF_COOKIE_AGE,
            domain=settings.CSRF_COOKIE_DOMAIN,
            path=settings.CSRF_COOKIE_PATH,
            secure=settings.CSRF_COOKIE_SECURE,
            httponly=settings.CSRF_COOKIE_HTTPONLY,
            samesite=settings.CSRF_COOKIE_SAMESITE,
        )
    if _COMMON_MIDDLEWARE in skipped:
        response.headers.setdefault("Content-Length", str(len(response.content)))
    if _XFRAME_MIDDLEWARE in skipped and "X-Frame-Options" not in response:
        response.headers["X-Frame-Options"] = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()
    return response


@functools.lru_cache(maxsize=8)
def _answers_early(middleware: tuple) -> bool:
    """Whether the site lists ``CachedPageMiddleware``: without it no request shape is kept."""
    return EARLY_MIDDLEWARE in middleware


@functools.lru_cache(maxsize=8)
def _skipped_middleware(middleware: tuple) -> frozenset:
    """The middleware listed after ``CachedPageMiddleware``."""
    return frozenset(middleware[middleware.index(EARLY_MIDDLEWARE) + 1 :])


@functools.lru_cache(maxsize=256)
def _http_date(moment: int) -> str:
    return http_date(moment)


def _entry_size(entry) -> int:
    """What keeping ``entry`` costs this process: a segmented page's bytes are its segments,
    counted where they are kept (see below), so only its list of them counts here."""
    if entry.get("segmented"):
        return 64 * len(entry["pieces"])
    return sum(len(piece) if piece is not None else 0 for piece in entry["pieces"]) + 64


# --- Long pages kept in shared segments ----------------------------------------------------------
# A learner's copy of a lesson with a thousand comments differs from every other learner's in
# a few places only (the header, the status bar, their own comments). Such a copy is kept as a
# list of segments, cut before every comment, each stored once under the digest of its bytes:
# learners share every segment that is the same for them, and a copy costs its own segments
# and the list. Content addressing makes sharing safe: a segment is only ever the exact bytes
# some copy held. A copy whose segment is gone from the cache is a miss.

SEGMENTED_PAGE_BYTES = 64 * 1024
SEGMENT_START = b"<!--stream-comment:"


_COMMENT_MARKERS = re.compile(rb"<!--/?stream-comment:\d+-->")


def _without_markers(piece):
    """``piece`` without the comment markers, which only serve while a page is put together
    (``comments.thread_cache``) and cut (above): 50 bytes a comment nobody needs to download."""
    return piece if piece is None else _COMMENT_MARKERS.sub(b"", piece)


def _segment_key(digest: str) -> str:
    return "stream:pages:segment:" + digest


def _pieces(body: bytes, placeholder: bytes) -> list:
    """``body`` as bytes pieces with ``None`` where the CSRF token goes."""
    pieces: list = []
    for index, part in enumerate(body.split(placeholder)):
        if index:
            pieces.append(None)
        pieces.append(part)
    return pieces


def _pieces_shared(pieces: list, local) -> tuple[list, list]:
    """``pieces`` cut into segments: their digests (``str``) for the cache entry, and the
    segments themselves for this process's ready copy; ``None`` (the token) stays. Segments
    this process holds (another learner's copy stored them) are used as they are; the others
    are stored in the page cache and in this process's copies."""
    digests, segments = [], {}
    for piece in pieces:
        if piece is None:
            digests.append(None)
            continue
        for chunk in map(_without_markers, _cut_before(piece, SEGMENT_START)):
            digest = hashlib.blake2b(chunk, digest_size=16).hexdigest()
            segments.setdefault(digest, chunk)
            digests.append(digest)
    new = {}
    for digest, chunk in segments.items():
        held = local.get(_segment_key(digest)) if local is not None else None
        if held is not None:
            segments[digest] = held["segment"]
        else:
            new[_segment_key(digest)] = chunk
    _cache().set_many(new, timeout=lessons_settings.PAGE_CACHE_SECONDS)
    _keep_segments(local, new)
    return digests, [None if digest is None else segments[digest] for digest in digests]


def _keep_segments(local, segments: dict) -> None:
    """Keep ``segments`` (cache key → bytes) in this process's copies, for as long as the
    page cache keeps them."""
    if local is not None:
        expires = time.time() + lessons_settings.PAGE_CACHE_SECONDS
        for key, chunk in segments.items():
            local.put(key, {"segment": chunk}, expires=expires, size=len(chunk))


def _cut_before(data: bytes, marker: bytes) -> list[bytes]:
    chunks, start = [], 0
    at = data.find(marker, 1)
    while at >= 0:
        chunks.append(data[start:at])
        start = at
        at = data.find(marker, at + 1)
    chunks.append(data[start:])
    return chunks


def _resolve(pieces: list, local) -> list | None:
    """``pieces`` with every segment digest replaced by its bytes, or ``None`` when one is no
    longer in the cache (the page must be rendered again)."""
    if not any(isinstance(piece, str) for piece in pieces):
        return pieces
    found, missing = {}, []
    for piece in pieces:
        if isinstance(piece, str) and piece not in found:
            held = local.get(_segment_key(piece)) if local is not None else None
            if held is None:
                missing.append(piece)
            found[piece] = held["segment"] if held is not None else None
    if missing:
        fetched = _cache().get_many([_segment_key(digest) for digest in missing])
        if len(fetched) < len(missing):
            return None
        found.update({digest: fetched[_segment_key(digest)] for digest in missing})
        _keep_segments(local, fetched)
    return [found[piece] if isinstance(piece, str) else piece for piece in pieces]


# --- Each visitor's own CSRF token ---------------------------------------------------------------

_CHAR_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
# The largest multiple of the alphabet's size below 256: bytes above it are drawn again, so
# every character is equally likely.
_UNBIASED_BELOW = 256 - 256 % len(CSRF_ALLOWED_CHARS)


def _random_indices(count: int) -> list[int]:
    size = len(CSRF_ALLOWED_CHARS)
    found: list[int] = []
    while len(found) < count:
        found += [byte % size for byte in secrets.token_bytes(count * 2) if byte < _UNBIASED_BELOW]
    return found[:count]


def csrf_token(request) -> str:
    """What ``django.middleware.csrf.get_token`` returns, with the same side effects (the
    request's secret is created when it has none, and the middleware then sets the cookie):
    a fresh mask over the secret. The random characters come from one ``os.urandom`` call
    instead of one per character (64 system calls per cached page served: ~40 % of a hit's
    time in-process)."""
    chars, size = CSRF_ALLOWED_CHARS, len(CSRF_ALLOWED_CHARS)
    secret = request.META.get("CSRF_COOKIE")
    drawn = _random_indices(CSRF_SECRET_LENGTH * (2 if secret is None else 1))
    if secret is None:
        secret = "".join([chars[i] for i in drawn[CSRF_SECRET_LENGTH:]])
        request.META["CSRF_COOKIE"] = secret
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = drawn[: len(secret)]
    index = _CHAR_INDEX
    return "".join([chars[i] for i in mask]) + "".join(
        [chars[(index[char] + offset) % size] for char, offset in zip(secret, mask, strict=True)]
    )


# --- Fragments of a lesson page shared by many viewers ----------------------------------------


@dataclass
class Fragment:
    """A cached piece of one lesson's page, valid while the site's and the lesson's version
    tokens are those it was stored with (see :func:`fragment_lookup`)."""

    key: str
    versions: tuple
    value: object = None

    @property
    def hit(self) -> bool:
        return self.value is not None

    def store(self, value) -> None:
        self.value = value
        _cache().set(
            self.key,
            {"versions": self.versions, "value": value},
            timeout=lessons_settings.PAGE_CACHE_SECONDS,
        )


def fragment_lookup(*, name: str, lesson_id, parts=()) -> Fragment | None:
    """Look up the fragment ``name`` of lesson ``lesson_id`` for ``parts`` (whatever else it
    depends on: page number, viewer kind...); the active language and the ``STREAM`` settings
    are always part of the key. ``None`` when caching is off. One cache round trip."""
    if lessons_settings.PAGE_CACHE_SECONDS <= 0:
        return None
    full = (name, lesson_id, translation.get_language(), _settings_fingerprint(), *parts)
    key = "stream:pages:fragment:" + hashlib.sha256(repr(full).encode()).hexdigest()
    lesson_key = _lesson_version_key(lesson_id)
    found = _get_with_versions([key], [SITE_VERSION_KEY, lesson_key])
    versions = (found.get(SITE_VERSION_KEY), found.get(lesson_key))
    entry = found.get(key)
    value = entry["value"] if entry is not None and entry.get("versions") == versions else None
    return Fragment(key, versions, value)


def site_version() -> str:
    """The site's current version token: it changes on every write to a course, lesson, tag,
    link, level or achievement. Put it in the address of anything derived from those (a
    versioned URL may then be cached for good). ``""`` when the cache keeps nothing (a dummy
    cache): then there is no version to trust."""
    return _get_with_versions([], [SITE_VERSION_KEY]).get(SITE_VERSION_KEY) or ""


def site_value(*, name: str, compute, parts=()):
    """``compute()``, kept in the page cache while the site's version token stays the same.

    For values derived from the catalogue alone (lessons, courses, tags, levels, achievements,
    never a learner's own data): counts, rule lesson sets, the progress facts. One cache round
    trip on a hit; ``compute()`` on a miss, or every time when caching is off."""
    if lessons_settings.PAGE_CACHE_SECONDS <= 0:
        return compute()
    key = "stream:pages:site-value:" + hashlib.sha256(repr((name, *parts)).encode()).hexdigest()
    return _versioned_value(key, [SITE_VERSION_KEY], compute)


def _user_version_key(user_id) -> str:
    return f"stream:pages:user:{user_id}"


def user_value(*, name: str, user_id, compute):
    """``compute()`` for one user, kept in the page cache while the site's version token and
    that user's stay the same (see :func:`user_values_changed`). For a user's own figures that
    every page shows (progress's status bar): no query on a hit; ``compute()`` on a miss, or
    every time when caching is off."""
    if lessons_settings.PAGE_CACHE_SECONDS <= 0:
        return compute()
    key = "stream:pages:user-value:" + hashlib.sha256(repr((name, user_id)).encode()).hexdigest()
    return _versioned_value(key, [SITE_VERSION_KEY, _user_version_key(user_id)], compute)


def user_values_changed(*, user_id) -> None:
    """Every :func:`user_value` of ``user_id`` is out of date: call it from each write to what
    they are computed from (now, and again once the transaction commits)."""
    if user_id is not None:
        _bump_now_and_on_commit([_user_version_key(user_id)])


def visible_lesson(*, request, lessons, course_slug: str, lesson_slug: str):
    """The visibility check: ``(id, updated_at, course updated_at)`` of the lesson if the
    viewer may open it, else ``None``. ``lessons`` is ``selectors.lessons_visible`` narrowed to
    the lesson, or a function returning it (building a queryset costs more than a cache hit).
    With the default adapter, whose rule reads nothing but the lesson's and its course's status
    (and every write to those changes the site's version token), the answer for anyone but
    staff is kept under that token and costs no query; an adapter with its own
    ``lessons_for_user`` is asked on every request (1 query)."""

    def query():
        queryset = lessons() if callable(lessons) else lessons
        return queryset.values_list("id", "updated_at", "course__updated_at").first()

    if not _visibility_is_shared(request):
        return query()
    # a miss (a 404) is not kept, so requests for made-up addresses cannot fill the cache
    return _versioned_value(
        _visible_key(course_slug, lesson_slug),
        [SITE_VERSION_KEY],
        query,
        keep=lambda found: found is not None,
        local=local_copies(),
    )


def _visibility_is_shared(request) -> bool:
    """Whether :func:`visible_lesson`'s answer for this viewer is the one kept in the cache."""
    from .adapter import adapter_overrides
    from .selectors import user_is_staff

    return not (adapter_overrides("lessons_for_user") or user_is_staff(request.user))


def _visible_key(course_slug, lesson_slug) -> str:
    parts = repr((course_slug, lesson_slug))
    return "stream:pages:visible:" + hashlib.sha256(parts.encode()).hexdigest()


def lesson_page_shared(*, request, lessons, course_slug: str, lesson_slug: str, found=None):
    """``selectors.lesson_page`` for anyone but staff, from the cache: the heading figures,
    tags, links and neighbours are the same for every learner (staff see drafts among the
    neighbours, so theirs is always read). ``lessons`` is the visibility check narrowed to the
    lesson (1 query), unless ``found`` already holds its result. Costs 1 query from the cache,
    7 otherwise."""
    from . import selectors

    user = request.user
    if selectors.user_is_staff(user) or lessons_settings.PAGE_CACHE_SECONDS <= 0:
        return selectors.lesson_page(course_slug=course_slug, lesson_slug=lesson_slug, user=user)
    if found is None:
        found = visible_lesson(
            request=request, lessons=lessons, course_slug=course_slug, lesson_slug=lesson_slug
        )
        if found is None:
            raise Http404("No such lesson.")
    fragment = fragment_lookup(
        name="lesson-page",
        lesson_id=found[0],
        parts=(found[1].isoformat(), found[2].isoformat(), course_slug, lesson_slug),
    )
    if fragment.hit:
        return fragment.value
    page = selectors.lesson_page(course_slug=course_slug, lesson_slug=lesson_slug, user=user)
    fragment.store(page)
    return page


# --- Invalidation on every write ---------------------------------------------------------------
# Receivers rather than calls in each service: a stale page must not survive any write path,
# including the admin's inlines, import_lessons, loaddata and the shell. Writes that send no
# signal (QuerySet.update, bulk_create) call pages_changed() themselves.


def invalidate_on_save(model, *, lesson_of=None) -> None:
    """Invalidate cached pages whenever a ``model`` row is saved or deleted: one lesson's pages
    when ``lesson_of(instance)`` names a lesson id, otherwise every page."""

    def changed(sender, instance, **kwargs):
        lesson_id = lesson_of(instance) if lesson_of is not None else None
        if lesson_id is None:
            pages_changed()
        else:
            lesson_pages_changed(lesson_id=lesson_id)

    _on_save_or_delete(model, changed, uid=f"stream-page-cache-{model._meta.label}")


def _on_save_or_delete(model, receiver, *, uid) -> None:
    post_save.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=uid)


def invalidate_user_on_save(model, *, user_of) -> None:
    """Invalidate one learner's cached pages and figures (:func:`user_values_changed`) whenever
    a ``model`` row is saved or deleted, ``user_of(instance)`` naming the learner's id: their
    notifications, completions, awards, profile. Writes that send no signal (``update()``,
    ``bulk_create``) call :func:`user_values_changed` themselves."""

    def changed(sender, instance, **kwargs):
        user_values_changed(user_id=user_of(instance))

    _on_save_or_delete(model, changed, uid=f"stream-page-cache-user-{model._meta.label}")


# A login writes last_login (and an upgraded hash writes password): nothing a page shows.
_USER_FIELDS_NOT_SHOWN = frozenset({"last_login", "password"})


def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or (update_fields is not None and set(update_fields) <= _USER_FIELDS_NOT_SHOWN):
        return
    pages_changed()  # comment author names come from the user row


def _tags_changed(sender, action, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"}:
        pages_changed()


def connect_invalidation() -> None:
    """Connect the lessons app's own models (called from ``LessonsConfig.ready``)."""
    from django.contrib.auth import get_user_model

    from .models import Course, Lesson, LessonLink, Tag

    for model in (Course, Lesson, Tag, LessonLink):
        invalidate_on_save(model)
    m2m_changed.connect(_tags_changed, sender=Lesson.tags.through, dispatch_uid="stream-tags")
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="stream-page-cache-user")
    post_delete.connect(
        lambda **kwargs: pages_changed(),
        sender=user_model,
        weak=False,
        dispatch_uid="stream-page-cache-user-deleted",
    )


# --- A cache every worker shares --------------------------------------------------------------

PER_PROCESS_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)


@register(Tags.caches)
def check_shared_cache(app_configs=None, **kwargs):
    """With ``DEBUG`` off the site runs under several workers, and every one of them keeps its
    own local-memory cache: rate limits count per worker (N workers allow N times the limit),
    and a write invalidates cached pages in one worker only. Warn before that ships."""
    if settings.DEBUG:
        return []
    found = []
    for alias in {"default", lessons_settings.PAGE_CACHE_ALIAS}:
        backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
        if backend in PER_PROCESS_CACHES:
            found.append(
                CheckWarning(
                    f"The {alias!r} cache is {backend.rsplit('.', 1)[-1]}, private to each "
                    "worker process: Stream's rate limits would count per worker and a write "
                    "would invalidate cached lesson pages in one worker only.",
                    hint="Use a cache every worker shares, e.g. Redis (set REDIS_URL in the "
                    "demo), or run a single worker process.",
                    id="stream_lessons.W002",
                )
            )
    return found
