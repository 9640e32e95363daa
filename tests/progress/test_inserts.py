"""``progress.inserts.insert_rows`` writes exactly what ``bulk_create`` would."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.utils import timezone

from progress.inserts import insert_rows
from progress.models import CompletionEvent, LessonCompletion
from tests.factories import LessonFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_rows_come_back_as_written_with_their_types():
    learner, lesson = UserFactory(), LessonFactory()
    event_id = uuid.uuid4()
    at = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    before = timezone.now()

    written = insert_rows(
        CompletionEvent,
        [
            {
                "learner_id": learner.pk,
                "event_id": event_id,
                "payload_hash": "a" * 64,
                "lesson_id": lesson.pk,
                "completed_at": at,
            }
        ],
    )

    assert written == 1
    row = CompletionEvent.objects.get()
    assert (row.learner_id, row.event_id, row.lesson_id) == (learner.pk, event_id, lesson.pk)
    assert row.completed_at == at
    assert row.payload_hash == "a" * 64
    # auto_now_add is filled in, as save() and bulk_create would
    assert before <= row.processed_at <= timezone.now()


def test_many_rows_go_in_batches_the_backend_allows(monkeypatch):
    learner = UserFactory()
    lessons = [LessonFactory() for _ in range(5)]
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    rows = [
        {"learner_id": learner.pk, "lesson_id": lesson.pk, "completed_at": timezone.now(), "xp": 7}
        for lesson in lessons
    ]

    assert insert_rows(LessonCompletion, rows) == 5

    stored = LessonCompletion.objects.filter(learner=learner)
    expected = sorted(lesson.pk for lesson in lessons)
    assert sorted(stored.values_list("lesson_id", flat=True)) == expected
    assert set(stored.values_list("xp", flat=True)) == {7}


def test_nothing_to_insert_sends_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert insert_rows(LessonCompletion, []) == 0
