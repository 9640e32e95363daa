app_name = "stream_comments"

urlpatterns = []
