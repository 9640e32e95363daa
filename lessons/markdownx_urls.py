"""django-markdownx's editor endpoints, behind Stream's staff-only checks (interim)."""

urlpatterns = []
