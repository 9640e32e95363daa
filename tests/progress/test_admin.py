"""The instructors' side: levels, achievements with a dry run, read-only records, figures."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from lessons.models import CourseTranslation, TagTranslation
from progress import services
from progress.models import Achievement, AchievementAward, LessonCompletion, Level
from tests.factories import (
    AchievementFactory,
    CourseFactory,
    LessonFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ADD_URL = "/admin/stream_progress/achievement/add/"


@pytest.fixture
def admin(staff):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(staff)
    return client


def achievement_form(**values):
    return {
        "name": "Two lessons",
        "slug": "two-lessons",
        "icon": "",
        "description": "",
        "rule_kind": "lessons_completed",
        "rule_number": "2",
        "rule_course": "",
        "rule_tag": "",
        "xp": "10",
        "active": "on",
        "position": "0",
        "dry_run_seen": "",
        # the inline of names per language, left empty
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
        **values,
    }


def test_a_new_rule_shows_the_dry_run_before_it_is_saved(admin, lessons):
    # given three learners, two of whom completed two lessons
    for count in (2, 2, 1):
        learner = UserFactory()
        for lesson in lessons[:count]:
            services.completion_record(user=learner, lesson=lesson, at=T0)

    # when the instructor saves the new rule
    first = admin.post(ADD_URL, achievement_form())

    # then nothing is saved yet and the form says how many learners it would award
    assert first.status_code == 200
    html = first.content.decode()
    assert "This rule would award 2 learners now (0 already have it)." in html
    assert not Achievement.objects.exists()
    seen = re.search(r'name="dry_run_seen" value="([0-9a-f]+)"', html).group(1)

    # and saving again confirms
    second = admin.post(ADD_URL, achievement_form(dry_run_seen=seen))
    assert second.status_code == 302
    achievement = Achievement.objects.get()
    assert (achievement.rule_kind, achievement.rule_params) == ("lessons_completed", {"count": 2})
    # the awards come with the backfill (or each learner's next completion)
    assert not AchievementAward.objects.exists()


def test_a_changed_rule_needs_a_new_confirmation(admin, lessons):
    seen = re.search(
        r'name="dry_run_seen" value="([0-9a-f]+)"',
        admin.post(ADD_URL, achievement_form()).content.decode(),
    ).group(1)

    response = admin.post(ADD_URL, achievement_form(rule_number="3", dry_run_seen=seen))

    assert "This rule would award 0 learners now" in response.content.decode()
    assert not Achievement.objects.exists()


def test_editing_only_the_name_saves_at_once(admin):
    achievement = AchievementFactory(slug="first", rule_params={"count": 1})

    response = admin.post(
        f"/admin/stream_progress/achievement/{achievement.pk}/change/",
        achievement_form(name="Renamed", slug="first", rule_number="1"),
    )

    assert response.status_code == 302
    achievement.refresh_from_db()
    assert (achievement.name, achievement.rule_params) == ("Renamed", {"count": 1})


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"rule_number": ""}, "rule_number", "needs “count”"),
        ({"rule_number": "0"}, "rule_number", "greater than or equal to 1"),
        ({"rule_kind": "streak_days", "rule_number": ""}, "rule_number", "needs “days”"),
        ({"rule_kind": "xp_at_least", "rule_number": ""}, "rule_number", "needs “xp”"),
        ({"rule_kind": "course_completed"}, "rule_course", "needs “course”"),
        ({"rule_kind": "tag_completed"}, "rule_tag", "needs “tag”"),
        ({"rule_kind": "tag_completed", "rule_tag": "nope"}, "rule_tag", "valid choice"),
    ],
)
def test_each_rule_kind_checks_its_own_field(admin, values, field, message):
    response = admin.post(ADD_URL, achievement_form(**values))

    # The error is attached to the rule's own field, which the admin shows beside it (the HTML
    # of that differs between Django 5.2 and 6).
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not Achievement.objects.exists()


def test_course_and_tag_rules_are_stored_by_uuid_and_slug(admin):
    course = CourseFactory(slug="basics")
    tag = TagFactory(slug="moe")
    for kind, field, value in (
        ("course_completed", "rule_course", str(course.uuid)),
        ("tag_completed", "rule_tag", "moe"),
    ):
        form = achievement_form(slug=kind.replace("_", "-"), rule_kind=kind, **{field: value})
        seen = re.search(
            r'name="dry_run_seen" value="([0-9a-f]+)"', admin.post(ADD_URL, form).content.decode()
        ).group(1)
        assert admin.post(ADD_URL, {**form, "dry_run_seen": seen}).status_code == 302

    assert dict(Achievement.objects.values_list("rule_kind", "rule_params")) == {
        "course_completed": {"course": str(course.uuid)},
        "tag_completed": {"tag": tag.slug},
    }


def test_the_change_page_shows_how_to_earn_it_and_the_dry_run_as_saved(admin, lessons):
    achievement = AchievementFactory(slug="first", rule_params={"count": 1})
    services.completion_record(user=UserFactory(), lesson=lessons[0], at=T0)

    html = admin.get(f"/admin/stream_progress/achievement/{achievement.pk}/change/").content
    html = html.decode()

    assert "Complete 1 lesson." in html
    assert "As saved, the rule would award 1 learner now; 1 have it." in html


def test_how_to_earn_it_names_the_course_and_tag_in_the_admins_language(admin, staff):
    # given rules on a Korean course and tag, each with an English title
    course = CourseFactory(title="파이썬 기초")
    CourseTranslation.objects.create(course=course, language="en", title="Python basics")
    tag = TagFactory(name="반복문")
    TagTranslation.objects.create(tag=tag, language="en", name="loops")
    by_course = AchievementFactory(
        rule_kind="course_completed", rule_params={"course": course.slug}
    )
    by_tag = AchievementFactory(rule_kind="tag_completed", rule_params={"tag": tag.slug})

    # then the list and each change page name them in the admin's language
    listing = admin.get("/admin/stream_progress/achievement/").content.decode()
    pages = [
        admin.get(f"/admin/stream_progress/achievement/{a.pk}/change/").content.decode()
        for a in (by_course, by_tag)
    ]
    for html in (listing, pages[0]):
        assert "Complete every lesson of the course “Python basics”." in html
    for html in (listing, pages[1]):
        assert "Complete every lesson tagged “loops”." in html
    # and in Korean, in Korean
    korean = Client(headers={"Accept-Language": "ko"})
    korean.force_login(staff)
    html = korean.get("/admin/stream_progress/achievement/").content.decode()
    assert "“파이썬 기초” 강좌의 레슨을 모두 완료하세요." in html
    assert "“반복문” 태그가 붙은 레슨을 모두 완료하세요." in html


def test_levels_must_rise_with_xp(admin):
    Level.objects.create(number=0, name="Scout", min_xp=0)
    Level.objects.create(number=1, name="Explorer", min_xp=100)

    response = admin.post(
        "/admin/stream_progress/level/add/", {"number": "2", "name": "Oops", "min_xp": "50"}
    )

    assert "Level 1 starts at 100 XP: a higher level needs more XP than a lower one." in (
        response.content.decode()
    )
    assert Level.objects.count() == 2


def test_completions_and_awards_are_read_only(admin, learner, lessons):
    AchievementFactory(slug="first", rule_params={"count": 1})
    services.completion_record(user=learner, lesson=lessons[0], at=T0)
    completion = LessonCompletion.objects.get()

    assert admin.get("/admin/stream_progress/lessoncompletion/").status_code == 200
    assert admin.get("/admin/stream_progress/lessoncompletion/add/").status_code == 403
    change = admin.get(f"/admin/stream_progress/lessoncompletion/{completion.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert admin.get("/admin/stream_progress/achievementaward/").status_code == 200
    delete = f"/admin/stream_progress/lessoncompletion/{completion.pk}/delete/"
    assert admin.post(delete).status_code == 403


def figures_rows(html):
    rows = re.findall(r"<tr>.*?</tr>", html.split("<tbody>")[1], re.S)
    cells = (re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in rows)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in row] for row in cells]


def test_completion_figures_per_course_and_per_lesson_sort_by_rate(admin):
    # given course A (2 lessons): 3 learners started, 1 finished; course B (1 lesson): 1 of 1
    a = CourseFactory(title="Course A", slug="a", position=1)
    b = CourseFactory(title="Course B", slug="b", position=2)
    a1, a2 = LessonFactory(course=a, title="A1"), LessonFactory(course=a, title="A2")
    b1 = LessonFactory(course=b, title="B1")
    learners = UserFactory.create_batch(3)
    services.completion_record(user=learners[0], lesson=a1)
    services.completion_record(user=learners[0], lesson=a2)
    services.completion_record(user=learners[1], lesson=a1)
    services.completion_record(user=learners[2], lesson=a2)
    services.completion_record(user=learners[2], lesson=b1)

    courses = admin.get("/admin/stream_progress/coursecompletionfigures/?o=-5").content.decode()
    lessons = admin.get("/admin/stream_progress/lessoncompletionfigures/?o=-5").content.decode()

    # columns: title, status, published lessons, started, completed, rate (highest rate first)
    assert figures_rows(courses) == [
        ["Course B", "published", "1", "1", "1", "100%"],
        ["Course A", "published", "2", "3", "1", "33%"],
    ]
    # columns: title, course, status, started (in the course), completed (the lesson), rate
    assert figures_rows(lessons) == [
        ["B1", "Course B", "published", "1", "1", "100%"],
        ["A1", "Course A", "published", "3", "2", "67%"],
        ["A2", "Course A", "published", "3", "2", "67%"],
    ]


# --- Names per language ------------------------------------------------------------------------

LEVEL_ADD_URL = "/admin/stream_progress/level/add/"


def level_form(**values):
    return {
        "number": "0",
        "name": "Scout",
        "min_xp": "0",
        "translations-TOTAL_FORMS": "2",
        "translations-INITIAL_FORMS": "0",
        "translations-0-language": "ko",
        "translations-0-name": "",
        "translations-1-language": "en",
        "translations-1-name": "",
        **values,
    }


def test_the_level_page_offers_one_row_per_site_language_with_its_language_chosen(admin):
    html = admin.get(LEVEL_ADD_URL).content.decode()

    for index, code in enumerate(("ko", "en")):
        select = re.search(rf'<select name="translations-{index}-language".*?</select>', html, re.S)
        assert re.search(rf'<option value="{code}" selected>', select[0]), select[0]
    assert 'name="translations-2-language"' not in html
    assert "The level&#x27;s name on pages in this language." in html


def test_names_per_language_save_with_the_level_and_empty_rows_are_not_kept(admin):
    response = admin.post(LEVEL_ADD_URL, level_form(**{"translations-0-name": "탐색자"}))

    assert response.status_code == 302
    level = Level.objects.get()
    assert list(level.translations.values_list("language", "name")) == [("ko", "탐색자")]

    # the change page then offers the remaining language only as a new row
    html = admin.get(f"/admin/stream_progress/level/{level.pk}/change/").content.decode()
    assert re.search(
        r'<select name="translations-1-language".*?<option value="en" selected>', html, re.S
    )
    assert "ko: 탐색자" in admin.get("/admin/stream_progress/level/").content.decode()


@pytest.mark.parametrize(
    "values, message",
    [
        (
            {"translations-0-language": "fr", "translations-0-name": "Éclaireur"},
            "Select a valid choice.",
        ),
        (
            {
                "translations-0-name": "탐색자",
                "translations-1-language": "ko",
                "translations-1-name": "정찰병",
            },
            "Please correct the duplicate data for language",
        ),
    ],
    ids=["not-a-site-language", "one-language-twice"],
)
def test_a_name_in_a_language_the_site_lacks_or_twice_is_refused(admin, values, message):
    response = admin.post(LEVEL_ADD_URL, level_form(**values))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Level.objects.exists()


def test_an_achievements_texts_per_language_save_from_its_page(admin):
    achievement = AchievementFactory(slug="first", name="First steps")
    url = f"/admin/stream_progress/achievement/{achievement.pk}/change/"
    form = achievement_form(
        name="First steps",
        slug="first",
        rule_number="1",
        dry_run_seen="",
        **{
            "translations-TOTAL_FORMS": "2",
            "translations-0-language": "ko",
            "translations-0-name": "첫걸음",
            "translations-0-description": "레슨 하나.",
            "translations-1-language": "en",
            "translations-1-name": "",
            "translations-1-description": "",
        },
    )
    achievement.rule_params = {"count": 1}
    achievement.save()

    response = admin.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert achievement.name_in("ko") == "첫걸음"
    assert achievement.description_in("ko") == "레슨 하나."
    listing = admin.get("/admin/stream_progress/achievement/?q=첫걸음").content.decode()
    assert "ko: 첫걸음" in listing


@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_only_staff_may_name_levels(who, learner):
    client = Client(headers={"Accept-Language": "en"})
    if who == "learner":
        client.force_login(learner)

    response = client.post(LEVEL_ADD_URL, level_form(**{"translations-0-name": "탐색자"}))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Level.objects.exists()
