"""``manage.py xapi_backfill``: xAPI statements for what learners did before xAPI was on."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lessons.xapi import deliver_pending, xapi_backfill


class Command(BaseCommand):
    help = _(
        "Queue an xAPI statement for every past lesson and course completion, award and "
        "published comment, then deliver what is due. Running it again queues nothing twice."
    )

    def handle(self, *args, **options):
        try:
            reports = xapi_backfill()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        for name, report in reports.items():
            self.stdout.write(
                _("%(source)s — queued: %(queued)d, already queued or sent: %(existing)d.")
                % {"source": name, "queued": report.queued, "existing": report.existing}
            )
        delivery = deliver_pending()
        self.stdout.write(
            _("Delivered: %(sent)d sent, %(failed)d failed, %(retrying)d waiting to retry.")
            % {"sent": delivery.sent, "failed": delivery.failed, "retrying": delivery.retrying}
        )
