from django.urls import path

from . import views

app_name = "stream_comments"

urlpatterns = [
    path("comments/lessons/<int:lesson_id>/", views.comment_post, name="post"),
    path("comments/lessons/<int:lesson_id>/write/", views.comment_write, name="write"),
    path(
        "comments/lessons/<int:lesson_id>/own-comments/",
        views.comment_own_list,
        name="own_comments",
    ),
    path(
        "comments/lessons/<int:lesson_id>/subscription/",
        views.subscription_set,
        name="subscription",
    ),
    path("comments/lessons/<int:lesson_id>/report/", views.report_file, name="report"),
    path("comments/<int:pk>/", views.comment_permalink, name="permalink"),
    path("comments/<int:pk>/edit/", views.comment_edit, name="edit"),
    path("comments/<int:pk>/delete/", views.comment_delete, name="delete"),
    path("comments/<int:pk>/flag/", views.comment_flag, name="flag"),
    path("comments/<int:pk>/reply/", views.comment_reply_page, name="reply"),
    path("comments/<int:pk>/hide/", views.comment_hide, name="hide"),
    path("comments/<int:pk>/unhide/", views.comment_unhide, name="unhide"),
    path("comments/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("me/notifications/", views.notifications, name="notifications"),
    path("me/notifications/read/", views.notifications_read, name="notifications_read"),
    path("me/notifications/email/", views.notifications_email, name="notifications_email"),
]
