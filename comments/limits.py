"""Rate limits in Django's cache: at most N attempts in a window opened by the first one.

Counters live in the default cache, so with several worker processes that cache must be shared
(Redis in production) or every process counts on its own.
"""

import time

from django.core.cache import cache

from .conf import comments_settings


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


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or the right-most entry of the header named by
    ``STREAM["CLIENT_IP_HEADER"]`` (the address your own proxy appended)."""
    header = comments_settings.CLIENT_IP_HEADER
    if header:
        value = request.META.get(header, "")
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if parts:
            return parts[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
