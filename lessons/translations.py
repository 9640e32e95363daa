"""Text entered per language: the pieces every translatable Stream model shares.

A translatable model keeps its own text (the *original*, shown wherever no translation exists)
and one row per other language in a translation model of its own: a subclass of
:class:`Translation` with a foreign key to it named ``related_name="translations"``, the
translated fields under the same names, and a unique constraint on (parent, language). The
model takes :class:`Translatable` and names those fields in ``translated_fields``.

Why rows rather than a column per language (django-modeltranslation's way): the languages are
the host's ``LANGUAGES``, and a reusable app's migrations cannot depend on them. Why not
django-parler, which also keeps rows: it moves the text off the model (there is no original,
only a site-wide fallback language), so ``values()`` reads and the one-query selectors could no
longer name it, and each read needs its own prefetch query. Here the text in the active
language comes in the same query as the row (:func:`translations_annotate`: a ``LEFT JOIN`` on
the unique (parent, language) key), and reads stay as many as they were.

Adding a translatable model (course titles, tag labels): the translation model and its
migration, ``translated_fields``, :func:`translations_annotate` where its selectors read it,
``obj.translated(field)`` where it is shown, :class:`lessons.admin_translations.TranslationInline`
in its admin, and ``lessons.versions.bump_on_save`` for the translation model.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CharField, F, FilteredRelation, Q, Value
from django.db.models.constants import LOOKUP_SEP
from django.utils import translation
from django.utils.translation import gettext_lazy as _

RELATION = "translation_active"  # the annotation naming the active language's row


def content_languages() -> list[tuple[str, str]]:
    """The languages text can be entered in: ``settings.LANGUAGES`` when the site set it; a
    site that did not (Django's default lists every language Django speaks) has one,
    ``LANGUAGE_CODE``, and its original text is all it needs."""
    if settings.is_overridden("LANGUAGES"):
        return [(code, str(name)) for code, name in settings.LANGUAGES]
    code = settings.LANGUAGE_CODE
    return [(code, str(dict(settings.LANGUAGES).get(code, code)))]


def active_language() -> str:
    """The language pages and API answers are in now (``LANGUAGE_CODE`` with translation
    turned off)."""
    return translation.get_language() or settings.LANGUAGE_CODE


class Translation(models.Model):
    """One language's text for a row of a :class:`Translatable` model (abstract)."""

    language = models.CharField(
        _("language"),
        max_length=15,
        help_text=_("A language code from the site's LANGUAGES, e.g. ko or en."),
    )

    class Meta:
        abstract = True

    def __str__(self):
        return self.language

    def clean(self):
        codes = [code for code, _name in content_languages()]
        if self.language and self.language not in codes:
            raise ValidationError(
                {
                    "language": _("“%(value)s” is not one of this site's languages (%(codes)s).")
                    % {"value": self.language, "codes": ", ".join(codes)}
                }
            )


class Translatable:
    """A model whose ``translated_fields`` may be entered per language (mixin)."""

    translated_fields: tuple[str, ...] = ()

    def translated(self, field: str, language: str | None = None) -> str:
        """``field`` in ``language`` (the active one by default), else the original.

        No query when the row was read through :func:`translations_annotate` in that
        language, or with ``prefetch_related("translations")``; otherwise one query (every
        language's row, kept on the instance)."""
        language = language or active_language()
        joined = f"translated_{field}" in self.__dict__  # a join may have read some fields only
        if joined and self.__dict__.get("translation_language") == language:
            value = self.__dict__[f"translated_{field}"]
        else:
            value = getattr(self.translations_by_language().get(language), field, None)
        return value or getattr(self, field)

    def translations_by_language(self) -> dict:
        """This row's translations by language code (``all()`` uses a prefetch when made)."""
        rows = self.__dict__.get("translations_read")
        if rows is None:
            rows = {row.language: row for row in self.translations.all()}
            self.__dict__["translations_read"] = rows
        return rows


def translations_annotate(queryset, *, language: str | None = None, fields=None):
    """``queryset`` with each row's text in ``language`` (the active one by default):
    ``translated_<field>`` (null without a translation) and ``translation_language``, which
    :meth:`Translatable.translated` reads. The same query: a join on the unique (parent,
    language) key, so rows are not repeated. ``fields`` (the model's ``translated_fields`` by
    default) may name other columns of the translation model, e.g. a lesson variant's rendered
    HTML and revision."""
    language = language or active_language()
    fields = queryset.model.translated_fields if fields is None else fields
    return queryset.annotate(
        **{RELATION: FilteredRelation("translations", condition=Q(translations__language=language))}
    ).annotate(
        translation_language=Value(language, output_field=CharField()),
        **{f"translated_{field}": F(f"{RELATION}__{field}") for field in fields},
    )


def related_translations_annotate(
    queryset, through: str, *, language: str | None = None, fields=None
):
    """``queryset`` with the text in ``language`` of the :class:`Translatable` row its foreign
    key ``through`` names (loaded with ``select_related(through)``), in the same query: the
    lesson page's course, a tag read through its lessons' tag rows. ``through`` may follow
    foreign keys (``lesson__course``); ``fields`` (the related model's ``translated_fields`` by
    default) may name fewer columns, e.g. a lesson variant's title only. Hand each row to
    :func:`related_translations_attach` so that ``row.<through>.translated(...)`` reads it."""
    language = language or active_language()
    model = queryset.model
    for name in through.split(LOOKUP_SEP):
        model = model._meta.get_field(name).related_model
    fields = model.translated_fields if fields is None else fields
    prefix = _related_prefix(through)
    relation = f"{prefix}{RELATION}"
    condition = Q(**{f"{through}__translations__language": language})
    return queryset.annotate(
        **{relation: FilteredRelation(f"{through}__translations", condition=condition)}
    ).annotate(
        **{f"{prefix}translation_language": Value(language, output_field=CharField())},
        **{f"{prefix}translated_{field}": F(f"{relation}__{field}") for field in fields},
    )


def _related_prefix(through: str) -> str:
    # Annotation names cannot hold "__": lesson__course's are lesson_course_translated_title...
    return through.replace(LOOKUP_SEP, "_") + "_"


def related_translations_attach(row, through: str):
    """Move what :func:`related_translations_annotate` read onto ``row.<through>``; returns
    that related row."""
    related = row
    for name in through.split(LOOKUP_SEP):
        related = getattr(related, name)
    prefix = _related_prefix(through)
    for name in [key for key in row.__dict__ if key.startswith(prefix + "translat")]:
        related.__dict__[name.removeprefix(prefix)] = row.__dict__.pop(name)
    return related
