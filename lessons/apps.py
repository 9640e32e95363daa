from importlib.util import find_spec
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Stream's apps are three top-level packages, installed side by side.
STREAM_PACKAGES = Path(__file__).resolve().parent.parent
OPTIONAL_APP_CONFIGS = {
    "progress": "progress.apps.ProgressConfig",
    "comments": "comments.apps.CommentsConfig",
}


def import_names_check():
    """Refuse to go on when a package of the project hides one of Stream's optional apps.

    App labels (``stream_comments``) never clash, but import names do: a project package called
    ``comments`` on the path before Stream's makes ``"comments.apps.CommentsConfig"`` fail with
    Django's "No module named 'comments.apps'". Django imports this module before the next
    entries of ``INSTALLED_APPS`` (``lessons`` comes first), so the error can say what is wrong.
    """
    for name, app_config in OPTIONAL_APP_CONFIGS.items():
        if app_config not in settings.INSTALLED_APPS:
            continue
        spec = find_spec(name)
        found = Path(spec.origin).resolve().parent if spec and spec.origin else None
        if found != STREAM_PACKAGES / name:
            raise ImproperlyConfigured(
                f"INSTALLED_APPS lists Stream's {app_config!r}, but the import name {name!r} "
                f"is taken by {found or 'another package'}, not Stream's {name} app. Stream's "
                "apps are the top-level packages lessons, progress and comments: move your own "
                f"package into your project's package (e.g. acme.{name}) or rename it, or leave "
                f"Stream's {name} out. See docs/integration.md, 'Import names'."
            )


import_names_check()


class LessonsConfig(AppConfig):
    name = "lessons"
    label = "stream_lessons"
    verbose_name = _("Stream lessons")
    default_auto_field = "django.db.models.BigAutoField"
    # What lessons.site_urls mounts for this app (each Stream app declares its own).
    stream_urls = "lessons.urls"
    stream_api_urls = "lessons.api_urls"

    def ready(self):
        from . import (
            checks,  # noqa: F401 (registers the system checks)
            learner_data,
            signin,  # noqa: F401 (connects the sign-in policy's signal receivers)
        )
        from .purge import purge_on_commit
        from .versions import connect_receivers, content_committed

        connect_receivers()
        learner_data.connect_receivers()
        from .xapi import learner_statements_erase, learner_statements_export

        learner_data.learner_data_register(
            "xapi",
            export=learner_statements_export,
            erase=learner_statements_erase,
            label=_("xAPI statements"),
            erase_note=_(
                "Statements waiting for the learning record store are deleted and never sent. "
                "Those it already holds stay there: ask whoever runs it to remove them."
            ),
            order=900,
        )
        content_committed.connect(purge_on_commit, dispatch_uid="stream-purge")
        from django.db.models.signals import post_migrate

        from .search import search_index_after_migrate

        post_migrate.connect(search_index_after_migrate, sender=self, dispatch_uid="stream-search")
