"""URLs of the Stream demo site: Stream mounted at the root."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("markdownx/", include("lessons.markdownx_urls")),
    path("api/v1/", include("lessons.api_urls")),
    path("api/v1/", include("progress.api_urls")),
    path("api/v1/", include("comments.api_urls")),
    path("", include("progress.urls")),
    path("", include("comments.urls")),
    path("", include("lessons.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
