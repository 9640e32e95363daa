"""django-markdownx's editor endpoints, served by Stream's staff-only views.

The URL names are the ones markdownx's own ``urls`` module uses; include this module instead of
``markdownx.urls`` (the demo mounts it at ``markdownx/``).
"""

from django.urls import path

from .markdownx_views import ImageUploadView, MarkdownPreviewView

urlpatterns = [
    path("markdownify/", MarkdownPreviewView.as_view(), name="markdownx_markdownify"),
    path("upload/", ImageUploadView.as_view(), name="markdownx_upload"),
]
