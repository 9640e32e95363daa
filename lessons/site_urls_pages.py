"""The pages of every installed Stream app, without the API.

``path("learn/", include("lessons.site_urls_pages"))``
"""

from .site_urls import page_patterns

urlpatterns = [*page_patterns()]
