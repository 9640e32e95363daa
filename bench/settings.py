"""Settings ``make bench`` runs the demo with: the production settings, plus the bench's own
endpoint and two things that only differ because the load comes from loopback.

- ``STREAM_BENCH_ENDPOINTS``: mounts ``/bench/baseline/`` (``config.bench_views``), the stack's
  ceiling the other endpoints are compared with. Off in every other settings module.
- No HTTPS redirect: wrk speaks plain HTTP to gunicorn, as a TLS-terminating proxy would.
- Clients are told apart by ``X-Forwarded-For`` (as behind a load balancer), so the soak's
  learners are not all one IP address to the per-IP problem-report limit.
"""

from config.settings_production import *  # noqa: F403
from config.settings_production import STREAM

STREAM_BENCH_ENDPOINTS = True
SECURE_SSL_REDIRECT = False
STREAM = {**STREAM, "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR"}
