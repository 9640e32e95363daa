"""``manage.py export_lessons DIR``: every course and lesson, drafts too, as files."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lessons.lesson_files import LessonFilesError, lessons_export


class Command(BaseCommand):
    help = _(
        "Write every course and lesson, drafts included, to DIRECTORY as "
        "<course-slug>/course.yml and <course-slug>/NN-<lesson-slug>.md files."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help=_("Where to write the files."))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_(
                "Export into a directory that is not empty, overwriting files of the same names."
            ),
        )

    def handle(self, *args, directory, force, **options):
        try:
            report = lessons_export(directory=directory, force=force)
        except LessonFilesError as exc:
            raise CommandError(_("Nothing was exported:") + "\n" + str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
