"""Stream's settings, read from the one ``STREAM`` dict in the host's settings.

Each app declares its own defaults and reads them through an :class:`AppSettings` object, the
way DRF's ``api_settings`` works. Values are looked up on first access and kept until
``setting_changed`` fires, so ``override_settings`` and pytest's ``settings`` fixture just work.
Settings that name classes by dotted path are imported then too, once, not on every request.
"""

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

LESSONS_DEFAULTS = {
    # Brand shown in the site header, and the name of the learning area beside it.
    "SITE_NAME": "Stream",
    "SECTION_NAME": "Stream",
    # The template every Stream page extends. Point it at your site's own base template; it
    # must define the blocks "title", "extra_head", "content" and "scripts", unless
    # BASE_TEMPLATE_BLOCKS names the blocks it has instead.
    "BASE_TEMPLATE": "stream/base.html",
    # None: BASE_TEMPLATE is built for Stream (stream/base.html or a template extending it).
    # A dict naming the blocks of your own base template that Stream's pages fill, e.g.
    # {"title": "page_title", "head": "head_extra", "content": "body", "scripts": "footer_js"}:
    # pages then extend a layout that puts the title, Stream's stylesheets and the page's
    # content and scripts into those blocks ("title" may be None when the base has no such block).
    "BASE_TEMPLATE_BLOCKS": None,
    # Where the brand in Stream's own header links to: a path, URL or URL name.
    "HOME_URL": "/",
    # Dotted path of the adapter class: the host's policy (who sees a course or lesson, who may
    # comment, how learners are named and pictured, what happens on awards and course
    # completion). Subclass lessons.adapter.StreamAdapter.
    "ADAPTER": "lessons.adapter.StreamAdapter",
    # Reading-time estimate: Latin-script words per minute, CJK characters per minute, and
    # lines of code per minute inside fenced code blocks.
    "READING_WORDS_PER_MINUTE": 220,
    "READING_CJK_CHARS_PER_MINUTE": 500,
    "READING_CODE_LINES_PER_MINUTE": 12,
    # XP a new lesson is worth unless the instructor sets another value.
    "LESSON_DEFAULT_XP": 10,
    # Prerequisites (docs/lessons.md): False, a locked lesson's text stays readable to
    # everyone (only completing it waits). True: lessons with prerequisites are rendered per
    # viewer, not shared, and their text is shown only to those the server knows met them
    # (signed-in learners; a visitor's progress lives in their browser, out of its sight).
    "REQUIREMENTS_HIDE_LOCKED": False,
    # Shared pages (catalogue, course, tag and lesson pages: the same HTML for every viewer, see
    # lessons.caching) are kept this many seconds in the cache named here (0: never). Entries
    # are keyed by content versions kept in the database, so a write from any process is seen
    # at the next request whatever the cache backend; this bounds only memory.
    "PAGE_CACHE_SECONDS": 600,
    "PAGE_CACHE_ALIAS": "default",
    # Cache-Control s-maxage of shared pages: how long a reverse proxy or CDN may serve a page
    # without asking again. 0 (the default): it keeps the page but revalidates every time
    # (ETag, a 304 when unchanged), so unpublishing is seen at once. Raise it only with
    # PURGE set, so writes purge the proxy's copies.
    "PAGE_PROXY_SECONDS": 0,
    # Dotted path of a callable purge(urls) that tells a proxy to drop the pages a write
    # changed (see lessons.purge; "lessons.purge.varnish_purge" for Varnish). None: no purge.
    "PURGE": None,
    # Base URLs the purge callable is given (the proxy's address for the site), e.g.
    # ["http://127.0.0.1:6081"]. Each changed path is joined to each.
    "PURGE_BASE_URLS": [],
    # Name of the cookie, readable by scripts, that says the browser is signed in
    # (lessons.middleware.ViewerCookieMiddleware): shared pages' scripts ask the viewer
    # endpoint only when it is present.
    "VIEWER_COOKIE": "stream_viewer",
    # REST API (/api/v1/). Stream's API views declare all of these themselves and never read
    # the host's REST_FRAMEWORK defaults, so a host on JWT or other pagination is unaffected.
    # Dotted paths of the authentication classes. None: session (with CSRF) for browsers, plus
    # DRF's token authentication when "rest_framework.authtoken" is in INSTALLED_APPS.
    "API_AUTHENTICATION_CLASSES": None,
    # Dotted paths of the throttle classes every endpoint applies, counted in Django's default
    # cache (shared by all workers only if that cache is, e.g. Redis).
    "API_THROTTLE_CLASSES": [
        "lessons.api_base.StreamAnonRateThrottle",
        "lessons.api_base.StreamUserRateThrottle",
        "lessons.api_base.StreamScopedRateThrottle",
    ],
    # Rates per throttle scope ("<n>/second|minute|hour|day"); None or a missing scope: no
    # limit. "anon" counts per IP address, "user" per signed-in learner, "auth_token" is the
    # per-IP limit on POST auth/token/ (it checks passwords, so keep it low).
    "API_THROTTLE_RATES": {"anon": "120/minute", "user": "300/minute", "auth_token": "10/hour"},
    # Prefix of the throttles' cache keys.
    "API_CACHE_PREFIX": "stream:api",
    # Items per page of paginated lists (courses, notifications); clients may ask for fewer or
    # more with ?page_size=, up to API_MAX_PAGE_SIZE.
    "API_PAGE_SIZE": 20,
    "API_MAX_PAGE_SIZE": 100,
    # The client address every limit counts by (sign-in policy, API throttles, comment and
    # report limits): REMOTE_ADDR, unless the site runs behind proxies it controls. Then this
    # many proxies are believed: the address is the one the outermost of them saw, i.e. the
    # TRUSTED_PROXY_COUNT-th entry from the right of X-Forwarded-For. 0: REMOTE_ADDR only.
    "TRUSTED_PROXY_COUNT": 0,
    # Deprecated (use TRUSTED_PROXY_COUNT): the request.META key of a header whose right-most
    # entry is the client address. Read only while TRUSTED_PROXY_COUNT is 0.
    "CLIENT_IP_HEADER": "",
    # The sign-in policy (lessons.signin), for every way in: allauth's login, the admin's,
    # POST api/v1/auth/token/ and a host's own view. Failed sign-ins are counted per account
    # and per client address; past a limit, sign-ins are refused (the right password too) until
    # the window that opened at the first failure has passed. None: no limit of that kind.
    # One account from one address: the guesser is stopped, its owner elsewhere is not.
    "SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS": 5,
    # One address, whatever the accounts (a guesser trying many accounts).
    "SIGNIN_FAILURES_PER_ADDRESS": 20,
    "SIGNIN_WINDOW": 15 * 60,
    # One account, from every address together (a guesser with many addresses): larger and
    # slower, because reaching it locks the owner out too, until SIGNIN_ACCOUNT_WINDOW passes.
    "SIGNIN_FAILURES_PER_ACCOUNT": 50,
    "SIGNIN_ACCOUNT_WINDOW": 60 * 60,
    # Prefix of the policy's cache keys (the counters live in the default cache).
    "SIGNIN_CACHE_PREFIX": "stream:signin",
    # Search (/search/ and GET api/v1/search/, see lessons.search): the longest query taken,
    # in characters; results per page of /search/ (the API pages by API_PAGE_SIZE); about how
    # many characters of a lesson's text each result shows around the first term found.
    "SEARCH_QUERY_MAX_LENGTH": 100,
    "SEARCH_RESULTS_PER_PAGE": 10,
    "SEARCH_SNIPPET_LENGTH": 200,
    # PostgreSQL text-search configuration by language code (or its primary subtag): lessons
    # in a language listed here are stemmed with it; any other language uses "simple" (no
    # stemming: Korean, whose substrings are matched by the trigram index instead).
    "SEARCH_POSTGRES_CONFIGS": {"en": "english"},
    # xAPI statements (lessons.xapi): None sends nothing. A dict naming a learning record
    # store turns them on: {"ENDPOINT": "https://lrs.example.org/xAPI/", "USERNAME": ...,
    # "PASSWORD": ..., "SITE_URL": "https://learn.example.org"} and the optional keys in
    # lessons.xapi.XAPI_DEFAULTS.
    "XAPI": None,
}


# Settings that were renamed: a host's value under the old name is read while the new name is
# not set (system check stream_lessons.W004 asks for the new one).
RENAMED = {
    "SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS": "ADMIN_LOGIN_FAILURES_PER_USERNAME",
    "SIGNIN_FAILURES_PER_ADDRESS": "ADMIN_LOGIN_FAILURES_PER_IP",
    "SIGNIN_WINDOW": "ADMIN_LOGIN_WINDOW",
    "SIGNIN_CACHE_PREFIX": "ADMIN_LOGIN_CACHE_PREFIX",
}


# Settings whose values are dotted paths (or lists of them), read as what they name.
LESSONS_IMPORT_STRINGS = ("API_AUTHENTICATION_CLASSES", "API_THROTTLE_CLASSES")


def perform_import(value, name):
    """What ``value``, a dotted path or a list of them (or None), names, as DRF's settings do."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return import_string(value)
        except ImportError as error:
            raise ImportError(
                f"Could not import {value!r} for Stream setting {name!r}: {error}"
            ) from error
    return [perform_import(item, name) for item in value]


class AppSettings:
    """Attribute access to ``settings.STREAM[...]`` with per-app defaults; the names in
    ``import_strings`` are read as the objects their dotted paths name."""

    def __init__(self, defaults, import_strings=()):
        self.defaults = defaults
        self.import_strings = frozenset(import_strings)
        self._cache = {}

    def __getattr__(self, name):
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"Unknown Stream setting: {name!r}")
        if name not in self._cache:
            user_settings = getattr(settings, "STREAM", None) or {}
            if name not in user_settings and RENAMED.get(name) in user_settings:
                name_set = RENAMED[name]
            else:
                name_set = name
            value = user_settings.get(name_set, self.defaults[name])
            if name in self.import_strings:
                value = perform_import(value, name)
            self._cache[name] = value
        return self._cache[name]

    def reload(self):
        self._cache.clear()


_registry = []


def app_settings(defaults, import_strings=()):
    """Create an :class:`AppSettings` that reloads whenever ``STREAM`` changes."""
    instance = AppSettings(defaults, import_strings)
    _registry.append(instance)
    return instance


def _reload_on_change(*, setting, **kwargs):
    if setting == "STREAM":
        for instance in _registry:
            instance.reload()


setting_changed.connect(_reload_on_change)

lessons_settings = app_settings(LESSONS_DEFAULTS, LESSONS_IMPORT_STRINGS)
