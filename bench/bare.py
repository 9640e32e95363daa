"""The bare WSGI app ``make bench`` compares the lesson page with: the same bytes, no Django.

``bench/run.py`` saves the lesson page exactly as the demo's gunicorn served it, then serves
this callable under the same ``config/gunicorn.conf.py`` (same worker class, workers and
keep-alive) with ``STREAM_BENCH_PAGE`` naming that file. Every request gets those bytes with
the page's content type: what this machine's gunicorn can do at all with a page of that size.
"""

import os
from pathlib import Path

BODY = Path(os.environ["STREAM_BENCH_PAGE"]).read_bytes()
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Length", str(len(BODY))),
]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
