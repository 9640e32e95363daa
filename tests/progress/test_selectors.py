"""progress.selectors: the learner's state, where to continue, the admin's dry run."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from progress import services
from progress.selectors import (
    achievement_dry_run,
    learner_state,
    lesson_facts,
    next_lesson_to_continue,
)
from tests.factories import AchievementFactory, CourseFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_an_anonymous_user_gets_the_zero_state(lessons, levels, django_assert_num_queries):
    AchievementFactory.create_batch(2)

    # lessons, achievements, levels
    with django_assert_num_queries(3):
        state = learner_state(user=AnonymousUser()).as_payload()

    assert state == {
        "xp": 0,
        "level": {"number": 0, "name": "Scout", "min_xp": 0},
        "next_level": {"number": 1, "name": "Explorer", "min_xp": 100},
        "completed": [],
        "achievements": [],
        "totals": {"lessons": 3, "achievements": 2},
    }


def test_the_state_counts_published_lessons_and_active_achievements_only(
    learner, lessons, levels, django_assert_num_queries
):
    AchievementFactory(slug="first", rule_params={"count": 1}, xp=5)
    services.completion_record(user=learner, lesson=lessons[0], at=T0)
    services.completion_record(user=learner, lesson=lessons[1], at=T0)
    lessons[1].status = "draft"
    lessons[1].save()
    AchievementFactory(slug="retired", active=False)

    # profile, lessons with completions, achievements with awards, levels
    with django_assert_num_queries(4):
        state = learner_state(user=learner)

    assert state.xp == 35  # XP earned stays, even for a lesson unpublished since
    assert state.completed == {lessons[0].pk: T0}
    assert (state.total_lessons, state.total_achievements) == (2, 1)
    assert (state.lessons_done, state.percent_complete) == (1, 50)


def test_levels_without_a_level_at_zero_xp(learner, lessons):
    from progress.models import Level

    Level.objects.create(number=1, name="Explorer", min_xp=100)

    state = learner_state(user=learner)

    assert state.level is None
    assert (state.xp_into_level, state.level_span, state.xp_to_go) == (0, 100, 100)


def facts(published_lessons, done):
    for lesson in published_lessons:
        lesson.completed_at = done.get(lesson.id)
    return published_lessons


def test_continue_after_the_latest_completion_wrapping_to_the_start():
    courses = [CourseFactory(position=1), CourseFactory(position=2)]
    for course in courses:
        LessonFactory.create_batch(2, course=course)
    published, _ = lesson_facts()
    a1, a2, b1, b2 = published

    def after(done, course_id=None):
        found = next_lesson_to_continue(lessons=facts(published, done), course_id=course_id)
        return found and found.id

    assert after({}) is None
    assert after({a1.id: T0}) == a2.id
    assert after({a1.id: T0, b1.id: T0 + timedelta(hours=1)}) == b2.id
    assert after({b2.id: T0}) == a1.id  # wraps
    assert after({a1.id: T0, a2.id: T0, b1.id: T0, b2.id: T0}) is None
    assert after({a2.id: T0}, course_id=courses[0].id) == a1.id
    assert after({a2.id: T0}, course_id=courses[1].id) is None


def test_dry_run_counts_learners_the_rule_would_award(lessons):
    achievement = AchievementFactory(slug="two", rule_params={"count": 2})
    holder, other, fresh = UserFactory(), UserFactory(), UserFactory()
    for learner, count in ((holder, 2), (other, 3), (fresh, 1)):
        for lesson in lessons[:count]:
            services.completion_record(user=learner, lesson=lesson, at=T0)
    services.comment_posted_record(user=UserFactory())  # no completions: a comment only

    result = achievement_dry_run(achievement=achievement)
    bigger = achievement_dry_run(
        achievement=AchievementFactory.build(slug="two", rule_params={"count": 3})
    )

    assert (result.would_award, result.already_awarded, result.new_awards) == (2, 2, 0)
    assert (bigger.would_award, bigger.already_awarded) == (1, 1)


def test_dry_run_for_an_unsaved_first_comment_rule_counts_commenters():
    services.comment_posted_record(user=UserFactory())

    result = achievement_dry_run(
        achievement=AchievementFactory.build(slug="talk", rule_kind="first_comment", rule_params={})
    )

    assert (result.would_award, result.already_awarded) == (1, 0)
