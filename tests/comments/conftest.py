import uuid

import pytest

from lessons.slots import _slots
from tests.factories import LessonFactory


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Each test counts its own rate limits: a fresh cache-key prefix, and nothing flushed
    (the cache may be a Redis another test run shares)."""
    settings.STREAM = {
        **getattr(settings, "STREAM", {}),
        "COMMENTS_CACHE_PREFIX": f"test-{uuid.uuid4().hex}",
    }


@pytest.fixture
def lesson(db):
    return LessonFactory(
        body="## Setup\n\nText.\n\n## Llama 3 (2024년 4월)\n\nMore text.\n\n### Details\n\nEnd."
    )


@pytest.fixture
def comments_slots_only(monkeypatch):
    """Only lessons' own page plus the comments app's slots (other apps' slots vary)."""
    mine = {
        name: [entry for entry in entries if entry.template_name.startswith("stream/comments/")]
        for name, entries in _slots.items()
    }
    monkeypatch.setattr("lessons.slots._slots", mine)
