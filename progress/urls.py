app_name = "stream_progress"

urlpatterns = []
