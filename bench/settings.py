"""Settings ``make bench`` runs the demo with: the production settings, plus the bench's own
endpoint and a few things that only differ because the load comes from loopback.

- ``STREAM_BENCH_ENDPOINTS``: mounts ``/bench/baseline/`` (``config.bench_views``), the stack's
  ceiling the other endpoints are compared with. Off in every other settings module.
- No HTTPS redirect: wrk speaks plain HTTP to gunicorn, as a TLS-terminating proxy would.
- Clients are told apart by ``X-Forwarded-For`` (as behind a load balancer), so the soak's
  learners are not all one IP address to the per-IP problem-report limit.
- No API rate limits (``API_THROTTLE_RATES`` empty): wrk sends thousands of requests a minute
  from one address and a few learners' sessions, and every one of them must be served to be
  measured. Production keeps its limits (``lessons/conf.py``).
- Email goes nowhere (the dummy backend): there is no mail server on a bench machine, and reply
  notifications must not fail for want of one.
"""

import django

from config.settings_production import *  # noqa: F403
from config.settings_production import STREAM

STREAM_BENCH_ENDPOINTS = True
SECURE_SSL_REDIRECT = False
STREAM = {**STREAM, "TRUSTED_PROXY_COUNT": 1, "API_THROTTLE_RATES": {}}

for _name in [name for name in globals() if name.startswith("EMAIL_") or name == "MAILERS"]:
    del globals()[_name]
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
