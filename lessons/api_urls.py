"""Stream's REST API, the lessons part, plus what the whole API shares: the OpenAPI schema,
its docs page and the token endpoint. Mount under ``api/v1/`` next to ``progress.api_urls``
and ``comments.api_urls``."""

from django.apps import apps
from django.urls import path

from . import api, viewer

app_name = "stream_lessons_api"

urlpatterns = [
    path("courses/", api.CourseListView.as_view(), name="courses"),
    path("courses/<str:slug>/", api.CourseDetailView.as_view(), name="course"),
    path("lessons/<stream_id:lesson_id>/", api.LessonDetailView.as_view(), name="lesson"),
    path("search/", api.SearchView.as_view(), name="search"),
    path("me/page/", viewer.ViewerView.as_view(), name="viewer"),
    path("me/data/", api.LearnerDataView.as_view(), name="learner_data"),
    path("schema/", api.SchemaView.as_view(), name="schema"),
    path("docs/", api.DocsView.as_view(), name="docs"),
]

if apps.is_installed("rest_framework.authtoken"):
    urlpatterns.append(path("auth/token/", api.AuthTokenView.as_view(), name="auth-token"))
