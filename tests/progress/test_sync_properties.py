"""Lossless sync, as a property: however completion events are split between the browser and
the server, duplicated, reordered and batched, the server ends where applying their union once
would put it."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from progress import services
from progress.models import AchievementAward, LearnerProfile, LessonCompletion, XPEntry
from tests.factories import (
    AchievementFactory,
    CourseFactory,
    LessonFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def catalogue(db):
    """Six lessons in two courses, a tag across them, and rules of every kind that a sync can
    meet, including XP rules whose rewards feed each other."""
    first, second = CourseFactory(slug="first"), CourseFactory(slug="second")
    lessons = [
        LessonFactory(course=course, xp=xp)
        for course, xp in [
            (first, 10),
            (first, 20),
            (first, 30),
            (second, 15),
            (second, 25),
            (second, 5),
        ]
    ]
    tag = TagFactory(slug="mixed")
    for lesson in (lessons[1], lessons[4]):
        lesson.tags.add(tag)
    AchievementFactory(slug="one", rule_params={"count": 1}, xp=5)
    AchievementFactory(slug="four", rule_params={"count": 4}, xp=20)
    AchievementFactory(
        slug="course", rule_kind="course_completed", rule_params={"course": "first"}, xp=15
    )
    AchievementFactory(slug="tag", rule_kind="tag_completed", rule_params={"tag": "mixed"}, xp=10)
    AchievementFactory(slug="day", rule_kind="lessons_in_one_day", rule_params={"count": 2}, xp=10)
    AchievementFactory(slug="streak", rule_kind="streak_days", rule_params={"days": 2}, xp=10)
    AchievementFactory(slug="xp50", rule_kind="xp_at_least", rule_params={"xp": 50}, xp=30)
    AchievementFactory(slug="xp100", rule_kind="xp_at_least", rule_params={"xp": 100}, xp=40)
    AchievementFactory(slug="xp180", rule_kind="xp_at_least", rule_params={"xp": 180})
    return lessons


completion = st.tuples(
    st.integers(min_value=0, max_value=5),  # which lesson
    st.integers(min_value=0, max_value=4 * 24 * 60),  # minutes after T0: four days
)


@st.composite
def deliveries(draw):
    """Distinct events, then how they reach the server: each goes to the browser (synced in
    batches, possibly more than once) or straight to the server (another device's sync)."""
    events = draw(st.lists(completion, min_size=1, max_size=12))
    pool = [
        {
            "id": str(uuid.UUID(int=index + 1)),  # unique per learner; learners are fresh
            "type": "lesson_completed",
            "lesson": lesson,
            "at": (T0 + timedelta(minutes=minutes)).isoformat(),
        }
        for index, (lesson, minutes) in enumerate(events)
    ]
    on_server = draw(st.lists(st.booleans(), min_size=len(pool), max_size=len(pool)))
    repeats = draw(st.lists(st.integers(0, len(pool) - 1), max_size=6))
    sent = [event for event, server in zip(pool, on_server, strict=True) if not server]
    sent += [pool[index] for index in repeats]
    sent = draw(st.permutations(sent))
    cuts = sorted(draw(st.lists(st.integers(0, len(sent)), max_size=4)))
    batches = [sent[a:b] for a, b in zip([0, *cuts], [*cuts, len(sent)], strict=True)]
    server_side = [event for event, server in zip(pool, on_server, strict=True) if server]
    server_first = draw(st.booleans())
    return pool, server_side, batches, server_first


def with_lesson_ids(events, lessons):
    return [{**event, "lesson": lessons[event["lesson"]].pk} for event in events]


def server_state(user):
    completions = dict(
        LessonCompletion.objects.filter(learner=user).values_list("lesson_id", "completed_at")
    )
    awards = dict(
        AchievementAward.objects.filter(learner=user).values_list("achievement__slug", "awarded_at")
    )
    profile = LearnerProfile.objects.get(user=user)
    ledger = XPEntry.objects.filter(learner=user).aggregate(total=Sum("amount"))["total"] or 0
    return completions, awards, profile.xp, ledger


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=deliveries())
def test_any_split_duplication_order_and_batching_ends_as_the_union_applied_once(catalogue, plan):
    pool, server_side, batches, server_first = plan
    lessons = catalogue
    learner, reference = UserFactory(), UserFactory()

    # when the server gets some events straight away and the browser syncs the rest in batches
    server_events = with_lesson_ids(server_side, lessons)
    browser_batches = [with_lesson_ids(batch, lessons) for batch in batches]
    if server_first and server_events:
        services.progress_sync(user=learner, events=server_events)
    for batch in browser_batches:
        services.progress_sync(user=learner, events=batch)
    if not server_first and server_events:
        services.progress_sync(user=learner, events=server_events)

    # and the reference learner gets the union, once, in one batch
    services.progress_sync(user=reference, events=with_lesson_ids(pool, lessons))

    # then both end in the same state
    completions, awards, xp, ledger = server_state(learner)
    assert (completions, awards, xp, ledger) == server_state(reference)
    # completions are the union with the earliest times
    expected = {}
    for event in pool:
        lesson, at = lessons[event["lesson"]], datetime.fromisoformat(event["at"])
        expected[lesson.pk] = min(expected.get(lesson.pk, at), at)
    assert completions == expected
    # XP is the completed lessons' XP plus the awarded achievements' XP, counted once
    lesson_xp = sum(lesson.xp for lesson in lessons if lesson.pk in completions)
    award_xp = sum(
        AchievementAward.objects.filter(learner=learner).values_list("achievement__xp", flat=True)
    )
    assert xp == ledger == lesson_xp + award_xp
    # and every award exists once
    assert AchievementAward.objects.filter(learner=learner).count() == len(awards)
    assert XPEntry.objects.filter(learner=learner).count() == len(completions) + len(awards)
