"""A host project that is not Stream's demo: Acme Academy, an existing Django LMS.

It differs from ``config.settings`` everywhere an integrator's project may: a custom user model
(``members.Member``, email as the login field, no ``username``), its own base template with its
own block names, Stream mounted under ``/learn/``, its own sign-in page at ``/members/sign-in/``,
no django-allauth, no ``LocaleMiddleware``, no ``REST_FRAMEWORK`` settings, an adapter with
enrolment rules, and signal receivers. docs/integration.md walks through the same steps.

Run its tests with ``pytest --ds=tests.host_project.settings tests/host_project`` (``make test``
and ``.ci/run`` do).
"""

import os
from pathlib import Path

import dj_database_url
import django

HERE = Path(__file__).resolve().parent

SECRET_KEY = "acme-academy-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tests.host_project.members",
    # Stream (step 2 of docs/integration.md)
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "markdownx",
    "lessons.apps.LessonsConfig",
    "progress.apps.ProgressConfig",
    "comments.apps.CommentsConfig",
]
if django.VERSION < (6, 0):
    INSTALLED_APPS.append("django_tasks")  # Django's Tasks framework, backported

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lessons.middleware.ViewerCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tests.host_project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.config(default="sqlite:///:memory:")}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "acme",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "members.Member"
LOGIN_URL = "/members/sign-in/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/assets/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DEFAULT_FROM_EMAIL = "academy@acme.test"
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Background work: Acme's own choice of backend (Django's TASKS setting). Its tests run Stream's
# tasks in-process; tests that need a queue switch to django-tasks-db's, whose table is here.
INSTALLED_APPS.append("django_tasks_db")
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if django.VERSION >= (6, 0)
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# Stream (step 3 of docs/integration.md)
STREAM = {
    "SITE_NAME": "Acme Academy",
    "SECTION_NAME": "Learn",
    "HOME_URL": "home",
    "BASE_TEMPLATE": "site/layout.html",
    "BASE_TEMPLATE_BLOCKS": {
        "title": "page_title",
        "head": "head_extra",
        "content": "body",
        "scripts": "footer_js",
    },
    "ADAPTER": "tests.host_project.members.adapter.AcademyAdapter",
    "COMMENTS_SITE_URL": "https://academy.acme.test",
}
MARKDOWNX_MARKDOWNIFY_FUNCTION = "lessons.markdown.render_lesson_markdown"
