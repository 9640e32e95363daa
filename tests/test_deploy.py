"""What production settings send: security headers, the Content-Security-Policy, /healthz,
structured logs.

The production module is imported with the environment it needs, and its security settings
are applied to the test run, so these tests read the values that really ship.
"""

import importlib
import json
import logging
import re
import sys
from html.parser import HTMLParser

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from config.log import JsonFormatter, RequestIdFilter, request_id_var
from config.security import policy_for_path
from lessons.models import Status
from tests.factories import CourseFactory, LessonFactory

pytestmark = pytest.mark.django_db

PRODUCTION_ENV = {
    "SECRET_KEY": "k3y-for-tests-only-8f2b7c1d9e4a6b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e",
    "ALLOWED_HOSTS": "stream.example.com",
    # one worker: production refuses to start on a per-process cache otherwise
    "WEB_CONCURRENCY": "1",
}
SHIPPED = re.compile(
    r"^(SECURE_|SESSION_COOKIE_|CSRF_COOKIE_|X_FRAME_OPTIONS$|MIDDLEWARE$|CONTENT_SECURITY_)"
)


@pytest.fixture
def production(settings, monkeypatch):
    """The test run with production's security settings and allowed host."""
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("config.settings_production", None)
    module = importlib.import_module("config.settings_production")
    sys.modules.pop("config.settings_production", None)
    for name in dir(module):
        if SHIPPED.match(name):
            setattr(settings, name, getattr(module, name))
    settings.ALLOWED_HOSTS = module.ALLOWED_HOSTS
    return module


@pytest.fixture
def lesson(db):
    course = CourseFactory(slug="dense", status=Status.PUBLISHED)
    return LessonFactory(
        course=course,
        slug="llama",
        status=Status.PUBLISHED,
        body='# Heading\n\n```python title="Code"\nprint(1)\n```\n',
    )


def https_client(**extra):
    return Client(headers={"X-Forwarded-Proto": "https", **extra}, HTTP_HOST="stream.example.com")


def directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


# --- Headers on the lesson page --------------------------------------------------------------


def test_lesson_page_sends_every_security_header_under_production_settings(production, lesson):
    # when a visitor opens the lesson page over https
    response = https_client().get(lesson.get_absolute_url())
    assert response.status_code == 200

    # then the browser is told to keep to https for a year, with subdomains
    hsts = response["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts
    # and not to sniff types, frame the page, or leak the path to other sites
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    # and the page sets no cookie (it is the same for everyone); the token the script asks for
    # comes with a CSRF cookie that goes over https only
    assert not response.cookies
    viewer = https_client().get("/api/v1/me/page/")
    assert viewer.cookies["csrftoken"]["secure"] is True


def test_lesson_page_csp_allows_scripts_and_styles_from_the_site_only(production, lesson):
    response = https_client().get(lesson.get_absolute_url())
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert set(policy["img-src"]) == {"'self'", "data:", "https:"}
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_the_cached_anonymous_page_carries_the_same_headers(production, lesson):
    https_client().get(lesson.get_absolute_url())
    second = https_client().get(lesson.get_absolute_url())
    assert "ETag" in second  # served from the page cache
    assert "Content-Security-Policy" in second
    assert "Strict-Transport-Security" in second


def test_signing_in_sets_a_secure_http_only_session_cookie(production, lesson, learner):
    client = https_client()
    client.get(reverse("account_login"))
    response = client.post(
        reverse("account_login"),
        {"login": learner.email, "password": "correct horse battery staple"},
        headers={"X-Forwarded-Proto": "https", "Referer": "https://stream.example.com/"},
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_plain_http_is_redirected_to_https(production, lesson):
    response = Client(HTTP_HOST="stream.example.com").get(lesson.get_absolute_url())
    assert response.status_code == 301
    assert response["Location"].startswith("https://stream.example.com/")


class ScriptsAndStyles(HTMLParser):
    """Collects what a strict policy would refuse: inline scripts, handlers, style attributes."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            kind = attrs.get("type", "")
            if "src" not in attrs and kind != "application/json":
                self.problems.append("inline <script>")
            self._in_script = "src" not in attrs
        if tag == "style":
            self.problems.append("<style> element")
        for name in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name == "style":
                self.problems.append(f"{tag} style=")
        if attrs.get("href", "").lower().startswith("javascript:"):
            self.problems.append("javascript: link")


@pytest.mark.parametrize("signed_in", [False, True])
def test_lesson_page_has_nothing_the_policy_would_refuse(client, lesson, learner, signed_in):
    if signed_in:
        client.force_login(learner)
    parser = ScriptsAndStyles()
    parser.feed(client.get(lesson.get_absolute_url()).content.decode())
    assert parser.problems == []


def test_admin_paths_can_get_their_own_directives(settings):
    settings.CONTENT_SECURITY_POLICY = {"default-src": ["'self'"], "img-src": ["'self'"]}
    settings.CONTENT_SECURITY_POLICY_PATHS = {
        "/admin/": {"img-src": ["'self'", "data:"]},
        "/admin/special/": {"img-src": ["*"]},
    }
    assert policy_for_path("/courses/x/")["img-src"] == ["'self'"]
    assert policy_for_path("/admin/")["img-src"] == ["'self'", "data:"]
    assert policy_for_path("/admin/special/1/")["img-src"] == ["*"]
    assert policy_for_path("/admin/")["default-src"] == ["'self'"]


def test_report_only_mode_for_trying_a_policy(client, lesson, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = True
    response = client.get(lesson.get_absolute_url())
    assert "Content-Security-Policy" not in response
    assert "default-src 'self'" in response["Content-Security-Policy-Report-Only"]


# --- /healthz ---------------------------------------------------------------------------------


def test_healthz_answers_a_load_balancer_probing_by_ip_over_http(production, db):
    # given a probe by the server's address (not in ALLOWED_HOSTS) over plain http
    probe = Client(HTTP_HOST="10.0.0.7:8000")
    response = probe.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert response["Cache-Control"] == "no-store"
    # while any other page for that host is refused, as ALLOWED_HOSTS says
    assert probe.get("/").status_code == 400


def test_healthz_names_the_cache_when_it_fails(client, monkeypatch, db):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    from django.core.cache import caches

    monkeypatch.setattr(caches["default"], "set", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failed", "database": "ok", "cache": "failed"}
    assert "redis" not in response.content.decode()


def test_healthz_names_the_database_when_it_fails(client, monkeypatch, db):
    def broken(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failed", "database": "failed", "cache": "ok"}


def test_healthz_refuses_writes_like_any_page(client, db):
    assert client.post("/healthz").status_code in {403, 404, 405}


# --- Logs -------------------------------------------------------------------------------------


def test_each_response_carries_a_request_id_and_keeps_a_sane_given_one(client, lesson):
    made = client.get(lesson.get_absolute_url())["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    given = client.get(lesson.get_absolute_url(), headers={"X-Request-ID": "lb-42"})
    assert given["X-Request-ID"] == "lb-42"
    forged = client.get(lesson.get_absolute_url(), headers={"X-Request-ID": "x\ny" * 100})
    assert forged["X-Request-ID"] != "x\ny" * 100


def test_json_log_lines_carry_the_request_id_and_extras():
    record = logging.LogRecord(
        "stream.test", logging.WARNING, __file__, 1, "Slow %s", ("page",), None
    )
    record.status_code = 503
    token = request_id_var.set("req-1")
    try:
        RequestIdFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "Slow page"
    assert line["level"] == "WARNING"
    assert line["logger"] == "stream.test"
    assert line["request_id"] == "req-1"
    assert line["status_code"] == 503
    assert line["time"].endswith("Z")


def test_request_logs_carry_the_request_id(client, db):
    # given a handler like the console one (the request-id filter, the JSON formatter)
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        # when a request Django logs (a 404 is a warning) comes through a load balancer
        client.get("/courses/does-not-exist/", headers={"X-Request-ID": "trace-8"})
    finally:
        logger.removeHandler(handler)
    # then its line names the request
    assert [line["request_id"] for line in lines] == ["trace-8"]
    assert lines[0]["status_code"] == 404


# --- Environment switches -----------------------------------------------------------------


def production_value(expression, **env):
    import subprocess

    from tests.test_settings import ROOT, clean_environment

    code = f"from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean_environment(),
            "DJANGO_SETTINGS_MODULE": "config.settings_production",
            **PRODUCTION_ENV,
            **env,
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_sessions_move_to_the_cache_on_request_and_connections_persist():
    assert production_value("settings.SESSION_ENGINE") == "django.contrib.sessions.backends.db"
    assert (
        production_value("settings.SESSION_ENGINE", SESSIONS_IN_CACHE="1")
        == "django.contrib.sessions.backends.cached_db"
    )
    database = "settings.DATABASES['default']"
    assert production_value(f"{database}['CONN_MAX_AGE'], {database}['CONN_HEALTH_CHECKS']") == (
        "60 True"
    )
    assert production_value(f"{database}['CONN_MAX_AGE']", CONN_MAX_AGE="0") == "0"
    assert production_value("settings.LOGGING['handlers']['console']['formatter']") == "json"


# --- Signing a learner out (docs/deploy.md) ------------------------------------------------


@pytest.mark.parametrize("engine", ["db", "cached_db"])
def test_what_signs_a_learner_out_with_each_session_engine(settings, learner, engine):
    from django.contrib.sessions.models import Session

    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    account = reverse("account_email")  # a page for signed-in learners only

    def signed_in(client):
        return client.get(account).status_code == 200

    # given a signed-in learner whose session row is deleted
    client = Client()
    client.force_login(learner)
    Session.objects.all().delete()

    # then with sessions in the cache (SESSIONS_IN_CACHE=1) they are still signed in
    assert signed_in(client) is (engine == "cached_db")

    # and when the session is deleted through its engine, or the password changes, they are not
    if engine == "cached_db":
        from django.contrib.sessions.backends.cached_db import SessionStore

        SessionStore(session_key=client.session.session_key).delete()
        assert not signed_in(client)
    other = Client()
    other.force_login(learner)
    learner.set_password("a new password for this learner")
    learner.save()
    assert not signed_in(other)
    deactivated = Client()
    deactivated.force_login(learner)
    learner.is_active = False
    learner.save()
    assert not signed_in(deactivated)
