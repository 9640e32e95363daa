"""Acme Academy's URLs: its own pages and sign-in, Stream under /learn/ with one include."""

from django.contrib import admin
from django.urls import include, path

from .members import views

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("members/", include("tests.host_project.members.urls")),
    path("study/<int:lesson_id>/", views.study_room, name="study_room"),
    # Stream (step 4 of docs/integration.md)
    path("learn/", include("lessons.site_urls")),
]
