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


def check_levels(app_configs=None, databases=None, **kwargs):
    """A new learner starts at 0 XP: without a level there, the status bar shows no level
    until they earn the lowest one (and a site without levels shows none at all). Tagged
    ``database`` because it reads the database: Django runs it in ``migrate`` and
    ``check --database``, never on every ``runserver`` start or in ``check`` alone."""
    from django.db import DatabaseError, router

    from .models import Level

    for alias in databases or ():
        if not router.allow_migrate_model(alias, Level):
            continue
        try:
            has_start = Level.objects.using(alias).filter(min_xp=0).exists()
        except DatabaseError:  # not migrated yet: migrate checks before it creates the table
            continue
        if not has_start:
            return [
                CheckWarning(
                    "No level starts at 0 XP, so new learners have no level.",
                    hint=(
                        "Add a level with minimum XP 0 in the admin, or run "
                        "`manage.py stream_defaults` to install Stream's default levels "
                        "and achievements."
                    ),
                    id="stream_progress.W002",
                )
            ]
    return []
