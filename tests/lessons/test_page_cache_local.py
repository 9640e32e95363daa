# ruff: noqa: F811 (the page-cache tests' fixtures are imported, then named as arguments)
"""Each worker's copies of pages read from a shared cache (``page_cache.LocalCopies``).

With Redis a hit would otherwise fetch and unpickle the whole page on every request; the
worker keeps the page and checks it against the version tokens, a few bytes, on every use.
(A local-memory cache gains too: it unpickles the whole page on every read.) These tests prove
that a copy is used only while it is exactly as fresh as the shared entry.
"""

import re
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


# --- Long learner pages kept in shared segments -------------------------------------------------


@pytest.fixture
def segmented(monkeypatch):
    """Every learner page counts as long (the threshold is 64 KB of page)."""
    monkeypatch.setattr(page_cache, "SEGMENTED_PAGE_BYTES", 1)


TOKEN_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=|"csrfToken": )"[^"]+"')


def body_without_tokens(response):
    return TOKEN_VALUE.sub("TOKEN", text(response))


def test_learners_share_segments_and_each_sees_their_own_controls(segmented, lesson):
    ann, ben = UserFactory(first_name="Ann"), UserFactory(first_name="Ben")
    ann_comment = CommentFactory(lesson=lesson, author=ann, body="Ann asks")
    ben_comment = CommentFactory(lesson=lesson, author=ben, body="Ben answers")
    for number in range(5):
        CommentFactory(lesson=lesson, body=f"Someone else {number}")
    url = lesson_url(lesson)
    ann_client, ben_client = learner_client(ann), learner_client(ben)

    ann_first = ann_client.get(url)
    segments_after_ann = {k for k in page_cache._local._entries if ":segment:" in k}
    ben_first = ben_client.get(url)
    segments_after_ben = {k for k in page_cache._local._entries if ":segment:" in k}
    # Ben's copy added only the segments that differ for him (the page top, the two comments
    # whose controls depend on who reads them), not the others
    assert 0 < len(segments_after_ben - segments_after_ann) < len(segments_after_ann)

    # and each gets their own page back, the same as it was rendered, from the segments
    page_cache._local.clear()  # a fresh worker: everything from the shared cache
    ann_again = assert_learner_hit(ann_client, url)
    ben_again = assert_learner_hit(ben_client, url)
    assert body_without_tokens(ann_again) == body_without_tokens(ann_first)
    assert body_without_tokens(ben_again) == body_without_tokens(ben_first)
    edit = "/comments/{}/edit/"
    assert edit.format(ann_comment.pk) in text(ann_again)
    assert edit.format(ann_comment.pk) not in text(ben_again)
    assert edit.format(ben_comment.pk) in text(ben_again)
    assert "Ann" not in text(ben_again).split('id="comments"')[0]


def test_a_segment_gone_from_the_cache_is_a_miss(segmented, lesson):
    for number in range(3):
        CommentFactory(lesson=lesson, body=f"Comment {number}")
    client = learner_client()
    url = lesson_url(lesson)
    first = client.get(url)
    segment_keys = [k for k in page_cache._local._entries if ":segment:" in k]
    page_cache._local.clear()
    caches["default"].delete(segment_keys[-1])
    again = assert_learner_miss(client, url)
    assert body_without_tokens(again) == body_without_tokens(first)
    assert_learner_hit(client, url)
