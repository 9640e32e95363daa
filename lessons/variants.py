"""Lessons in several languages: which text a page shows, and what it says about the others.

A lesson is written in its original ``language``; a :class:`~lessons.models.LessonVariant`
holds its title, body and exercise in another language (and :class:`LessonLinkTranslation` its
links' labels), built on :mod:`lessons.translations`. A variant is more than a translated
field: it has its own rendered HTML, reading estimate and revision, so the columns joined here
are those too (``translations_annotate(fields=...)``), in the query the page makes anyway.

A page in language L shows the variant in L when there is one, else the original, with a notice
(:func:`variant_show` sets what templates read). The lesson's identity — its row, UUID, place,
XP, tags, requirements, progress, comments — is the same in every language: only the text
changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.translation import get_language_info

from .translations import active_language, content_languages, translations_annotate

# What the lesson page shows of a variant; lists need only the title.
PAGE_FIELDS = (
    "language",
    "title",
    "body_html",
    "exercise_html",
    "reading_minutes_estimate",
    "revision",
    "content_updated_at",
)
LIST_FIELDS = ("language", "title")


def language_name(code: str) -> str:
    """A language's name in itself (``한국어``, ``English``), for notices and switches."""
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return str(dict(settings.LANGUAGES).get(code, code))


def variants_annotate(queryset, *, fields=LIST_FIELDS, with_languages: bool = False):
    """Lessons with their variant in the active language joined (``translated_<field>``) and,
    with ``with_languages``, which of the site's languages each has a variant in
    (``variant_in_<n>``, one ``EXISTS`` per site language). Still one query."""
    from .models import LessonVariant

    queryset = translations_annotate(queryset, fields=fields)
    if with_languages:
        queryset = queryset.annotate(
            **{
                f"variant_in_{index}": Exists(
                    LessonVariant.objects.filter(lesson=OuterRef("pk"), language=code)
                )
                for index, (code, _name) in enumerate(content_languages())
            }
        )
    return queryset


def variant_show(lesson) -> None:
    """Put the text of the page's language on ``lesson`` (read through
    :func:`variants_annotate`) for templates: the variant's title (and, when joined, its HTML and
    reading estimate) when the active language is not the original and a variant exists.

    Sets ``shown_language`` (the language of the text now on it; a lesson showing a variant
    refuses to be saved), ``original_language``, ``variant_revision`` and
    ``variant_out_of_date`` (``None`` when the original is shown), and ``text_lang``: the
    language of the text when it is not the page's (for a ``lang`` attribute), else ``""``."""
    language = active_language()
    lesson.original_language = lesson.language
    lesson.variant_revision = None
    lesson.variant_out_of_date = None
    fields = [name for name in PAGE_FIELDS if f"translated_{name}" in lesson.__dict__]
    if lesson.language == language or not lesson.__dict__.get("translated_language"):
        lesson.shown_language = lesson.language
        lesson.text_lang = "" if lesson.language == language else lesson.language
        return
    for name in fields:
        if name in {"language", "revision", "content_updated_at"}:
            continue
        setattr(lesson, name, lesson.__dict__[f"translated_{name}"])
    lesson.shown_language = language
    lesson.text_lang = ""
    if "translated_revision" in lesson.__dict__:
        lesson.variant_revision = lesson.translated_revision
        lesson.variant_out_of_date = lesson.translated_content_updated_at < (
            lesson.content_updated_at
        )


def variant_languages(lesson) -> list[str]:
    """The languages ``lesson`` can be read in, the original first (read through
    :func:`variants_annotate` with ``with_languages``)."""
    codes = [lesson.language]
    for index, (code, _name) in enumerate(content_languages()):
        if code != lesson.language and lesson.__dict__.get(f"variant_in_{index}"):
            codes.append(code)
    return codes


def lesson_text(*, lesson, language: str | None = None):
    """What a reader of ``lesson`` in ``language`` (the active one by default) reads: its
    variant in that language, else the lesson itself (its original). Either has ``title``,
    ``body_html``, ``revision``, ``content_updated_at`` and ``language``. No query when the
    language is the original's; 1 otherwise."""
    language = language or active_language()
    if language == lesson.language:
        return lesson
    from .models import LessonVariant

    return LessonVariant.objects.filter(lesson=lesson, language=language).first() or lesson


def links_show(links, *, shown: str) -> list:
    """``links`` (read through ``translations_annotate``) with their labels in the active
    language where one was entered, when the lesson's text is shown in it (``shown``)."""
    if shown != active_language():
        return links
    for link in links:
        label = link.__dict__.get("translated_title")
        if label:
            link.title = label
    return links
