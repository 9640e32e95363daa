"""``manage.py load_demo``: the demo lessons and a staff account, ready to click through.

The demo site's own command (``make demo`` runs it); it is not part of the installable apps.
"""

from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from lessons.lesson_files import LessonFilesError, lessons_import
from progress.services import definitions_load

DEMO_CONTENT = Path(__file__).resolve().parents[2] / "demo_content"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "stream-demo"  # noqa: S105 (published on purpose; refused unless DEBUG)
DEMO_EMAIL = "demo@example.com"
DEMO_LESSON = {"course": "dense-families", "lesson": "llama"}
# Levels and achievements, beside the course directories (lesson import skips plain files).
PROGRESS_FILE_NAME = "progress.yml"


def demo_staff_ensure() -> bool:
    """Create the demo superuser, or reset it to the published password; True if it changed."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: DEMO_USERNAME}).first()
    if user is None:
        user = user_model(**{user_model.USERNAME_FIELD: DEMO_USERNAME})
    wanted = {"email": DEMO_EMAIL, "is_staff": True, "is_superuser": True, "is_active": True}
    if (
        user.pk is not None
        and all(getattr(user, name) == value for name, value in wanted.items())
        and user.check_password(DEMO_PASSWORD)
    ):
        return False
    for name, value in wanted.items():
        setattr(user, name, value)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return True


class Command(BaseCommand):
    help = _(
        "Load the demo courses and lessons and create (or reset) the demo staff account "
        "demo / stream-demo. Runs only with DEBUG on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help=_("Where the demo site runs, for the addresses printed at the end."),
        )
        parser.add_argument(
            "--content",
            default=str(DEMO_CONTENT),
            help=_("A lesson directory to load instead of the shipped demo content."),
        )

    @staticmethod
    def _default_language_url(name, kwargs):
        """The page's address in the site's default language (unprefixed)."""
        with translation.override(settings.LANGUAGE_CODE):
            return reverse(name, kwargs=kwargs)

    def handle(self, *args, base_url, content, **options):
        if not settings.DEBUG:
            raise CommandError(
                _(
                    "load_demo creates a superuser with a published password, so it runs only "
                    "with DEBUG on. It is meant for a local demo, never for a real site."
                )
            )
        try:
            report = lessons_import(directory=content)
        except LessonFilesError as exc:
            raise CommandError(_("The demo content is invalid:") + "\n" + str(exc)) from exc
        if options["verbosity"] > 1:
            for line in report.detail_lines():
                self.stdout.write(line)
        for line in report.summary_lines():
            self.stdout.write(line)
        definitions = Path(content) / PROGRESS_FILE_NAME
        if definitions.is_file():
            data = yaml.safe_load(definitions.read_text(encoding="utf-8")) or {}
            try:
                loaded = definitions_load(
                    levels=data.get("levels", []), achievements=data.get("achievements", [])
                )
            except ValidationError as exc:
                problems = "\n".join(exc.messages)
                raise CommandError(_("The demo content is invalid:") + "\n" + problems) from exc
            self.stdout.write(loaded.summary())
        if demo_staff_ensure():
            self.stdout.write(
                _("Demo staff account %(username)s is ready.") % {"username": DEMO_USERNAME}
            )
        else:
            self.stdout.write(
                _("Demo staff account %(username)s is unchanged.") % {"username": DEMO_USERNAME}
            )
        base_url = base_url.rstrip("/")
        self.stdout.write(
            _("Demo lesson: %(url)s")
            % {"url": base_url + self._default_language_url("stream_lessons:lesson", DEMO_LESSON)}
        )
        self.stdout.write(
            _("Admin: %(url)s (sign in as %(username)s / %(password)s)")
            % {
                "url": base_url + reverse("admin:index"),
                "username": DEMO_USERNAME,
                "password": DEMO_PASSWORD,
            }
        )
