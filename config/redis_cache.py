"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a new ``redis.Redis``
object for every cache operation, and its constructor fills a table of some 170 response
callbacks each time: on a cached lesson page, whose only cache operation is one ``MGET`` of
version tokens, that was more time than the round trip to Redis. A ``redis.Redis`` object holds
no connection of its own (it borrows one from the pool for each command) and is safe to share
between threads, so keeping one per pool changes nothing but the cost. Use it as the
``BACKEND`` of a Redis cache: ``"config.redis_cache.RedisCache"`` (the demo does, with
``REDIS_URL``).
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._clients_lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(index)
                if client is None:
                    client = self._client(connection_pool=self._get_connection_pool(write))
                    self._clients[index] = client
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
