"""Tag labels in other languages as a file, beside the course directories (see
:mod:`lessons.lesson_files`)::

    DIR/tags.yml    {<tag name>: {<language>: <label>}}

A tag has no file of its own: lesson files name their tags by name (``tags: [dense, llama]``),
and ``tags.yml`` gives, for each tag that has any, its labels in the site's languages
(``TagTranslation``), as ``course.yml``'s ``translations`` gives a course's title. Export writes
it only when a tag the files name has a label, tags and languages in order.

The file is the whole truth about the tags the directory names (in lesson files or in it): on
import each of them gets exactly the labels it lists, and one it does not list loses its labels,
as a ``course.yml`` without ``translations`` leaves its course without them. Tags no file names
are left alone. Import refuses, with the file and the reason: a language the site does not offer,
a label that is not text, empty or too long, and a tag that neither a lesson file nor the site
has.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .lesson_files import (
    _load_yaml_mapping,
    _Problems,
    _read_text,
    _unknown_language,
    _validation_messages,
    _wrong_type,
    _yaml_entries,
)
from .models import Tag, TagTranslation
from .translations import content_languages

TAGS_FILE_NAME = "tags.yml"

Labels = dict[str, dict[str, str]]  # tag name -> language -> label


def tag_labels(tags) -> Labels:
    """The labels of ``tags`` (a queryset or list of tags) per language, for those that have
    any: tags by name and languages in order. 1 query."""
    rows = TagTranslation.objects.filter(tag__in=tags).select_related("tag")
    found: Labels = defaultdict(dict)
    for row in sorted(rows, key=lambda row: (row.tag.name, row.language)):
        found[row.tag.name][row.language] = row.name
    return dict(found)


def tags_file_text() -> str | None:
    """The ``tags.yml`` an export writes: the labels of every tag a lesson carries (the tags
    the lesson files name), or ``None`` when none has any. 1 query."""
    labels = tag_labels(Tag.objects.filter(lessons__isnull=False).distinct())
    return _yaml_entries(labels) if labels else None


# --- Reading and importing -----------------------------------------------------------------------


def tags_file_read(directory: Path, problems: _Problems) -> Labels | None:
    """``DIR/tags.yml`` checked on its own; ``None`` when there is no such file or it is wrong
    (then the problem is recorded)."""
    path = directory / TAGS_FILE_NAME
    if not path.is_file():
        return None
    text = _read_text(path, TAGS_FILE_NAME, problems)
    data = None if text is None else _load_yaml_mapping(text, TAGS_FILE_NAME, 1, problems)
    if data is None:
        return None
    codes = [code for code, _name in content_languages()]
    before = len(problems)
    found: Labels = {}
    for name, labels in data.items():
        if not isinstance(name, str):
            problems.add(TAGS_FILE_NAME, _wrong_type(_("a tag's name"), _("text"), name))
            continue
        found[name] = _labels_read(name, labels, codes, problems)
    return found if len(problems) == before else None


def _labels_read(name: str, value: Any, codes: list[str], problems: _Problems) -> dict[str, str]:
    """One tag's ``{language: label}`` (absent or null: none), each label checked as the admin
    checks it."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(
            TAGS_FILE_NAME,
            _wrong_type(name, _("a mapping of language codes to the tag's label"), value),
        )
        return {}
    labels = {}
    for language, label in value.items():
        where = f"{name}.{language}"
        if language not in codes:
            problems.add(
                TAGS_FILE_NAME,
                _unknown_language(name, language, codes),
            )
            continue
        if not isinstance(label, str) or not label:
            problems.add(TAGS_FILE_NAME, _wrong_type(where, _("text"), label))
            continue
        try:
            TagTranslation(language=language, name=label).full_clean(
                exclude=["tag"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            for message in _validation_messages(exc, prefix=f"{where} "):
                problems.add(TAGS_FILE_NAME, message)
            continue
        labels[language] = label
    return labels


def tag_labels_plan(
    labels: Labels | None, tags: dict[str, Tag], problems: _Problems, *, used: set[str]
) -> dict[str, tuple[Tag, dict[str, str]]]:
    """The tags whose labels the import changes, by name, each with its labels to be.

    ``labels`` is what ``tags.yml`` says (``None``: no file), ``used`` the tag names the lesson
    files give and ``tags`` their tags (new ones unsaved; a name refused there is not in it,
    and its lesson file says why). Every tag either names gets exactly the file's labels."""
    labels = labels or {}
    named = dict(tags)
    elsewhere = [name for name in labels if name not in used]
    named.update((tag.name, tag) for tag in Tag.objects.filter(name__in=elsewhere))
    for name in elsewhere:
        if name not in named:
            problems.add(
                TAGS_FILE_NAME,
                _("no lesson file names the tag %(tag)r and the site has no such tag.")
                % {"tag": name},
            )
    held = tag_labels([tag for tag in named.values() if tag.pk])
    return {
        name: (tag, labels.get(name, {}))
        for name, tag in sorted(named.items())
        if held.get(name, {}) != labels.get(name, {})
    }


def tag_labels_apply(plan: dict[str, tuple[Tag, dict[str, str]]]) -> None:
    """Give each planned tag (saved by now) exactly its labels."""
    TagTranslation.objects.filter(tag__in=[tag for tag, _labels in plan.values()]).delete()
    TagTranslation.objects.bulk_create(
        TagTranslation(tag=tag, language=language, name=label)
        for tag, labels in plan.values()
        for language, label in labels.items()
    )
