"""Everything Stream serves, for one ``include()``::

    path("learn/", include("lessons.site_urls")),

mounts, under that prefix, the pages of every installed Stream app, their REST API under
``api/v1/`` and the admin editor's staff-only markdownx endpoints under ``markdownx/``.

Each Stream app's ``AppConfig`` names its URL modules (``stream_urls``, ``stream_api_urls``);
this module reads them from the app registry, so ``lessons`` never imports ``progress`` or
``comments`` and an app left out of ``INSTALLED_APPS`` adds nothing. The lessons pages come
first: a lesson page is what most requests ask for, and Django tries patterns in order (their
catalogue matches the prefix itself only, and no other app's paths start with ``courses/`` or
``tags/``).

To mount the API elsewhere, include ``lessons.site_urls_pages`` and ``lessons.site_urls_api``
separately (see docs/integration.md).
"""

from django.apps import apps
from django.urls import include, path

from .apps import LessonsConfig


def stream_app_configs():
    """Installed Stream apps, the lessons app first (its lesson pages are the most asked for)."""
    configs = [
        config
        for config in apps.get_app_configs()
        if getattr(config, "stream_urls", None) or getattr(config, "stream_api_urls", None)
    ]
    return sorted(configs, key=lambda config: not isinstance(config, LessonsConfig))


def page_patterns():
    return [
        path("", include(config.stream_urls))
        for config in stream_app_configs()
        if getattr(config, "stream_urls", None)
    ]


def api_patterns():
    return [
        path("", include(config.stream_api_urls))
        for config in stream_app_configs()
        if getattr(config, "stream_api_urls", None)
    ]


urlpatterns = [
    path("markdownx/", include("lessons.markdownx_urls")),
    path("api/v1/", include(api_patterns())),
    *page_patterns(),
]
