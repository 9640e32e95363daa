"""A real learning record store for the xAPI tests: Ralph (``ralph-malph``) on loopback.

Ralph's LRS server pins its own FastAPI, httpx and uvicorn, so it lives in a virtualenv of its
own, ``.venv-ralph``, built from ``tests/ralph-requirements.txt`` the first time a test needs it
(under a file lock: test workers wait for the one that builds it). Each test worker process
runs its own Ralph on a free port, with its file-system backend in a temporary directory and
a Basic-auth credentials file, and stops it at the end of the session. Where Ralph cannot be
installed or started, the tests that need it are skipped with the reason.

Tests use the ``xapi_lrs`` fixture: it turns ``STREAM["XAPI"]`` on for a site address of the
test's own, so every statement id, actor and activity of the test is new to the LRS, and
:meth:`Lrs.statements` reads back, through the LRS's own ``GET statements``, only the test's.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = Path(__file__).with_name("ralph-requirements.txt")
VENV = ROOT / ".venv-ralph"
USERNAME, PASSWORD = "stream", "lrs-test-password"
VERSION = "1.0.3"


class RalphUnavailable(Exception):
    """Ralph could not be installed or started here; the message says why."""


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-15:]
        raise RalphUnavailable(f"{' '.join(map(str, command))} failed:\n" + "\n".join(output))
    return result.stdout


def ralph_python() -> Path:
    """The interpreter of ``.venv-ralph``, built or updated from the requirements file first."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{digest}"
    python = VENV / "bin" / "python"
    lock_path = (
        Path(tempfile.gettempdir())
        / f"stream-ralph-{hashlib.sha256(bytes(VENV)).hexdigest()[:12]}.lock"
    )
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # other workers wait while one builds it
        if not stamp.exists():
            if not python.exists():
                _run([sys.executable, "-m", "venv", str(VENV)], timeout=300)
            _run(
                [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
                timeout=900,
            )
            stamp.touch()
    return python


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Ralph:
    """One Ralph server: started, stopped and started again on the same port and data."""

    def __init__(self, python: Path, workdir: Path):
        self.python, self.workdir = python, workdir
        self.port = _free_port()
        self.process = None
        (workdir / "data").mkdir(parents=True, exist_ok=True)
        password_hash = _run(
            [
                str(python),
                "-c",
                "import bcrypt, sys; print(bcrypt.hashpw(sys.argv[1].encode(), "
                "bcrypt.gensalt(rounds=4)).decode())",
                PASSWORD,
            ]
        ).strip()
        self.auth_file = workdir / "auth.json"
        self.auth_file.write_text(
            json.dumps(
                [
                    {
                        "username": USERNAME,
                        "hash": password_hash,
                        "scopes": ["all"],
                        "agent": {"mbox": "mailto:stream-tests@example.org"},
                    }
                ]
            )
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI/"

    def start(self) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "PYTHON"))
        }
        env.update(
            RALPH_APP_DIR=str(self.workdir / "app"),
            RALPH_AUTH_FILE=str(self.auth_file),
            RALPH_RUNSERVER_BACKEND="fs",
            RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(self.workdir / "data"),
        )
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115 (the server writes it)
        self.process = subprocess.Popen(  # noqa: S603
            [
                str(self.python),
                "-m",
                "uvicorn",
                "lrs_app:app",
                "--app-dir",
                str(Path(__file__).parent),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=self.workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = (self.workdir / "server.log").read_text(errors="replace")[-2000:]
                raise RalphUnavailable(f"Ralph exited at start-up:\n{output}")
            try:
                with urllib.request.urlopen(  # noqa: S310
                    f"http://127.0.0.1:{self.port}/__lbheartbeat__", timeout=1
                ):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RalphUnavailable("Ralph did not answer within 60 seconds.")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def get(self, path: str, params=None, *, version: str | None = VERSION):
        """``GET <path>`` on the LRS as the test's client: (status, headers, decoded body)."""
        query = "?" + urllib.parse.urlencode(params) if params else ""
        request = urllib.request.Request(self.url + path + query)  # noqa: S310
        credentials = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {credentials}")
        if version:
            request.add_header("X-Experience-API-Version", version)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.headers, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.headers, json.loads(error.read() or b"null")


class Lrs:
    """The LRS as one test sees it: ``site_url`` is the test's own site address."""

    def __init__(self, ralph: Ralph, site_url: str):
        self.ralph, self.site_url = ralph, site_url

    def statements(self) -> list[dict]:
        """Every statement the LRS holds about this test's site (its actors' home page), read
        through ``GET statements``, following ``more`` to the end."""
        found, params = [], {"limit": 500}
        while True:
            status, _, body = self.ralph.get("statements", params)
            assert status == 200, body
            found += body["statements"]
            more = body.get("more")
            if not more:
                break
            params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(more).query))
        return [
            statement
            for statement in found
            if statement["actor"].get("account", {}).get("homePage") == self.site_url + "/"
            or statement["object"]["id"].startswith(self.site_url + "/")
        ]


@pytest.fixture(scope="session")
def ralph(tmp_path_factory):
    """This worker's Ralph, started once for the session (skips where Ralph cannot run)."""
    try:
        server = Ralph(ralph_python(), tmp_path_factory.mktemp("ralph"))
        server.start()
    except (RalphUnavailable, OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"Ralph (the LRS for the xAPI tests) cannot run here: {error}")
    yield server
    server.stop()


@pytest.fixture
def xapi_lrs(ralph, settings):
    """``STREAM["XAPI"]`` pointing at this worker's Ralph, for a site address of the test's own.
    Ralph runs when the test starts and again after it (a test may stop it)."""
    if not ralph.running:
        ralph.start()
    site_url = f"https://school-{uuid.uuid4().hex[:12]}.example"
    settings.STREAM = {
        **(getattr(settings, "STREAM", None) or {}),
        "XAPI": {
            "ENDPOINT": ralph.url,
            "USERNAME": USERNAME,
            "PASSWORD": PASSWORD,
            "SITE_URL": site_url,
        },
    }
    yield Lrs(ralph, site_url)
    if not ralph.running:
        ralph.start()


def lrs_mark(items):
    """Give the tests that use the LRS the ``lrs`` marker (``-m "not lrs"`` leaves them out);
    a conftest's ``pytest_collection_modifyitems`` calls it."""
    for item in items:
        if "ralph" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.lrs)
