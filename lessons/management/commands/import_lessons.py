"""``manage.py import_lessons DIR``: create and update courses and lessons from files."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lessons.lesson_files import LessonFilesError, lessons_import


class Command(BaseCommand):
    help = _(
        "Create and update courses and lessons from a directory written by export_lessons. "
        "Files are matched to lessons by uuid; every file is checked before anything is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help=_("The directory to read."))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Report what would change without writing anything."),
        )

    def handle(self, *args, directory, dry_run, **options):
        try:
            report = lessons_import(directory=directory, dry_run=dry_run)
        except LessonFilesError as exc:
            raise CommandError(
                _("Nothing was imported; fix these files and run it again:") + "\n" + str(exc)
            ) from exc
        for line in [*report.detail_lines(), *report.summary_lines()]:
            self.stdout.write(line)
