from django.urls import path

from . import api

app_name = "stream_progress_api"

urlpatterns = [
    path("progress/", api.ProgressStateView.as_view(), name="state"),
    path("progress/sync/", api.ProgressSyncView.as_view(), name="sync"),
]
