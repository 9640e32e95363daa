"""The benchmark's baseline: the fastest page this project's stack can serve.

``make bench`` compares every endpoint's requests per second with this view's, measured in the
same run: same gunicorn, same middleware, same session and locale handling, but no query, no
template and no cache, just a constant HTML body of the lesson page's size. Mounted only when
the ``STREAM_BENCH_ENDPOINTS`` setting is on (``bench/settings.py``); never in production.
"""

import os
from functools import cache

from django.http import HttpResponse
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
