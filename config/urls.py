"""URLs of the Stream demo site: Stream's pages at the root, the language in the address.

Stream's pages go through Django's ``i18n_patterns``: Korean, the default language, at
``/courses/…``, English at ``/en/courses/…``. A page's language is then part of its address,
so proxies and the page cache need no ``Vary: Cookie`` for it. The admin, the accounts pages,
the API and the editor's markdownx endpoints stay unprefixed and choose their language from the
language cookie and ``Accept-Language`` (``config.locale``).
"""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from lessons.admin_login import AdminLoginForm

# The admin sign-in locks after repeated failures (allauth's limits cover only its own pages).
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("lessons.site_urls_api")),
    path("markdownx/", include("lessons.markdownx_urls")),
    # Every Stream app's pages.
    *i18n_patterns(path("", include("lessons.site_urls_pages")), prefix_default_language=False),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if getattr(settings, "STREAM_BENCH_ENDPOINTS", False):  # make bench only (bench/settings.py)
    from . import bench_views

    urlpatterns[:0] = [
        path("bench/baseline/", bench_views.baseline, name="bench-baseline"),
        path(
            "bench/baseline/signed-in/",
            bench_views.baseline_signed_in,
            name="bench-baseline-signed-in",
        ),
    ]
