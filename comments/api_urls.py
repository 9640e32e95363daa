app_name = "stream_comments_api"

urlpatterns = []
