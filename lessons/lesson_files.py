"""Lessons as files: export every course and lesson to a directory and import them back.

The layout, one directory per course::

    DIR/<course-slug>/course.yml          uuid, slug, title, summary, position, status
    DIR/<course-slug>/NN-<lesson-slug>.md YAML front matter between "---" lines, then Markdown
    DIR/<course-slug>/NN-<lesson-slug>.<language>.md  a language variant of that lesson
                                          (see ``lessons.lesson_variant_files``)
    DIR/tags.yml                          tags' labels in other languages, when any has one
                                          (see ``lessons.tag_files``)

A lesson's front matter holds, in this order: uuid, course, position, slug, title, language
(its original language, written only when it is not the site's LANGUAGE_CODE), status, tags,
requires, xp, reading_minutes (the override, or null), links and exercise. The file is the whole
truth about a lesson: every key must be present (only ``uuid`` may be left out, for a new lesson,
and ``requires`` when it requires nothing), and its place must agree with it (directory =
course, file name = position and slug). ``requires`` (in a lesson file or a ``course.yml``)
lists, in order, the UUIDs of the lessons and courses to complete first (see
``lessons.requirements``); a cycle is refused with its path.

Export is deterministic to the byte, so export, import, export gives identical files and a
change reads well in a diff. Import matches courses and lessons by UUID, so renaming, re-slugging,
renumbering or moving a file keeps the row (and the progress and comments hanging on it). It
validates every file before it writes anything, then applies everything in one transaction.
"""

from __future__ import annotations

import re
import unicodedata
import uuid as uuid_module
from collections import Counter, defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import (
    Course,
    CourseRequirement,
    CourseTranslation,
    Lesson,
    LessonLink,
    LessonRequirement,
    Status,
    Tag,
)
from .requirements import COURSE, LESSON, RequirementGraph, cycle_message
from .selectors import tags_by_lesson
from .services import lesson_set_tags
from .translations import content_languages
from .versions import content_changed

COURSE_FILE_NAME = "course.yml"
COURSE_KEYS = (
    "uuid",
    "slug",
    "title",
    "summary",
    "position",
    "status",
    "requires",
    "translations",
)
# A course's title and summary in the site's other languages: ``{language: {title, summary}}``.
COURSE_TRANSLATION_KEYS = ("title", "summary")
LESSON_KEYS = (
    "uuid",
    "course",
    "position",
    "slug",
    "title",
    "language",
    "status",
    "tags",
    "requires",
    "xp",
    "reading_minutes",
    "links",
    "exercise",
)
# Keys a file may leave out: a new row's uuid, requires when there is nothing to require, and
# language when the lesson is in the site's LANGUAGE_CODE.
OPTIONAL_KEYS = frozenset({"uuid", "requires", "language", "translations"})
LINK_KEYS = ("title", "url")
LINK_SCHEMES = ("http", "https")

_LESSON_FILE_NAME = re.compile(r"(?P<position>\d+)-(?P<slug>.+)\.md")
_FRONT_MATTER_START = re.compile(r"---[ \t]*\r?\n")
_FRONT_MATTER_END = re.compile(r"^---[ \t]*(?:\r?\n|\Z)", re.MULTILINE)
# Wide enough that PyYAML never folds a long title or URL over two lines.
_YAML_WIDTH = 1_000_000

Action = Literal["created", "updated", "unchanged"]


# --- Reports and errors ------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class FileProblem:
    """One reason a file cannot be imported; ``path`` is relative to the import directory."""

    path: str
    message: str

    def __str__(self):
        return f"{self.path}: {self.message}"


class LessonFilesError(Exception):
    """Raised when an export is refused or any lesson file is invalid. Nothing was written."""

    def __init__(self, problems: list[FileProblem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass
class ExportReport:
    """What :func:`lessons_export` wrote, relative to ``directory``."""

    directory: Path
    courses: int = 0
    lessons: int = 0
    written: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    # Course and lesson files already in the directory that this export did not write.
    stale: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            _("Exported to %(directory)s: courses %(courses)d, lessons %(lessons)d.")
            % {"courses": self.courses, "lessons": self.lessons, "directory": self.directory}
        ]
        if self.overwritten:
            lines.append(_("Files overwritten: %(count)d.") % {"count": len(self.overwritten)})
        if self.stale:
            lines.append(
                _(
                    "These files were already there and were not written by this export; an "
                    "import would read them too, so delete the ones you no longer want:"
                )
            )
            lines.extend(f"  {path}" for path in self.stale)
        return lines


@dataclass
class Change:
    """The outcome for one course or lesson file."""

    path: str
    uuid: uuid_module.UUID
    action: Action
    fields: tuple[str, ...] = ()
    has_uuid: bool = True

    def line(self) -> str:
        labels = {
            "created": pgettext("lesson file import", "created"),
            "updated": pgettext("lesson file import", "updated"),
            "unchanged": pgettext("lesson file import", "unchanged"),
        }
        text = f"  {labels[self.action]:<10} {self.path}"
        if self.fields:
            text += ": " + ", ".join(self.fields)
        return text


@dataclass
class ImportReport:
    """What :func:`lessons_import` changed (or, on a dry run, would change)."""

    directory: Path
    dry_run: bool
    courses: list[Change] = field(default_factory=list)
    lessons: list[Change] = field(default_factory=list)
    tags_created: list[str] = field(default_factory=list)
    # "course-slug/lesson-slug" of lessons in the database that no file mentions.
    left_alone: list[str] = field(default_factory=list)
    variants: list[Change] = field(default_factory=list)  # language variant files
    tag_labels: list[str] = field(default_factory=list)  # tags whose labels tags.yml changes

    def count(self, changes: list[Change], action: Action) -> int:
        return sum(1 for change in changes if change.action == action)

    @property
    def changed(self) -> bool:
        return bool(self.tags_created or self.tag_labels) or any(
            change.action != "unchanged"
            for change in [*self.courses, *self.lessons, *self.variants]
        )

    @property
    def without_uuid(self) -> list[str]:
        return [change.path for change in [*self.courses, *self.lessons] if not change.has_uuid]

    def summary_lines(self) -> list[str]:
        """Totals, the tags created, what was left alone and what to do next."""
        lines = []
        totals = [(_("Courses"), self.courses), (_("Lessons"), self.lessons)]
        if self.variants:
            totals.append((_("Language variants"), self.variants))
        for label, changes in totals:
            lines.append(
                _("%(label)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % {
                    "label": label,
                    "created": self.count(changes, "created"),
                    "updated": self.count(changes, "updated"),
                    "unchanged": self.count(changes, "unchanged"),
                }
            )
        if self.tags_created:
            lines.append(_("Tags created: %(tags)s") % {"tags": ", ".join(self.tags_created)})
        if self.tag_labels:
            lines.append(
                _("Tags whose labels in other languages changed: %(tags)s")
                % {"tags": ", ".join(self.tag_labels)}
            )
        if self.left_alone:
            lines.append(
                _("Left alone, in the database but not in the directory: %(lessons)s")
                % {"lessons": ", ".join(self.left_alone)}
            )
        if self.without_uuid:
            lines.append(
                _(
                    "These files have no uuid: %(paths)s. Run export_lessons to write the uuids "
                    "back into the files, so that renaming or moving them keeps their identity."
                )
                % {"paths": ", ".join(self.without_uuid)}
            )
        if not self.changed:
            lines.append(_("Nothing changed."))
        if self.dry_run:
            lines.append(_("Dry run: nothing was written."))
        return lines

    def detail_lines(self) -> list[str]:
        """One line per course and lesson file: created, updated (with the fields) or unchanged."""
        return [change.line() for change in [*self.courses, *self.lessons, *self.variants]]


# --- Writing files -----------------------------------------------------------------------------


class _FlowList(list):
    """A list written on one line, ``[a, b]``: used for tags."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key ("links:\n  - title: ..."), which reads better.
        return super().increase_indent(flow, False)


def _represent_str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_flow_list(dumper, data):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_FlowList, _represent_flow_list)


def _literal_block(key: str, value: str) -> str | None:
    """``key: |`` with the text indented under it, or None when that cannot hold ``value``.

    PyYAML falls back to a quoted one-line string as soon as a line ends in a space or holds a
    tab, which makes an exercise unreadable in a diff; YAML's literal block keeps both.
    """
    if "\n" not in value or not value.strip():
        return None
    for char in value:
        if char not in "\n\t" and (
            unicodedata.category(char) in {"Cc", "Cs", "Zl", "Zp"} or char == "\ufeff"
        ):
            return None
    text = value[:-1] if value.endswith("\n") else value
    if not value.endswith("\n"):
        chomping = "-"
    elif text.endswith("\n"):
        chomping = "+"
    else:
        chomping = ""
    first = next(line for line in text.split("\n") if line.strip())
    indicator = "2" if first[:1] in {" ", "\t"} else ""
    lines = "".join(f"  {line}\n" if line else "\n" for line in text.split("\n"))
    return f"{key}: |{indicator}{chomping}\n{lines}"


def _yaml_dump(key: str, value: Any, *, allow_unicode: bool) -> str:
    text = yaml.dump(
        {key: value},
        Dumper=_Dumper,
        allow_unicode=allow_unicode,
        sort_keys=False,
        default_flow_style=False,
        width=_YAML_WIDTH,
    )
    # PyYAML ends a document whose last value keeps its trailing line breaks ("|+") with the
    # document end marker "...": inside a file of several entries it would end the file there.
    return text[: -len("...\n")] if text.endswith("\n...\n") else text


def _yaml_entry(key: str, value: Any) -> str:
    """One top-level ``key: value`` entry, in the most readable form that loads back exactly.

    The forms are tried from most to least readable; the last one escapes every character
    outside ASCII, which PyYAML always reads back as written (NEL and the Unicode line
    separators, say, are line breaks to YAML when written as they are).
    """
    candidates = (
        lambda: _literal_block(key, value) if isinstance(value, str) else None,
        lambda: _yaml_dump(key, value, allow_unicode=True),
        lambda: _yaml_dump(key, value, allow_unicode=False),
    )
    for candidate in candidates:
        text = candidate()
        if text is not None and _loads_back(text, key, value):
            return text
    raise ValueError(f"Cannot write {key!r} losslessly as YAML: {value!r}")


def _loads_back(text: str, key: str, value: Any) -> bool:
    """Whether the entry ``text`` reads back as ``value``, followed by another entry as it is
    in a file (an entry that ends the YAML document early reads back fine on its own)."""
    try:
        return _yaml_load(text + "_next: 0\n") == {key: value, "_next": 0}
    except yaml.YAMLError:
        return False


def _yaml_entries(data: dict[str, Any]) -> str:
    return "".join(_yaml_entry(key, value) for key, value in data.items())


def requirement_uuids() -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """What each lesson and each course requires, as the UUIDs files name, in order: by lesson
    id and by course id. 2 queries."""
    found: tuple[dict, dict] = (defaultdict(list), defaultdict(list))
    for model, owner, by_owner in (
        (LessonRequirement, "lesson_id", found[0]),
        (CourseRequirement, "course_id", found[1]),
    ):
        rows = model.objects.order_by(owner, "position", "id").values_list(
            owner, "required_lesson__uuid", "required_course__uuid"
        )
        for pk, lesson_uuid, course_uuid in rows:
            by_owner[pk].append(str(lesson_uuid or course_uuid))
    return found


def _with_requires(entries: dict[str, Any], requires: list[str] | None, after: str) -> dict:
    """``entries`` with ``requires`` after the key ``after``, when there is anything to require
    (files of lessons that require nothing stay as they were before requirements existed)."""
    if not requires:
        return entries
    ordered = {}
    for key, value in entries.items():
        ordered[key] = value
        if key == after:
            ordered["requires"] = list(requires)
    return ordered


def course_file_text(*, course: Course, requires: list[str] | None = None) -> str:
    """The ``course.yml`` text for ``course``; ``requires``: the UUIDs it requires, in order
    (read when not given). Its title and summary in other languages follow, when it has any."""
    if requires is None:
        requires = requirement_uuids()[1].get(course.pk, [])
    entries = _with_requires(
        {
            "uuid": str(course.uuid),
            "slug": course.slug,
            "title": course.title,
            "summary": course.summary,
            "position": course.position,
            "status": course.status,
        },
        requires,
        after="status",
    )
    translations = course_translations(course)
    if translations:
        entries["translations"] = translations
    return _yaml_entries(entries)


def course_translations(course: Course) -> dict[str, dict[str, str]]:
    """``course``'s title and summary per language, languages in order (a prefetch is used)."""
    rows = sorted(course.translations.all(), key=lambda row: row.language)
    return {row.language: {"title": row.title, "summary": row.summary} for row in rows}


def lesson_file_name(*, lesson: Lesson) -> str:
    """``NN-<slug>.md``, the position zero-padded to two digits."""
    return f"{lesson.position:02d}-{lesson.slug}.md"


def lesson_file_text(
    *, lesson: Lesson, tags: list[Tag] | None = None, requires: list[str] | None = None
) -> str:
    """The ``NN-<slug>.md`` text for ``lesson``: front matter, then the body exactly as stored.

    ``tags`` are the lesson's tags in order and ``requires`` the UUIDs it requires, when the
    caller has them already.
    """
    if tags is None:
        tags = tags_by_lesson(lesson_ids=[lesson.pk])[lesson.pk]
    if requires is None:
        requires = requirement_uuids()[0].get(lesson.pk, [])
    entries = _with_requires(
        {
            "uuid": str(lesson.uuid),
            "course": lesson.course.slug,
            "position": lesson.position,
            "slug": lesson.slug,
            "title": lesson.title,
            # Only when not the site's language: files of one-language sites stay as they were.
            **({"language": lesson.language} if lesson.language != settings.LANGUAGE_CODE else {}),
            "status": lesson.status,
            "tags": _FlowList(tag.name for tag in tags),
            "xp": lesson.xp,
            "reading_minutes": lesson.reading_minutes_override,
            "links": [{"title": link.title, "url": link.url} for link in lesson.links.all()],
            "exercise": lesson.exercise,
        },
        requires,
        after="tags",
    )
    front_matter = _yaml_entries(entries)
    return f"---\n{front_matter}---\n{lesson.body}"


def lessons_export(*, directory: Path | str, force: bool = False) -> ExportReport:
    """Write every course and lesson, drafts included, to ``directory``.

    Refuses a directory that is not empty unless ``force``, which overwrites files of the same
    names and deletes nothing; files it did not write are listed in the report as ``stale``.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise LessonFilesError([FileProblem(str(directory), _("is not a directory."))])
    if directory.exists() and any(directory.iterdir()) and not force:
        raise LessonFilesError(
            [
                FileProblem(
                    str(directory),
                    _(
                        "the directory is not empty. Export into an empty directory, or use "
                        "--force to overwrite files of the same names."
                    ),
                )
            ]
        )
    from .lesson_variant_files import variant_files  # they build on this module
    from .tag_files import TAGS_FILE_NAME, tags_file_text

    before = set(_existing_content_files(directory))
    report = ExportReport(directory=directory)
    files: dict[str, str] = {}
    courses = Course.objects.order_by("position", "id").prefetch_related(
        "lessons__links", "translations"
    )
    tags = tags_by_lesson(lesson_ids=Lesson.objects.values_list("id", flat=True))
    lesson_requires, course_requires = requirement_uuids()
    for course in courses:
        report.courses += 1
        files[f"{course.slug}/{COURSE_FILE_NAME}"] = course_file_text(
            course=course, requires=course_requires.get(course.pk, [])
        )
        for lesson in sorted(course.lessons.all(), key=lambda item: (item.position, item.id)):
            report.lessons += 1
            lesson.course = course
            files[f"{course.slug}/{lesson_file_name(lesson=lesson)}"] = lesson_file_text(
                lesson=lesson, tags=tags[lesson.pk], requires=lesson_requires.get(lesson.pk, [])
            )
    files.update(variant_files())
    tags_text = tags_file_text()
    if tags_text is not None:
        files[TAGS_FILE_NAME] = tags_text
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # Bytes, not text mode: a body's "\r\n" must come back as it went out.
        path.write_bytes(text.encode("utf-8"))
        report.written.append(relative)
        if relative in before:
            report.overwritten.append(relative)
    report.stale = sorted(before - set(files))
    return report


def _existing_content_files(directory: Path) -> list[str]:
    from .tag_files import TAGS_FILE_NAME

    if not directory.is_dir():
        return []
    found = [TAGS_FILE_NAME] if (directory / TAGS_FILE_NAME).is_file() else []
    for course_dir in directory.iterdir():
        if course_dir.is_dir() and not course_dir.name.startswith("."):
            for path in course_dir.iterdir():
                if path.is_file() and (path.name == COURSE_FILE_NAME or path.suffix == ".md"):
                    found.append(f"{course_dir.name}/{path.name}")
    return found


# --- Reading files -----------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice is an error instead of a silent win."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        _("the key %(key)r appears twice") % {"key": key},
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (_Loader is a SafeLoader)


@dataclass
class _CourseFile:
    path: str
    directory_name: str
    uuid: uuid_module.UUID | None
    slug: str
    title: str
    summary: str
    position: int
    status: str
    requires: list[uuid_module.UUID] = field(default_factory=list)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class _LessonFile:
    path: str
    directory_name: str
    uuid: uuid_module.UUID | None
    course: str
    position: int
    slug: str
    title: str
    status: str
    tags: list[str]
    xp: int
    reading_minutes: int | None
    links: list[tuple[str, str]]
    exercise: str
    body: str
    requires: list[uuid_module.UUID] = field(default_factory=list)
    language: str | None = None  # None: the site's LANGUAGE_CODE


class _Problems(list):
    def add(self, path: str, message: str) -> None:
        self.append(FileProblem(path, message))


def _read_text(path: Path, relative: str, problems: _Problems) -> str | None:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.add(relative, _("is not UTF-8 (byte %(position)d).") % {"position": exc.start + 1})
        return None
    except OSError as exc:
        problems.add(relative, _("cannot be read: %(error)s") % {"error": exc.strerror})
        return None
    return text.removeprefix("\ufeff")


def _load_yaml_mapping(
    text: str, relative: str, first_line: int, problems: _Problems
) -> dict | None:
    try:
        data = _yaml_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if mark is not None:
            problems.add(
                relative,
                _("YAML error on line %(line)d: %(problem)s")
                % {"line": mark.line + first_line, "problem": problem},
            )
        else:
            problems.add(relative, _("YAML error: %(problem)s") % {"problem": problem})
        return None
    if not isinstance(data, dict):
        problems.add(relative, _("must be a YAML mapping of keys to values."))
        return None
    return data


def _check_keys(data: dict, expected: tuple[str, ...], relative: str, problems: _Problems) -> bool:
    missing = [key for key in expected if key not in data and key not in OPTIONAL_KEYS]
    unknown = sorted(str(key) for key in data if key not in expected)
    if missing:
        problems.add(relative, _("missing keys: %(keys)s.") % {"keys": ", ".join(missing)})
    if unknown:
        problems.add(
            relative,
            _("unknown keys: %(keys)s (expected: %(expected)s).")
            % {"keys": ", ".join(unknown), "expected": ", ".join(expected)},
        )
    return not missing and not unknown


def _is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _unknown_language(key: str, language: Any, codes: list[str]) -> str:
    return _("%(key)s: “%(value)s” is not one of this site's languages (%(codes)s).") % {
        "key": key,
        "value": language,
        "codes": ", ".join(codes),
    }


def _wrong_type(key: str, expected: str, value: Any) -> str:
    return _("%(key)s must be %(expected)s, not %(value)s.") % {
        "key": key,
        "expected": expected,
        "value": yaml.safe_dump(
            value, allow_unicode=True, default_flow_style=True, width=_YAML_WIDTH
        )
        .removesuffix("\n...\n")
        .strip(),
    }


def _check_common(data: dict, relative: str, problems: _Problems, text_keys: tuple[str, ...]):
    """Check the keys a course and a lesson share; returns the uuid (None when absent)."""
    before = len(problems)
    value = data.get("uuid")
    parsed_uuid = None
    if value is not None:
        try:
            parsed_uuid = uuid_module.UUID(str(value))
        except ValueError:
            problems.add(relative, _wrong_type("uuid", _("a UUID"), value))
    for key in text_keys:
        if not isinstance(data[key], str):
            problems.add(relative, _wrong_type(key, _("text"), data[key]))
    if not _is_whole_number(data["position"]):
        problems.add(
            relative, _wrong_type("position", _("a whole number (0 or more)"), data["position"])
        )
    if data["status"] not in Status.values:
        problems.add(
            relative,
            _("status must be one of %(choices)s, not %(value)r.")
            % {"choices": ", ".join(Status.values), "value": data["status"]},
        )
    return parsed_uuid, len(problems) == before


def _course_file_read(path: Path, relative: str, problems: _Problems) -> _CourseFile | None:
    text = _read_text(path, relative, problems)
    if text is None:
        return None
    data = _load_yaml_mapping(text, relative, 1, problems)
    if data is None or not _check_keys(data, COURSE_KEYS, relative, problems):
        return None
    parsed_uuid, ok = _check_common(data, relative, problems, ("slug", "title", "summary"))
    requires = _requires_read(data.get("requires"), relative, problems)
    translations = _course_translations_read(data.get("translations"), relative, problems)
    if not ok or requires is None or translations is None:
        return None
    return _CourseFile(
        path=relative,
        directory_name=path.parent.name,
        uuid=parsed_uuid,
        requires=requires,
        translations=translations,
        **{key: data[key] for key in COURSE_KEYS if key not in OPTIONAL_KEYS},
    )


def _course_translations_read(value: Any, relative: str, problems: _Problems):
    """``translations``: per language of the site, a mapping with a ``title`` and optionally a
    ``summary`` (absent or null: none); None when wrong."""
    if value is None:
        return {}
    expected = _("a mapping of language codes to a title and a summary")
    if not isinstance(value, dict):
        problems.add(relative, _wrong_type("translations", expected, value))
        return None
    codes = [code for code, _name in content_languages()]
    found = {}
    for language, texts in value.items():
        where = f"translations.{language}"
        if language not in codes:
            problems.add(
                relative,
                _unknown_language("translations", language, codes),
            )
            return None
        if not isinstance(texts, dict) or not _check_keys(
            {"summary": "", **texts}, COURSE_TRANSLATION_KEYS, relative, problems
        ):
            if not isinstance(texts, dict):
                problems.add(relative, _wrong_type(where, expected, texts))
            return None
        title, summary = texts["title"], texts.get("summary") or ""
        if not isinstance(title, str) or not title or not isinstance(summary, str):
            problems.add(relative, _wrong_type(where, expected, texts))
            return None
        found[str(language)] = {"title": title, "summary": summary}
    return found


def _requires_read(value: Any, relative: str, problems: _Problems):
    """``requires``: a list of UUIDs, each once (absent or null: nothing); None when wrong."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(relative, _wrong_type("requires", _("a list of UUIDs"), value))
        return None
    found = []
    for item in value:
        try:
            parsed = uuid_module.UUID(str(item))
        except ValueError:
            problems.add(relative, _wrong_type("requires", _("a list of UUIDs"), value))
            return None
        if parsed in found:
            problems.add(relative, _("requires lists %(uuid)s twice.") % {"uuid": parsed})
            return None
        found.append(parsed)
    return found


def _split_front_matter(text: str, relative: str, problems: _Problems) -> tuple[str, str] | None:
    start = _FRONT_MATTER_START.match(text)
    if start is None:
        problems.add(relative, _("must start with a '---' line opening the front matter."))
        return None
    end = _FRONT_MATTER_END.search(text, start.end())
    if end is None:
        problems.add(relative, _("has no '---' line closing the front matter."))
        return None
    return text[start.end() : end.start()], text[end.end() :]


def _front_matter_read(path: Path, relative: str, problems: _Problems) -> tuple[dict, str] | None:
    """A Markdown file's front matter (a mapping) and body, or ``None`` with the problem
    recorded: lesson files and their variants (``lesson_variant_files``) alike."""
    text = _read_text(path, relative, problems)
    if text is None:
        return None
    parts = _split_front_matter(text, relative, problems)
    if parts is None:
        return None
    front_matter, body = parts
    data = _load_yaml_mapping(front_matter, relative, 2, problems)
    return None if data is None else (data, body)


def _lesson_file_read(path: Path, relative: str, problems: _Problems) -> _LessonFile | None:
    read = _front_matter_read(path, relative, problems)
    if read is None:
        return None
    data, body = read
    if not _check_keys(data, LESSON_KEYS, relative, problems):
        return None
    before = len(problems)
    parsed_uuid, _ok = _check_common(data, relative, problems, ("course", "slug", "title"))
    tags = data["tags"]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        problems.add(relative, _wrong_type("tags", _("a list of tag names"), tags))
    else:
        for name, count in Counter(tags).items():
            if count > 1:
                problems.add(relative, _("the tag %(tag)r is listed twice.") % {"tag": name})
    if not _is_whole_number(data["xp"]):
        problems.add(relative, _wrong_type("xp", _("a whole number (0 or more)"), data["xp"]))
    reading_minutes = data["reading_minutes"]
    if reading_minutes is not None and not _is_whole_number(reading_minutes):
        problems.add(
            relative,
            _wrong_type(
                "reading_minutes", _("a whole number of minutes, or null"), reading_minutes
            ),
        )
    if not isinstance(data["exercise"], str):
        problems.add(relative, _wrong_type("exercise", _("text ('' for none)"), data["exercise"]))
    links = _links_read(data["links"], relative, problems)
    requires = _requires_read(data.get("requires"), relative, problems)
    language = data.get("language")
    if language is not None and not isinstance(language, str):
        problems.add(relative, _wrong_type("language", _("a language code"), language))
    if len(problems) > before or links is None or requires is None:
        return None
    return _LessonFile(
        path=relative,
        directory_name=path.parent.name,
        uuid=parsed_uuid,
        course=data["course"],
        position=data["position"],
        slug=data["slug"],
        title=data["title"],
        status=data["status"],
        tags=list(tags),
        xp=data["xp"],
        reading_minutes=reading_minutes,
        links=links,
        exercise=data["exercise"],
        body=body,
        requires=requires,
        language=language,
    )


def _links_read(value: Any, relative: str, problems: _Problems) -> list[tuple[str, str]] | None:
    if not isinstance(value, list):
        problems.add(relative, _wrong_type("links", _("a list of {title, url} entries"), value))
        return None
    links = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict) or set(item) != set(LINK_KEYS):
            problems.add(
                relative,
                _("link %(number)d must have exactly the keys title and url.") % {"number": number},
            )
            continue
        if not all(isinstance(item[key], str) for key in LINK_KEYS):
            problems.add(
                relative, _("link %(number)d: title and url must be text.") % {"number": number}
            )
            continue
        scheme = item["url"].partition(":")[0].lower() if ":" in item["url"] else ""
        if scheme not in LINK_SCHEMES:
            problems.add(
                relative,
                _("link %(number)d: the URL %(url)r must start with http:// or https://.")
                % {"number": number, "url": item["url"]},
            )
            continue
        links.append((item["title"], item["url"]))
    if len(links) != len(value):
        return None
    return links


def _directory_read(directory: Path, problems: _Problems):
    """Every course and lesson file under ``directory``, checked one file at a time."""
    from .lesson_variant_files import is_variant_file_name  # it builds on this module

    courses: list[_CourseFile] = []
    lessons: list[_LessonFile] = []
    if (directory / COURSE_FILE_NAME).exists():
        problems.add(
            COURSE_FILE_NAME,
            _(
                "this looks like one course's directory; import the directory that holds the "
                "course directories."
            ),
        )
    for course_dir in sorted(directory.iterdir()):
        if not course_dir.is_dir() or course_dir.name.startswith("."):
            continue
        course_yml = course_dir / COURSE_FILE_NAME
        if course_yml.is_file():
            course = _course_file_read(
                course_yml, f"{course_dir.name}/{COURSE_FILE_NAME}", problems
            )
            if course is not None:
                courses.append(course)
        else:
            problems.add(f"{course_dir.name}/", _("has no course.yml."))
        for path in sorted(course_dir.glob("*.md")):
            if path.name.startswith(".") or not path.is_file() or is_variant_file_name(path.name):
                continue  # variants are read by lessons.lesson_variant_files
            relative = f"{course_dir.name}/{path.name}"
            lesson = _lesson_file_read(path, relative, problems)
            if lesson is not None:
                lessons.append(lesson)
    return courses, lessons


def _check_places(courses: list[_CourseFile], lessons: list[_LessonFile], problems: _Problems):
    """Each file's place (directory, file name) must agree with what it says, and be unique."""
    course_slugs = {course.slug for course in courses}
    for course in courses:
        if course.slug != course.directory_name:
            problems.add(
                course.path,
                _("slug is %(slug)r but the directory is %(directory)r; rename one to match.")
                % {"slug": course.slug, "directory": course.directory_name},
            )
    for lesson in lessons:
        if lesson.course != lesson.directory_name:
            if lesson.course in course_slugs:
                message = _(
                    "course is %(course)r but the file is in %(directory)r; move the file to "
                    "%(course)s/ or change its course."
                )
            else:
                message = _(
                    "unknown course %(course)r: there is no %(course)s/course.yml (the file is "
                    "in %(directory)r)."
                )
            problems.add(
                lesson.path, message % {"course": lesson.course, "directory": lesson.directory_name}
            )
        name = lesson.path.rpartition("/")[2]
        match = _LESSON_FILE_NAME.fullmatch(name)
        if match is None:
            problems.add(
                lesson.path, _("the file name must be NN-<slug>.md, NN being the position.")
            )
        elif (int(match["position"]), match["slug"]) != (lesson.position, lesson.slug):
            problems.add(
                lesson.path,
                _(
                    "the file name says position %(file_position)d and slug %(file_slug)r but the "
                    "front matter says position %(position)d and slug %(slug)r; rename the file "
                    "to %(expected)s."
                )
                % {
                    "file_position": int(match["position"]),
                    "file_slug": match["slug"],
                    "position": lesson.position,
                    "slug": lesson.slug,
                    "expected": f"{lesson.position:02d}-{lesson.slug}.md",
                },
            )
    _check_duplicates(
        [(course.uuid, course.path) for course in courses if course.uuid], "uuid", problems
    )
    _check_duplicates(
        [(lesson.uuid, lesson.path) for lesson in lessons if lesson.uuid], "uuid", problems
    )
    _check_duplicates(
        [((lesson.course, lesson.slug), lesson.path) for lesson in lessons],
        _("course and slug"),
        problems,
    )


def _check_duplicates(keyed_paths, what: str, problems: _Problems) -> None:
    by_key = defaultdict(list)
    for key, path in keyed_paths:
        by_key[key].append(path)
    for paths in by_key.values():
        if len(paths) > 1:
            for path in paths:
                others = ", ".join(other for other in paths if other != path)
                problems.add(
                    path,
                    _("the same %(what)s as %(others)s.") % {"what": what, "others": others},
                )


# --- Matching files to rows and planning the changes -------------------------------------------


_MODEL_FIELD_KEYS = {"reading_minutes_override": "reading_minutes"}


def _validation_messages(error: ValidationError, prefix: str = "") -> list[str]:
    messages = []
    for name, field_messages in error.message_dict.items():
        key = _MODEL_FIELD_KEYS.get(name, name)
        label = prefix if name == "__all__" else f"{prefix}{key}"
        for message in field_messages:
            messages.append(f"{label}: {message}" if label else message)
    return messages


@dataclass
class _CoursePlan:
    file: _CourseFile
    instance: Course
    change: Change
    old_slug: str | None


@dataclass
class _LessonPlan:
    file: _LessonFile
    instance: Lesson
    course_plan: _CoursePlan
    change: Change
    old_slug_moves: bool
    model_changed: bool


def _course_values(course_file: _CourseFile) -> dict[str, Any]:
    return {key: getattr(course_file, key) for key in COURSE_KEYS if key not in OPTIONAL_KEYS}


def _plan_courses(course_files: list[_CourseFile], problems: _Problems) -> dict[str, _CoursePlan]:
    existing = list(Course.objects.prefetch_related("translations"))
    by_uuid = {course.uuid: course for course in existing}
    claimed = {course_file.uuid for course_file in course_files if course_file.uuid}
    by_slug = {course.slug: course for course in existing if course.uuid not in claimed}
    plans: dict[str, _CoursePlan] = {}
    matched_ids = set()
    for course_file in course_files:
        if course_file.uuid is not None:
            instance = by_uuid.get(course_file.uuid) or Course(uuid=course_file.uuid)
        else:
            instance = by_slug.pop(course_file.slug, None) or Course()
        old_slug = instance.slug if instance.pk else None
        values = _course_values(course_file)
        changed = tuple(key for key, value in values.items() if getattr(instance, key) != value)
        held = course_translations(instance) if instance.pk else {}
        if held != course_file.translations:
            changed += ("translations",)
        for key, value in values.items():
            setattr(instance, key, value)
        try:
            instance.full_clean(validate_unique=False, validate_constraints=False)
            for language, texts in course_file.translations.items():
                CourseTranslation(course=instance, language=language, **texts).full_clean(
                    exclude=["course"], validate_unique=False, validate_constraints=False
                )
        except ValidationError as exc:
            for message in _validation_messages(exc):
                problems.add(course_file.path, message)
        if instance.pk:
            matched_ids.add(instance.pk)
        action: Action = "created" if not instance.pk else ("updated" if changed else "unchanged")
        plans[course_file.slug] = _CoursePlan(
            file=course_file,
            instance=instance,
            change=Change(
                path=course_file.path,
                uuid=instance.uuid,
                action=action,
                fields=changed if instance.pk else (),
                has_uuid=course_file.uuid is not None,
            ),
            old_slug=old_slug,
        )
    untouched = {course.slug: course for course in existing if course.pk not in matched_ids}
    for plan in plans.values():
        other = untouched.get(plan.file.slug)
        if other is not None:
            problems.add(
                plan.file.path,
                _(
                    "the slug %(slug)r belongs to another course (%(uuid)s) that is not in the "
                    "directory."
                )
                % {"slug": plan.file.slug, "uuid": other.uuid},
            )
    return plans


def _plan_tags(lesson_files: list[_LessonFile], problems: _Problems) -> dict[str, Tag]:
    """The tag for every name the files use; new ones are unsaved. Same-slug clashes are errors."""
    names = sorted({name for lesson_file in lesson_files for name in lesson_file.tags})
    existing = {tag.name: tag for tag in Tag.objects.all()}
    by_slug = {tag.slug: tag for tag in existing.values()}
    users = defaultdict(list)
    for lesson_file in lesson_files:
        for name in lesson_file.tags:
            users[name].append(lesson_file.path)
    tags: dict[str, Tag] = {}
    new_by_slug: dict[str, str] = {}
    for name in names:
        if name in existing:
            tags[name] = existing[name]
            continue
        slug = slugify(name)
        messages = []
        if not slug:
            messages.append(
                _("the tag %(tag)r has no letters or digits to make its slug from.") % {"tag": name}
            )
        elif slug in by_slug:
            messages.append(
                _("the tag %(tag)r would have the slug %(slug)r, which the tag %(other)r uses.")
                % {"tag": name, "slug": slug, "other": by_slug[slug].name}
            )
        elif slug in new_by_slug:
            messages.append(
                _("the tags %(tag)r and %(other)r would both have the slug %(slug)r.")
                % {"tag": name, "other": new_by_slug[slug], "slug": slug}
            )
        else:
            new_by_slug[slug] = name
            tag = Tag(name=name, slug=slug)
            try:
                tag.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                messages.extend(_validation_messages(exc, prefix=_("tag %(tag)r ") % {"tag": name}))
            tags[name] = tag
        for path in users[name]:
            for message in messages:
                problems.add(path, message)
    return tags


def _plan_lessons(
    lesson_files: list[_LessonFile],
    course_plans: dict[str, _CoursePlan],
    tags: dict[str, Tag],
    problems: _Problems,
) -> list[_LessonPlan]:
    existing = list(
        Lesson.objects.select_related("course").prefetch_related("links").order_by("id")
    )
    current_tags = tags_by_lesson(lesson_ids=[lesson.pk for lesson in existing])
    by_uuid = {lesson.uuid: lesson for lesson in existing}
    claimed = {lesson_file.uuid for lesson_file in lesson_files if lesson_file.uuid}
    by_place = {
        (lesson.course_id, lesson.slug): lesson for lesson in existing if lesson.uuid not in claimed
    }
    plans = []
    for lesson_file in lesson_files:
        course_plan = course_plans.get(lesson_file.course)
        if course_plan is None:
            continue  # Reported already: the lesson's course has no valid course.yml.
        course = course_plan.instance
        if lesson_file.uuid is not None:
            instance = by_uuid.get(lesson_file.uuid) or Lesson(uuid=lesson_file.uuid)
        else:
            instance = by_place.pop((course.pk, lesson_file.slug), None) or Lesson()
        tag_names = [tag.name for tag in current_tags.get(instance.pk, [])]
        plans.append(_lesson_plan(lesson_file, instance, tag_names, course_plan, problems))
    matched = {plan.instance.pk for plan in plans if plan.instance.pk}
    untouched = {
        (lesson.course_id, lesson.slug): lesson for lesson in existing if lesson.pk not in matched
    }
    for plan in plans:
        other = untouched.get((plan.course_plan.instance.pk, plan.file.slug))
        if plan.course_plan.instance.pk and other is not None:
            problems.add(
                plan.file.path,
                _(
                    "the slug %(slug)r belongs to another lesson of this course (%(uuid)s) that "
                    "is not in the directory."
                )
                % {"slug": plan.file.slug, "uuid": other.uuid},
            )
    return plans


def _lesson_plan(lesson_file, instance, tag_names, course_plan, problems) -> _LessonPlan:
    is_new = instance.pk is None
    values = {
        "position": lesson_file.position,
        "slug": lesson_file.slug,
        "title": lesson_file.title,
        "language": lesson_file.language or settings.LANGUAGE_CODE,
        "status": lesson_file.status,
        "xp": lesson_file.xp,
        "reading_minutes_override": lesson_file.reading_minutes,
        "exercise": lesson_file.exercise,
        "body": lesson_file.body,
    }
    changed = []
    course_moves = False
    if not is_new:
        course_moves = (
            instance.course_id != course_plan.instance.pk or course_plan.instance.pk is None
        )
        if course_moves:
            changed.append("course")
        changed.extend(
            _MODEL_FIELD_KEYS.get(key, key)
            for key, value in values.items()
            if getattr(instance, key) != value
        )
        slug_moves = course_moves or instance.slug != lesson_file.slug
        model_changed = bool(changed)
        if tag_names != lesson_file.tags:
            changed.append("tags")
        if [(link.title, link.url) for link in instance.links.all()] != lesson_file.links:
            changed.append("links")
    else:
        slug_moves = False
        model_changed = True
    for key, value in values.items():
        setattr(instance, key, value)
    try:
        instance.full_clean(exclude=["course"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for message in _validation_messages(exc):
            problems.add(lesson_file.path, message)
    for number, (title, url) in enumerate(lesson_file.links, start=1):
        try:
            LessonLink(title=title, url=url, position=number - 1).full_clean(
                exclude=["lesson"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            for message in _validation_messages(
                exc, prefix=_("link %(number)d ") % {"number": number}
            ):
                problems.add(lesson_file.path, message)
    ordered_fields = tuple(key for key in (*LESSON_KEYS, "body") if key in changed)
    action: Action = "created" if is_new else ("updated" if ordered_fields else "unchanged")
    return _LessonPlan(
        file=lesson_file,
        instance=instance,
        course_plan=course_plan,
        change=Change(
            path=lesson_file.path,
            uuid=instance.uuid,
            action=action,
            fields=ordered_fields,
            has_uuid=lesson_file.uuid is not None,
        ),
        old_slug_moves=slug_moves,
        model_changed=model_changed,
    )


# --- Requirements ------------------------------------------------------------------------------


@dataclass
class _RequirementPlan:
    """What the files' ``requires`` lists name (owner plan → target instances), checked."""

    targets: dict[int, list[Lesson | Course]] = field(default_factory=dict)  # id(plan) → targets
    changed: set[int] = field(default_factory=set)  # id(plan) of owners whose list changes


def _plan_requirements(course_plans, lesson_plans, problems: _Problems) -> _RequirementPlan:
    """Resolve every ``requires`` UUID (a lesson or course in the directory or the database),
    mark the files whose list changes, and refuse a cycle with its path."""
    lesson_requires, course_requires = requirement_uuids()
    by_uuid: dict[uuid_module.UUID, Lesson | Course] = {}
    by_uuid.update((lesson.uuid, lesson) for lesson in Lesson.objects.all())
    by_uuid.update((course.uuid, course) for course in Course.objects.all())
    by_uuid.update((plan.instance.uuid, plan.instance) for plan in course_plans)
    by_uuid.update((plan.instance.uuid, plan.instance) for plan in lesson_plans)
    # Nodes for the cycle check: saved rows by id, new ones by a number no row has.
    new_ids: dict[int, int] = {}

    def node_id(instance) -> int:
        return instance.pk or new_ids.setdefault(id(instance), -len(new_ids) - 1)

    plan = _RequirementPlan()
    graph = RequirementGraph.load()
    files_of: dict[tuple[str, int], str] = {}
    owners = [(owner, course_requires, COURSE) for owner in course_plans]
    owners += [(owner, lesson_requires, LESSON) for owner in lesson_plans]
    for owner, current, kind in owners:
        targets, needs = [], []
        for wanted in owner.file.requires:
            target = by_uuid.get(wanted)
            if target is None:
                problems.add(
                    owner.file.path,
                    _("requires %(uuid)s, but no lesson or course has that uuid.")
                    % {"uuid": wanted},
                )
                continue
            targets.append(target)
            needs.append((LESSON if isinstance(target, Lesson) else COURSE, node_id(target)))
        plan.targets[id(owner)] = targets
        own_id = node_id(owner.instance)
        files_of[(kind, own_id)] = owner.file.path
        if [str(item) for item in owner.file.requires] != current.get(owner.instance.pk, []):
            plan.changed.add(id(owner))
            _field_changed(owner.change, "requires", COURSE_KEYS if kind == COURSE else LESSON_KEYS)
        if kind == COURSE:
            graph.course_set(own_id, title=owner.instance.title, needs=needs)
        else:
            course_id = node_id(owner.course_plan.instance)
            graph.lesson_set(own_id, course_id=course_id, title=owner.instance.title, needs=needs)
    path = graph.cycle()
    if path:
        where = next((files_of[node] for node in path if node in files_of), ".")
        problems.add(where, cycle_message(graph, path))
    return plan


def _field_changed(change: Change, name: str, keys: tuple[str, ...]) -> None:
    if change.action == "created" or name in change.fields:
        return
    fields = {*change.fields, name}
    change.fields = tuple(key for key in (*keys, "body") if key in fields)
    change.action = "updated"


def _requirements_apply(owners, plan: _RequirementPlan) -> None:
    """Write each changed ``requires`` list: rows still named keep their date (a completion
    from before a requirement existed is judged without it), others go, new ones come."""
    for owner in owners:
        if id(owner) not in plan.changed:
            continue
        instance = owner.instance
        model = CourseRequirement if isinstance(instance, Course) else LessonRequirement
        owner_field = "course" if isinstance(instance, Course) else "lesson"
        rows = {
            (row.required_lesson_id, row.required_course_id): row
            for row in model.objects.filter(**{owner_field: instance})
        }
        keep = set()
        for position, target in enumerate(plan.targets[id(owner)]):
            key = (target.pk, None) if isinstance(target, Lesson) else (None, target.pk)
            keep.add(key)
            row = rows.get(key)
            if row is None:
                target_field = (
                    "required_lesson" if isinstance(target, Lesson) else "required_course"
                )
                model.objects.create(
                    **{owner_field: instance, target_field: target, "position": position}
                )
            elif row.position != position:
                row.position = position
                row.save(update_fields=["position"])
        for key, row in rows.items():
            if key not in keep:
                row.delete()


# --- Importing ---------------------------------------------------------------------------------


def _parking_slug(instance) -> str:
    """A slug no file can ask for, held for a moment while slugs are swapped."""
    return f"import-{instance.uuid.hex}-moving"


def _apply(
    course_plans: list[_CoursePlan],
    tags: dict[str, Tag],
    lesson_plans: list[_LessonPlan],
    requirements: _RequirementPlan,
):
    content_changed(
        site=True
    )  # slug moves and links go through update() and bulk_create(): no signals
    # Slugs are unique (per site for courses, per course for lessons) and the database checks
    # each row as it is written, so a swap would collide halfway. Every row whose slug moves is
    # parked on a slug of its own first; then every row is saved with its final values.
    for plan in course_plans:
        if plan.change.action == "updated" and plan.old_slug != plan.file.slug:
            Course.objects.filter(pk=plan.instance.pk).update(slug=_parking_slug(plan.instance))
    for plan in lesson_plans:
        if plan.old_slug_moves:
            Lesson.objects.filter(pk=plan.instance.pk).update(slug=_parking_slug(plan.instance))
    for plan in course_plans:
        if plan.change.action != "unchanged":
            plan.instance.save()
        if plan.change.action == "created" or "translations" in plan.change.fields:
            plan.instance.translations.all().delete()
            CourseTranslation.objects.bulk_create(
                CourseTranslation(course=plan.instance, language=language, **texts)
                for language, texts in plan.file.translations.items()
            )
    for tag in tags.values():
        if tag.pk is None:
            tag.save()
    for plan in lesson_plans:
        lesson = plan.instance
        lesson.course = plan.course_plan.instance
        if plan.model_changed:
            lesson.save()  # Re-renders the HTML and the reading estimate.
        created = plan.change.action == "created"
        if created or "tags" in plan.change.fields:
            lesson_set_tags(lesson=lesson, tags=[tags[name] for name in plan.file.tags])
        if created or "links" in plan.change.fields:
            lesson.links.all().delete()
            LessonLink.objects.bulk_create(
                LessonLink(lesson=lesson, title=title, url=url, position=position)
                for position, (title, url) in enumerate(plan.file.links)
            )
    _requirements_apply([*course_plans, *lesson_plans], requirements)


def lessons_import(*, directory: Path | str, dry_run: bool = False) -> ImportReport:
    """Create and update courses and lessons from the files in ``directory``.

    Courses and lessons are matched by ``uuid``; a file without one matches by slug (a lesson:
    its course and slug) or creates a row. Every file is checked first, and if any is invalid
    :class:`LessonFilesError` lists each bad file and why, and nothing is written. Otherwise all
    changes are applied in one transaction. Rows that no file mentions are left alone; nothing
    is ever deleted. With ``dry_run`` the report says what would change and nothing is written.
    """
    from .lesson_variant_files import variant_files_read, variants_apply, variants_plan
    from .tag_files import tag_labels_apply, tag_labels_plan, tags_file_read

    directory = Path(directory)
    if not directory.is_dir():
        raise LessonFilesError([FileProblem(str(directory), _("is not a directory."))])
    with transaction.atomic():
        problems = _Problems()
        course_files, lesson_files = _directory_read(directory, problems)
        _check_places(course_files, lesson_files, problems)
        course_plans = _plan_courses(course_files, problems)
        tags = _plan_tags(lesson_files, problems)
        labels = tag_labels_plan(
            tags_file_read(directory, problems),
            tags,
            problems,
            used={name for lesson_file in lesson_files for name in lesson_file.tags},
        )
        lesson_plans = _plan_lessons(lesson_files, course_plans, tags, problems)
        requirements = _plan_requirements(list(course_plans.values()), lesson_plans, problems)
        variants = variants_plan(variant_files_read(directory, problems), lesson_plans, problems)
        if problems:
            raise LessonFilesError(problems)
        ordered_courses = sorted(course_plans.values(), key=lambda plan: plan.file.path)
        ordered_lessons = sorted(lesson_plans, key=lambda plan: plan.file.path)
        matched = {plan.instance.pk for plan in lesson_plans if plan.instance.pk}
        report = ImportReport(
            directory=directory,
            dry_run=dry_run,
            courses=[plan.change for plan in ordered_courses],
            lessons=[plan.change for plan in ordered_lessons],
            tags_created=sorted(name for name, tag in tags.items() if tag.pk is None),
            tag_labels=list(labels),
            left_alone=[
                f"{lesson.course.slug}/{lesson.slug}"
                for lesson in Lesson.objects.exclude(pk__in=matched)
                .select_related("course")
                .order_by("course__slug", "slug")
            ],
            variants=[plan.change for plan in sorted(variants, key=lambda plan: plan.file.path)],
        )
        if not dry_run:
            _apply(ordered_courses, tags, ordered_lessons, requirements)
            tag_labels_apply(labels)
            variants_apply(variants)
    return report
