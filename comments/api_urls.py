from django.urls import path

from . import api

app_name = "stream_comments_api"

urlpatterns = [
    path(
        "lessons/<stream_id:lesson_id>/comments/",
        api.LessonCommentsView.as_view(),
        name="lesson-comments",
    ),
    path("comments/<stream_id:pk>/", api.CommentDetailView.as_view(), name="comment"),
    path("comments/<stream_id:pk>/flag/", api.CommentFlagView.as_view(), name="comment-flag"),
    path(
        "lessons/<stream_id:lesson_id>/subscription/",
        api.LessonSubscriptionView.as_view(),
        name="lesson-subscription",
    ),
    path("notifications/", api.NotificationListView.as_view(), name="notifications"),
    path("notifications/read/", api.NotificationReadView.as_view(), name="notifications-read"),
    path(
        "lessons/<stream_id:lesson_id>/reports/",
        api.LessonReportsView.as_view(),
        name="lesson-reports",
    ),
    path("reports/<stream_id:pk>/resolve/", api.ReportResolveView.as_view(), name="report-resolve"),
]
