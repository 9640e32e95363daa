"""Production settings: the demo settings with every deployment safeguard switched on.

Requires ``SECRET_KEY`` and ``ALLOWED_HOSTS`` in the environment, and ``REDIS_URL`` unless
``WEB_CONCURRENCY=1``; refuses to start without them.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403
from .settings import BASE_DIR, REDIS_URL, env_bool, env_list, mailer_settings

DEBUG = False

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("Set SECRET_KEY to a long random value for production.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS (comma-separated) for production.")
# Rate limits, sign-in locks and page invalidation live in the default cache. Without REDIS_URL
# that is each process's own memory, and gunicorn starts 2 x cores + 1 of them
# (config/gunicorn.conf.py): N workers would allow N times every limit. One worker, chosen
# explicitly, counts right. ALLOW_PER_WORKER_LIMITS=1 accepts per-worker counting knowingly
# (make bench on SQLite, where the limits are off); never on a public site.
if (
    not REDIS_URL
    and os.environ.get("WEB_CONCURRENCY", "").strip() != "1"
    and not env_bool("ALLOW_PER_WORKER_LIMITS", False)
):
    raise ImproperlyConfigured(
        "Set REDIS_URL (a cache every worker shares: rate limits and sign-in locks count there), "
        "or WEB_CONCURRENCY=1 to run a single worker process."
    )

# Real email: SMTP from EMAIL_URL, else the local mail server (Django's own default).
for _name in [n for n in globals() if n.startswith("EMAIL_") or n == "MAILERS"]:
    del globals()[_name]
globals().update(mailer_settings(os.environ.get("EMAIL_URL", "smtp://localhost:25")))

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# PostgreSQL (DATABASE_URL): keep each worker's connection open between requests, checked
# before reuse, instead of connecting on every request.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# SESSIONS_IN_CACHE=1: sessions read from the (Redis) cache, written through to the database,
# so a signed-in page costs no session query. Needs a shared cache, like the rate limits.
if env_bool("SESSIONS_IN_CACHE", False):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Background work goes to the database and runs in `manage.py db_worker`, a process of its own
# beside gunicorn (docs/deploy.md): a request only stores the task.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

LOGGING["handlers"]["console"]["formatter"] = os.environ.get("LOG_FORMAT", "json")  # noqa: F405

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_ROOT = BASE_DIR / "staticfiles"

TEMPLATES[0]["APP_DIRS"] = False  # noqa: F405
TEMPLATES[0]["OPTIONS"]["loaders"] = [  # noqa: F405
    (
        "django.template.loaders.cached.Loader",
        [
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    )
]
