"""``manage.py xapi_deliver``: send the xAPI statements that are due, now (for a cron job
where the task backend cannot run a task later)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from lessons.xapi import deliver_pending


class Command(BaseCommand):
    help = _("Send the xAPI statements that are due to the learning record store.")

    def handle(self, *args, **options):
        delivery = deliver_pending()
        self.stdout.write(
            _("Delivered: %(sent)d sent, %(failed)d failed, %(retrying)d waiting to retry.")
            % {"sent": delivery.sent, "failed": delivery.failed, "retrying": delivery.retrying}
        )
