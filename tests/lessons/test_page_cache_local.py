# ruff: noqa: F811 (the page-cache tests' fixtures are imported, then named as arguments)
"""Each worker's copies of pages read from a shared cache (``page_cache.LocalCopies``).

With Redis a hit would otherwise fetch and unpickle the whole page on every request; the
worker keeps the page and checks it against the version tokens, a few bytes, on every use.
(A local-memory cache gains too: it unpickles the whole page on every read.) These tests prove
that a copy is used only while it is exactly as fresh as the shared entry.
"""

import time

import pytest
from django.core.cache import caches

from lessons import page_cache
from lessons.models import Status
from progress import services as progress_services
from tests.factories import CommentFactory, UserFactory
from tests.lessons.test_page_cache import (  # noqa: F401
    assert_hit,
    assert_learner_hit,
    assert_learner_miss,
    assert_miss,
    course,
    learner_client,
    lesson,
    lesson_url,
    text,
    visit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_copies_yet():
    page_cache._local.clear()
    yield
    page_cache._local.clear()


def forget_shared_pages():
    """Take the pages this worker holds copies of out of the shared cache (tokens and
    visibility answers stay)."""
    keys = [key for key in page_cache._local._entries if key.startswith("stream:pages:page:")]
    assert keys
    caches["default"].delete_many(keys)
    assert caches["default"].get_many(keys) == {}


def test_a_hit_is_served_from_this_workers_copy(lesson):
    url = lesson_url(lesson)
    assert_miss(url)
    forget_shared_pages()
    # the shared entry is gone, but this worker's copy is still current: no render, no query
    assert_hit(url)
    assert page_cache.local_copies().size > 0


def test_an_edit_makes_every_workers_copy_stale(lesson):
    url = lesson_url(lesson)
    assert_miss(url)
    assert_hit(url)
    lesson.body = "A brand new paragraph."
    lesson.save()
    assert "A brand new paragraph." in text(assert_miss(url))


def test_a_new_comment_makes_the_copy_stale(lesson):
    url = lesson_url(lesson)
    assert_miss(url)
    CommentFactory(lesson=lesson, body="Fresh from another worker")
    assert "Fresh from another worker" in text(assert_miss(url))


def test_unpublishing_is_404_at_once_despite_the_kept_visibility_answer(lesson):
    url = lesson_url(lesson)
    assert_miss(url)
    assert_hit(url)
    lesson.status = Status.DRAFT
    lesson.save()
    assert visit(url)[0].status_code == 404


def test_a_learners_copy_follows_their_progress(lesson):
    learner = UserFactory()
    client = learner_client(learner)
    url = lesson_url(lesson)
    client.get(url)
    forget_shared_pages()
    assert_learner_hit(client, url)
    progress_services.completion_record(user=learner, lesson=lesson)
    assert "data-progress-button disabled" in text(assert_learner_miss(client, url))


def test_copies_are_off_with_zero_bytes(settings, lesson):
    settings.STREAM = {**settings.STREAM, "PAGE_CACHE_LOCAL_BYTES": 0}
    assert page_cache.local_copies() is None
    url = lesson_url(lesson)
    assert_miss(url)
    assert_hit(url)  # from the shared cache alone
    settings.STREAM = {**settings.STREAM, "PAGE_CACHE_LOCAL_BYTES": 1024}
    assert page_cache.local_copies().max_bytes == 1024


def test_least_recently_used_copies_go_first_beyond_the_limit():
    copies = page_cache.LocalCopies(100)
    later = time.time() + 60
    copies.put("a", {"n": 1}, expires=later, size=40)
    copies.put("b", {"n": 2}, expires=later, size=40)
    assert copies.get("a") == {"n": 1}  # "a" is now the most recently used
    copies.put("c", {"n": 3}, expires=later, size=40)
    assert copies.get("b") is None
    assert copies.get("a") == {"n": 1} and copies.get("c") == {"n": 3}
    assert copies.size == 80
    copies.put("huge", {"n": 4}, expires=later, size=101)  # never kept: bigger than the limit
    assert copies.get("huge") is None and copies.size == 80


def test_a_copy_expires_with_its_shared_entry():
    copies = page_cache.LocalCopies(100)
    copies.put("old", {"n": 1}, expires=time.time() - 1, size=10)
    assert copies.get("old") is None
    assert copies.size == 0
