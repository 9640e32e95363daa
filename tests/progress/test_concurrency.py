"""Two syncs of the same events at the same moment award once: 10 real threads on PostgreSQL."""

import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.db.models import Sum

from progress import services
from progress.models import AchievementAward, LearnerProfile, LessonCompletion, XPEntry
from tests.factories import AchievementFactory, LessonFactory, UserFactory

THREADS = 10
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL's row locks (SQLite runs one writer at a time): set DATABASE_URL",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("profile", ["new learner", "returning learner"])
def test_ten_threads_syncing_the_same_20_events_apply_and_award_once(profile):
    # given a learner (with a profile row already, or not yet), 20 lessons and rules to meet
    learner = UserFactory()
    if profile == "returning learner":
        LearnerProfile.objects.create(user=learner)
    lessons = LessonFactory.create_batch(20)
    AchievementFactory(slug="first", rule_params={"count": 1}, xp=5)
    AchievementFactory(slug="twenty", rule_params={"count": 20}, xp=50)
    AchievementFactory(slug="xp", rule_kind="xp_at_least", rule_params={"xp": 100}, xp=7)
    events = [
        {
            "id": str(uuid.uuid4()),
            "type": "lesson_completed",
            "lesson": lesson.pk,
            "at": (T0 + timedelta(minutes=n)).isoformat(),
        }
        for n, lesson in enumerate(lessons)
    ]
    start = threading.Barrier(THREADS)
    answers, errors = [], []

    def sync():
        try:
            start.wait()
            answers.append(services.progress_sync(user=learner, events=events))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # when 10 threads sync them at the same moment
    threads = [threading.Thread(target=sync) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every request succeeded, and each event was applied by exactly one of them
    assert errors == []
    applied = Counter(
        result.id for answer in answers for result in answer.results if result.status == "applied"
    )
    assert applied == Counter({event["id"]: 1 for event in events})
    # each completion, XP row and award exists exactly once
    assert LessonCompletion.objects.filter(learner=learner).count() == 20
    assert XPEntry.objects.filter(learner=learner).count() == 20 + 3
    assert sorted(
        AchievementAward.objects.filter(learner=learner).values_list("achievement__slug", flat=True)
    ) == ["first", "twenty", "xp"]
    assert LearnerProfile.objects.filter(user=learner).count() == 1
    # and the cached total equals the ledger's sum
    ledger = XPEntry.objects.filter(learner=learner).aggregate(total=Sum("amount"))["total"]
    assert LearnerProfile.objects.get(user=learner).xp == ledger == 20 * 10 + 5 + 50 + 7
