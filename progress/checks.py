"""System checks: a configuration that would quietly lose learners' progress fails loudly."""

from django.core.checks import Warning as CheckWarning
from django.urls import NoReverseMatch, reverse


def check_sync_urls(app_configs=None, **kwargs):
    """Signed-in browsers sync through ``progress.api_urls``; without it, nothing reaches the
    account (anonymous progress stays in the browser)."""
    try:
        reverse("stream_progress_api:sync")
    except NoReverseMatch:
        return [
            CheckWarning(
                "The progress API is not mounted, so browsers cannot sync progress.",
                hint='Add path("api/v1/", include("progress.api_urls")) to your URLconf.',
                id="stream_progress.W001",
            )
        ]
    return []
