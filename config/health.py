"""``/healthz``: is this app server able to serve? For load balancers and orchestrators.

Answered by a middleware placed first, before anything reads the ``Host`` header: a load
balancer probes each server by its IP address, which is not in ``ALLOWED_HOSTS``, and over
plain HTTP, which ``SECURE_SSL_REDIRECT`` would redirect. The answer says only which part
failed, never why (no error text, no version), so it needs no authentication.
"""

import logging
import secrets

from django.core.cache import caches
from django.db import connections
from django.http import JsonResponse

logger = logging.getLogger("config.health")

PATH = "/healthz"


def database_ok(alias="default") -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception:
        logger.exception("Health check: the database %r does not answer.", alias)
        return False


def cache_ok(alias="default") -> bool:
    key = f"stream:healthz:{secrets.token_hex(8)}"
    try:
        cache = caches[alias]
        cache.set(key, "ok", timeout=10)
        found = cache.get(key)
        cache.delete(key)
        return found == "ok"
    except Exception:
        logger.exception("Health check: the cache %r does not answer.", alias)
        return False


def health_response() -> JsonResponse:
    """200 ``{"status": "ok", "database": "ok", "cache": "ok"}``, or 503 naming what failed."""
    parts = {
        "database": "ok" if database_ok() else "failed",
        "cache": "ok" if cache_ok() else "failed",
    }
    healthy = all(state == "ok" for state in parts.values())
    response = JsonResponse({"status": "ok" if healthy else "failed", **parts})
    response.status_code = 200 if healthy else 503
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers ``GET``/``HEAD /healthz``; put it first in ``MIDDLEWARE``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") == PATH and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)
