from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LessonsConfig(AppConfig):
    name = "lessons"
    label = "stream_lessons"
    verbose_name = _("Stream lessons")
    default_auto_field = "django.db.models.BigAutoField"
