"""A URLconf without Stream's pages, for the system-check test."""

urlpatterns = []
