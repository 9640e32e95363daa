"""The lessons app's REST endpoints (mounted under ``api/v1/``)."""

app_name = "stream_lessons_api"

urlpatterns = []
