"""The cache-backed rate limiter behind posting, flagging and problem reports."""

from unittest import mock

import pytest
from django.test import RequestFactory

from comments.limits import client_ip, rate_limit_hit


def hit(key="learner-1"):
    return rate_limit_hit(scope="test", key=key, limit=2, window=60)


def test_the_attempt_after_the_limit_is_refused_with_the_wait():
    with mock.patch("comments.limits.time.time", return_value=1000.0):
        assert hit() is None and hit() is None
    with mock.patch("comments.limits.time.time", return_value=1015.0):
        assert hit() == 45
        assert hit(key="learner-2") is None


def test_a_burst_across_a_minute_mark_is_still_one_window():
    # given two attempts just before a clock minute ends
    with mock.patch("comments.limits.time.time", return_value=59.5):
        assert hit() is None and hit() is None

    # when a third comes just after it, then it is refused all the same
    with mock.patch("comments.limits.time.time", return_value=60.5):
        assert hit() == 59


@pytest.mark.parametrize(
    "header, meta, expected",
    [
        ("", {"REMOTE_ADDR": "203.0.113.1"}, "203.0.113.1"),
        ("HTTP_X_FORWARDED_FOR", {"HTTP_X_FORWARDED_FOR": "1.1.1.1, 10.0.0.9"}, "10.0.0.9"),
        ("HTTP_X_FORWARDED_FOR", {"REMOTE_ADDR": "203.0.113.1"}, "203.0.113.1"),
    ],
)
def test_client_ip(settings, header, meta, expected):
    settings.STREAM = {**settings.STREAM, "CLIENT_IP_HEADER": header}
    assert client_ip(RequestFactory().get("/", **meta)) == expected
