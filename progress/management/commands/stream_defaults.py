"""``manage.py stream_defaults``: Stream's default levels and achievements for a new site."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from progress.defaults import defaults_missing
from progress.services import definitions_load


class Command(BaseCommand):
    help = _(
        "Install Stream's default levels (only on a site without levels) and each default "
        "achievement whose slug is free. What the site has is left as it is; safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("List what would be installed and write nothing."),
        )

    def handle(self, *args, dry_run, **options):
        with transaction.atomic():
            levels, achievements = defaults_missing()
            for level in levels:
                self.stdout.write(
                    _("Level %(number)s · %(name)s from %(min_xp)s XP")
                    % {"number": level["number"], "name": level["name"], "min_xp": level["min_xp"]}
                )
            for achievement in achievements:
                self.stdout.write(
                    _("Achievement %(slug)s · %(name)s")
                    % {"slug": achievement["slug"], "name": achievement["name"]}
                )
            if not (levels or achievements):
                self.stdout.write(
                    _("Nothing to install: the site already has levels and these achievements.")
                )
                return
            if dry_run:
                self.stdout.write(_("Dry run: nothing was written."))
                return
            try:
                report = definitions_load(levels=levels, achievements=achievements)
            except ValidationError as exc:
                raise CommandError("\n".join(exc.messages)) from exc
        self.stdout.write(report.summary())
