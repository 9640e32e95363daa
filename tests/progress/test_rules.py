"""progress.rules: parameters per kind, "how to earn it", and when a rule was first met."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from progress.rules import (
    History,
    Rule,
    award_times,
    lessons_still_required,
    rule_describe,
    rule_params_clean,
    streak_current,
)
from tests.factories import CourseFactory, TagFactory

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind, params, message",
    [
        ("lessons_completed", {}, "needs “count”"),
        ("lessons_completed", {"count": 0}, "at least 1"),
        ("lessons_completed", {"count": "3"}, "at least 1"),
        ("lessons_completed", {"count": True}, "at least 1"),
        ("lessons_completed", {"count": 3, "days": 2}, "takes no “days”"),
        ("streak_days", {"count": 3}, "needs “days”"),
        ("xp_at_least", {"xp": -5}, "at least 1"),
        ("course_completed", {"course": "nope"}, "No course has the slug or UUID “nope”"),
        ("course_completed", {"course": 3}, "must be text"),
        ("tag_completed", {"tag": "nope"}, "No tag has the slug or name “nope”"),
        ("first_comment", {"count": 1}, "takes no “count”"),
        ("first_comment", [], "must be a JSON object"),
        ("made_up", {}, "Unknown rule"),
    ],
)
def test_rule_parameters_are_checked_per_kind(kind, params, message):
    with pytest.raises(ValidationError, match=message):
        rule_params_clean(kind=kind, params=params)


@pytest.mark.django_db
def test_good_parameters_come_back_clean():
    course = CourseFactory(slug="basics")
    TagFactory(name="Mixture of experts", slug="moe")

    assert rule_params_clean(kind="course_completed", params={"course": "basics"}) == {
        "course": "basics"
    }
    assert rule_params_clean(kind="course_completed", params={"course": str(course.uuid)})
    assert rule_params_clean(kind="tag_completed", params={"tag": "Mixture of experts"})
    assert rule_params_clean(kind="first_comment", params=None) == {}


@pytest.mark.parametrize(
    "kind, params, subject, text",
    [
        ("lessons_completed", {"count": 1}, "", "Complete 1 lesson."),
        ("lessons_completed", {"count": 5}, "", "Complete 5 lessons."),
        (
            "course_completed",
            {"course": "x"},
            "Basics",
            "Complete every lesson of the course “Basics”.",
        ),
        ("tag_completed", {"tag": "moe"}, "MoE", "Complete every lesson tagged “MoE”."),
        ("lessons_in_one_day", {"count": 3}, "", "Complete 3 lessons in one day."),
        ("streak_days", {"days": 7}, "", "Complete a lesson on each of 7 days in a row."),
        ("xp_at_least", {"xp": 500}, "", "Reach 500 XP."),
        ("first_comment", {}, "", "Post your first comment on a lesson."),
    ],
)
def test_each_kind_says_how_to_earn_it(kind, params, subject, text):
    from django.utils import translation

    with translation.override("en"):
        assert rule_describe(kind=kind, params=params, subject=subject) == text


def history(completions, **extra):
    return History(
        completions=completions,
        completion_xp={lesson: 10 for lesson in completions},
        time_zone=SEOUL,
        **extra,
    )


def test_awards_are_dated_when_the_rule_was_first_met():
    rules = [
        Rule(slug="two", kind="lessons_completed", params={"count": 2}, xp=0),
        Rule(slug="set", kind="course_completed", params={}, xp=0, lessons=frozenset({1, 3})),
        Rule(slug="empty", kind="course_completed", params={}, xp=0),
        Rule(slug="day", kind="lessons_in_one_day", params={"count": 2}, xp=0),
        Rule(slug="streak", kind="streak_days", params={"days": 2}, xp=0),
        Rule(slug="talk", kind="first_comment", params={}, xp=0),
    ]
    done = {1: T0 + 2 * DAY, 2: T0, 3: T0 + DAY, 4: T0 + DAY + timedelta(hours=1)}

    assert award_times(rules=rules, history=history(done)) == {
        "two": T0 + DAY,
        "set": T0 + 2 * DAY,
        "day": T0 + DAY + timedelta(hours=1),
        "streak": T0 + DAY,
    }


def test_xp_rules_reach_a_fixed_point_and_held_awards_count_from_their_date():
    rules = [
        Rule(slug="xp20", kind="xp_at_least", params={"xp": 20}, xp=100),
        Rule(slug="xp120", kind="xp_at_least", params={"xp": 120}, xp=0),
        Rule(slug="xp130", kind="xp_at_least", params={"xp": 130}, xp=0),
    ]
    done = {1: T0, 2: T0 + DAY}
    # an award held from an earlier, retired rule adds 10 XP from day 3
    held = {"retired": (T0 + 3 * DAY, 10)}

    met = award_times(rules=rules, history=history(done, held=held))

    assert met == {"xp20": T0 + DAY, "xp120": T0 + DAY, "xp130": T0 + 3 * DAY}


def test_day_rules_count_every_reported_day_not_only_the_earliest():
    rules = [Rule(slug="streak", kind="streak_days", params={"days": 2}, xp=0)]
    done = {1: T0}  # lesson 1's earliest completion: day 0
    activity = [(1, T0), (1, T0 + DAY)]  # …and another device completed it on day 1

    assert award_times(rules=rules, history=history(done)) == {}
    assert award_times(rules=rules, history=history(done, activity=activity)) == {
        "streak": T0 + DAY
    }


def test_the_current_streak_ends_today_or_yesterday():
    activity = [(1, T0), (2, T0 + DAY), (3, T0 + 2 * DAY), (4, T0 + 4 * DAY)]

    assert streak_current(activity=activity[:3], time_zone=SEOUL, now=T0 + 2 * DAY) == 3
    assert streak_current(activity=activity[:3], time_zone=SEOUL, now=T0 + 3 * DAY) == 3
    assert streak_current(activity=activity[:3], time_zone=SEOUL, now=T0 + 4 * DAY) == 0
    assert streak_current(activity=activity, time_zone=SEOUL, now=T0 + 4 * DAY) == 1
    assert streak_current(activity=[], time_zone=SEOUL, now=T0) == 0


def test_a_locked_lesson_waits_for_every_lesson_its_unmet_requirements_lack():
    needs = [{"lesson": 1}, {"course": 7, "lessons": [2, 3, 4]}, {"lesson": 5}]

    def still(completed, lesson_id=9):
        return lessons_still_required(lesson_id=lesson_id, requirements=needs, completed=completed)

    assert still(set()) == {1, 2, 3, 4, 5}
    assert still({1, 3}) == {2, 4, 5}
    assert still({1, 2, 3, 4, 5}) == set()  # unlocked
    assert still({9}) == set()  # a completed lesson is never locked
