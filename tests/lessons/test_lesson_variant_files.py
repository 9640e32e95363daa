"""Language variants in lesson files: ``02-llama.en.md`` beside ``02-llama.md``."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from lessons.lesson_files import LessonFilesError, lessons_export, lessons_import
from lessons.models import LessonLinkTranslation, LessonVariant
from tests.factories import CourseFactory, LessonFactory, LessonLinkFactory, LessonVariantFactory

pytestmark = pytest.mark.django_db

VARIANT_FILE = "dense-families/02-llama.en.md"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def llama():
    course = CourseFactory(slug="dense-families", title="Dense 모델 계보")
    lesson = LessonFactory(course=course, position=2, slug="llama", title="LLaMA 계열")
    paper = LessonLinkFactory(lesson=lesson, title="논문", url="https://example.com/p", position=0)
    LessonLinkFactory(lesson=lesson, title="모델 카드", url="https://example.com/c", position=1)
    variant = LessonVariantFactory(
        lesson=lesson,
        title="The LLaMA family",
        body="## Why it matters\n\nText.\n",
        exercise="Open the model card.\n",
    )
    LessonLinkTranslation.objects.create(link=paper, language="en", title="The paper")
    return variant


def test_a_variant_is_exported_beside_its_lesson(llama, tmp_path):
    report = lessons_export(directory=tmp_path)

    assert VARIANT_FILE in report.written
    assert (tmp_path / VARIANT_FILE).read_text(encoding="utf-8") == (
        "---\n"
        f"uuid: {llama.lesson.uuid}\n"
        "language: en\n"
        "title: The LLaMA family\n"
        "links:\n"
        "  - title: The paper\n"
        "    url: https://example.com/p\n"
        "exercise: |\n"
        "  Open the model card.\n"
        "---\n"
        "## Why it matters\n\nText.\n"
    )


def test_importing_a_changed_variant_updates_it_and_its_revision(llama, tmp_path):
    lessons_export(directory=tmp_path)
    path = tmp_path / VARIANT_FILE
    path.write_text(path.read_text().replace("Text.", "New text."), encoding="utf-8")

    report = lessons_import(directory=tmp_path)

    [change] = report.variants
    assert (change.path, change.action, change.fields) == (VARIANT_FILE, "updated", ("body",))
    llama.refresh_from_db()
    assert "New text." in llama.body_html
    assert llama.revision == 2
    assert "Language variants: 0 created, 1 updated, 0 unchanged." in report.summary_lines()
    # and once more: nothing to do
    assert lessons_import(directory=tmp_path).variants[0].action == "unchanged"


def test_a_lesson_whose_links_change_keeps_its_variants_labels(llama, tmp_path):
    lessons_export(directory=tmp_path)
    lesson_file = tmp_path / "dense-families/02-llama.md"
    lesson_file.write_text(
        lesson_file.read_text().replace("title: 모델 카드", "title: 모델 카드 (v2)"),
        encoding="utf-8",
    )

    lessons_import(directory=tmp_path)

    assert list(
        LessonLinkTranslation.objects.filter(language="en").values_list("link__url", "title")
    ) == [("https://example.com/p", "The paper")]


def test_an_orphan_variant_is_refused_with_its_file_and_reason(llama, tmp_path):
    # given a directory where the variant's lesson file is missing
    lessons_export(directory=tmp_path)
    (tmp_path / "dense-families/02-llama.md").unlink()
    (tmp_path / VARIANT_FILE).write_text(
        (tmp_path / VARIANT_FILE).read_text().replace("The LLaMA family", "Changed"),
        encoding="utf-8",
    )

    # when it is imported, then nothing is written and the command says which file and why
    with pytest.raises(CommandError) as raised:
        call_command("import_lessons", str(tmp_path), stdout=StringIO())
    message = str(raised.value)
    assert f"{VARIANT_FILE}: a language variant of a lesson that is not here" in message
    assert str(llama.lesson.uuid) in message
    assert LessonVariant.objects.get().title == "The LLaMA family"


@pytest.mark.parametrize(
    "rename, edit, message",
    [
        (
            "dense-families/03-llama.en.md",
            None,
            "its lesson is dense-families/02-llama.md, so name it dense-families/02-llama.en.md.",
        ),
        (
            "dense-families/02-llama.ko.md",
            ("language: en", "language: ko"),
            "ko is its lesson's original language, written in dense-families/02-llama.md.",
        ),
        (
            "dense-families/02-llama.fr.md",
            ("language: en", "language: fr"),
            "“fr” is not one of this site's languages (ko, en).",
        ),
        (
            None,
            ("language: en", "language: ko"),
            "its name says en but its language is 'ko'.",
        ),
        (
            None,
            ("https://example.com/p", "https://example.com/nowhere"),
            "labels a link https://example.com/nowhere that its lesson "
            "(dense-families/02-llama.md) does not have.",
        ),
        (
            None,
            ("title: The LLaMA family\n", ""),
            "a language variant has exactly the keys uuid, language, title, links, exercise "
            "(missing: title; unknown: -).",
        ),
    ],
)
def test_a_variant_that_does_not_fit_its_lesson_is_refused(llama, tmp_path, rename, edit, message):
    lessons_export(directory=tmp_path)
    path = tmp_path / VARIANT_FILE
    if edit:
        path.write_text(path.read_text().replace(*edit), encoding="utf-8")
    if rename:
        path = path.rename(tmp_path / rename)

    with pytest.raises(LessonFilesError) as raised:
        lessons_import(directory=tmp_path)

    relative = path.relative_to(tmp_path).as_posix()
    assert f"{relative}: {message}" in [str(problem) for problem in raised.value.problems]
    assert LessonVariant.objects.get().title == "The LLaMA family"


def test_two_files_of_one_lesson_and_language_are_refused(llama, tmp_path):
    lessons_export(directory=tmp_path)
    copy = tmp_path / "dense-families/02-llama.en.md"
    (tmp_path / "dense-families/02-llama.en-GB.md").write_text(
        copy.read_text().replace("language: en", "language: en-GB"), encoding="utf-8"
    )
    LessonVariant.objects.all().delete()
    (tmp_path / "dense-families/99-x.en.md").write_text(copy.read_text(), encoding="utf-8")

    with pytest.raises(LessonFilesError) as raised:
        lessons_import(directory=tmp_path)

    text = str(raised.value)
    assert "dense-families/99-x.en.md: dense-families/02-llama.en.md is the same lesson" in text
    assert not LessonVariant.objects.exists()


def test_a_lesson_in_another_language_than_the_sites_says_so_in_its_file(tmp_path):
    lesson = LessonFactory(course=CourseFactory(slug="c"), position=1, slug="l", language="en")
    LessonVariantFactory(lesson=lesson, language="ko", title="한국어 제목")

    lessons_export(directory=tmp_path)
    text = (tmp_path / "c/01-l.md").read_text(encoding="utf-8")

    assert f"title: {lesson.title}\nlanguage: en\nstatus: published\n" in text
    assert (tmp_path / "c/01-l.ko.md").exists()
    # and a file in a language the site does not offer is refused
    (tmp_path / "c/01-l.md").write_text(text.replace("language: en", "language: fr"))
    with pytest.raises(LessonFilesError) as raised:
        lessons_import(directory=tmp_path)
    assert "c/01-l.md: language: “fr” is not one of this site's languages (ko, en)." in str(
        raised.value
    )
