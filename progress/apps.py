from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "progress"
    label = "stream_progress"
    verbose_name = _("Stream progress")
    default_auto_field = "django.db.models.BigAutoField"
