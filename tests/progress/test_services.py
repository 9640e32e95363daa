"""progress.services: completions, sync, rules, awards, backfill, definitions."""

import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from lessons.models import Status
from progress import services
from progress.models import (
    Achievement,
    AchievementAward,
    CompletionEvent,
    LearnerProfile,
    LessonCompletion,
    Level,
    XPEntry,
)
from tests.factories import AchievementFactory, CourseFactory, LessonFactory, TagFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 in Seoul


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


def event(lesson, at=T0, event_id=None, **extra):
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": "lesson_completed",
        "lesson": lesson if isinstance(lesson, int) else lesson.pk,
        "at": at if isinstance(at, str) else at.isoformat(),
        **extra,
    }


def xp_of(user):
    return LearnerProfile.objects.get(user=user).xp


def ledger_sum(user):
    return XPEntry.objects.filter(learner=user).aggregate(total=Sum("amount"))["total"] or 0


def awards_of(user):
    return {
        award.achievement.slug: award.awarded_at
        for award in AchievementAward.objects.filter(learner=user).select_related("achievement")
    }


# --- completion_record -------------------------------------------------------------------------


def test_completion_writes_the_completion_one_ledger_row_and_the_cached_total(learner, lessons):
    # when
    result = services.completion_record(user=learner, lesson=lessons[1], at=T0)

    # then
    completion = LessonCompletion.objects.get(learner=learner)
    assert (completion.lesson, completion.completed_at, completion.xp) == (lessons[1], T0, 20)
    assert list(XPEntry.objects.filter(learner=learner).values_list("key", "amount")) == [
        (f"lesson:{lessons[1].pk}", 20)
    ]
    assert xp_of(learner) == 20
    assert result.created and result.completed_at == T0 and not result.course_completed
    assert result.state.xp == 20 and result.state.completed == {lessons[1].pk: T0}


def test_completing_twice_is_a_no_op(learner, lessons):
    services.completion_record(user=learner, lesson=lessons[0], at=T0)

    again = services.completion_record(user=learner, lesson=lessons[0], at=T0 + timedelta(days=1))

    assert not again.created
    assert LessonCompletion.objects.filter(learner=learner).count() == 1
    assert XPEntry.objects.filter(learner=learner).count() == 1
    assert xp_of(learner) == 10
    assert LessonCompletion.objects.get(learner=learner).completed_at == T0


def test_an_earlier_completion_lowers_the_time_and_the_award_date(learner, lessons):
    # given an award earned by a completion on day 2
    AchievementFactory(slug="first", rule_params={"count": 1})
    services.completion_record(user=learner, lesson=lessons[0], at=T0 + timedelta(days=2))

    # when another device reports the same lesson done on day 0
    services.completion_record(user=learner, lesson=lessons[0], at=T0)

    # then both keep the earliest time, and nothing is counted twice
    assert LessonCompletion.objects.get(learner=learner).completed_at == T0
    assert awards_of(learner) == {"first": T0}
    assert xp_of(learner) == 10 == ledger_sum(learner)


def test_a_future_time_is_clamped_to_now(learner, lessons):
    before = timezone.now()

    result = services.completion_record(
        user=learner, lesson=lessons[0], at=before + timedelta(days=365)
    )

    assert before <= result.completed_at <= timezone.now()


@pytest.mark.parametrize("draft", ["lesson", "course"])
def test_drafts_cannot_be_completed(learner, lessons, draft):
    target = lessons[0] if draft == "lesson" else lessons[0].course
    target.status = Status.DRAFT
    target.save()

    with pytest.raises(services.CompletionRefused):
        services.completion_record(user=learner, lesson=lessons[0])

    assert not LessonCompletion.objects.exists()
    assert not XPEntry.objects.exists()


def test_completing_the_last_lesson_of_a_course_says_so(learner, lessons):
    services.completion_record(user=learner, lesson=lessons[0])
    services.completion_record(user=learner, lesson=lessons[2])

    last = services.completion_record(user=learner, lesson=lessons[1])
    again = services.completion_record(user=learner, lesson=lessons[1])

    assert last.course_completed
    assert not again.course_completed


# --- progress_sync -----------------------------------------------------------------------------


def test_sync_answers_for_every_event_and_applies_the_good_ones(learner, lessons):
    # given a draft lesson, a lesson of a draft course, and an event already applied
    draft = LessonFactory(course=lessons[0].course, status=Status.DRAFT)
    hidden = LessonFactory(course=CourseFactory(status=Status.DRAFT))
    seen = event(lessons[2])
    services.progress_sync(user=learner, events=[seen])
    good = event(lessons[0])
    batch = [
        good,
        seen,
        event(draft),
        event(hidden),
        event(999_999),
        {**event(lessons[1]), "type": "lesson_started"},
        {**event(lessons[1]), "id": "not-a-uuid"},
        {**event(lessons[1]), "lesson": "12"},
        {**event(lessons[1]), "lesson": True},
        {**event(lessons[1]), "at": "2026-03-02T10:00:00"},  # no offset
        {**event(lessons[1]), "at": "yesterday"},
        {"id": str(uuid.uuid4()), "type": "lesson_completed"},
        ["not", "an", "object"],
        None,
    ]

    # when
    result = services.progress_sync(user=learner, events=batch)

    # then
    assert [(r.status, r.reason) for r in result.results] == [
        ("applied", ""),
        ("duplicate", ""),
        ("rejected", "unpublished_lesson"),
        ("rejected", "unpublished_lesson"),
        ("rejected", "unknown_lesson"),
        ("rejected", "unsupported_type"),
        ("rejected", "invalid_event"),
        ("rejected", "invalid_event"),
        ("rejected", "invalid_event"),
        ("rejected", "invalid_event"),
        ("rejected", "invalid_event"),
        ("rejected", "invalid_event"),
        ("rejected", "invalid_event"),
        ("rejected", "invalid_event"),
    ]
    assert [r.id for r in result.results[:2]] == [good["id"], seen["id"]]
    assert result.results[-2].id is None
    assert set(LessonCompletion.objects.values_list("lesson_id", flat=True)) == {
        lessons[0].pk,
        lessons[2].pk,
    }
    assert CompletionEvent.objects.filter(learner=learner).count() == 2
    assert xp_of(learner) == 40 == ledger_sum(learner)
    assert result.state.xp == 40


def test_the_same_event_again_changes_nothing_and_answers_duplicate(learner, lessons):
    first = event(lessons[0])
    services.progress_sync(user=learner, events=[first])

    again = services.progress_sync(user=learner, events=[first, first])

    assert [r.status for r in again.results] == ["duplicate", "duplicate"]
    assert xp_of(learner) == 10
    assert LessonCompletion.objects.count() == 1


def test_the_same_instant_written_with_another_offset_is_the_same_payload(learner, lessons):
    first = event(lessons[0], at="2026-03-02T10:00:00+09:00")
    services.progress_sync(user=learner, events=[first])

    again = services.progress_sync(user=learner, events=[{**first, "at": "2026-03-02T01:00:00Z"}])

    assert again.results[0].status == "duplicate"


@pytest.mark.parametrize("where", ["earlier batch", "same batch"])
def test_an_id_reused_with_another_payload_is_a_conflict_and_nothing_applies(
    learner, lessons, where
):
    # given
    first = event(lessons[0])
    earlier = [] if where == "same batch" else [first]
    services.progress_sync(user=learner, events=earlier)
    before = (xp_of(learner), LessonCompletion.objects.count(), CompletionEvent.objects.count())
    reused = {**first, "lesson": lessons[1].pk}
    batch = [event(lessons[2]), reused] if where == "earlier batch" else [first, reused]

    # when / then
    with pytest.raises(services.SyncConflict) as conflict:
        services.progress_sync(user=learner, events=batch)
    assert conflict.value.event_ids == [first["id"]]
    assert (
        xp_of(learner),
        LessonCompletion.objects.count(),
        CompletionEvent.objects.count(),
    ) == before


def test_sync_keeps_the_earliest_time_and_clamps_future_times(learner, lessons):
    now = timezone.now()
    services.progress_sync(user=learner, events=[event(lessons[0], at=now + timedelta(days=9))])
    stored = LessonCompletion.objects.get(lesson=lessons[0]).completed_at
    assert now <= stored <= timezone.now()

    services.progress_sync(
        user=learner,
        events=[event(lessons[0], at=T0), event(lessons[0], at=T0 - timedelta(hours=1))],
    )

    assert LessonCompletion.objects.get(lesson=lessons[0]).completed_at == T0 - timedelta(hours=1)
    assert xp_of(learner) == 10


def test_a_batch_over_the_limit_is_refused_whole(learner, lessons, settings):
    settings.STREAM = {**settings.STREAM, "PROGRESS_SYNC_BATCH_LIMIT": 2}

    with pytest.raises(services.SyncBatchTooLarge, match="at most 2 events; this one has 3"):
        services.progress_sync(user=learner, events=[event(lesson) for lesson in lessons])

    assert not LessonCompletion.objects.exists()


def test_sync_saves_the_browser_time_zone_once(learner, lessons):
    services.progress_sync(user=learner, events=[], time_zone="Nowhere/Atlantis")
    assert LearnerProfile.objects.get(user=learner).time_zone == ""

    services.progress_sync(user=learner, events=[], time_zone="Asia/Seoul")
    services.progress_sync(user=learner, events=[], time_zone="Europe/Paris")

    assert LearnerProfile.objects.get(user=learner).time_zone == "Asia/Seoul"


# --- Rules -------------------------------------------------------------------------------------


def complete_at(user, lessons_and_times):
    return services.progress_sync(
        user=user, events=[event(lesson, at=at) for lesson, at in lessons_and_times]
    )


def test_lessons_completed_is_dated_by_the_nth_completion(learner, lessons):
    AchievementFactory(slug="two", rule_params={"count": 2}, xp=7)
    hours = [T0 + timedelta(hours=n) for n in (5, 1, 3)]

    result = complete_at(learner, zip(lessons, hours, strict=True))

    assert awards_of(learner) == {"two": T0 + timedelta(hours=3)}
    assert [(a.achievement.slug, a.xp) for a in result.awarded] == [("two", 7)]
    assert xp_of(learner) == 67 == ledger_sum(learner)


@pytest.mark.parametrize("reference", ["slug", "uuid"])
def test_course_completed_needs_every_published_lesson_of_the_course(learner, lessons, reference):
    course = lessons[0].course
    AchievementFactory(
        slug="basics",
        rule_kind="course_completed",
        rule_params={"course": course.slug if reference == "slug" else str(course.uuid)},
    )
    LessonFactory(course=course, status=Status.DRAFT)  # drafts do not count

    complete_at(learner, [(lessons[0], T0), (lessons[1], T0 + timedelta(days=1))])
    assert awards_of(learner) == {}
    complete_at(learner, [(lessons[2], T0 + timedelta(hours=1))])

    assert awards_of(learner) == {"basics": T0 + timedelta(days=1)}


def test_tag_completed_needs_every_published_lesson_with_the_tag(learner, lessons):
    tag = TagFactory(name="Mixture of experts", slug="moe")
    for lesson in lessons[:2]:
        lesson.tags.add(tag)
    AchievementFactory(slug="moe", rule_kind="tag_completed", rule_params={"tag": "moe"})

    complete_at(learner, [(lessons[0], T0), (lessons[2], T0)])
    assert awards_of(learner) == {}
    complete_at(learner, [(lessons[1], T0 + timedelta(hours=2))])

    assert awards_of(learner) == {"moe": T0 + timedelta(hours=2)}


def test_lessons_in_one_day_counts_days_in_the_learners_time_zone(learner, lessons):
    # 23:30 and 00:30 are two days in Seoul but one day in UTC.
    AchievementFactory(slug="day", rule_kind="lessons_in_one_day", rule_params={"count": 2})
    late, early = datetime(2026, 3, 2, 14, 30, tzinfo=UTC), datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    LearnerProfile.objects.create(user=learner, time_zone="Asia/Seoul")

    complete_at(learner, [(lessons[0], late), (lessons[1], early)])
    assert awards_of(learner) == {}
    complete_at(learner, [(lessons[2], early + timedelta(hours=1))])

    assert awards_of(learner) == {"day": early + timedelta(hours=1)}


def test_lessons_in_one_day_in_utc_for_a_learner_in_utc(learner, lessons):
    AchievementFactory(slug="day", rule_kind="lessons_in_one_day", rule_params={"count": 2})
    late, early = datetime(2026, 3, 2, 14, 30, tzinfo=UTC), datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    LearnerProfile.objects.create(user=learner, time_zone="UTC")

    complete_at(learner, [(lessons[0], late), (lessons[1], early)])

    assert awards_of(learner) == {"day": early}


def test_a_streak_needs_consecutive_local_days(learner, settings):
    settings.TIME_ZONE = "Asia/Seoul"  # the default zone when the profile names none
    lessons = LessonFactory.create_batch(4)
    AchievementFactory(slug="streak3", rule_kind="streak_days", rule_params={"days": 3})
    day = timedelta(days=1)
    # Seoul days: Mar 2, Mar 3 (a gap), Mar 5, Mar 6 — then Mar 4 fills the gap later.
    complete_at(learner, [(lessons[0], T0), (lessons[1], T0 + day), (lessons[2], T0 + 3 * day)])
    assert awards_of(learner) == {}

    complete_at(learner, [(lessons[3], T0 + 2 * day + timedelta(hours=5))])

    assert awards_of(learner) == {"streak3": T0 + 2 * day + timedelta(hours=5)}


def test_xp_rules_count_award_xp_until_nothing_changes(learner, lessons):
    # given a chain: lessons give 60 XP; "first" adds 50 → 110 meets "hundred", which adds 100
    # → 210 meets "two-hundred"
    AchievementFactory(slug="first", rule_params={"count": 1}, xp=50)
    AchievementFactory(slug="hundred", rule_kind="xp_at_least", rule_params={"xp": 100}, xp=100)
    AchievementFactory(slug="two-hundred", rule_kind="xp_at_least", rule_params={"xp": 200})
    AchievementFactory(slug="never", rule_kind="xp_at_least", rule_params={"xp": 1000})
    times = [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)]

    complete_at(learner, zip(lessons, times, strict=True))

    assert awards_of(learner) == {"first": T0, "hundred": times[2], "two-hundred": times[2]}
    assert xp_of(learner) == 60 + 50 + 100 == ledger_sum(learner)


def test_an_xp_rule_is_not_met_by_its_own_reward(learner, lessons):
    AchievementFactory(slug="big", rule_kind="xp_at_least", rule_params={"xp": 50}, xp=1000)

    complete_at(learner, [(lessons[0], T0), (lessons[1], T0)])

    assert awards_of(learner) == {}


def test_inactive_achievements_are_not_awarded_but_keep_what_was_earned(learner, lessons):
    first = AchievementFactory(slug="first", rule_params={"count": 1}, xp=5)
    AchievementFactory(slug="off", rule_params={"count": 1}, active=False)
    complete_at(learner, [(lessons[0], T0)])
    first.active = False
    first.save()

    result = complete_at(learner, [(lessons[1], T0)])

    assert set(awards_of(learner)) == {"first"}
    assert xp_of(learner) == 35
    assert result.state.achievements == {} and result.state.total_achievements == 0


def test_first_comment_is_recorded_once(learner, lessons):
    AchievementFactory(slug="talker", rule_kind="first_comment", rule_params={}, xp=15)

    first = services.comment_posted_record(user=learner)
    second = services.comment_posted_record(user=learner)

    assert [award.achievement.slug for award in first] == ["talker"]
    assert second == []
    profile = LearnerProfile.objects.get(user=learner)
    assert awards_of(learner) == {"talker": profile.first_comment_at}
    assert profile.xp == 15 == ledger_sum(learner)


def test_first_comment_from_an_anonymous_user_records_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert services.comment_posted_record(user=AnonymousUser()) == []
    assert not LearnerProfile.objects.exists()


def test_a_new_rule_is_awarded_with_the_date_it_was_first_met(learner, lessons):
    complete_at(learner, [(lessons[0], T0), (lessons[1], T0 + timedelta(days=3))])
    AchievementFactory(slug="two", rule_params={"count": 2}, xp=5)

    awarded = services.achievements_evaluate(user=learner)

    assert [(a.achievement.slug, a.awarded_at) for a in awarded] == [
        ("two", T0 + timedelta(days=3))
    ]
    assert services.achievements_evaluate(user=learner) == []
    assert xp_of(learner) == 35


def test_backfill_awards_everyone_and_repairs_the_ledger(learner, other_learner, lessons):
    # given one learner with a lost ledger row, another with a wrong cached total
    complete_at(learner, [(lessons[0], T0)])
    complete_at(other_learner, [(lessons[0], T0), (lessons[1], T0)])
    XPEntry.objects.filter(learner=other_learner, key=f"lesson:{lessons[1].pk}").delete()
    LearnerProfile.objects.filter(user=learner).update(xp=999)
    AchievementFactory(slug="two", rule_params={"count": 2}, xp=5)

    # when
    out = StringIO()
    call_command("progress_backfill", stdout=out)

    # then
    assert "Learners evaluated: 2. New awards: 1. XP rows repaired: 1. XP totals corrected: 1." in (
        out.getvalue()
    )
    assert awards_of(other_learner) == {"two": T0}
    assert xp_of(learner) == 10 == ledger_sum(learner)
    assert xp_of(other_learner) == 35 == ledger_sum(other_learner)


def test_achievements_in_use_cannot_be_deleted_and_lessons_neither(learner, lessons):
    from django.db.models import ProtectedError

    achievement = AchievementFactory(slug="first", rule_params={"count": 1})
    complete_at(learner, [(lessons[0], T0)])

    with pytest.raises(ProtectedError):
        achievement.delete()
    with pytest.raises(ProtectedError):
        lessons[0].delete()


# --- definitions_load --------------------------------------------------------------------------

DEFINITIONS = {
    "levels": [
        {"number": 0, "name": "Scout", "min_xp": 0},
        {"number": 1, "name": "Explorer", "min_xp": 100},
    ],
    "achievements": [
        {
            "slug": "first",
            "name": "First steps",
            "rule_kind": "lessons_completed",
            "rule_params": {"count": 1},
            "xp": 10,
        },
        {"slug": "talk", "name": "Hello", "rule_kind": "first_comment", "rule_params": {}},
    ],
}


def test_definitions_load_is_idempotent():
    first = services.definitions_load(**DEFINITIONS)
    second = services.definitions_load(**DEFINITIONS)

    assert (first.created, first.updated) == (4, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 4)
    assert list(Achievement.objects.values_list("slug", "position", "active")) == [
        ("first", 0, True),
        ("talk", 1, True),
    ]


def test_definitions_load_refuses_a_bad_rule_and_writes_nothing():
    bad = {**DEFINITIONS["achievements"][0], "slug": "bad", "rule_params": {"count": 0}}

    with pytest.raises(ValidationError, match="at least 1"):
        services.definitions_load(levels=DEFINITIONS["levels"], achievements=[bad])

    assert not Level.objects.exists()
    assert not Achievement.objects.exists()
