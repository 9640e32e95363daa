"""A lesson's language variants as files, beside its own (see :mod:`lessons.lesson_files`).

A variant is a sibling of its lesson's file, named after it with the language before ``.md``::

    DIR/<course-slug>/02-llama.md       the lesson, in its original language
    DIR/<course-slug>/02-llama.en.md    its English variant

A variant file's front matter holds, in this order: uuid (the lesson's, which is what ties the
two), language, title, links and exercise; the Markdown body follows. ``links`` gives labels
for the lesson's links in that language, each naming the link by its ``url`` (links without a
label in the language are left out). Everything else — the place, XP, tags, requirements — is
the lesson's, in its own file.

Import refuses a variant with no lesson file of that UUID in the directory (an orphan), one
not named after its lesson's file, one in the lesson's own language or a language the site
does not offer, and two files of one lesson and language. Variants in the database that no
file names are left alone, as lessons are.
"""

from __future__ import annotations

import re
import uuid as uuid_module
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .lesson_files import (
    LINK_KEYS,
    Change,
    _front_matter_read,
    _Problems,
    _wrong_type,
    _yaml_entries,
)
from .models import Lesson, LessonLink, LessonLinkTranslation, LessonVariant
from .translations import content_languages

VARIANT_KEYS = ("uuid", "language", "title", "links", "exercise")
# Slugs hold no dot, so a lesson file's name with one more dotted part is a variant's.
_VARIANT_FILE_NAME = re.compile(r"(?P<stem>\d+-[^.]+)\.(?P<language>[^.]+)\.md")
_TITLE_MAX = LessonVariant._meta.get_field("title").max_length


def is_variant_file_name(name: str) -> bool:
    """Whether ``name`` is a variant's file name (``02-llama.en.md``), not a lesson's."""
    return _VARIANT_FILE_NAME.fullmatch(name) is not None


def variant_file_name(*, lesson_file_name: str, language: str) -> str:
    """``02-llama.en.md`` for ``02-llama.md`` and ``en``."""
    return f"{lesson_file_name.removesuffix('.md')}.{language}.md"


def variant_file_text(*, variant: LessonVariant, links: list[tuple[str, str]]) -> str:
    """The file text of ``variant`` (its ``lesson`` loaded); ``links`` are its labels and their
    links' URLs, in the links' order."""
    entries = {
        "uuid": str(variant.lesson.uuid),
        "language": variant.language,
        "title": variant.title,
        "links": [{"title": title, "url": url} for title, url in links],
        "exercise": variant.exercise,
    }
    return f"---\n{_yaml_entries(entries)}---\n{variant.body}"


def variant_files() -> dict[str, str]:
    """Every variant's file, by path relative to the export directory. 4 queries."""
    from .lesson_files import lesson_file_name

    lesson_paths = {
        lesson.pk: f"{lesson.course.slug}/{lesson_file_name(lesson=lesson)}"
        for lesson in Lesson.objects.select_related("course").only(
            "id", "position", "slug", "course__slug"
        )
    }
    labels: dict[tuple[int, str], list[tuple[str, str]]] = defaultdict(list)
    links = LessonLink.objects.order_by("lesson_id", "position", "id")
    urls = {link.pk: (link.lesson_id, link.url) for link in links}
    for row in LessonLinkTranslation.objects.order_by("link__position", "link_id"):
        lesson_id, url = urls[row.link_id]
        labels[(lesson_id, row.language)].append((row.title, url))
    files = {}
    for variant in LessonVariant.objects.select_related("lesson").order_by("lesson_id", "language"):
        path = lesson_paths.get(variant.lesson_id)
        if path is None:
            continue
        directory, _slash, name = path.rpartition("/")
        relative = (
            f"{directory}/{variant_file_name(lesson_file_name=name, language=variant.language)}"
        )
        files[relative] = variant_file_text(
            variant=variant, links=labels[(variant.lesson_id, variant.language)]
        )
    return files


# --- Reading and importing -----------------------------------------------------------------------


@dataclass
class VariantFile:
    path: str
    stem: str  # the course directory and the lesson file's name without ".md"
    uuid: uuid_module.UUID
    language: str
    title: str
    links: list[tuple[str, str]]
    exercise: str
    body: str


@dataclass
class VariantPlan:
    file: VariantFile
    lesson: Lesson
    change: Change
    links_replaced: bool  # the import writes its lesson's links anew (their labels go with them)


def variant_files_read(directory: Path, problems: _Problems) -> list[VariantFile]:
    """Every variant file in the course directories of ``directory``, each checked alone."""
    found = []
    for path in sorted(directory.glob("*/*.md")):
        if path.name.startswith(".") or path.parent.name.startswith(".") or not path.is_file():
            continue
        if is_variant_file_name(path.name):
            variant = variant_file_read(path, f"{path.parent.name}/{path.name}", problems)
            if variant is not None:
                found.append(variant)
    return found


def variant_file_read(path: Path, relative: str, problems: _Problems) -> VariantFile | None:
    """One variant file, checked on its own (its lesson is checked in :func:`variants_plan`)."""
    read = _front_matter_read(path, relative, problems)
    if read is None:
        return None
    data, body = read
    missing = [key for key in VARIANT_KEYS if key not in data]
    unknown = sorted(str(key) for key in data if key not in VARIANT_KEYS)
    if missing or unknown:
        problems.add(
            relative,
            _(
                "a language variant has exactly the keys %(expected)s (missing: %(missing)s; "
                "unknown: %(unknown)s)."
            )
            % {
                "expected": ", ".join(VARIANT_KEYS),
                "missing": ", ".join(missing) or "-",
                "unknown": ", ".join(unknown) or "-",
            },
        )
        return None
    before = len(problems)
    try:
        parsed_uuid = uuid_module.UUID(str(data["uuid"]))
    except ValueError:
        problems.add(relative, _wrong_type("uuid", _("a UUID"), data["uuid"]))
    match = _VARIANT_FILE_NAME.fullmatch(path.name)
    if data["language"] != match["language"]:
        problems.add(
            relative,
            _("its name says %(named)s but its language is %(language)r.")
            % {"named": match["language"], "language": data["language"]},
        )
    for key in ("title", "exercise"):
        if not isinstance(data[key], str):
            problems.add(relative, _wrong_type(key, _("text"), data[key]))
    title = data["title"]
    if isinstance(title, str) and not title:
        problems.add(relative, _("title must not be empty."))
    elif isinstance(title, str) and len(title) > _TITLE_MAX:
        problems.add(relative, _("title is longer than %(max)d characters.") % {"max": _TITLE_MAX})
    for key, value in (("title", title), ("exercise", data["exercise"]), ("body", body)):
        if isinstance(value, str) and "\x00" in value:
            problems.add(relative, _("%(key)s contains a NUL character.") % {"key": key})
    links = _labels_read(data["links"], relative, problems)
    if len(problems) > before or links is None:
        return None
    return VariantFile(
        path=relative,
        stem=f"{path.parent.name}/{match['stem']}",
        uuid=parsed_uuid,
        language=data["language"],
        title=title,
        links=links,
        exercise=data["exercise"],
        body=body,
    )


def _labels_read(value: Any, relative: str, problems: _Problems) -> list[tuple[str, str]] | None:
    if not isinstance(value, list):
        problems.add(relative, _wrong_type("links", _("a list of {title, url} entries"), value))
        return None
    labels = []
    for number, item in enumerate(value, start=1):
        if (
            not isinstance(item, dict)
            or set(item) != set(LINK_KEYS)
            or not all(isinstance(item[key], str) and item[key] for key in LINK_KEYS)
        ):
            problems.add(
                relative,
                _("link %(number)d must have exactly the keys title and url, both text.")
                % {"number": number},
            )
            return None
        labels.append((item["title"], item["url"]))
    return labels


def variants_plan(variant_files, lesson_plans, problems: _Problems) -> list[VariantPlan]:
    """Match each variant file to its lesson file (by UUID) and check it against it."""
    by_uuid = {plan.file.uuid: plan for plan in lesson_plans if plan.file.uuid is not None}
    codes = [code for code, _name in content_languages()]
    lesson_ids = [plan.instance.pk for plan in lesson_plans if plan.instance.pk]
    saved = {
        (row.lesson_id, row.language): row
        for row in LessonVariant.objects.filter(lesson_id__in=lesson_ids)
    }
    labels = defaultdict(list)
    for row in LessonLinkTranslation.objects.filter(link__lesson_id__in=lesson_ids).order_by(
        "link__position", "link_id"
    ):
        labels[(row.link.lesson_id, row.language)].append((row.title, row.link.url))
    seen: dict[tuple, str] = {}
    plans = []
    for file in variant_files:
        plan = by_uuid.get(file.uuid)
        if plan is None:
            problems.add(
                file.path,
                _(
                    "a language variant of a lesson that is not here: no lesson file in this "
                    "directory has the uuid %(uuid)s. Import it with its lesson's file."
                )
                % {"uuid": file.uuid},
            )
            continue
        lesson = plan.instance
        original_stem = plan.file.path.removesuffix(".md")
        if file.stem != original_stem:
            expected = f"{original_stem}.{file.language}.md"
            problems.add(
                file.path,
                _("its lesson is %(lesson)s, so name it %(expected)s.")
                % {"lesson": plan.file.path, "expected": expected},
            )
        if file.language not in codes:
            problems.add(
                file.path,
                _("“%(value)s” is not one of this site's languages (%(codes)s).")
                % {"value": file.language, "codes": ", ".join(codes)},
            )
        elif file.language == lesson.language:
            problems.add(
                file.path,
                _("%(language)s is its lesson's original language, written in %(lesson)s.")
                % {"language": file.language, "lesson": plan.file.path},
            )
        key = (file.uuid, file.language)
        if key in seen:
            problems.add(
                file.path,
                _("%(other)s is the same lesson and language.") % {"other": seen[key]},
            )
        seen[key] = file.path
        urls = [url for _title, url in plan.file.links]
        for _title, url in file.links:
            if url not in urls:
                problems.add(
                    file.path,
                    _("labels a link %(url)s that its lesson (%(lesson)s) does not have.")
                    % {"url": url, "lesson": plan.file.path},
                )
        row = saved.get((lesson.pk, file.language)) if lesson.pk else None
        fields = []
        if row is None:
            action = "created"
        else:
            for name in ("title", "body", "exercise"):
                if getattr(row, name) != getattr(file, name):
                    fields.append(name)
            if labels[(lesson.pk, file.language)] != file.links:
                fields.append("links")
            action = "updated" if fields else "unchanged"
        plans.append(
            VariantPlan(
                file=file,
                lesson=lesson,
                change=Change(path=file.path, uuid=file.uuid, action=action, fields=tuple(fields)),
                links_replaced=plan.change.action == "created" or "links" in plan.change.fields,
            )
        )
    return plans


def variants_apply(plans: list[VariantPlan]) -> None:
    """Write the planned variants and their link labels (after the lessons and their links)."""
    for plan in plans:
        if plan.change.action == "unchanged" and not plan.links_replaced:
            continue
        file = plan.file
        if plan.change.action != "unchanged":
            variant = LessonVariant.objects.filter(lesson=plan.lesson, language=file.language)
            variant = variant.first() or LessonVariant(lesson=plan.lesson, language=file.language)
            variant.title, variant.body, variant.exercise = file.title, file.body, file.exercise
            variant.save()  # renders, and bumps its revision when the text changed
        links = {link.url: link for link in plan.lesson.links.all()}
        LessonLinkTranslation.objects.filter(
            link__lesson=plan.lesson, language=file.language
        ).delete()
        LessonLinkTranslation.objects.bulk_create(
            LessonLinkTranslation(link=links[url], language=file.language, title=title)
            for title, url in file.links
        )
