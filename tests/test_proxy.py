"""Varnish in front of gunicorn, with the VCL docs/deploy.md gives and lessons.purge.varnish_purge
purging it (issue 12, item 9): shared pages are served from Varnish, and a write is seen at the
next request through it although pages may stay there ten minutes.

Needs ``varnishd`` (Debian's ``varnish`` package; .ci/run installs it) and a C compiler for
the VCL; skipped without it. Everything listens on 127.0.0.1.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.live import Browser, Site, csrf_token, free_port, seed, wait_until

VARNISHD = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin:/usr/local/sbin")
DEPLOY_DOC = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"

pytestmark = pytest.mark.skipif(
    VARNISHD is None, reason="varnishd is not installed (Debian: apt-get install varnish)"
)


def documented_vcl() -> str:
    (vcl,) = re.findall(r"```vcl\n(.*?)```", DEPLOY_DOC.read_text(encoding="utf-8"), re.S)
    return vcl


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    """(the site under gunicorn, a browser that goes through Varnish)."""
    tmp = tmp_path_factory.mktemp("proxy")
    varnish_port = free_port()
    site = Site(
        tmp,
        stream={
            "PURGE": "lessons.purge.varnish_purge",
            "PURGE_BASE_URLS": [f"http://127.0.0.1:{varnish_port}"],
            "PAGE_PROXY_SECONDS": 600,
        },
    )
    varnish = None
    log = open(tmp / "varnish.log", "w")  # noqa: SIM115 (closed below)
    try:
        site.data = seed(site, ["plain", "unpublished", "commented"])
        site.start()
        vcl = documented_vcl()
        assert '.port = "8000";' in vcl
        (tmp / "stream.vcl").write_text(vcl.replace('.port = "8000";', f'.port = "{site.port}";'))
        varnish = subprocess.Popen(
            [
                VARNISHD,
                "-F",
                "-j",
                "none",
                "-a",
                f"127.0.0.1:{varnish_port}",
                "-f",
                str(tmp / "stream.vcl"),
                "-n",
                str(tmp / "varnish"),
                "-s",
                "malloc,32m",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        through_varnish = Browser(varnish_port)
        wait_until(
            lambda: varnish.poll() is None and through_varnish.get("/healthz").status == 200,
            seconds=60,
            what=f"varnishd on port {varnish_port} (log: {tmp / 'varnish.log'})",
        )
        yield site, through_varnish
    finally:
        if varnish is not None:
            varnish.terminate()
            try:
                varnish.wait(timeout=15)
            except subprocess.TimeoutExpired:
                varnish.kill()
                varnish.wait(timeout=5)
        log.close()
        site.close()


def path_of(slug: str) -> str:
    return f"/courses/deep/{slug}/"


def is_hit(answer) -> bool:
    # Varnish's X-Varnish names the request, then, on a hit, the request that stored the copy.
    return len(answer.headers["X-Varnish"].split()) == 2


def cached(through_varnish, path: str):
    """Ask twice: the second answer must come from Varnish's copy."""
    through_varnish.get(path)
    answer = through_varnish.get(path)
    assert answer.status == 200
    assert is_hit(answer), dict(answer.headers)
    return answer


def test_a_shared_page_is_served_by_varnish_the_second_time(proxy):
    site, through_varnish = proxy

    first = through_varnish.get(path_of("plain"))
    second = through_varnish.get(path_of("plain"))

    assert first.status == second.status == 200
    assert not is_hit(first)
    assert is_hit(second)
    assert second.headers["Age"] is not None
    assert "s-maxage=600" in second.headers["Cache-Control"]
    assert second.text == first.text


def test_a_signed_in_browser_goes_past_varnish(proxy):
    site, through_varnish = proxy
    cached(through_varnish, path_of("plain"))
    signed_in = Browser(
        through_varnish.port,
        cookies={site.data["cookie"]: site.data["sessions"]["learner"]},
    )

    answer = signed_in.get(path_of("plain"))

    assert answer.status == 200
    assert not is_hit(answer)


def test_an_unpublished_lesson_is_a_404_through_varnish_at_the_next_request(proxy):
    site, through_varnish = proxy
    path = path_of("unpublished")
    cached(through_varnish, path)

    # when staff unpublish the lesson in the admin (straight to gunicorn)
    staff = site.browser(cookies={site.data["cookie"]: site.data["sessions"]["staff"]})
    changelist = "/admin/stream_lessons/lesson/"
    answer = staff.post(
        changelist,
        {
            "csrfmiddlewaretoken": csrf_token(staff.get(changelist)),
            "action": "unpublish_lessons",
            "_selected_action": site.data["lessons"]["unpublished"],
            "index": "0",
        },
    )
    assert answer.status == 302

    # then the very next request through Varnish is a 404, although its copy had ten minutes left
    assert through_varnish.get(path).status == 404


def test_a_new_comment_shows_through_varnish_at_the_next_request(proxy):
    site, through_varnish = proxy
    path = path_of("commented")
    assert "Through the proxy at once" not in cached(through_varnish, path).text
    lesson_id = site.data["lessons"]["commented"]

    # when a learner posts a comment (straight to gunicorn)
    learner = site.browser(cookies={site.data["cookie"]: site.data["sessions"]["learner"]})
    answer = learner.submit(
        f"/comments/lessons/{lesson_id}/write/",
        {"body": "Through the proxy at once"},
        form=f"/comments/lessons/{lesson_id}/",
    )
    assert answer.status in (302, 303)

    # then the next request through Varnish shows it, and the one after is Varnish's new copy
    assert "Through the proxy at once" in through_varnish.get(path).text
    again = through_varnish.get(path)
    assert is_hit(again)
    assert "Through the proxy at once" in again.text
