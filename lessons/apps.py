from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


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
            signin,  # noqa: F401 (connects the sign-in policy's signal receivers)
        )
        from .purge import purge_on_commit
        from .versions import connect_receivers, content_committed

        connect_receivers()
        content_committed.connect(purge_on_commit, dispatch_uid="stream-purge")
