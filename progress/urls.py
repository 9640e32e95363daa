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
    # Open Badges (progress.badges): public documents and images
    path("badges/issuer.json", views.badge_issuer, name="badge_issuer"),
    path("badges/achievements/<int:achievement_id>.json", views.badge_class, name="badge_class"),
    path(
        "badges/achievements/<int:achievement_id>.png",
        views.badge_class_image,
        name="badge_class_image",
    ),
    path("badges/<uuid:badge_id>.json", views.badge_assertion, name="badge_assertion"),
    path("badges/<uuid:badge_id>.png", views.badge_image, name="badge_image"),
]
