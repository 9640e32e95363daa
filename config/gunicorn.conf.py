"""Gunicorn configuration for Stream in production: ``gunicorn -c config/gunicorn.conf.py``.

Every value can be changed from the environment, so one image serves any machine size:

- ``GUNICORN_BIND`` (default ``0.0.0.0:8000``)
- ``WEB_CONCURRENCY`` worker processes (default 2 × cores + 1: Django is CPU-bound between
  short database waits, so a few more processes than cores keep every core busy)
- ``GUNICORN_THREADS`` threads per worker (default 1; the ``gthread`` worker keeps HTTP
  keep-alive connections open even with one thread, which a load balancer appreciates)
- ``GUNICORN_TIMEOUT`` seconds before a stuck worker is restarted (default 30)
- ``GUNICORN_MAX_REQUESTS`` requests before a worker is recycled (default 10,000, with jitter,
  so a slow leak in any library cannot grow without bound; 0 turns it off)
- ``GUNICORN_ACCESS_LOG`` (default ``-``: standard output; empty: no access log)
- ``FORWARDED_ALLOW_IPS`` proxies trusted for ``X-Forwarded-*`` (default ``127.0.0.1``)

``make bench`` runs the demo with this file, so the published figures are this configuration's.
"""

import multiprocessing
import os


def _int(name, default):
    return int(os.environ.get(name) or default)


wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 1)
keepalive = 5
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
max_requests = _int("GUNICORN_MAX_REQUESTS", 10_000)
max_requests_jitter = max_requests // 10
# Load the application once in the master, then fork: workers share its memory pages and a
# broken deployment fails at start instead of in every worker. Django opens no database
# connection at import, so nothing is shared that should not be.
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
