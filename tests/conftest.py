import pytest

from tests.factories import StaffFactory, UserFactory


@pytest.fixture
def learner(db):
    return UserFactory()


@pytest.fixture
def other_learner(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests make hundreds of users; Django's production hasher costs ~0.5 s each here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def redis_database_per_test_worker(worker_id):
    """With pytest-xdist and Redis, each worker gets a Redis database of its own: a test's
    ``cache.clear()`` (a FLUSHDB) must not empty the counters of a test running beside it."""
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings
    from django.test.utils import override_settings

    if worker_id == "master":
        yield
        return
    number = int(worker_id.removeprefix("gw")) % 15 + 1  # database 0 is the developer's
    caches = {}
    for alias, conf in settings.CACHES.items():
        location = conf.get("LOCATION", "")
        if isinstance(location, str) and location.startswith(("redis://", "rediss://")):
            conf = {**conf, "LOCATION": urlunsplit(urlsplit(location)._replace(path=f"/{number}"))}
        caches[alias] = conf
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def fresh_api_throttles(settings):
    """Each test counts its own API requests and comment posts: fresh cache-key prefixes for
    the throttles and the comments' rate limits rather than a flushed cache (the cache may be a
    Redis that other test processes share, and user ids repeat from test to test)."""
    import uuid

    settings.STREAM = {
        **(getattr(settings, "STREAM", None) or {}),
        "API_CACHE_PREFIX": f"test-api-{uuid.uuid4().hex}",
        "COMMENTS_CACHE_PREFIX": f"test-comments-{uuid.uuid4().hex}",
        # every test signs in from 127.0.0.1: one test's failures must not lock the next
        # test's learners and staff out
        "SIGNIN_CACHE_PREFIX": f"test-signin-{uuid.uuid4().hex}",
    }


@pytest.fixture(autouse=True)
def site_language_after_each_test():
    """A request with ``Accept-Language`` leaves its language active in the thread; put the
    site's default back so the next test does not depend on the order tests run in."""
    yield
    from django.utils import translation

    translation.deactivate()
