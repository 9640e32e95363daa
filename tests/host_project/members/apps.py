from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "tests.host_project.members"
    label = "members"
    verbose_name = "Acme members"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        from . import receivers

        receivers.connect()
