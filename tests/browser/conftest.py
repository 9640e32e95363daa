"""Browser harness: Playwright (from PyPI) driving Debian's Chromium against ``live_server``.

Reuse these fixtures in any app's browser tests: ``page`` (a fresh context per test, at desktop
width), ``phone_page`` (360 px wide), ``screenshot(page, name)`` (saved under the run's
artefacts), ``assert_accessible(page)`` (axe-core: fails on serious or critical findings) and
``dialogs`` (every JavaScript dialog the page tried to open).
"""

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("STREAM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(
    os.environ.get("STREAM_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - playwright is in the dev extra
    sync_playwright = None


def browser_missing_reason():
    if sync_playwright is None:
        return "Playwright is not installed (pip install -e '.[dev]')."
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return (
            f"Chromium not found at {CHROMIUM}: install it with "
            "`apt-get update && apt-get install -y chromium` (.ci/run does) "
            "or point STREAM_CHROMIUM at one."
        )
    return None


def pytest_collection_modifyitems(config, items):
    reason = browser_missing_reason()
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def chromium():
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test
    # body are still synchronous, so allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_page(chromium, live_server, **options):
    # A visitor of a Korean-first site: the browser asks for Korean, then English.
    options.setdefault("locale", "ko-KR")
    context = chromium.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return context, page


@pytest.fixture
def page(chromium, live_server):
    context, page = _new_page(chromium, live_server, viewport={"width": 1280, "height": 900})
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium, live_server):
    context, page = _new_page(
        chromium,
        live_server,
        viewport={"width": 360, "height": 780},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield page
    context.close()


@pytest.fixture
def dialogs(page):
    seen = []

    def record(dialog):
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return seen


@pytest.fixture
def screenshot(request):
    def take(page, name, *, full_page=True):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        path = ARTIFACTS / f"{slug}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def assert_accessible():
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, *, impacts=("serious", "critical")):
        results = axe.run(page)
        found = [v for v in results.response["violations"] if v.get("impact") in impacts]
        details = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(str(node["target"]) for node in v["nodes"][:5])
            for v in found
        )
        assert not found, f"axe found {len(found)} serious/critical problem(s):\n{details}"

    return check


@pytest.fixture
def sign_in(live_server):
    """``sign_in(page, user)``: give the page's browser context a signed-in session for ``user``.

    Skips the sign-in form (tests of the form itself drive it through the page).
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    def sign(page, user):
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        host = live_server.url.split("//", 1)[1].split(":")[0]
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.session_key,
                    "domain": host,
                    "path": "/",
                }
            ]
        )
        return user

    return sign


def wait_until(page, expression, *, timeout=10.0):
    """Poll the JavaScript ``expression`` in ``page`` until it is truthy.

    Use it instead of ``page.wait_for_function(...)``: Playwright evaluates that predicate with
    ``eval``, which the site's Content-Security-Policy (no ``unsafe-eval``) refuses.
    ``page.evaluate`` goes through the DevTools protocol and is not affected.
    """
    for _ in range(int(timeout * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {timeout} s: {expression}")


HOVER_EVENTS = ("pointerover", "pointerenter", "mouseover", "mouseenter", "mousemove", "focus")


def hover_everything(page, selector):
    """Send every element under ``selector`` the events a pointer resting on it and keyboard
    focus send (in one call): an injected handler on any of them, visible or not, would run.
    Hovering each element with the mouse took 0.2 s for every one that could not be hovered."""
    page.evaluate(
        """([selector, names]) => {
            for (const element of document.querySelectorAll(selector)) {
                for (const name of names) {
                    const kind = name.startsWith("pointer") ? PointerEvent
                        : name === "focus" ? FocusEvent : MouseEvent;
                    element.dispatchEvent(new kind(name, {bubbles: true}));
                }
            }
        }""",
        [selector, list(HOVER_EVENTS)],
    )


@pytest.fixture(autouse=True)
def fresh_comment_limits(settings):
    """Each browser test posts under rate-limit counters of its own."""
    settings.STREAM = {**settings.STREAM, "COMMENTS_CACHE_PREFIX": f"browser-{uuid.uuid4().hex}"}
