"""Rate limits in Django's cache: at most N attempts in a window opened by the first one.

Counters live in the default cache, so with several worker processes that cache must be shared
(Redis in production) or every process counts on its own.
"""

import time

from django.core.cache import cache

from lessons.signin import client_ip

from .conf import comments_settings

# The client address the comments app counts by is the one every Stream limit uses.
__all__ = ["client_ip", "rate_limit_hit"]


def rate_limit_hit(*, scope: str, key, limit: int, window: int) -> int | None:
    """Count one attempt for ``key`` in ``scope``; return the seconds to wait when over ``limit``.

    ``None`` means the attempt is within the limit. A window of ``window`` seconds opens at the
    first attempt (not at a clock boundary, so a burst across a minute mark is still one
    burst); attempts are counted in it, refused ones included, so hammering does not earn a
    retry sooner. The counter relies on ``cache.incr`` keeping the key's expiry, as the Redis
    and local-memory backends do.
    """
    if limit is None or window is None:
        return None
    now = time.time()
    counter = f"{comments_settings.COMMENTS_CACHE_PREFIX}:{scope}:{key}"
    opened = f"{counter}:opened"
    if cache.add(counter, 1, timeout=window):
        cache.set(opened, now, timeout=window)
        count = 1
    else:
        try:
            count = cache.incr(counter)
        except ValueError:  # the window closed between add() and incr()
            cache.set(counter, 1, timeout=window)
            cache.set(opened, now, timeout=window)
            count = 1
    if count > limit:
        return max(1, int(cache.get(opened, now) + window - now))
    return None
