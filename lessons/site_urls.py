"""Everything Stream serves, for one ``include()``::

    path("learn/", include("lessons.site_urls")),

mounts, under that prefix, the pages of every installed Stream app, their REST API under
``api/v1/`` and the admin editor's staff-only markdownx endpoints under ``markdownx/``.

Each Stream app's ``AppConfig`` names its URL modules (``stream_urls``, ``stream_api_urls``);
this module reads them from the app registry, so ``lessons`` never imports ``progress`` or
``comments`` and an app left out of ``INSTALLED_APPS`` adds nothing. The lessons pages come
last: their catalogue sits at the prefix itself.

To mount the API elsewhere, include ``lessons.site_urls_pages`` and ``lessons.site_urls_api``
separately (see docs/integration.md).
"""

from django.apps import apps
from django.urls import include, path

from .apps import LessonsConfig


def stream_app_configs():
    """Installed Stream apps, the lessons app last (its pages' catch-all paths come last)."""
    configs = [
        config
        for config in apps.get_app_configs()
        if getattr(config, "stream_urls", None) or getattr(config, "stream_api_urls", None)
    ]
    return sorted(configs, key=lambda config: isinstance(config, LessonsConfig))


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
