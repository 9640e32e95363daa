app_name = "stream_progress_api"

urlpatterns = []
