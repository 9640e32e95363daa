"""``config.redis_cache.RedisCache``: Django's Redis cache with one client per pool."""

import os
import threading

import pytest
from django.core.cache.backends.redis import RedisCacheClient as DjangoClient

from config.redis_cache import RedisCache, RedisCacheClient

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL"
)


def cache_for(url):
    return RedisCache(url, {"KEY_PREFIX": "stream-test-redis-cache"})


def test_it_is_djangos_client_with_the_client_kept():
    client = cache_for("redis://127.0.0.1:6379/0")._cache
    assert isinstance(client, RedisCacheClient) and isinstance(client, DjangoClient)
    # no connection is made to build or keep the client object
    assert client.get_client() is client.get_client()
    assert client.get_client(write=True) is client.get_client(write=False)  # one server


def test_every_thread_gets_the_same_client():
    client = cache_for("redis://127.0.0.1:6379/0")._cache
    found = []
    threads = [threading.Thread(target=lambda: found.append(client.get_client())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(each) for each in found}) == 1


@needs_redis
def test_it_stores_and_reads_like_djangos():
    cache = cache_for(os.environ["REDIS_URL"])
    cache.set("a", {"value": [1, 2]}, timeout=30)
    cache.set_many({"b": b"bytes", "c": "text"}, timeout=30)
    assert cache.get("a") == {"value": [1, 2]}
    assert cache.get_many(["a", "b", "c", "missing"]) == {
        "a": {"value": [1, 2]},
        "b": b"bytes",
        "c": "text",
    }
    assert cache.add("a", "other") is False
    cache.delete_many(["a", "b", "c"])
    assert cache.get_many(["a", "b", "c"]) == {}
