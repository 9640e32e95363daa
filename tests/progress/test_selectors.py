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
    site_figures,
)
from tests.factories import AchievementFactory, CourseFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_an_anonymous_user_gets_the_zero_state(lessons, levels, django_assert_num_queries):
    AchievementFactory.create_batch(2)

    # a first read: the site's version, then (not kept yet) the levels, the lessons' count and
    # the active achievements
    with django_assert_num_queries(4):
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

    site_figures()  # cached by any earlier page, as usual

    # the site's version (the levels and the lessons' count are kept under it), then the
    # learner's XP, awards and completions of published lessons
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


@pytest.mark.parametrize("catalogue", [3, 60])
def test_the_state_costs_the_same_whatever_the_catalogues_size(
    learner, lessons, levels, django_assert_num_queries, catalogue
):
    # given a catalogue of N lessons in N // 3 courses, two of them completed
    for _ in range(catalogue // 3 - 1):
        LessonFactory.create_batch(3, course=CourseFactory())
    services.completion_record(user=learner, lesson=lessons[0], at=T0)
    services.completion_record(user=learner, lesson=lessons[1], at=T0)
    site_figures()

    # when the learner's state is read: the site's version, XP, awards, completions
    with django_assert_num_queries(4):
        state = learner_state(user=learner)

    # then it counts the whole catalogue
    assert (state.lessons_done, state.total_lessons) == (2, catalogue)


def test_the_lessons_count_follows_publishing(learner, lessons):
    # given the count in the cache
    assert learner_state(user=learner).total_lessons == 3

    # when a lesson is unpublished and a new one published
    lessons[0].status = "draft"
    lessons[0].save()
    LessonFactory(course=lessons[1].course)

    # then the next state counts the catalogue as it is now
    assert learner_state(user=learner).total_lessons == 3
    lessons[1].course.lessons.filter(pk=lessons[1].pk).update(status="draft")
    from lessons.versions import content_changed

    content_changed(site=True)  # QuerySet.update sends no signal: the writer says so
    assert learner_state(user=learner).total_lessons == 2


def test_the_cached_state_follows_every_write_and_is_the_learners_own(learner, lessons, levels):
    # given a learner's and another's state, both cached
    other = UserFactory()
    AchievementFactory(slug="first", rule_params={"count": 1}, xp=5)
    assert learner_state(user=learner).xp == 0
    assert learner_state(user=other).xp == 0

    # when the learner completes a lesson (10 XP, and the achievement's 5)
    services.completion_record(user=learner, lesson=lessons[0], at=T0)

    # then their state shows it at once, and the other's does not
    state = learner_state(user=learner)
    assert (state.xp, state.lessons_done, set(state.achievements)) == (15, 1, {"first"})
    assert learner_state(user=other).xp == 0
    # and a sync, a retired achievement and an unpublished lesson show too
    services.progress_sync(
        user=learner,
        events=[
            {
                "id": "4b0f3a53-2d0b-4a39-9b52-0c2b27f3a9f1",
                "type": "lesson_completed",
                "lesson": lessons[1].pk,
                "at": T0.isoformat(),
            }
        ],
    )
    assert learner_state(user=learner).lessons_done == 2
    from progress.models import Achievement

    achievement = Achievement.objects.get(slug="first")
    achievement.active = False
    achievement.save()
    assert learner_state(user=learner).achievements_done == 0
    lessons[1].status = "draft"
    lessons[1].save()
    state = learner_state(user=learner)
    assert (state.lessons_done, state.total_lessons) == (1, 2)


def test_lesson_addresses_follow_the_active_language(lessons):
    # given the Korean address asked for first (the addresses are built from a cached pattern)
    from django.urls import reverse
    from django.utils import translation

    from progress.selectors import lesson_url

    def reversed_in(language):
        with translation.override(language):
            return reverse("stream_lessons:lesson", kwargs={"course": "basics", "lesson": "b1"})

    korean = lesson_url("basics", "b1")
    # when the English one is asked for, then it is what Django gives in English
    with translation.override("en"):
        english = lesson_url("basics", "b1")
    assert (korean, english) == (reversed_in("ko"), reversed_in("en"))
