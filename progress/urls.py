from django.urls import path

from . import views

app_name = "stream_progress"

urlpatterns = [
    path("me/progress/", views.progress_overview, name="overview"),
    path("progress/facts.json", views.progress_facts, name="facts"),
    path(
        "me/progress/lessons/<int:lesson_id>/complete/",
        views.lesson_complete,
        name="lesson_complete",
    ),
]
