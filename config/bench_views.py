"""The benchmark's baseline: the fastest page this project's stack can serve.

``make bench`` compares every endpoint's requests per second with this view's, measured in the
same run: same gunicorn, same middleware, same session and locale handling, but no query, no
template and no cache, just a constant HTML body of the lesson page's size. Its signed-in twin
reads the session and loads the user first: the least a view that knows its viewer costs.
Mounted only when the ``STREAM_BENCH_ENDPOINTS`` setting is on (``bench/settings.py``); never
in production.
"""

import os
from functools import cache

from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_GET

# The lesson page's size in bytes; the bench measures it and passes it in the environment.
DEFAULT_BYTES = 33_000


@cache
def baseline_body() -> bytes:
    size = int(os.environ.get("STREAM_BENCH_BASELINE_BYTES") or DEFAULT_BYTES)
    head = b'<!doctype html><html lang="ko"><head><title>Baseline</title></head><body><p>'
    tail = b"</p></body></html>\n"
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


@require_GET
def baseline(request):
    return HttpResponse(baseline_body(), content_type="text/html; charset=utf-8")


@require_GET
def baseline_signed_in(request):
    """The baseline for a signed-in browser: the same body once Django has read the session and
    loaded the user, as any view that knows its viewer must (403 without a signed-in session,
    so a misconfigured run shows as errors)."""
    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    return HttpResponse(baseline_body(), content_type="text/html; charset=utf-8")
