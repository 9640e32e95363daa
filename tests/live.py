"""The demo site under gunicorn, for tests that need real worker processes and a real proxy
(tests/test_workers.py, tests/test_proxy.py).

:class:`Site` gives the demo a database of its own (a SQLite file, or a fresh PostgreSQL
database when ``DATABASE_URL`` is set; the Redis of ``REDIS_URL`` under a key prefix of its
own when that is set, with the shared pages there too, else each worker's local memory), runs
``manage.py`` in subprocesses and gunicorn with two workers on 127.0.0.1. :class:`Browser`
talks HTTP to it with one new connection per request (so each may reach either worker), keeps
cookies and submits forms.
Settings: ``tests/live_settings.py``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
SECRET_KEY = "live-tests-only-0b9e1c7d5a3f8e2d4c6b8a0f1e3d5c7b9a1f3e5d7c9b"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, *, seconds: float, what: str):
    """``check()``'s first true answer, asked every 0.2 s for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = check()
        except OSError:
            answer = None
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"Gave up after {seconds} s waiting for {what}")
        time.sleep(0.2)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def worker(self) -> str | None:
        return self.headers.get("X-Test-Worker")


class Browser:
    """Cookies and forms over plain HTTP; ``Connection: close`` on every request."""

    def __init__(self, port: int, *, cookies: dict | None = None):
        self.port = port
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, *, form=None, headers=None) -> Answer:
        sent = {"Connection": "close", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Answer(response.status, response.headers, text)

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form, **kwargs) -> Answer:
        return self.request("POST", path, form=form, **kwargs)

    def submit(self, path: str, changes: dict, *, form: str) -> Answer:
        """Open ``path``, fill the form whose id is ``form`` or whose action ends with it as a
        browser would, change ``changes`` and send it."""
        page = self.get(path)
        assert page.status == 200, f"GET {path}: {page.status}"
        form = _FormReader(form)
        form.feed(page.text)
        assert form.fields, f"no form on {path}"
        fields = [(name, value) for name, value in form.fields if name not in changes]
        fields += [(name, value) for name, value in changes.items()]
        return self.post(urljoin(path, form.action or path), fields)


class _FormReader(HTMLParser):
    """The fields a browser would send for one form: inputs (checked boxes only), selects'
    chosen options and textareas."""

    def __init__(self, form):
        super().__init__(convert_charrefs=True)
        self.form = form
        self.fields: list[tuple[str, str]] = []
        self.action = ""
        self._state = "before"  # before, inside, after
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self._state == "before":
            action = attrs.get("action", "").split("?")[0]
            if attrs.get("id") == self.form or action.endswith(self.form):
                self._state = "inside"
                self.action = attrs.get("action") or ""
            return
        if self._state != "inside":
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "chosen": []}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"].append(value)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if self._state != "inside":
            return
        if tag == "form":
            self._state = "after"
        elif tag == "select" and self._select is not None:
            chosen = self._select["chosen"] or [self._select["first"] or ""]
            self.fields += [(self._select["name"], value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.fields.append((name, text.removeprefix("\n")))
            self._textarea = None


def csrf_token(answer: Answer) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text)
    assert found, "no CSRF token on the page"
    return found[1]


class Site:
    """The demo in a database of its own, run by gunicorn with two workers on 127.0.0.1."""

    def __init__(self, tmp: Path, *, stream: dict | None = None):
        self.tmp = tmp
        if os.environ.get("REDIS_URL"):
            # The demo keeps pages in each worker's memory (its "pages" alias), which the
            # SQLite runs cover; with Redis, pages go to Redis, shared by the workers.
            stream = {"PAGE_CACHE_ALIAS": "default", **(stream or {})}
        self.port = free_port()
        self._pg_database = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.live_settings",
            "SECRET_KEY": SECRET_KEY,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "STREAM_LIVE": json.dumps(stream or {}),
            "CACHE_KEY_PREFIX": f"stream-live-{uuid.uuid4().hex}",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        url = os.environ.get("DATABASE_URL")
        if url and url.startswith("postgres"):
            self.env["DATABASE_URL"] = self._pg_create(url)
        else:
            self.env["DATABASE_URL"] = f"sqlite:///{tmp / 'db.sqlite3'}"
        self.process = None

    @property
    def backends(self) -> str:
        database = "PostgreSQL" if self._pg_database else "SQLite"
        cache = "Redis, pages too" if self.env.get("REDIS_URL") else "local memory per worker"
        return f"{database}, {cache}"

    def _pg_create(self, url: str) -> str:
        import psycopg

        self._pg_url = url
        self._pg_database = f"stream_live_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self._pg_database}"')
        return urlunsplit(urlsplit(url)._replace(path=f"/{self._pg_database}"))

    def manage(self, *args: str, timeout: float = 180) -> str:
        """``manage.py *args`` in a process of its own; its standard output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}"
        return done.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "--no-imports", "-c", code)

    def start(self) -> None:
        self._log = open(self.tmp / "gunicorn.log", "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--workers=2",
                f"--bind=127.0.0.1:{self.port}",
                "--timeout=60",
                "--graceful-timeout=5",
            ],
            cwd=REPO,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        browser = self.browser()
        wait_until(
            lambda: self.process.poll() is None and browser.get("/healthz").status == 200,
            seconds=60,
            what=f"gunicorn on port {self.port} (log: {self.tmp / 'gunicorn.log'})",
        )

    def log(self) -> str:
        return (self.tmp / "gunicorn.log").read_text(errors="replace")[-4000:]

    def browser(self, **kwargs) -> Browser:
        return Browser(self.port, **kwargs)

    def close(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
            self._log.close()
        if self._pg_database:
            import psycopg

            with psycopg.connect(self._pg_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self._pg_database}" WITH (FORCE)')


# Run by seed() in one process: migrate, then the data the live tests start from, printed as
# JSON. Lessons named in "own_course" get a course of their own, named after them.
SEED = """
import json
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

call_command("migrate", "--no-input", verbosity=0)

from comments.services import comment_post
from lessons.models import Course, Lesson, Status
from progress.models import Level

User = get_user_model()
course = Course.objects.create(title="Deep Nets", slug="deep", status=Status.PUBLISHED, position=0)
staff = User.objects.create_superuser("root", "root@example.com", "pw-root-123456")
learner = User.objects.create_user("mallory", "mallory@example.com", "pw-mallory-123456")
ids = {}
for position, slug in enumerate(%(lessons)r, start=1):
    own = slug in %(own_course)r
    lesson = Lesson.objects.create(
        course=Course.objects.create(
            title=f"Course {slug}", slug=f"course-{slug}", status=Status.PUBLISHED,
            position=position,
        ) if own else course,
        slug=slug, title=f"Lesson {slug}", status=Status.PUBLISHED, position=position,
        body=f"Body of {slug}.",
    )
    ids[slug] = lesson.pk
comment = comment_post(lesson=lesson, author=learner, body="A remark to moderate")
Level.objects.create(number=0, name="Novice Tinkerer", min_xp=0)
sessions = {}
for name, user in (("staff", staff), ("learner", learner)):
    client = Client()
    client.force_login(user)
    sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
print(json.dumps({
    "lessons": ids, "comment": comment.pk, "sessions": sessions,
    "cookie": settings.SESSION_COOKIE_NAME,
}))
"""


def seed(site: Site, lessons: list[str], *, own_course=()) -> dict:
    """Migrate ``site``'s database and add the seed data: the lessons ``lessons`` (the last has
    one comment by the learner), a level 0, staff and a learner. Returns lesson ids by slug,
    the comment's id and the staff's and the learner's session cookies."""
    output = site.shell(SEED % {"lessons": list(lessons), "own_course": list(own_course)})
    return json.loads(output.strip().splitlines()[-1])
