"""The demo's settings for tests that run it under gunicorn (tests/live.py): the database and
cache come from the environment as in ``config.settings``, ``STREAM_LIVE`` (JSON) adds
``STREAM`` keys (the purge's proxy address, ``PAGE_PROXY_SECONDS``), and every answer says
which worker process made it, so a test can check that both workers answered."""

import json
import os

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE, STREAM

STREAM = {**STREAM, **json.loads(os.environ.get("STREAM_LIVE", "{}"))}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MIDDLEWARE = ["tests.live_settings.WorkerMiddleware", *MIDDLEWARE]


class WorkerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers["X-Test-Worker"] = str(os.getpid())
        return response
