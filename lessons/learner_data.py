"""A learner's own data: everything Stream's apps hold about one person, to export and erase.

``lessons`` knows neither ``progress`` nor ``comments``, so each app that keeps rows about a
user registers a *part* here in its ``AppConfig.ready()`` (the way viewer parts and slots
work)::

    from lessons.learner_data import learner_data_register

    learner_data_register(
        "progress",
        export=progress_data_export,  # export(user) -> a JSON-ready dict or list
        erase=progress_data_erase,  # erase(user) -> {"completions": 3, ...}
        label=_("Progress"),
        template="stream/progress/learner_data.html",
    )

- ``export(user)`` returns everything the part holds about ``user`` (and nothing about anyone
  else) as values ``json.dumps`` writes with Django's ``DjangoJSONEncoder`` (datetimes, UUIDs
  and decimals are fine). Its shape is the part's documented format: keep it stable.
- ``erase(user)`` deletes or anonymises those rows and returns how many of each kind it
  touched, by name. It runs inside the caller's transaction, must be safe to run twice, and
  leaves no trace of the user's id, name or email in the part's tables. It bumps the content
  versions (``lessons.versions.content_changed``) of pages it changes.

:func:`learner_data_export` and :func:`learner_data_erase` run every part: the learner's
``/me/data/`` page, the admin's "Learner data" page and the user model's ``pre_delete``
receiver (so deleting a user, from the admin or a host's code, erases their data in the same
transaction) all go through them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import pre_delete
from django.utils import timezone

from .translations import related_translations_annotate, related_translations_attach

# The export's format name and version: a change that removes or renames a key is a new
# version (see docs/records.md, "A learner's own data").
EXPORT_FORMAT = "stream-learner-data"
EXPORT_VERSION = 1


@dataclass(frozen=True)
class LearnerDataPart:
    name: str
    export: Callable
    erase: Callable
    label: str
    template: str | None = None
    erase_note: str | Callable | None = None
    order: int = 100

    @property
    def erase_text(self) -> str:
        """What erasing does to this part, for the confirmation page ("" when nothing to say)."""
        note = self.erase_note() if callable(self.erase_note) else self.erase_note
        return str(note or "")


_parts: dict[str, LearnerDataPart] = {}


def learner_data_register(
    name: str,
    *,
    export: Callable,
    erase: Callable,
    label=None,
    template: str | None = None,
    erase_note=None,
    order: int = 100,
) -> None:
    """Add the part ``name`` (a key of the export's ``"parts"``) to a learner's data.

    ``label`` (a translatable string) heads the part's section on ``/me/data/`` and in the
    admin; ``template`` renders that section (its context has ``part`` and ``data``, the
    export's value) instead of the generic tables; ``erase_note`` says, on the confirmation
    page, what erasing does to this part when it is more than "deleted" (comments stay in
    their threads, for instance; a callable answering the text when it depends on settings).
    Parts are listed by ``order``, then name. Registering a name
    again replaces its part.
    """
    _parts[name] = LearnerDataPart(
        name=name,
        export=export,
        erase=erase,
        label=label if label is not None else name,
        template=template,
        erase_note=erase_note,
        order=order,
    )


def learner_data_unregister(name: str) -> None:
    """Take the part ``name`` out (a host replacing one of Stream's with its own)."""
    _parts.pop(name, None)


def learner_data_parts() -> list[LearnerDataPart]:
    """The registered parts, in their order."""
    return sorted(_parts.values(), key=lambda part: (part.order, part.name))


def learner_identity(user) -> dict:
    """Who the export is about, as the user model names them."""
    from .adapter import get_adapter

    email_field = user.get_email_field_name()
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": getattr(user, email_field, "") or "",
        "name": get_adapter().user_display_name(user),
    }


def lesson_summary(lesson) -> dict:
    """How a part's rows name a lesson in the export (``lesson.course`` should be loaded): the
    lesson's and its course's titles as a reader in the active language sees them (the
    lesson's variant, the course's translation, else the originals). Read the rows through
    :func:`lesson_titles_annotate` and name them with :func:`row_lesson_summary`, and the
    titles cost no query."""
    return {
        "id": lesson.pk,
        "uuid": lesson.uuid,
        "title": lesson.title_in(),
        "course": lesson.course.title_in(),
    }


def lesson_titles_annotate(rows):
    """``rows`` (a queryset of a model with a ``lesson`` foreign key, read with
    ``select_related("lesson__course")``) with the lesson's and its course's titles in the
    active language joined in, in the same query."""
    rows = related_translations_annotate(rows, "lesson", fields=("title",))
    return related_translations_annotate(rows, "lesson__course", fields=("title",))


def row_lesson_summary(row) -> dict:
    """:func:`lesson_summary` of ``row.lesson``, ``row`` read through
    :func:`lesson_titles_annotate`."""
    related_translations_attach(row, "lesson")
    related_translations_attach(row, "lesson__course")
    return lesson_summary(row.lesson)


def learner_data_export(*, user) -> dict:
    """Everything Stream holds about ``user``: the export's documented shape, every part's
    ``export(user)`` under ``"parts"``."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": timezone.now(),
        "learner": learner_identity(user),
        "parts": {part.name: part.export(user) for part in learner_data_parts()},
    }


def learner_data_erase(*, user) -> dict[str, dict]:
    """Erase ``user``'s learning data in every part, in one transaction; the account itself
    stays (the host owns it). Returns each part's counts by part name."""
    with transaction.atomic():
        return {part.name: part.erase(user) for part in learner_data_parts()}


def _user_deleting(sender, instance, **kwargs):
    # Sent inside the transaction of the user's deletion (Django's Collector), before the
    # database's own on_delete rules run: whatever a part anonymises instead of deleting is
    # done by the time the row goes, and rolled back with it.
    learner_data_erase(user=instance)


def connect_receivers() -> None:
    """Erase a user's learning data whenever the user row is deleted (``LessonsConfig.ready``)."""
    pre_delete.connect(
        _user_deleting, sender=get_user_model(), dispatch_uid="stream-learner-data-user-deleted"
    )
