"""The proxy purge (lessons.purge): which addresses a committed write hands to STREAM["PURGE"],
and what varnish_purge sends. Varnish itself in front of gunicorn: tests/test_proxy.py."""

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from comments.services import comment_hide, comment_post
from lessons.models import Status
from lessons.purge import varnish_purge
from lessons.services import lesson_unpublish
from tests.factories import CommentFactory, CourseFactory, LessonFactory, TagFactory

pytestmark = pytest.mark.django_db

BASE = "http://proxy.test:6081"
calls: list[list[str]] = []


def record(urls):
    calls.append(list(urls))


def explode(urls):
    raise ConnectionRefusedError("the proxy is down")


@pytest.fixture
def purge(settings):
    calls.clear()
    settings.STREAM = {
        **settings.STREAM,
        "PURGE": "tests.lessons.test_purge.record",
        "PURGE_BASE_URLS": [BASE],
        "COMMENTS_PER_PAGE": 1,
    }
    yield calls
    calls.clear()


@pytest.fixture
def lesson(db):
    tag = TagFactory(slug="attention")
    course = CourseFactory(slug="dense")
    return LessonFactory(course=course, slug="llama", tags=[tag])


def test_a_new_comment_purges_that_lesson_in_every_language_with_its_comment_pages(
    purge, lesson, learner, django_capture_on_commit_callbacks
):
    # given a lesson with two comment pages (one thread per page)
    CommentFactory(lesson=lesson)
    CommentFactory(lesson=lesson)

    # when a learner posts a third thread
    with django_capture_on_commit_callbacks(execute=True):
        comment_post(lesson=lesson, author=learner, body="A new thread")

    # then the proxy is told once to drop the lesson's page and every comment page (one more
    # than now exists), in Korean and in English, and nothing else
    page = "/courses/dense/llama/"
    assert purge == [
        [
            f"{BASE}{page}",
            f"{BASE}{page}?comments_page=2",
            f"{BASE}{page}?comments_page=3",
            f"{BASE}{page}?comments_page=4",
            f"{BASE}/en{page}",
            f"{BASE}/en{page}?comments_page=2",
            f"{BASE}/en{page}?comments_page=3",
            f"{BASE}/en{page}?comments_page=4",
        ]
    ]


def test_a_hidden_comment_purges_the_page_it_was_on(
    purge, lesson, staff, django_capture_on_commit_callbacks
):
    first = CommentFactory(lesson=lesson)
    CommentFactory(lesson=lesson)
    purge.clear()

    # when staff hide one of the two threads, leaving one page
    with django_capture_on_commit_callbacks(execute=True):
        comment_hide(comment=first, user=staff)

    # then the page that no longer exists is purged too
    (urls,) = purge
    assert f"{BASE}/courses/dense/llama/?comments_page=2" in urls


def test_unpublishing_a_lesson_purges_every_shared_page_and_the_lesson_itself(
    purge, lesson, django_capture_on_commit_callbacks
):
    other = LessonFactory(course=lesson.course, slug="mamba", status=Status.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        lesson_unpublish(lesson=lesson)

    (urls,) = purge
    for path in (
        "/",
        "/courses/dense/",
        "/tags/attention/",
        "/courses/dense/llama/",
        "/courses/dense/mamba/",  # drafts too: one may just have been unpublished
    ):
        assert f"{BASE}{path}" in urls
        assert f"{BASE}/en{path}" in urls
    assert other.status == Status.DRAFT
    assert len(urls) == len(set(urls))


def test_several_writes_in_one_transaction_purge_once(
    purge, lesson, django_capture_on_commit_callbacks
):
    from django.db import transaction

    # when one transaction saves three lessons (each save changes the site)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for title in ("One", "Two", "Three"):
            lesson.title = title
            lesson.save()

    # then the proxy gets one purge of the whole site, not three
    assert len(purge) == 1
    assert f"{BASE}/" in purge[0]


def test_a_later_write_purges_again(purge, lesson, django_capture_on_commit_callbacks):
    for title in ("One", "Two"):
        with django_capture_on_commit_callbacks(execute=True):
            lesson.title = title
            lesson.save()

    assert len(purge) == 2


def test_a_failing_purge_is_logged_and_the_write_stands(
    purge, settings, lesson, caplog, django_capture_on_commit_callbacks
):
    settings.STREAM = {**settings.STREAM, "PURGE": "tests.lessons.test_purge.explode"}

    with (
        caplog.at_level(logging.ERROR, logger="lessons.purge"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        lesson_unpublish(lesson=lesson)

    lesson.refresh_from_db()
    assert lesson.status == Status.DRAFT
    assert "Purging the proxy failed" in caplog.text
    assert "the proxy is down" in caplog.text


def test_nothing_is_purged_without_the_setting(
    lesson, settings, django_capture_on_commit_callbacks
):
    calls.clear()
    settings.STREAM = {**settings.STREAM, "PURGE": None, "PURGE_BASE_URLS": [BASE]}

    with django_capture_on_commit_callbacks(execute=True):
        lesson_unpublish(lesson=lesson)

    assert calls == []


# --- varnish_purge ---------------------------------------------------------------------------


@pytest.fixture
def proxy():
    """A stand-in proxy on 127.0.0.1 that records what it is sent and answers ``status``."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        status = 200

        def do_PURGE(self):
            seen.append((self.command, self.path, self.headers["Host"]))
            self.send_response(Handler.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.seen = seen
    server.handler = Handler
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def test_varnish_purge_sends_purge_for_each_address(proxy):
    varnish_purge([f"{proxy.base}/courses/dense/llama/", f"{proxy.base}/x/?comments_page=2"])

    host = proxy.base.removeprefix("http://")
    assert proxy.seen == [
        ("PURGE", "/courses/dense/llama/", host),
        ("PURGE", "/x/?comments_page=2", host),
    ]


def test_varnish_purge_logs_a_refusal_and_stops_there(proxy, caplog):
    proxy.handler.status = 405

    with caplog.at_level(logging.WARNING, logger="lessons.purge"):
        varnish_purge([f"{proxy.base}/a/", f"{proxy.base}/b/"])

    assert len(proxy.seen) == 1
    assert "405" in caplog.text


def test_varnish_purge_logs_a_proxy_that_does_not_answer(caplog):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with caplog.at_level(logging.WARNING, logger="lessons.purge"):
        varnish_purge([f"http://127.0.0.1:{port}/a/"], timeout=1)

    assert f"PURGE on 127.0.0.1:{port} failed" in caplog.text
