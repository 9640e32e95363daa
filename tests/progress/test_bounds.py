"""What a client may claim about a completion: not a time before the lesson was first published
(nor after now), and repeats of what the server already knows cost nothing. The learner's log
holds at most one report per lesson and day, with the earliest time reported that day."""

import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from progress import services
from progress.models import AchievementAward, CompletionEvent, LearnerProfile, LessonCompletion
from progress.rules import activity_days, local_date, streak_current
from tests.factories import AchievementFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db

PUBLISHED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
YEAR_ONE = "0001-01-01T00:00:00Z"


def event(lesson, at, event_id=None):
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": "lesson_completed",
        "lesson": lesson.pk,
        "at": at if isinstance(at, str) else at.isoformat(),
    }


def log_of(user):
    return sorted(
        CompletionEvent.objects.filter(learner=user).values_list("lesson_id", "completed_at")
    )


@pytest.fixture
def lessons(db):
    """Three lessons first published at PUBLISHED."""
    return [LessonFactory(published_at=PUBLISHED, xp=10) for _ in range(3)]


# --- No earlier than the lesson's first publication -----------------------------------------------


def test_a_completion_dated_before_the_lesson_was_published_counts_from_its_publication(
    learner, lessons
):
    # given a completion on the day after publication
    services.progress_sync(user=learner, events=[event(lessons[0], T0)])
    # when a client claims the same lesson was completed in year 1
    result = services.progress_sync(user=learner, events=[event(lessons[0], YEAR_ONE)])
    # then the claim moves the completion only as far back as the lesson's first publication
    assert result.results[0].status == "applied"
    assert LessonCompletion.objects.get(learner=learner).completed_at == PUBLISHED
    assert result.state.completed == {lessons[0].pk: PUBLISHED}


def test_made_up_past_days_do_not_make_a_streak(learner, lessons):
    # given a three-day streak achievement, and lessons published on one day
    AchievementFactory(slug="streak", rule_kind="streak_days", rule_params={"days": 3}, xp=10)
    # when a client claims completions on the three days before publication, then on it
    claims = [event(lesson, PUBLISHED - timedelta(days=3 - n)) for n, lesson in enumerate(lessons)]
    result = services.progress_sync(user=learner, events=claims)
    # then every claim counts on the day of publication: one day, no streak
    assert [r.status for r in result.results] == ["applied"] * 3
    assert not AchievementAward.objects.filter(learner=learner).exists()
    assert {moment for _, moment in log_of(learner)} == {PUBLISHED}


def test_the_page_button_keeps_the_same_bound(learner, lessons):
    result = services.completion_record(
        user=learner, lesson=lessons[0], at=datetime(1, 1, 1, tzinfo=UTC)
    )
    assert result.completed_at == PUBLISHED


def test_a_lesson_without_a_publication_time_counts_from_its_creation(learner, lessons):
    # given a published lesson whose first publication was never recorded (older data)
    lesson = lessons[0]
    type(lesson).objects.filter(pk=lesson.pk).update(published_at=None)
    created = type(lesson).objects.get(pk=lesson.pk).created_at
    # when a completion before it is claimed
    services.progress_sync(user=learner, events=[event(lesson, YEAR_ONE)])
    # then it counts from the lesson's creation
    assert LessonCompletion.objects.get(learner=learner).completed_at == created


def test_year_one_west_of_utc_is_answered_not_a_500(client, learner, lessons):
    # given a learner in a zone west of UTC (the 500 was an OverflowError: year 0 there)
    LearnerProfile.objects.create(user=learner, time_zone="America/New_York")
    client.force_login(learner)
    # when their browser sends a completion dated at the very start of year 1
    response = client.post(
        reverse("stream_progress_api:sync"),
        {"events": [event(lessons[0], YEAR_ONE)], "time_zone": "America/New_York"},
        content_type="application/json",
    )
    # then it is applied, at the lesson's first publication
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "applied"
    assert response.json()["state"]["completed"] == [
        {"lesson": lessons[0].pk, "at": PUBLISHED.isoformat()}
    ]


def test_days_are_counted_even_at_the_ends_of_the_calendar():
    # given reports at the very first and last instants Python can hold
    zone = ZoneInfo("America/New_York")
    first = datetime(1, 1, 1, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    east = ZoneInfo("Asia/Seoul")
    # then days are counted (on their UTC date where the local one does not exist)
    assert local_date(first, zone) == first.date()
    assert local_date(last, east) == last.date()
    assert list(activity_days([(1, first), (2, last)], zone)) == [first.date(), last.date()]
    assert streak_current(activity=[(1, first)], time_zone=zone, now=timezone.now()) == 0


# --- Repeats of a known completion cost no row --------------------------------------------------


def test_new_ids_for_a_known_completion_are_duplicates_and_write_nothing(learner, lessons):
    # given a lesson the learner completed
    services.progress_sync(user=learner, events=[event(lessons[0], T0)])
    # when three syncs of 500 events each claim it again under new ids, at the same time
    statuses = Counter()
    for _ in range(3):
        batch = [event(lessons[0], T0) for _ in range(500)]
        statuses.update(
            r.status for r in services.progress_sync(user=learner, events=batch).results
        )
    # then each is answered duplicate, and the log still holds the one report
    assert statuses == Counter({"duplicate": 1500})
    assert log_of(learner) == [(lessons[0].pk, T0)]


def test_a_later_report_the_same_day_is_a_duplicate_an_earlier_one_moves_the_days_time(
    learner, lessons
):
    # given a completion reported on day 1 at 10:00 (UTC, the learner's zone)
    LearnerProfile.objects.create(user=learner, time_zone="UTC")
    ten = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    services.progress_sync(user=learner, events=[event(lessons[0], ten)])
    # when the same lesson is reported later that day, then earlier that day
    later = services.progress_sync(
        user=learner, events=[event(lessons[0], ten + timedelta(hours=5))]
    )
    earlier = event(lessons[0], ten - timedelta(hours=2))
    first = services.progress_sync(user=learner, events=[earlier])
    # then the later report changes nothing; the earlier one is applied, in the same row
    assert later.results[0].status == "duplicate"
    assert first.results[0].status == "applied"
    assert log_of(learner) == [(lessons[0].pk, ten - timedelta(hours=2))]
    assert LessonCompletion.objects.get(learner=learner).completed_at == ten - timedelta(hours=2)
    # and sending the earlier report again is a duplicate
    again = services.progress_sync(user=learner, events=[earlier])
    assert again.results[0].status == "duplicate"


def test_reports_ever_earlier_the_same_day_keep_one_row(learner, lessons):
    # given a lesson completed late on a day
    LearnerProfile.objects.create(user=learner, time_zone="UTC")
    late = datetime(2026, 3, 5, 23, 0, tzinfo=UTC)
    services.progress_sync(user=learner, events=[event(lessons[0], late)])
    # when 500 reports, each a second earlier than the one before, arrive in two batches
    times = [late - timedelta(seconds=n) for n in range(1, 501)]
    services.progress_sync(user=learner, events=[event(lessons[0], at) for at in times[:250]])
    services.progress_sync(user=learner, events=[event(lessons[0], at) for at in times[250:]])
    # then the day still has one row, at the earliest time reported
    assert log_of(learner) == [(lessons[0].pk, times[-1])]


def test_a_report_of_a_known_lesson_on_a_new_day_adds_that_day(learner, lessons):
    # given a two-day streak achievement and a lesson completed on day 1
    AchievementFactory(slug="streak", rule_kind="streak_days", rule_params={"days": 2}, xp=10)
    LearnerProfile.objects.create(user=learner, time_zone="UTC")
    day1 = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    services.progress_sync(user=learner, events=[event(lessons[0], day1)])
    # when another device reports the same lesson done on day 2
    result = services.progress_sync(
        user=learner, events=[event(lessons[0], day1 + timedelta(days=1))]
    )
    # then that day counts (one row for it), while the completion keeps day 1
    assert result.results[0].status == "applied"
    assert len(log_of(learner)) == 2
    assert [award.achievement.slug for award in result.awarded] == ["streak"]
    assert LessonCompletion.objects.get(learner=learner).completed_at == day1


def test_what_a_learner_ends_with_does_not_depend_on_the_order_reports_came_in(lessons):
    # given reports of two lessons on one day, in two orders, for two learners
    AchievementFactory(slug="two", rule_kind="lessons_in_one_day", rule_params={"count": 2})
    day = datetime(2026, 3, 5, tzinfo=UTC)
    reports = [
        event(lessons[0], day + timedelta(hours=9)),
        event(lessons[0], day + timedelta(hours=15)),
        event(lessons[1], day + timedelta(hours=12)),
        event(lessons[0], day + timedelta(hours=11)),
    ]
    ends = []
    for order in (reports, reports[::-1]):
        learner = UserFactory()
        LearnerProfile.objects.create(user=learner, time_zone="UTC")
        for report in order:
            services.progress_sync(user=learner, events=[report])
        award = AchievementAward.objects.get(learner=learner)
        ends.append(([(lesson, at) for lesson, at in log_of(learner)], award.awarded_at))
    # then both hold the same log and the award dated by the day's second lesson
    assert ends[0] == ends[1]
    assert ends[0][1] == day + timedelta(hours=12)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL's row locks (SQLite runs one writer at a time): set DATABASE_URL",
)
@pytest.mark.django_db(transaction=True)
def test_ten_threads_reporting_a_known_lesson_under_new_ids_add_one_row_for_the_day():
    # given a learner who completed a lesson on a day
    learner = UserFactory()
    lesson = LessonFactory(published_at=PUBLISHED)
    LearnerProfile.objects.create(user=learner, time_zone="UTC")
    services.progress_sync(user=learner, events=[event(lesson, T0)])
    next_day = T0 + timedelta(days=1)
    start = threading.Barrier(10)
    answers, errors = [], []

    def sync(n):
        try:
            start.wait()
            batch = [event(lesson, next_day + timedelta(minutes=n)) for _ in range(20)]
            answers.append(services.progress_sync(user=learner, events=batch))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # when 10 threads each report it 20 times on the next day, under new ids, at once
    threads = [threading.Thread(target=sync, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every request succeeded and the next day holds one row, at the earliest report
    assert errors == []
    assert len(answers) == 10
    assert log_of(learner) == [(lesson.pk, T0), (lesson.pk, next_day)]
    assert LessonCompletion.objects.get(learner=learner).completed_at == T0
