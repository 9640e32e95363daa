"""Settings for the Stream demo site.

Everything that differs between machines comes from the environment:
``SECRET_KEY``, ``DEBUG``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` (SQLite when unset),
``REDIS_URL`` (local-memory cache when unset) and ``EMAIL_URL`` (console when unset).
"""

import os
from pathlib import Path

import dj_database_url
import django
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-stream-demo-only-never-in-production")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "markdownx",
    "lessons.apps.LessonsConfig",
    "progress.apps.ProgressConfig",
    "comments.apps.CommentsConfig",
    "config.apps.DemoConfig",
]
if django.VERSION < (6, 0):
    INSTALLED_APPS.append("django_tasks")  # the Tasks framework's backport (lessons/background.py)
INSTALLED_APPS.append("django_tasks_db")  # the task table production's worker reads (TASKS below)

MIDDLEWARE = [
    "config.health.HealthCheckMiddleware",  # first: load balancers probe by IP (see docs)
    "config.log.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.locale.LocaleMiddleware",  # Django's, for pages with the language in the address
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lessons.middleware.ViewerCookieMiddleware",  # the signed-in hint for shared pages' scripts
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several worker processes on one SQLite file: with WAL, readers run beside the one writer;
    # IMMEDIATE transactions take the write lock when they begin instead of failing to upgrade
    # a read lock halfway (a sync would then wait out the busy timeout and retry).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "stream"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Shared pages, comment threads and articles (STREAM["PAGE_CACHE_ALIAS"]) in each worker's own
# memory, apart from the rate-limit and sign-in-lock counters of "default": a flood of pages can
# never cull a counter. Their keys name the content versions read from the database, so a
# worker's copy is never stale, Redis or not, and reading it skips a Redis round trip (kept
# pages answer 1.4-2 x as many requests: docs/benchmarks.md). Each worker renders a page once
# per version; the bound is per worker (a lesson page is about 30 KB, the 1,000-comment one
# 1 MB).
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "stream-pages",
    "OPTIONS": {"MAX_ENTRIES": 5000},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Seoul")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Files served at the site's root: /favicon.ico, for pages without a <link rel="icon"> (the API's
# browsable pages, Django's debug pages) and browsers that ask for it anyway.
WHITENOISE_ROOT = BASE_DIR / "config" / "public"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# django-allauth: email and password; verification "none", "optional" or "mandatory".
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
# Confirming the address in the browser that signed up signs the learner in and returns them to
# the lesson they came from (allauth does this only within that sign-up's own session).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Sign-in follows Stream's policy, the same for every way in (docs/accounts.md): the adapter
# checks it before allauth checks a password, and allauth's other limits count by the same
# client address. allauth's own failed-login limit would lock an account from every address
# after a few failures (anyone could keep its owner out), and the policy already counts them.
ACCOUNT_ADAPTER = "lessons.allauth_adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": None}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "lessons.api_base.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}


def email_settings(url):
    """Turn ``EMAIL_URL`` (``smtp://user:password@host:587?tls=1``) into Django settings."""
    from urllib.parse import parse_qs, unquote, urlsplit

    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError(f"EMAIL_URL: unsupported scheme {parts.scheme!r} (use smtp or smtps)")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": query.get("tls", "") in {"1", "true", "yes"},
    }


def mailer_settings(url):
    """Email settings in the form this Django reads: ``MAILERS`` from Django 6.1 on."""
    config = email_settings(url)
    if django.VERSION < (6, 1):
        return config
    options = {
        option: config[name]
        for name, option in (
            ("EMAIL_HOST", "host"),
            ("EMAIL_PORT", "port"),
            ("EMAIL_HOST_USER", "username"),
            ("EMAIL_HOST_PASSWORD", "password"),
            ("EMAIL_USE_TLS", "use_tls"),
            ("EMAIL_USE_SSL", "use_ssl"),
        )
        if name in config
    }
    return {"MAILERS": {"default": {"BACKEND": config["EMAIL_BACKEND"], "OPTIONS": options}}}


globals().update(mailer_settings(os.environ.get("EMAIL_URL")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "stream@localhost")

# django-markdownx: the admin editor's preview goes through Stream's own pipeline, and the
# endpoints are mounted behind Stream's staff-only views (see lessons/markdownx_views.py).
MARKDOWNX_MARKDOWNIFY_FUNCTION = "lessons.markdown.render_lesson_markdown"
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
MARKDOWNX_UPLOAD_MAX_SIZE = 5 * 1024 * 1024
MARKDOWNX_IMAGE_MAX_SIZE = {"size": (1600, 1600), "quality": 85}

# Background work (notification fan-out, emails): the demo runs each task at once, after the
# request's transaction commits, so it needs no second process. Production settings store tasks
# in the database for a worker (docs/deploy.md).
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if django.VERSION >= (6, 0)
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

STREAM = {
    "SITE_NAME": "C.W.K.",
    "SECTION_NAME": "Stream",
    "BASE_TEMPLATE": "base.html",
    "PAGE_CACHE_ALIAS": "pages",
}

# Content-Security-Policy (config/security.py): every script and style is a static file.
# Lesson Markdown may show images from other https sites (the instructor's choice); a site
# that wants its own images only drops "https:". Under /admin/ Django's widgets and the
# markdownx editor need nothing more.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "https:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
CONTENT_SECURITY_POLICY_PATHS = {}
CONTENT_SECURITY_POLICY_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)

# LOG_FORMAT=json: one JSON object per line with the request id (production's default).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.log.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "config.log.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": os.environ.get("LOG_FORMAT", "text"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
