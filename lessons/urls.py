from django.urls import path

from . import learner_data_views, views

app_name = "stream_lessons"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("search/", views.search, name="search"),
    path("tags/<slug:tag>/", views.tag_detail, name="tag"),
    path("courses/<slug:course>/", views.course_detail, name="course"),
    path("courses/<slug:course>/<slug:lesson>/", views.lesson_detail, name="lesson"),
    path("me/data/", learner_data_views.learner_data_page, name="learner_data"),
    path(
        "me/data/stream-learner-data.json",
        learner_data_views.learner_data_download,
        name="learner_data_download",
    ),
    path("me/data/erase/", learner_data_views.learner_data_erase_page, name="learner_data_erase"),
]
