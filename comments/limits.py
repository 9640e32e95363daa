"""Fixed-window rate limits in Django's cache.

Counters live in the default cache, so with several worker processes that cache must be shared
(Redis in production) or every process counts on its own.
"""

import time

from django.core.cache import cache

from .conf import comments_settings


def rate_limit_hit(*, scope: str, key, limit: int, window: int) -> int | None:
    """Count one attempt for ``key`` in ``scope``; return the seconds to wait when over ``limit``.

    ``None`` means the attempt is within the limit. Attempts are counted per fixed window of
    ``window`` seconds, refused ones included, so hammering does not earn a retry sooner.
    """
    if limit is None or window is None:
        return None
    now = time.time()
    bucket = int(now // window)
    cache_key = f"{comments_settings.COMMENTS_CACHE_PREFIX}:{scope}:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.set(cache_key, 1, timeout=window + 1)
            count = 1
    if count > limit:
        return max(1, int((bucket + 1) * window - now))
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
