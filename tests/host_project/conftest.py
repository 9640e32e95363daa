"""The host project's tests run in a pytest session of their own, under its settings:

    pytest --ds=tests.host_project.settings tests/host_project

In the demo's session (``config.settings``) this directory is skipped: its apps are not
installed there.
"""

import os
import uuid

import pytest

HOST_SETTINGS = "tests.host_project.settings"
IN_HOST = os.environ.get("DJANGO_SETTINGS_MODULE") == HOST_SETTINGS

if not IN_HOST:
    collect_ignore_glob = ["*"]
else:
    # The browser harness, shared with tests/browser/ (the demo's browser tests).
    from tests.browser.conftest import (  # noqa: F401
        assert_accessible,
        browser_missing_reason,
        chromium,
        page,
        phone_page,
        screenshot,
        sign_in,
    )

    # The learning record store the xAPI tests send statements to.
    from tests.lrs import lrs_mark, ralph, xapi_lrs  # noqa: F401

    def pytest_collection_modifyitems(config, items):
        lrs_mark(items)
        reason = browser_missing_reason()
        for item in items:
            if item.fspath.basename == "test_browser.py":
                item.add_marker(pytest.mark.browser)
                if reason:
                    item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Each test counts its own comment and report limits and failed sign-ins (the cache may be
    a shared Redis)."""
    settings.STREAM = {
        **settings.STREAM,
        "COMMENTS_CACHE_PREFIX": f"acme-{uuid.uuid4().hex}",
        "SIGNIN_CACHE_PREFIX": f"acme-signin-{uuid.uuid4().hex}",
    }


@pytest.fixture
def course(db):
    """A published course of three lessons (10, 20, 30 XP) with an exercise in the second."""
    from tests.factories import CourseFactory, LessonFactory

    course = CourseFactory(slug="welding", title="Welding basics")
    for position, xp in enumerate((10, 20, 30), start=1):
        LessonFactory(
            course=course,
            position=position,
            slug=f"w{position}",
            title=f"Weld {position}",
            xp=xp,
            exercise="Weld two plates." if position == 2 else "",
        )
    return course


@pytest.fixture
def lessons(course):
    return list(course.lessons.order_by("position"))


@pytest.fixture
def member(db):
    from tests.factories import UserFactory

    return UserFactory(email="ada@acme.test", nickname="Ada", avatar_url="https://acme.test/a.png")


@pytest.fixture
def other_member(db):
    from tests.factories import UserFactory

    return UserFactory(email="bora@acme.test", nickname="Bora")
