"""Structured logging for the demo site: one JSON object per line, with the request's id.

``RequestIdMiddleware`` takes the id from the ``X-Request-ID`` header a load balancer sets (when
it looks like one) or makes one, answers with it in ``X-Request-ID``, and keeps it in a context
variable so that every log record written while serving the request carries it.
"""

import contextvars
import json
import logging
import re
import time
import uuid

from django.core.signals import request_finished

request_id_var = contextvars.ContextVar("stream_request_id", default="-")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
HEADER = "X-Request-ID"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        # Kept until the response is closed, not only inside this call: Django logs 4xx and
        # 5xx answers after the middleware chain has returned.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _request_done(**kwargs):
    request_id_var.set("-")


request_finished.connect(_request_done, dispatch_uid="stream-request-id-done")


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (``-`` outside a request)."""

    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


# Attributes every LogRecord has; anything else was passed in ``extra`` and is logged too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra, "exc_info"}``."""

    def format(self, record):
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in data and not name.startswith("_"):
                data[name] = value if isinstance(value, (str, int, float, bool)) else repr(value)
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)
