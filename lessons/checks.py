"""System checks: a host project configured in a way Stream cannot work with fails at start-up
(``manage.py check``, ``runserver``, ``migrate``) with a message that says what to change.

====================  ====================================================================
id                    problem
====================  ====================================================================
stream_lessons.E001   ``STREAM["BASE_TEMPLATE"]`` cannot be found or loaded
stream_lessons.E002   ``STREAM["BASE_TEMPLATE_BLOCKS"]`` is malformed
stream_lessons.E003   ``STREAM["ADAPTER"]`` cannot be imported or is not a ``StreamAdapter``
stream_lessons.E004   no DjangoTemplates engine has the ``request`` context processor
stream_lessons.E005   auth, contenttypes or sessions is not in ``INSTALLED_APPS``
stream_lessons.E006   ``SessionMiddleware`` or ``AuthenticationMiddleware`` is missing
stream_lessons.E007   no DjangoTemplates engine has the ``auth`` context processor
stream_lessons.W001   the lesson pages are not in the URLconf
stream_lessons.W002   ``DEBUG`` off with a per-process default cache (rate limits and sign-in
                      locks would count per worker)
stream_lessons.W003   ``ViewerCookieMiddleware`` is missing or before ``AuthenticationMiddleware``
                      (signed-in learners would see shared pages as visitors do)
stream_lessons.W004   a deprecated ``STREAM`` key is set (``CLIENT_IP_HEADER``,
                      ``ADMIN_LOGIN_*``): it still works; the hint names its replacement
stream_lessons.W005   django-allauth's ``ACCOUNT_ADAPTER`` is not under Stream's sign-in
                      policy (``lessons.signin.SignInPolicyAdapterMixin``)
stream_lessons.E008   ``STREAM["XAPI"]`` is malformed (not a dict, an unknown key, no LRS
                      address, a bad number)
stream_lessons.W006   lessons are on SQLite without FTS5's trigram tokenizer (or on a database
                      other than SQLite and PostgreSQL): search scans every lesson's text
stream_lessons.E009   ``STREAM["PAGE_CACHE_ALIAS"]`` names no cache of ``CACHES``
stream_progress.E010  progress installed without lessons
stream_comments.E010  comments installed without lessons
stream_comments.E011  the messages app or ``MessageMiddleware`` is missing (comments)
====================  ====================================================================
"""

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured
from django.template import TemplateDoesNotExist, engines
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse

from .conf import RENAMED, lessons_settings
from .layout import blocks_problems

REQUEST_PROCESSOR = "django.template.context_processors.request"
AUTH_PROCESSOR = "django.contrib.auth.context_processors.auth"
SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
MESSAGE_MIDDLEWARE = "django.contrib.messages.middleware.MessageMiddleware"
VIEWER_MIDDLEWARE = "lessons.middleware.ViewerCookieMiddleware"


@register(Tags.templates)
def check_base_template(app_configs=None, **kwargs):
    """The base template must exist, and a block mapping must be well formed."""
    errors = []
    base = lessons_settings.BASE_TEMPLATE
    try:
        get_template(base)
    except TemplateDoesNotExist:
        errors.append(
            Error(
                f"STREAM['BASE_TEMPLATE'] is {base!r}, and no template has that name.",
                hint="Name your site's base template (e.g. 'base.html'), or remove the key to "
                "use Stream's own 'stream/base.html'.",
                id="stream_lessons.E001",
            )
        )
    except Exception as error:  # a syntax error in the host's template: Django reports it too
        errors.append(
            Error(
                f"STREAM['BASE_TEMPLATE'] {base!r} cannot be loaded: {error}",
                id="stream_lessons.E001",
            )
        )
    problems = blocks_problems(lessons_settings.BASE_TEMPLATE_BLOCKS)
    if problems:
        errors.append(
            Error(
                "STREAM['BASE_TEMPLATE_BLOCKS'] is malformed: " + "; ".join(problems) + ".",
                hint="Map Stream's roles to your base template's blocks, e.g. {\"title\": "
                '"page_title", "head": "head_extra", "content": "body", "scripts": "footer_js"}, '
                "or set it to None.",
                id="stream_lessons.E002",
            )
        )
    return errors


@register()
def check_adapter(app_configs=None, **kwargs):
    """``STREAM["ADAPTER"]`` must name a :class:`~lessons.adapter.StreamAdapter` subclass."""
    from .adapter import get_adapter

    try:
        get_adapter()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint="Give the dotted path of a subclass of lessons.adapter.StreamAdapter.",
                id="stream_lessons.E003",
            )
        ]
    return []


@register(Tags.templates)
def check_request_context_processor(app_configs=None, **kwargs):
    """Stream's pages and tags read ``request`` (sign-in links back to the page, CSRF for the
    browser's sync, the learner's progress) and ``user`` (the comment form or a sign-in link)."""
    processors = set()
    for engine in engines.all():
        if engine.__class__.__name__ == "DjangoTemplates":
            processors.update(engine.engine.context_processors)
    errors = []
    for name, problem, error_id in (
        (REQUEST_PROCESSOR, "the request", "stream_lessons.E004"),
        (AUTH_PROCESSOR, "the signed-in user", "stream_lessons.E007"),
    ):
        if name not in processors:
            errors.append(
                Error(
                    f"Stream's pages need {problem} in their template context.",
                    hint=f"Add {name!r} to TEMPLATES[...]['OPTIONS']['context_processors'].",
                    id=error_id,
                )
            )
    return errors


@register()
def check_required_apps(app_configs=None, **kwargs):
    """Learners are users with sessions: auth, contenttypes and sessions must be installed."""
    needed = ("django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions")
    return [
        Error(
            f"Stream needs {name!r} in INSTALLED_APPS.",
            hint=f"Add {name!r} to INSTALLED_APPS.",
            id="stream_lessons.E005",
        )
        for name in needed
        if not apps.is_installed(name)
    ]


@register()
def check_middleware(app_configs=None, **kwargs):
    """Signed-in learners are known through the session and authentication middleware."""
    return [
        Error(
            f"Stream needs {name!r} in MIDDLEWARE.",
            hint="Add it in Django's usual order (sessions, then authentication).",
            id="stream_lessons.E006",
        )
        for name in (SESSION_MIDDLEWARE, AUTH_MIDDLEWARE)
        if name not in settings.MIDDLEWARE
    ]


@register()
def check_viewer_middleware(app_configs=None, **kwargs):
    """Shared pages ask the viewer endpoint only when the signed-in hint cookie is there."""
    order = list(settings.MIDDLEWARE)
    if VIEWER_MIDDLEWARE in order and (
        AUTH_MIDDLEWARE not in order
        or order.index(VIEWER_MIDDLEWARE) > order.index(AUTH_MIDDLEWARE)
    ):
        return []
    return [
        CheckWarning(
            f"{VIEWER_MIDDLEWARE!r} is missing from MIDDLEWARE or comes before "
            f"{AUTH_MIDDLEWARE!r}: signed-in learners would see Stream's pages as visitors do "
            "(no name, no synced progress, no comment form).",
            hint="Add it right after AuthenticationMiddleware (docs/integration.md).",
            id="stream_lessons.W003",
        )
    ]


PER_PROCESS_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)


@register(Tags.caches)
def check_page_cache_alias(app_configs=None, **kwargs):
    """Shared pages are kept in the cache ``STREAM["PAGE_CACHE_ALIAS"]`` names: a name missing
    from ``CACHES`` would fail every page's first view."""
    alias = lessons_settings.PAGE_CACHE_ALIAS
    if not lessons_settings.PAGE_CACHE_SECONDS or alias in settings.CACHES:
        return []
    return [
        Error(
            f'STREAM["PAGE_CACHE_ALIAS"] is {alias!r}, which is not a key of CACHES: shared '
            "pages could not be kept.",
            hint=f"Add a {alias!r} cache to CACHES, name one of {sorted(settings.CACHES)}, or set "
            'STREAM["PAGE_CACHE_SECONDS"] to 0 to keep no page.',
            id="stream_lessons.E009",
        )
    ]


@register(Tags.caches)
def check_shared_cache(app_configs=None, **kwargs):
    """With ``DEBUG`` off the site runs under several workers, each with its own local-memory
    cache: rate limits and sign-in locks would count per worker. (Pages stay correct: their
    versions live in the database.)"""
    if settings.DEBUG:
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        CheckWarning(
            f"The 'default' cache is {backend.rsplit('.', 1)[-1]}, private to each worker "
            "process: Stream's rate limits and sign-in locks would count per worker.",
            hint="Use a cache every worker shares, e.g. Redis (set REDIS_URL in the demo), or "
            "run a single worker process.",
            id="stream_lessons.W002",
        )
    ]


@register(Tags.urls)
def check_pages_mounted(app_configs=None, **kwargs):
    """Without the lessons pages, nothing links to a lesson."""
    try:
        reverse("stream_lessons:catalogue")
    except NoReverseMatch:
        return [
            CheckWarning(
                "Stream's lesson pages are not in the URLconf.",
                hint='Add path("learn/", include("lessons.site_urls")) to your URLconf.',
                id="stream_lessons.W001",
            )
        ]
    return []


def lessons_installed_check(app_label: str):
    """A check for ``progress`` and ``comments``: both are built on ``lessons``."""

    def check(app_configs=None, **kwargs):
        if apps.is_installed("lessons"):
            return []
        return [
            Error(
                f"The Stream app {app_label!r} needs the lessons app.",
                hint="Add 'lessons.apps.LessonsConfig' to INSTALLED_APPS, before it.",
                id=f"{app_label}.E010",
            )
        ]

    return check


def check_messages(app_configs=None, **kwargs):
    """The comment and report forms tell the learner what happened through Django's messages."""
    errors = []
    if not apps.is_installed("django.contrib.messages"):
        errors.append(
            Error(
                "Stream's comments need 'django.contrib.messages' in INSTALLED_APPS.",
                hint="Add it; the comment and report forms confirm through messages.",
                id="stream_comments.E011",
            )
        )
    if MESSAGE_MIDDLEWARE not in settings.MIDDLEWARE:
        errors.append(
            Error(
                f"Stream's comments need {MESSAGE_MIDDLEWARE!r} in MIDDLEWARE.",
                hint="Add it after SessionMiddleware.",
                id="stream_comments.E011",
            )
        )
    return errors


@register()
def check_deprecated_settings(app_configs=None, **kwargs):
    """Keys of ``STREAM`` that were replaced: still read, but say what replaces them."""
    stream = getattr(settings, "STREAM", None) or {}
    found = []
    for new, old in RENAMED.items():
        if old in stream:
            found.append(
                CheckWarning(
                    f"STREAM[{old!r}] is deprecated"
                    + (f" and ignored: STREAM[{new!r}] is set." if new in stream else "."),
                    hint=f"Use STREAM[{new!r}]; the limit now applies to every way of signing "
                    "in (docs/accounts.md).",
                    id="stream_lessons.W004",
                )
            )
    if stream.get("CLIENT_IP_HEADER"):
        found.append(
            CheckWarning(
                "STREAM['CLIENT_IP_HEADER'] is deprecated"
                + (
                    " and ignored: TRUSTED_PROXY_COUNT is set."
                    if lessons_settings.TRUSTED_PROXY_COUNT
                    else "."
                ),
                hint="Set STREAM['TRUSTED_PROXY_COUNT'] to the number of proxies in front of "
                "the site that append to X-Forwarded-For (1 for one proxy: the same address "
                "as CLIENT_IP_HEADER = 'HTTP_X_FORWARDED_FOR'), and remove CLIENT_IP_HEADER.",
                id="stream_lessons.W004",
            )
        )
    return found


@register()
def check_allauth_signin(app_configs=None, **kwargs):
    """allauth's login checks its own limits only, unless its adapter applies Stream's policy."""
    if not apps.is_installed("allauth.account"):
        return []
    from allauth.account.adapter import get_adapter

    from .signin import SignInPolicyAdapterMixin

    if isinstance(get_adapter(), SignInPolicyAdapterMixin):
        return []
    return [
        CheckWarning(
            "django-allauth's sign-in does not follow Stream's sign-in policy: an account or "
            "address locked in the admin or the API can still sign in on allauth's page.",
            hint="Set ACCOUNT_ADAPTER = 'lessons.allauth_adapter.AccountAdapter', or add "
            "lessons.signin.SignInPolicyAdapterMixin to your adapter's bases.",
            id="stream_lessons.W005",
        )
    ]


@register()
def check_xapi(app_configs=None, **kwargs):
    """``STREAM["XAPI"]``, when set, names an LRS and the site."""
    from .xapi import xapi_config

    try:
        xapi_config()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint='See docs/settings.md, "xAPI statements"; None turns xAPI off.',
                id="stream_lessons.E008",
            )
        ]
    return []


@register()
def check_search_index(app_configs=None, **kwargs):
    """Search has an index on PostgreSQL and on SQLite with FTS5's trigram tokenizer; elsewhere
    it still works, by scanning every lesson's text. Asks no database (the SQLite library is
    probed in memory)."""
    from django.db import connections, router

    from .models import Lesson
    from .search import search_backend

    alias = router.db_for_read(Lesson)
    if search_backend(alias).name != "basic":
        return []
    vendor = connections[alias].vendor
    return [
        CheckWarning(
            f"Lesson search has no index on this database ({vendor}): it scans the text of "
            "every lesson the learner may see, which slows down as lessons grow.",
            hint="Use PostgreSQL, or a Python whose SQLite (3.34 or later) has FTS5, then run "
            "migrate (see docs/lessons.md, 'Search').",
            id="stream_lessons.W006",
        )
    ]
