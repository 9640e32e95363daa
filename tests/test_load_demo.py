"""The demo site's ``load_demo`` command and the demo content it loads."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import translation

from lessons.lesson_files import lessons_export, lessons_import
from lessons.models import Course, Lesson, Status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_settings(settings):
    settings.DEBUG = True  # pytest-django runs tests with DEBUG off
    with translation.override("en"):
        yield


def load_demo(*args):
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def lesson_rows():
    return list(
        Lesson.objects.order_by("pk").values_list(
            "pk", "uuid", "course__slug", "slug", "position", "title", "body", "revision"
        )
    )


def test_load_demo_twice_changes_nothing_the_second_time():
    # given
    load_demo()
    before = lesson_rows(), list(Course.objects.values_list("pk", "slug", "title"))
    password_hash = get_user_model().objects.get(username="demo").password

    # when
    output = load_demo()

    # then
    assert (lesson_rows(), list(Course.objects.values_list("pk", "slug", "title"))) == before
    assert "Lessons: 0 created, 0 updated," in output
    assert "Nothing changed." in output
    assert "Demo staff account demo is unchanged." in output
    assert get_user_model().objects.get(username="demo").password == password_hash


def test_load_demo_creates_or_resets_the_demo_staff_account(client):
    # given
    UserFactory(username="demo", email="old@example.com", is_staff=False)

    # when
    output = load_demo()

    # then
    user = get_user_model().objects.get(username="demo")
    assert (user.email, user.is_staff, user.is_superuser) == ("demo@example.com", True, True)
    assert client.login(username="demo", password="stream-demo")
    assert "Demo staff account demo is ready." in output


def test_load_demo_refuses_to_run_without_debug(settings):
    # given
    settings.DEBUG = False

    # when / then
    with pytest.raises(CommandError, match="only with DEBUG on"):
        load_demo()
    assert not get_user_model().objects.filter(username="demo").exists()
    assert not Lesson.objects.exists()


def test_load_demo_prints_the_demo_lesson_and_admin_addresses():
    # when
    output = load_demo("--base-url", "http://127.0.0.1:9000/")

    # then
    assert "Demo lesson: http://127.0.0.1:9000/courses/dense-families/llama/" in output
    assert "Admin: http://127.0.0.1:9000/admin/ (sign in as demo / stream-demo)" in output


def test_load_demo_reports_bad_content_and_loads_nothing(tmp_path):
    # given
    (tmp_path / "broken").mkdir()

    # when / then
    with pytest.raises(CommandError, match="broken/: has no course.yml"):
        load_demo("--content", str(tmp_path))
    assert not get_user_model().objects.filter(username="demo").exists()


# --- The shipped demo content (config/demo_content/) -------------------------------------------


def test_demo_content_has_41_published_lessons():
    load_demo()

    assert Lesson.objects.published().count() == 41
    assert (
        Course.objects.get(slug="dense-families").lessons.filter(status=Status.PUBLISHED).count()
        == 5
    )


def test_demo_reference_lesson_matches_the_reference_page():
    # when
    load_demo()

    # then
    lesson = Lesson.objects.get(course__slug="dense-families", slug="llama")
    assert lesson.position == 2
    assert {tag.name for tag in lesson.tags.all()} == {"dense", "llama", "families"}
    assert lesson.reading_minutes_override is None
    assert lesson.reading_minutes == 12
    captions = [
        re.sub(r"<[^>]+>", "", caption)
        for caption in re.findall(r"<figcaption[^>]*>(.*?)</figcaption>", lesson.body_html, re.S)
    ]
    assert "Llama 3 dense 라인업 한눈에 · python" in captions


def test_demo_content_survives_export_and_import(tmp_path):
    # given
    load_demo()
    lessons_export(directory=tmp_path / "first")

    # when
    report = lessons_import(directory=tmp_path / "first")

    # then
    assert not report.changed
    lessons_export(directory=tmp_path / "second")
    first = sorted(path.relative_to(tmp_path / "first") for path in (tmp_path / "first").rglob("*"))
    assert first == sorted(
        path.relative_to(tmp_path / "second") for path in (tmp_path / "second").rglob("*")
    )
    for relative in first:
        if (tmp_path / "first" / relative).is_file():
            assert (tmp_path / "first" / relative).read_bytes() == (
                tmp_path / "second" / relative
            ).read_bytes()


# --- Progress: the demo's levels and achievements (config/demo_content/progress.yml) -----------


def test_demo_levels_and_twelve_active_achievements_load_once():
    from progress.models import Achievement, Level

    # when
    first = load_demo()
    second = load_demo()

    # then
    assert "Levels and achievements: 19 created, 0 updated, 0 unchanged." in first
    assert "Levels and achievements: 0 created, 0 updated, 19 unchanged." in second
    levels = list(Level.objects.values_list("number", "name", "min_xp"))
    assert levels[:2] == [(0, "Scout", 0), (1, "Explorer", 100)] and len(levels) > 2
    assert Achievement.objects.filter(active=True).count() == 12
    assert set(Achievement.objects.values_list("rule_kind", flat=True)) == {
        "lessons_completed",
        "course_completed",
        "tag_completed",
        "lessons_in_one_day",
        "streak_days",
        "xp_at_least",
        "first_comment",
    }


def test_a_fresh_demo_lesson_page_reads_as_the_reference_status_bar(client):
    load_demo()

    html = client.get("/courses/dense-families/llama/").content.decode()

    bar = re.search(r'<section class="progress-status".*?</section>', html, re.S).group(0)
    figures = re.search(r'<div class="progress-status__figures".*?</div>', bar, re.S).group(0)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", figures)).strip()
    assert text == (
        "Level 0 · Scout · 0 XP · 0/41 lessons · 0/12 achievements · "
        "0/100 XP to next level · 100 XP to go · 0% complete"
    )
