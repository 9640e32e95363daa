from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo site as an app, so that its own commands (``load_demo``) are found.

    It lives in ``config/``, outside the packages the wheel ships.
    """

    name = "config"
    label = "stream_demo"
    verbose_name = _("Stream demo site")
