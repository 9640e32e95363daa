"""URLs of the Stream demo site: Stream's pages at the root, the language in the address.

The pages (and the admin and accounts) go through Django's ``i18n_patterns``: Korean, the
default language, at ``/courses/…``, English at ``/en/courses/…``. A page's language is
then part of its address, so proxies and the page cache need no ``Vary: Cookie`` for it.
The API, the editor's markdownx endpoints and the language switch stay unprefixed.
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
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("lessons.site_urls_api")),
    path("markdownx/", include("lessons.markdownx_urls")),
    *i18n_patterns(
        path("admin/", admin.site.urls),
        path("accounts/", include("allauth.urls")),
        # Every Stream app's pages.
        path("", include("lessons.site_urls_pages")),
        prefix_default_language=False,
    ),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if getattr(settings, "STREAM_BENCH_ENDPOINTS", False):  # make bench only (bench/settings.py)
    from . import bench_views

    urlpatterns.insert(0, path("bench/baseline/", bench_views.baseline, name="bench-baseline"))
