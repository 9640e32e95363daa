"""URLs of the Stream demo site: Stream mounted at the root, with one include."""

from django.conf import settings
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
    # Every Stream app's pages, its API under api/v1/ and the editor's markdownx endpoints.
    path("", include("lessons.site_urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if getattr(settings, "STREAM_BENCH_ENDPOINTS", False):  # make bench only (bench/settings.py)
    from . import bench_views

    urlpatterns.insert(0, path("bench/baseline/", bench_views.baseline, name="bench-baseline"))
