"""Lossless sync, as a property: however completion events are split between the browser and
the server, duplicated, reordered and batched, the server ends where applying their union once
would put it."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons.models import CourseRequirement, LessonRequirement
from progress import services
from progress.models import (
    AchievementAward,
    CompletionEvent,
    LearnerProfile,
    LessonCompletion,
    XPEntry,
)
from tests.factories import (
    LONG_AGO,
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


# --- Prerequisites: a batch is read again and again ----------------------------------------------


@st.composite
def paths_and_batches(draw):
    """Five lessons in two courses, each lesson possibly requiring an earlier one (most often
    the one before) and the second course possibly the first (each requirement dated before
    every report, or among them), and
    a batch of reports of them within two hours on each of two days (so a lesson is often
    reported more than once a day), some sent twice."""
    minutes = st.builds(
        lambda day, minute: day * 24 * 60 + minute, st.integers(0, 1), st.integers(0, 119)
    )
    requires = [
        draw(st.one_of(st.just(index - 1), st.none(), st.integers(0, index - 1)))
        for index in range(1, 5)
    ]
    since = st.one_of(st.none(), st.none(), minutes)  # None: long before the reports
    lesson_since = [draw(since) for _ in requires]
    course_since = draw(st.one_of(st.just("none"), since))
    reports = draw(st.lists(st.tuples(st.integers(0, 4), minutes), max_size=12))
    repeats = draw(st.lists(st.integers(0, max(len(reports) - 1, 0)), max_size=3))
    order = draw(st.permutations([*range(len(reports)), *(r for r in repeats if reports)]))
    return requires, lesson_since, course_since, reports, order


def requirement_dated(minutes):
    return LONG_AGO if minutes is None else T0 + timedelta(minutes=minutes, seconds=30)


def one_by_one(user, events, now):
    """Each event sent alone, the batch read in order again and again until a reading applies
    nothing: the answers, in the batch's order."""
    answers = [None] * len(events)
    waiting = list(range(len(events)))
    while waiting:
        still = []
        for index in waiting:
            result = services.progress_sync(user=user, events=[events[index]], now=now).results[0]
            if result.reason == services.LOCKED:
                still.append(index)
            else:
                answers[index] = (result.status, result.reason)
        if len(still) == len(waiting):
            break
        waiting = still
    for index in waiting:
        answers[index] = (services.REJECTED, services.LOCKED)
    return answers


def recorded(user):
    """The learner's log and completions, in the order they were written."""
    log = CompletionEvent.objects.filter(learner=user).order_by("pk")
    completions = LessonCompletion.objects.filter(learner=user).order_by("pk")
    return (
        list(log.values_list("lesson_id", "event_id", "completed_at")),
        list(completions.values_list("lesson_id", "completed_at")),
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=paths_and_batches())
def test_a_batch_answers_as_its_events_sent_alone_over_and_over_in_its_order(db, plan):
    # given a path of lessons and a batch of reports in some order
    requires, lesson_since, course_since, reports, order = plan
    first, second = CourseFactory(), CourseFactory()
    lessons = [LessonFactory(course=first if index < 3 else second) for index in range(5)]
    for index, (required, minutes) in enumerate(zip(requires, lesson_since, strict=True)):
        if required is not None:
            LessonRequirement.objects.create(
                lesson=lessons[index + 1],
                required_lesson=lessons[required],
                created_at=requirement_dated(minutes),
            )
    if course_since != "none":
        CourseRequirement.objects.create(
            course=second, required_course=first, created_at=requirement_dated(course_since)
        )
    events = [
        {
            "id": str(uuid.UUID(int=index + 1)),
            "type": "lesson_completed",
            "lesson": lessons[reports[index][0]].pk,
            "at": (T0 + timedelta(minutes=reports[index][1])).isoformat(),
        }
        for index in order
    ]
    now = T0 + timedelta(days=3)
    batch, alone = UserFactory(), UserFactory()

    # when one learner's browser sends it in one batch and another's sends its events one by one,
    # the batch over and over until nothing more applies
    answers = services.progress_sync(user=batch, events=events, now=now).results

    # then the batch answers each event as the reading one by one does, and records the same
    # reports and completions in the same order
    assert [(r.status, r.reason) for r in answers] == one_by_one(alone, events, now)
    assert recorded(batch) == recorded(alone)
