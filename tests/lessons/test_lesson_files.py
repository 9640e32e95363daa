"""Lessons as files: ``export_lessons`` and ``import_lessons`` (``lessons/lesson_files.py``)."""

import tempfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.text import slugify
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lessons.lesson_files import (
    LessonFilesError,
    course_translations,
    lessons_export,
    lessons_import,
)
from lessons.models import (
    Course,
    CourseRequirement,
    CourseTranslation,
    Lesson,
    LessonLink,
    LessonLinkTranslation,
    LessonRequirement,
    LessonVariant,
    Status,
    Tag,
    TagTranslation,
)
from lessons.selectors import lesson_tags_in_order
from lessons.tag_files import tag_labels
from tests.factories import CourseFactory, LessonFactory, LessonLinkFactory, TagFactory

pytestmark = pytest.mark.django_db

KOREAN_BODY = (
    "## 왜 Llama 가 중요한가\n"
    "\n"
    "Pre-norm 구조에 **RMSNorm**, SwiGLU, RoPE, 그리고 GQA.  \n"
    "줄 끝의 공백 두 칸은 줄바꿈입니다.\t\n"
    "\n"
    "| model | params |\n"
    "| --- | ---: |\n"
    "| Llama 3 8B | 8.0B |\n"
    "\n"
    '```python title="Llama 3 dense 라인업 한눈에"\n'
    "LINEUP = [\n"
    '\t("Llama 3 8B", 8.0, 32),  # tab-indented\n'
    "]\n"
    "```\n"
    "\n"
    "---\n"
    "\n"
    "A horizontal rule above must not end the front matter.\n"
    "\n"
)
EXERCISE = (
    "두 model card 를 열어 보세요.   \n"
    "\n"
    "1. post-training 부분을 찾으세요.\n"
    "\t2. 탭으로 시작하는 줄\n"
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue():
    """Two courses with lessons covering every field and the awkward text cases."""
    dense = CourseFactory(
        slug="dense-families",
        title="Dense 모델 패밀리",
        summary="Llama, Mistral 계보.\n두 번째 줄.\n",
        position=3,
    )
    drafts = CourseFactory(slug="drafts", title="Drafts: work in progress", status=Status.DRAFT)
    names = ("dense", "llama", "families")
    tags = {name: TagFactory(name=name, slug=name) for name in names}
    # labels in other languages (tags.yml): "dense" in English, "llama" in English and Korean
    TagTranslation.objects.create(tag=tags["dense"], language="en", name="Dense models")
    TagTranslation.objects.create(tag=tags["llama"], language="en", name="Llama: Meta's")
    TagTranslation.objects.create(tag=tags["llama"], language="ko", name="라마")
    llama = LessonFactory(
        course=dense,
        position=2,
        slug="llama",
        title="LLaMA 패밀리 — 시대의 open-weight backbone",
        body=KOREAN_BODY,
        exercise=EXERCISE,
        xp=20,
        tags=list(tags.values()),
    )
    LessonLinkFactory(
        lesson=llama, title="Llama 3 model card", url="https://example.com/b", position=0
    )
    LessonLinkFactory(lesson=llama, title="Herd: of models", url="http://example.com/a", position=1)
    LessonFactory(
        course=dense,
        position=1,
        slug="landscape",
        title="yes",  # YAML 1.1 would read a bare yes as true
        status=Status.DRAFT,
        body="No trailing newline, and a Windows line end:\r\nhere.",
        exercise="",
        reading_minutes_override=7,
        tags=[tags["dense"]],
    )
    LessonFactory(
        course=drafts,
        position=10,
        slug="later",
        title="#1: 'quotes' \"and\" colons",
        body="\n\nStarts with blank lines and ends with two.\n\n",
        exercise="One line, no newline",
        xp=0,
    )
    # what requires what: llama the draft landscape lesson, the drafts course all of dense
    landscape = Lesson.objects.get(slug="landscape")
    LessonRequirement.objects.create(lesson=llama, required_lesson=landscape)
    CourseRequirement.objects.create(course=drafts, required_course=dense)
    return dense


def snapshot():
    """Everything the files carry, for every course and lesson, keyed by uuid."""
    requires = requirements_by_uuid()
    courses = {
        course.uuid: (
            course.pk,
            course.slug,
            course.title,
            course.summary,
            course.position,
            course.status,
            requires.get(course.uuid, []),
            course_translations(course),
        )
        for course in Course.objects.all()
    }
    lessons = {
        lesson.uuid: (
            lesson.pk,
            lesson.course.uuid,
            lesson.position,
            lesson.slug,
            lesson.title,
            lesson.status,
            sorted((tag.name, tag_labels([tag]).get(tag.name, {})) for tag in lesson.tags.all()),
            lesson.xp,
            lesson.reading_minutes_override,
            [(link.title, link.url) for link in lesson.links.all()],
            lesson.exercise,
            lesson.body,
            lesson.body_html,
            lesson.exercise_html,
            requires.get(lesson.uuid, []),
            lesson.language,
            variants_of(lesson),
        )
        for lesson in Lesson.objects.select_related("course")
    }
    return courses, lessons


def variants_of(lesson):
    """A lesson's language variants and link labels, as the files carry them."""
    return sorted(
        (
            variant.language,
            variant.title,
            variant.body,
            variant.exercise,
            variant.body_html,
            sorted(
                (row.link.url, row.title)
                for row in LessonLinkTranslation.objects.filter(
                    link__lesson=lesson, language=variant.language
                )
            ),
        )
        for variant in lesson.translations.all()
    )


def requirements_by_uuid():
    """Each lesson's and course's requirements, in order, as the UUIDs they name."""
    found = {}
    for row in LessonRequirement.objects.select_related(
        "lesson", "required_lesson", "required_course"
    ):
        found.setdefault(row.lesson.uuid, []).append(
            (row.position, (row.required_lesson or row.required_course).uuid)
        )
    for row in CourseRequirement.objects.select_related(
        "course", "required_lesson", "required_course"
    ):
        found.setdefault(row.course.uuid, []).append(
            (row.position, (row.required_lesson or row.required_course).uuid)
        )
    return {owner: [uuid for _, uuid in sorted(items)] for owner, items in found.items()}


def without_pks(state):
    courses, lessons = state
    return (
        {key: value[1:] for key, value in courses.items()},
        {key: value[1:] for key, value in lessons.items()},
    )


def tree(directory):
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(Path(directory).rglob("*"))
        if path.is_file()
    }


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def wipe():
    LessonRequirement.objects.all().delete()
    CourseRequirement.objects.all().delete()
    LessonLink.objects.all().delete()
    Lesson.objects.all().delete()
    Course.objects.all().delete()
    Tag.objects.all().delete()


def run_import(directory, *args):
    out = StringIO()
    call_command("import_lessons", str(directory), *args, stdout=out)
    return out.getvalue()


# --- Round trip ----------------------------------------------------------------------------------


def test_export_then_import_into_an_empty_database_restores_every_field(catalogue, tmp_path):
    # given
    before = snapshot()
    lessons_export(directory=tmp_path / "first")
    wipe()

    # when
    report = lessons_import(directory=tmp_path / "first")

    # then
    assert without_pks(snapshot()) == without_pks(before)
    assert [change.action for change in report.lessons] == ["created"] * 3
    assert report.tags_created == ["dense", "families", "llama"]
    lessons_export(directory=tmp_path / "second")
    assert tree(tmp_path / "second") == tree(tmp_path / "first")


def test_import_puts_back_a_mutated_database_in_the_same_rows(catalogue, tmp_path):
    # given
    before = snapshot()
    lessons_export(directory=tmp_path / "first")
    llama = Lesson.objects.get(slug="llama")
    llama.title, llama.body, llama.xp = "Changed", "Changed body\n", 99
    llama.save()
    llama.tags.set([Tag.objects.get(name="dense"), TagFactory(name="extra")])
    llama.links.filter(position=0).update(position=5)  # links now in the other order
    Course.objects.filter(slug="dense-families").update(summary="Changed")
    TagTranslation.objects.filter(name="Dense models").update(name="Changed")
    TagTranslation.objects.filter(name="라마").delete()
    TagTranslation.objects.create(tag=Tag.objects.get(name="families"), language="en", name="x")

    # when
    report = lessons_import(directory=tmp_path / "first")

    # then
    assert snapshot() == before
    changes = {change.path: change for change in report.lessons}
    assert changes["dense-families/02-llama.md"].action == "updated"
    assert changes["dense-families/02-llama.md"].fields == ("title", "tags", "xp", "links", "body")
    assert changes["dense-families/01-landscape.md"].action == "unchanged"
    assert [(change.action, change.fields) for change in report.courses] == [
        ("updated", ("summary",)),
        ("unchanged", ()),
    ]
    assert report.tag_labels == ["dense", "families", "llama"]
    lessons_export(directory=tmp_path / "second")
    assert tree(tmp_path / "second") == tree(tmp_path / "first")


# Any text a database can hold (no surrogates, no NUL: PostgreSQL refuses it), heavy on the
# characters that make YAML and front matter tricky.
any_text = st.text(
    st.one_of(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
        st.sampled_from(["\n", "\n", " ", "\t", "\r", "-", ":", "|", "#", "'", '"', "가"]),
    )
)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=any_text.filter(lambda text: 0 < len(text) <= 200),
    summary=any_text,
    body=any_text.filter(bool),
    exercise=any_text,
    link_title=any_text.filter(lambda text: 0 < len(text) <= 200),
    # what lesson "l" and course "c" require, in order, among the targets no cycle can reach
    lesson_requires=st.lists(st.sampled_from(["first", "other", "later"]), unique=True),
    course_requires=st.lists(st.sampled_from(["other", "later"]), unique=True),
    # the lesson's original language, a variant in the other (or none) and its link label (or none)
    language=st.sampled_from(["ko", "en"]),
    variant=st.none()
    | st.tuples(any_text.filter(lambda text: 0 < len(text) <= 200), any_text, any_text),
    link_label=st.none() | any_text.filter(lambda text: 0 < len(text) <= 200),
    # the course's title and summary in English (or none)
    course_english=st.none()
    | st.tuples(any_text.filter(lambda text: 0 < len(text) <= 200), any_text),
    # a tag of the lesson (or none), with its label in English (or none): tags.yml
    tag=st.none()
    | st.tuples(
        any_text.filter(lambda text: len(text) <= 50 and slugify(text)),
        st.none() | any_text.filter(lambda text: 0 < len(text) <= 50),
    ),
)
# Found by this test: PyYAML ends a value kept with its trailing line breaks with the document
# end marker "...", which ended course.yml and the front matter before their next entries.
@example(
    title="\n\n",
    summary="\n\u2028",
    body="x\n\n",
    exercise="\n\n",
    link_title="\n\n",
    lesson_requires=[],
    course_requires=[],
    language="en",
    variant=("\n\n", "x\n\n", "\n\n"),
    link_label="\n\n",
    course_english=("\n\n", "\n\u2028"),
    tag=("\n\n1", "\n\n"),
)
def test_any_text_survives_the_round_trip(
    db,
    title,
    summary,
    body,
    exercise,
    link_title,
    lesson_requires,
    course_requires,
    language,
    variant,
    link_label,
    course_english,
    tag,
):
    # given
    wipe()
    course = CourseFactory(slug="c", title=title, summary=summary)
    if course_english is not None:
        CourseTranslation.objects.create(
            course=course, language="en", title=course_english[0], summary=course_english[1]
        )
    lesson = LessonFactory(
        course=course, slug="l", title=title, body=body, exercise=exercise, language=language
    )
    link = LessonLinkFactory(lesson=lesson, title=link_title, url="https://example.com/")
    if tag is not None:
        tag_name, tag_english = tag
        lesson.tags.add(TagFactory(name=tag_name, slug=slugify(tag_name)))
        if tag_english is not None:
            TagTranslation.objects.create(tag=lesson.tags.get(), language="en", name=tag_english)
    if variant is not None:
        variant_title, variant_body, variant_exercise = variant
        LessonVariant.objects.create(
            lesson=lesson,
            language="ko" if language == "en" else "en",
            title=variant_title,
            body=variant_body,
            exercise=variant_exercise,
        )
        if link_label is not None:
            LessonLinkTranslation.objects.create(
                link=link, language="ko" if language == "en" else "en", title=link_label
            )
    other = CourseFactory(slug="other")
    targets = {
        "first": LessonFactory(course=other, slug="first"),
        "other": other,
        "later": LessonFactory(course=CourseFactory(slug="later"), slug="x", status=Status.DRAFT),
    }
    for position, name in enumerate(lesson_requires):
        field = "required_course" if isinstance(targets[name], Course) else "required_lesson"
        LessonRequirement.objects.create(lesson=lesson, position=position, **{field: targets[name]})
    for position, name in enumerate(course_requires):
        target = targets[name] if name == "other" else targets["later"].course
        CourseRequirement.objects.create(course=course, position=position, required_course=target)
    before = without_pks(snapshot())

    with tempfile.TemporaryDirectory() as directory:
        lessons_export(directory=Path(directory) / "first")
        wipe()

        # when
        lessons_import(directory=Path(directory) / "first")

        # then
        assert without_pks(snapshot()) == before
        lessons_export(directory=Path(directory) / "second")
        assert tree(Path(directory) / "second") == tree(Path(directory) / "first")


def test_export_writes_readable_deterministic_files(catalogue, tmp_path):
    # when
    report = lessons_export(directory=tmp_path)

    # then
    assert sorted(report.written) == [
        "dense-families/01-landscape.md",
        "dense-families/02-llama.md",
        "dense-families/course.yml",
        "drafts/10-later.md",
        "drafts/course.yml",
        "tags.yml",
    ]
    # tags by name, languages in order; a tag without labels is left out
    assert (tmp_path / "tags.yml").read_text(encoding="utf-8") == (
        "dense:\n  en: Dense models\nllama:\n  en: 'Llama: Meta''s'\n  ko: 라마\n"
    )
    course = Course.objects.get(slug="dense-families")
    assert (tmp_path / "dense-families/course.yml").read_text(encoding="utf-8") == (
        f"uuid: {course.uuid}\n"
        "slug: dense-families\n"
        "title: Dense 모델 패밀리\n"
        "summary: |\n"
        "  Llama, Mistral 계보.\n"
        "  두 번째 줄.\n"
        "position: 3\n"
        "status: published\n"
    )
    llama = Lesson.objects.get(slug="llama")
    text = (tmp_path / "dense-families/02-llama.md").read_text(encoding="utf-8")
    assert text == (
        "---\n"
        f"uuid: {llama.uuid}\n"
        "course: dense-families\n"
        "position: 2\n"
        "slug: llama\n"
        "title: LLaMA 패밀리 — 시대의 open-weight backbone\n"
        "status: published\n"
        "tags: [dense, llama, families]\n"
        "requires:\n"
        f"  - {Lesson.objects.get(slug='landscape').uuid}\n"
        "xp: 20\n"
        "reading_minutes: null\n"
        "links:\n"
        "  - title: Llama 3 model card\n"
        "    url: https://example.com/b\n"
        "  - title: 'Herd: of models'\n"
        "    url: http://example.com/a\n"
        # Trailing spaces and tabs stay in a readable block instead of a quoted string.
        "exercise: |\n"
        "  두 model card 를 열어 보세요.   \n"
        "\n"
        "  1. post-training 부분을 찾으세요.\n"
        "  \t2. 탭으로 시작하는 줄\n"
        "---\n" + KOREAN_BODY
    )
    landscape = (tmp_path / "dense-families/01-landscape.md").read_bytes().decode()
    assert "title: 'yes'\n" in landscape
    assert "status: draft\ntags: [dense]\n" in landscape
    assert "reading_minutes: 7\nlinks: []\nexercise: ''\n---\n" in landscape
    assert landscape.endswith("---\nNo trailing newline, and a Windows line end:\r\nhere.")


def test_export_refuses_a_non_empty_directory_unless_forced(catalogue, tmp_path):
    # given
    (tmp_path / "notes.txt").write_text("mine")
    lessons_export(directory=tmp_path / "out")
    (tmp_path / "out/dense-families/07-old-name.md").write_text("stale")

    # when / then
    with pytest.raises(CommandError, match="not empty.*--force"):
        call_command("export_lessons", str(tmp_path), stdout=StringIO())
    out = StringIO()
    call_command("export_lessons", str(tmp_path / "out"), "--force", stdout=out)
    assert "Files overwritten: 6." in out.getvalue()
    assert "dense-families/07-old-name.md" in out.getvalue()
    assert (tmp_path / "out/dense-families/07-old-name.md").read_text() == "stale"


# --- Identity ----------------------------------------------------------------------------------


def test_renaming_renumbering_and_moving_files_keeps_each_lessons_row(catalogue, tmp_path):
    # given
    lessons_export(directory=tmp_path)
    llama = Lesson.objects.get(slug="llama")
    later = Lesson.objects.get(slug="later")
    llama_file = tmp_path / "dense-families/02-llama.md"
    edit(llama_file, "position: 2\nslug: llama\n", "position: 5\nslug: llama-3\n")
    llama_file.rename(tmp_path / "dense-families/05-llama-3.md")
    later_file = tmp_path / "drafts/10-later.md"
    edit(later_file, "course: drafts\n", "course: dense-families\n")
    later_file.rename(tmp_path / "dense-families/10-later.md")

    # when
    output = run_import(tmp_path)

    # then
    llama.refresh_from_db()
    later.refresh_from_db()
    assert (llama.position, llama.slug, llama.course.slug) == (5, "llama-3", "dense-families")
    assert later.course.slug == "dense-families"
    assert Lesson.objects.count() == 3
    assert "updated    dense-families/05-llama-3.md: position, slug" in output
    assert "updated    dense-families/10-later.md: course" in output
    assert "Lessons: 0 created, 2 updated, 1 unchanged." in output


def test_lessons_swapping_slugs_in_one_course_keep_their_rows(tmp_path):
    # given
    course = CourseFactory(slug="c")
    first = LessonFactory(course=course, position=1, slug="a", title="First")
    second = LessonFactory(course=course, position=2, slug="b", title="Second")
    lessons_export(directory=tmp_path)
    edit(tmp_path / "c/01-a.md", "slug: a\n", "slug: b\n")
    edit(tmp_path / "c/02-b.md", "slug: b\n", "slug: a\n")
    (tmp_path / "c/01-a.md").rename(tmp_path / "c/01-b.tmp")
    (tmp_path / "c/02-b.md").rename(tmp_path / "c/02-a.md")
    (tmp_path / "c/01-b.tmp").rename(tmp_path / "c/01-b.md")

    # when
    report = lessons_import(directory=tmp_path)

    # then
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.slug, first.title) == ("b", "First")
    assert (second.slug, second.title) == ("a", "Second")
    assert [change.fields for change in report.lessons] == [("slug",), ("slug",)]


def test_courses_swapping_slugs_keep_their_rows_and_lessons(tmp_path):
    # given
    one = CourseFactory(slug="one", title="One")
    two = CourseFactory(slug="two", title="Two")
    lesson = LessonFactory(course=one, position=1, slug="x")
    lessons_export(directory=tmp_path)
    edit(tmp_path / "one/course.yml", "slug: one\n", "slug: two\n")
    edit(tmp_path / "two/course.yml", "slug: two\n", "slug: one\n")
    edit(tmp_path / "one/01-x.md", "course: one\n", "course: two\n")
    (tmp_path / "one").rename(tmp_path / "tmp")
    (tmp_path / "two").rename(tmp_path / "one")
    (tmp_path / "tmp").rename(tmp_path / "two")

    # when
    lessons_import(directory=tmp_path)

    # then
    one.refresh_from_db()
    two.refresh_from_db()
    lesson.refresh_from_db()
    assert (one.slug, two.slug) == ("two", "one")
    assert lesson.course == one


def test_a_file_without_uuid_creates_a_lesson_and_the_report_says_to_export(catalogue, tmp_path):
    # given
    lessons_export(directory=tmp_path)
    (tmp_path / "dense-families/03-new.md").write_text(
        "---\ncourse: dense-families\nposition: 3\nslug: new\ntitle: New\nstatus: draft\n"
        "tags: [Open Weights]\nxp: 5\nreading_minutes: null\nlinks: []\nexercise: ''\n---\n"
        "Body.\n",
        encoding="utf-8",
    )

    # when
    output = run_import(tmp_path)

    # then
    lesson = Lesson.objects.get(slug="new")
    assert lesson.course.slug == "dense-families" and lesson.body == "Body.\n"
    assert list(lesson.tags.values_list("name", "slug")) == [("Open Weights", "open-weights")]
    assert "created    dense-families/03-new.md" in output
    assert "These files have no uuid: dense-families/03-new.md. Run export_lessons" in output
    assert "Tags created: Open Weights" in output
    # A second import finds it by course and slug instead of creating it again.
    assert "Lessons: 0 created, 0 updated, 4 unchanged." in run_import(tmp_path)
    assert Lesson.objects.filter(slug="new").count() == 1


def test_a_course_file_without_uuid_matches_its_course_by_slug(catalogue, tmp_path):
    # given
    course = Course.objects.get(slug="dense-families")
    lessons_export(directory=tmp_path)
    edit(tmp_path / "dense-families/course.yml", f"uuid: {course.uuid}\n", "")

    # when
    report = lessons_import(directory=tmp_path)

    # then
    assert Course.objects.count() == 2
    assert report.courses[0].action == "unchanged"
    assert report.without_uuid == ["dense-families/course.yml"]


# --- Validation ----------------------------------------------------------------------------------

LLAMA = "dense-families/02-llama.md"


TAGS = "tags.yml"


def _duplicate_uuid(root):
    text = (root / LLAMA).read_text(encoding="utf-8").replace("slug: llama", "slug: copy")
    (root / "dense-families/02-copy.md").write_text(text.replace("position: 2", "position: 2"))


def _duplicate_slug(root):
    text = (root / LLAMA).read_text(encoding="utf-8")
    text = "\n".join(line for line in text.split("\n") if not line.startswith("uuid:"))
    (root / "dense-families/03-llama.md").write_text(text.replace("position: 2", "position: 3"))


BAD_FILES = {
    "yaml syntax": (
        lambda root: edit(root / LLAMA, "xp: 20\n", "xp: 20: 30\n"),
        LLAMA,
        "YAML error on line 11",  # after the two lines of requires
    ),
    "duplicate key": (
        lambda root: edit(root / LLAMA, "xp: 20\n", "xp: 20\nxp: 30\n"),
        LLAMA,
        "the key 'xp' appears twice",
    ),
    "no front matter": (
        lambda root: (root / LLAMA).write_text("# Just Markdown\n"),
        LLAMA,
        "must start with a '---' line",
    ),
    "unclosed front matter": (
        lambda root: (root / LLAMA).write_text("---\ntitle: x\n"),
        LLAMA,
        "no '---' line closing the front matter",
    ),
    "missing key": (
        lambda root: edit(root / LLAMA, "xp: 20\n", ""),
        LLAMA,
        "missing keys: xp.",
    ),
    "unknown key": (
        lambda root: edit(root / LLAMA, "xp: 20\n", "xp: 20\nauthor: me\n"),
        LLAMA,
        "unknown keys: author",
    ),
    "wrong type": (
        lambda root: edit(root / LLAMA, "xp: 20\n", "xp: lots\n"),
        LLAMA,
        "xp must be a whole number (0 or more), not lots.",
    ),
    "tags not a list": (
        lambda root: edit(root / LLAMA, "tags: [dense, llama, families]", "tags: dense"),
        LLAMA,
        "tags must be a list of tag names",
    ),
    "bad status": (
        lambda root: edit(root / LLAMA, "status: published\n", "status: live\n"),
        LLAMA,
        "status must be one of draft, published, not 'live'.",
    ),
    "bad url scheme": (
        lambda root: edit(root / LLAMA, "https://example.com/b", "javascript:alert(1)"),
        LLAMA,
        "link 1: the URL 'javascript:alert(1)' must start with http:// or https://.",
    ),
    "invalid url": (
        lambda root: edit(root / LLAMA, "https://example.com/b", "https://"),
        LLAMA,
        "link 1 url: Enter a valid URL.",
    ),
    "duplicate uuid": (_duplicate_uuid, "dense-families/02-copy.md", "the same uuid as"),
    "duplicate course and slug": (
        _duplicate_slug,
        "dense-families/03-llama.md",
        "the same course and slug as dense-families/02-llama.md",
    ),
    "unknown course": (
        lambda root: edit(root / LLAMA, "course: dense-families", "course: nowhere"),
        LLAMA,
        "unknown course 'nowhere'",
    ),
    "file name disagrees": (
        lambda root: (root / LLAMA).rename(root / "dense-families/03-llama.md"),
        "dense-families/03-llama.md",
        "rename the file to 02-llama.md",
    ),
    "model validation": (
        lambda root: edit(
            root / LLAMA, "title: LLaMA 패밀리 — 시대의 open-weight backbone", "title: ''"
        ),
        LLAMA,
        "title: This field cannot be blank.",
    ),
    "tag without a slug": (
        lambda root: edit(root / LLAMA, "tags: [dense, llama, families]", "tags: ['!!!']"),
        LLAMA,
        "the tag '!!!' has no letters or digits",
    ),
    "tag slug taken": (
        lambda root: edit(root / LLAMA, "tags: [dense, llama, families]", "tags: [Dense]"),
        LLAMA,
        "the tag 'Dense' would have the slug 'dense', which the tag 'dense' uses.",
    ),
    "missing course.yml": (
        lambda root: (root / "drafts/course.yml").unlink(),
        "drafts/",
        "has no course.yml",
    ),
    "course slug disagrees": (
        lambda root: edit(root / "drafts/course.yml", "slug: drafts", "slug: other"),
        "drafts/course.yml",
        "slug is 'other' but the directory is 'drafts'",
    ),
    "NUL in the body": (
        lambda root: (root / LLAMA).write_text(
            (root / LLAMA).read_text(encoding="utf-8") + "tail\x00", encoding="utf-8"
        ),
        LLAMA,
        "Null characters are not allowed.",
    ),
    "not utf-8": (
        lambda root: (root / LLAMA).write_bytes(b"---\ntitle: \xff\n---\n"),
        LLAMA,
        "is not UTF-8",
    ),
    "tag label in a language the site lacks": (
        lambda root: edit(root / TAGS, "  en: Dense models", "  fr: Dense models"),
        TAGS,
        "dense: “fr” is not one of this site's languages (ko, en).",
    ),
    "tag label too long": (
        lambda root: edit(root / TAGS, "  en: Dense models", "  en: " + "x" * 51),
        TAGS,
        "dense.en name: Ensure this value has at most 50 characters (it has 51).",
    ),
    "tag label not text": (
        lambda root: edit(root / TAGS, "  en: Dense models", "  en: [a, b]"),
        TAGS,
        "dense.en must be text, not [a, b].",
    ),
    "tag labels not a mapping": (
        lambda root: edit(root / TAGS, "dense:\n  en: Dense models", "dense: Dense models"),
        TAGS,
        "dense must be a mapping of language codes to the tag's label, not Dense models.",
    ),
    "tag nobody has": (
        lambda root: edit(root / TAGS, "dense:", "ghost:\n  en: Ghost\ndense:"),
        TAGS,
        "no lesson file names the tag 'ghost' and the site has no such tag.",
    ),
    "tags.yml not a mapping": (
        lambda root: (root / TAGS).write_text("- dense\n", encoding="utf-8"),
        TAGS,
        "must be a YAML mapping of keys to values.",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_fails_the_import_naming_it_and_nothing_changes(catalogue, tmp_path, case):
    # given: a valid change to one file, and a bad one
    break_it, path, reason = BAD_FILES[case]
    lessons_export(directory=tmp_path)
    edit(tmp_path / "drafts/10-later.md", "xp: 0\n", "xp: 50\n")
    break_it(tmp_path)
    before = snapshot()
    counts = (Course.objects.count(), Lesson.objects.count(), Tag.objects.count())

    # when
    with pytest.raises(CommandError) as raised:
        run_import(tmp_path)

    # then
    assert f"{path}: " in str(raised.value)
    assert reason in str(raised.value)
    assert snapshot() == before
    assert (Course.objects.count(), Lesson.objects.count(), Tag.objects.count()) == counts
    assert LessonLink.objects.count() == 2


def test_every_bad_file_is_listed_at_once(catalogue, tmp_path):
    # given
    lessons_export(directory=tmp_path)
    edit(tmp_path / LLAMA, "status: published\n", "status: live\n")
    edit(tmp_path / "drafts/10-later.md", "xp: 0\n", "xp: -1\n")

    # when
    with pytest.raises(LessonFilesError) as raised:
        lessons_import(directory=tmp_path)

    # then
    assert [problem.path for problem in raised.value.problems] == [LLAMA, "drafts/10-later.md"]


def test_a_slug_taken_by_a_lesson_outside_the_directory_is_refused(catalogue, tmp_path):
    # given
    lessons_export(directory=tmp_path)
    course = Course.objects.get(slug="dense-families")
    LessonFactory(course=course, slug="taken", position=9)
    edit(tmp_path / LLAMA, "slug: llama\n", "slug: taken\n")
    (tmp_path / LLAMA).rename(tmp_path / "dense-families/02-taken.md")

    # when / then
    with pytest.raises(LessonFilesError, match="belongs to another lesson of this course"):
        lessons_import(directory=tmp_path)
    assert Lesson.objects.filter(slug="llama").exists()


# --- Reporting -----------------------------------------------------------------------------------


def test_dry_run_reports_the_changes_and_writes_nothing(catalogue, tmp_path):
    # given
    lessons_export(directory=tmp_path)
    edit(tmp_path / LLAMA, "xp: 20\n", "xp: 25\n")
    edit(tmp_path / LLAMA, "tags: [dense, llama, families]", "tags: [dense, new-tag]")
    before = snapshot()

    # when
    output = run_import(tmp_path, "--dry-run")

    # then
    assert "updated    dense-families/02-llama.md: tags, xp" in output
    assert "Tags created: new-tag" in output
    assert "Dry run: nothing was written." in output
    assert snapshot() == before
    assert not Tag.objects.filter(name="new-tag").exists()


def test_a_second_import_reports_everything_unchanged(catalogue, tmp_path):
    # given
    lessons_export(directory=tmp_path)
    wipe()
    run_import(tmp_path)
    before = snapshot()

    # when
    output = run_import(tmp_path)

    # then
    assert "Courses: 0 created, 0 updated, 2 unchanged." in output
    assert "Lessons: 0 created, 0 updated, 3 unchanged." in output
    assert "unchanged  dense-families/02-llama.md" in output
    assert "Nothing changed." in output
    assert snapshot() == before


def test_lessons_missing_from_the_directory_are_left_alone_and_reported(catalogue, tmp_path):
    # given
    lessons_export(directory=tmp_path)
    (tmp_path / "drafts/10-later.md").unlink()

    # when
    output = run_import(tmp_path)

    # then
    assert Lesson.objects.filter(slug="later").exists()
    assert "Left alone, in the database but not in the directory: drafts/later" in output


def test_a_changed_body_is_rendered_again(catalogue, tmp_path):
    # given
    lessons_export(directory=tmp_path)
    llama = Lesson.objects.get(slug="llama")
    (tmp_path / LLAMA).write_text(
        (tmp_path / LLAMA).read_text(encoding="utf-8").split("---\n## ")[0]
        + "---\n## Fresh heading\n",
        encoding="utf-8",
    )

    # when
    lessons_import(directory=tmp_path)

    # then
    refreshed = Lesson.objects.get(pk=llama.pk)
    assert refreshed.body == "## Fresh heading\n"
    assert "Fresh heading" in refreshed.body_html and "Llama" not in refreshed.body_html
    assert refreshed.revision == llama.revision + 1


def test_reordering_tags_in_a_file_reorders_them_on_the_lesson(catalogue, tmp_path):
    # given
    lessons_export(directory=tmp_path)
    edit(tmp_path / LLAMA, "tags: [dense, llama, families]", "tags: [families, dense, llama]")

    # when
    output = run_import(tmp_path)

    # then
    assert "updated    dense-families/02-llama.md: tags" in output
    lesson = Lesson.objects.get(slug="llama")
    assert [tag.name for tag in lesson_tags_in_order(lesson=lesson)] == [
        "families",
        "dense",
        "llama",
    ]


# --- Requirements --------------------------------------------------------------------------------


def test_requires_is_written_by_uuid_only_where_there_is_something(catalogue, tmp_path):
    lessons_export(directory=tmp_path)
    landscape = Lesson.objects.get(slug="landscape")

    llama = (tmp_path / "dense-families/02-llama.md").read_text(encoding="utf-8")
    drafts = (tmp_path / "drafts/course.yml").read_text(encoding="utf-8")

    assert f"tags: [dense, llama, families]\nrequires:\n  - {landscape.uuid}\nxp: 20\n" in llama
    assert drafts.endswith(f"status: draft\nrequires:\n  - {catalogue.uuid}\n")
    assert "requires" not in (tmp_path / "dense-families/course.yml").read_text(encoding="utf-8")


def test_an_import_replaces_requirements_and_keeps_the_dates_of_those_it_keeps(catalogue, tmp_path):
    # given the exported files, then llama made to require another course too
    drafts = CourseFactory(slug="extra", title="Extra")
    lessons_export(directory=tmp_path)
    kept = LessonRequirement.objects.get()
    path = tmp_path / "dense-families/02-llama.md"
    landscape = Lesson.objects.get(slug="landscape")
    edit(path, f"  - {landscape.uuid}\n", f"  - {drafts.uuid}\n  - {landscape.uuid}\n")

    # when
    report = lessons_import(directory=tmp_path)

    # then the drafts course comes first, and the kept row keeps its date
    change = next(c for c in report.lessons if c.path == "dense-families/02-llama.md")
    assert (change.action, change.fields) == ("updated", ("requires",))
    rows = list(LessonRequirement.objects.order_by("position"))
    assert [(r.required_course, r.required_lesson) for r in rows] == [
        (drafts, None),
        (None, landscape),
    ]
    assert rows[1].pk == kept.pk and rows[1].created_at == kept.created_at


def test_an_import_refuses_a_cycle_with_its_path_and_writes_nothing(catalogue, tmp_path):
    # given landscape made to require llama, which requires landscape
    lessons_export(directory=tmp_path)
    llama = Lesson.objects.get(slug="llama")
    edit(
        tmp_path / "dense-families/01-landscape.md",
        "tags: [dense]\n",
        f"tags: [dense]\nrequires:\n  - {llama.uuid}\n",
    )
    before = snapshot()

    # when / then
    with pytest.raises(LessonFilesError) as raised:
        lessons_import(directory=tmp_path)
    message = str(raised.value)
    assert "dense-families/" in message and "would make a cycle" in message
    assert "lesson “yes” → lesson “LLaMA 패밀리 — 시대의 open-weight backbone” → lesson “yes”" in (
        message
    ) or "lesson “LLaMA 패밀리 — 시대의 open-weight backbone” → lesson “yes” → lesson “LLaMA" in (
        message
    )
    assert snapshot() == before


def test_an_import_refuses_a_course_cycle_through_its_lessons(catalogue, tmp_path):
    # given dense made to require the drafts course, which requires dense
    lessons_export(directory=tmp_path)
    drafts = Course.objects.get(slug="drafts")
    edit(
        tmp_path / "dense-families/course.yml",
        "status: published\n",
        f"status: published\nrequires:\n  - {drafts.uuid}\n",
    )

    with pytest.raises(LessonFilesError, match="would make a cycle"):
        lessons_import(directory=tmp_path)
    assert not CourseRequirement.objects.filter(course=catalogue).exists()


@pytest.mark.parametrize(
    "requires, problem",
    [
        ("[not-a-uuid]", "requires must be a list of UUIDs"),
        ("oops", "requires must be a list of UUIDs"),
        (
            "[00000000-0000-4000-8000-000000000000]",
            "requires 00000000-0000-4000-8000-000000000000, but no lesson or course has that uuid",
        ),
    ],
)
def test_an_import_refuses_bad_requires_with_the_file_and_reason(
    catalogue, tmp_path, requires, problem
):
    lessons_export(directory=tmp_path)
    edit(tmp_path / "drafts/10-later.md", "xp: 0\n", f"requires: {requires}\nxp: 0\n")

    with pytest.raises(LessonFilesError) as raised:
        lessons_import(directory=tmp_path)

    assert f"drafts/10-later.md: {problem}" in str(raised.value)


# --- A course's title in other languages ------------------------------------------------------


def test_a_course_file_carries_its_title_in_other_languages(tmp_path):
    course = CourseFactory(slug="c", title="원래 제목", summary="요약")
    CourseTranslation.objects.create(course=course, language="en", title="Title", summary="")
    lessons_export(directory=tmp_path)
    text = (tmp_path / "c/course.yml").read_text(encoding="utf-8")
    edited = text.replace("title: Title", "title: New title")
    (tmp_path / "c/course.yml").write_text(edited, encoding="utf-8")

    report = lessons_import(directory=tmp_path)

    assert "translations:\n  en:\n    title: Title\n    summary: ''\n" in text
    assert [change.fields for change in report.courses] == [("translations",)]
    assert course_translations(course) == {"en": {"title": "New title", "summary": ""}}


def test_a_course_title_in_a_language_the_site_lacks_is_refused_with_the_file(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c/course.yml").write_text(
        "slug: c\ntitle: 제목\nsummary: ''\nposition: 0\nstatus: draft\n"
        "translations:\n  fr:\n    title: Titre\n",
        encoding="utf-8",
    )

    with pytest.raises(LessonFilesError) as refused:
        lessons_import(directory=tmp_path)

    assert "c/course.yml" in str(refused.value)
    assert "“fr” is not one of this site's languages" in str(refused.value)
    assert not Course.objects.exists()


# --- Tags' labels in other languages (tags.yml) ------------------------------------------------


def test_tags_yml_is_the_whole_truth_about_the_tags_the_directory_names(catalogue, tmp_path):
    # given a tag no lesson carries, with a label, and one the files name only in tags.yml
    loose = TagFactory(name="loose", slug="loose")
    TagTranslation.objects.create(tag=loose, language="en", name="Loose")
    TagFactory(name="spare", slug="spare")
    lessons_export(directory=tmp_path)
    assert "loose" not in (tmp_path / TAGS).read_text(encoding="utf-8")
    # when "dense" is taken out of tags.yml and "spare" is given a label there
    edit(tmp_path / TAGS, "dense:\n  en: Dense models\n", "spare:\n  ko: 여분\n")

    output = run_import(tmp_path)

    # then "dense" has no labels left, "spare" has its own, "loose" keeps its
    assert "Tags whose labels in other languages changed: dense, spare" in output
    assert tag_labels(Tag.objects.all()) == {
        "llama": {"en": "Llama: Meta's", "ko": "라마"},
        "loose": {"en": "Loose"},
        "spare": {"ko": "여분"},
    }


def test_without_tags_yml_the_tags_the_files_name_lose_their_labels(catalogue, tmp_path):
    # as a course.yml without translations leaves its course without them
    lessons_export(directory=tmp_path)
    (tmp_path / TAGS).unlink()

    report = lessons_import(directory=tmp_path, dry_run=True)
    assert report.tag_labels == ["dense", "llama"]
    assert TagTranslation.objects.count() == 3  # a dry run writes nothing

    lessons_import(directory=tmp_path)
    assert not TagTranslation.objects.exists()


def test_a_tag_refused_in_a_lesson_file_is_not_refused_again_in_tags_yml(catalogue, tmp_path):
    lessons_export(directory=tmp_path)
    edit(tmp_path / LLAMA, "tags: [dense, llama, families]", "tags: ['!!!']")
    edit(tmp_path / TAGS, "dense:", "'!!!':\n  en: Bangs\ndense:")

    with pytest.raises(LessonFilesError) as refused:
        lessons_import(directory=tmp_path)

    assert [problem.path for problem in refused.value.problems] == [LLAMA]


def test_a_tag_created_by_the_import_gets_its_labels(catalogue, tmp_path):
    lessons_export(directory=tmp_path)
    edit(tmp_path / LLAMA, "tags: [dense, llama, families]", "tags: [dense, new tag]")
    edit(tmp_path / TAGS, "dense:", "new tag:\n  en: New tag\ndense:")

    report = lessons_import(directory=tmp_path)

    assert report.tags_created == ["new tag"]
    assert tag_labels(Tag.objects.filter(name="new tag")) == {"new tag": {"en": "New tag"}}
