import re

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache

from tests.factories import LessonFactory, UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """allauth's and the admin login's counters live in the cache; no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


class Clock:
    """A stand-in for the sign-in policy's clock: tests move ``now`` to pass its windows."""

    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    from lessons import signin

    fake = Clock(1_800_000_000.0)
    monkeypatch.setattr(signin, "time", fake)
    return fake


@pytest.fixture
def lesson(db):
    return LessonFactory(course__slug="basics", slug="first-steps", title="First steps")


@pytest.fixture
def verified_learner(db):
    user = UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def unverified_learner(db):
    user = UserFactory(email="grace@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    return user


def link_in(message, path_prefix):
    """The first link in a mail whose path starts with ``path_prefix``, as a path."""
    match = re.search(
        rf"https?://[^/\s]+({re.escape(path_prefix)}[A-Za-z0-9:_=.\-/]+)", message.body
    )
    assert match, f"no {path_prefix} link in:\n{message.body}"
    return match.group(1)
