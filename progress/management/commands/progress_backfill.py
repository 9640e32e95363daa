"""``manage.py progress_backfill``: re-evaluate every learner against the active achievements."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from progress.services import awards_backfill


class Command(BaseCommand):
    help = _(
        "Re-evaluate every learner against the active achievements, award what they have "
        "earned (dated when they first met each rule) and repair the XP ledger. Safe to re-run."
    )

    def handle(self, *args, **options):
        report = awards_backfill()
        self.stdout.write(
            _(
                "Learners evaluated: %(learners)s. New awards: %(awards)s. XP rows repaired: "
                "%(ledger)s. XP totals corrected: %(totals)s."
            )
            % {
                "learners": report.learners,
                "awards": report.awards,
                "ledger": report.ledger_repaired,
                "totals": report.totals_repaired,
            }
        )
