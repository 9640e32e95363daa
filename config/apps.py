from django.apps import AppConfig
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def admin_title() -> str:
    from lessons.conf import lessons_settings

    return gettext("%(site)s administration") % {"site": lessons_settings.SITE_NAME}


class DemoConfig(AppConfig):
    """The demo site as an app, so that its own commands (``load_demo``) are found.

    It lives in ``config/``, outside the packages the wheel ships.
    """

    name = "config"
    label = "stream_demo"
    verbose_name = _("Stream demo site")

    def ready(self):
        from django.contrib import admin

        # The demo's admin is named after the site (STREAM["SITE_NAME"]), in the reader's
        # language, rather than "Django administration". A host names its own admin.
        admin.site.site_header = admin.site.site_title = lazy(admin_title, str)()
        self._task_list_titled(admin.site)

    @staticmethod
    def _task_list_titled(site):
        """The task queue's list (django-tasks-db, view-only) titled with its name, as Stream's
        own view-only lists are (``lessons.admin.ViewOnlyTitle``), not with Django's "Select
        %s to view", which reads as broken Korean."""
        from django.apps import apps

        from lessons.admin import ViewOnlyTitle

        if not apps.is_installed("django_tasks_db"):
            return
        from django_tasks_db.models import DBTaskResult

        if not site.is_registered(DBTaskResult):
            return
        original = type(site.get_model_admin(DBTaskResult))
        if issubclass(original, ViewOnlyTitle):  # ready() ran before (tests reload the apps)
            return
        site.unregister(DBTaskResult)
        site.register(DBTaskResult, type(original.__name__, (ViewOnlyTitle, original), {}))
