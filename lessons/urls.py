from django.urls import path

from . import views

app_name = "stream_lessons"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("tags/<slug:tag>/", views.tag_detail, name="tag"),
    path("courses/<slug:course>/", views.course_detail, name="course"),
    path("courses/<slug:course>/<slug:lesson>/", views.lesson_detail, name="lesson"),
]
