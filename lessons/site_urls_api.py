"""The REST API of every installed Stream app.

``path("api/v1/", include("lessons.site_urls_api"))``
"""

from .site_urls import api_patterns

urlpatterns = [*api_patterns()]
