"""The bench's pure helpers: reading wrk's figures, checking the targets, keeping the doc's prose.

``make bench`` itself is not part of the suite (it measures time); these are the parts that can
be wrong without any load.
"""

import json

import pytest

from bench.endpoints import endpoints_for
from bench.report import BEGIN, END, targets_check, write_doc
from bench.wrk import RESULT_MARK, lua_script, parse_wrk_output

MANIFEST = {
    "lesson": {"id": 3, "url": "/courses/c/l/"},
    "big_lesson": {"id": 7, "url": "/courses/c/big/"},
    "lesson_ids": [3, 7, 9],
    "learners": [{"id": 1, "session": "s1"}, {"id": 2, "session": "s2"}],
    "session_cookie": "sessionid",
    "csrf_cookie": "csrftoken",
    "csrf_token": "t" * 32,
    "viewer_url": "/api/v1/me/page/?lang=ko",
    "viewer_cookie": "stream_viewer",
}


def wrk_output(**figures):
    raw = {
        "requests": 5000,
        "duration_us": 10_000_000,
        "bytes": 5000 * 33_000,
        "connect": 0,
        "read": 0,
        "write": 0,
        "status": 0,
        "timeout": 0,
        "p50_us": 4100,
        "p90_us": 9000,
        "p99_us": 25_500,
        "mean_us": 5000.0,
        "max_us": 80_000,
        **figures,
    }
    return "Running 10s test @ http://127.0.0.1:1/\n  2 threads\n" + RESULT_MARK + json.dumps(raw)


def test_wrk_figures_are_read_from_the_done_hook_line():
    # given wrk's output with our done hook's line
    # when it is parsed
    figures = parse_wrk_output(wrk_output(status=12, read=3, timeout=2))

    # then requests per second, milliseconds and errors (non-2xx/3xx + socket) come out
    assert figures["rps"] == 500.0
    assert (figures["p50_ms"], figures["p99_ms"]) == (4.1, 25.5)
    assert figures["non_2xx_3xx"] == 12
    assert figures["socket_errors"] == 5
    assert figures["errors"] == 17
    assert figures["bytes_per_request"] == 33_000


def test_wrk_output_without_the_result_line_is_an_error():
    with pytest.raises(ValueError, match="no result line"):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused")


def test_signed_in_scripts_rotate_sessions_with_the_hint_and_anonymous_ones_send_none():
    endpoints = {e.name: e for e in endpoints_for(MANIFEST)}

    signed_in = lua_script(endpoints["lesson_signed_in"], MANIFEST, nonce=5)
    anonymous = lua_script(endpoints["lesson_anon"], MANIFEST, nonce=5)

    # a signed-in browser sends its session and the hint cookie viewer.js looks for
    assert '"sessionid=s1; stream_viewer=1"' in signed_in
    assert '"sessionid=s2; stream_viewer=1"' in signed_in
    assert "sessionid" not in anonymous and "stream_viewer" not in anonymous
    assert '"/courses/c/l/"' in anonymous


def test_a_signed_in_page_view_is_the_page_then_the_viewer_endpoint_as_viewer_js_asks():
    endpoints = {e.name: e for e in endpoints_for(MANIFEST)}

    view, big = endpoints["lesson_view"], endpoints["big_view"]

    # the page's #stream-viewer-config URL with the lesson, as viewer.js builds it
    assert (view.path, view.also) == ("/courses/c/l/", "/api/v1/me/page/?lang=ko&lesson=3")
    assert big.also == "/api/v1/me/page/?lang=ko&lesson=7"
    assert endpoints["viewer"].path == "/api/v1/me/page/?lang=ko&lesson=3"
    assert view.requests_per_view == 2 and endpoints["viewer"].requests_per_view == 1
    script = lua_script(view, MANIFEST, nonce=5)
    assert 'local also = "/api/v1/me/page/?lang=ko&lesson=3"' in script
    # both requests of a view carry the same learner's cookie
    assert "turn = math.floor((counter + 1) / 2)" in script
    assert "wrk.format(method, target, headers)" in script


def test_the_bare_app_is_served_by_the_same_gunicorn_on_the_lesson_address():
    [bare] = endpoints_for(MANIFEST, "bare")

    assert bare.server == "bare" and bare.path == "/courses/c/l/"
    assert {e.server for e in endpoints_for(MANIFEST) if e.name != "bare"} == {"django"}


def test_the_bare_app_answers_the_saved_page_bytes(tmp_path, monkeypatch):
    import importlib
    import sys

    page = tmp_path / "page.html"
    page.write_bytes("<!doctype html><p>강의</p>".encode())
    monkeypatch.setenv("STREAM_BENCH_PAGE", str(page))
    sys.modules.pop("bench.bare", None)
    bare = importlib.import_module("bench.bare")
    started = []

    body = b"".join(bare.application({}, lambda status, headers: started.append((status, headers))))

    assert body == page.read_bytes()
    status, headers = started[0]
    assert status == "200 OK"
    assert ("Content-Length", str(len(body))) in headers
    sys.modules.pop("bench.bare", None)


def test_the_sync_script_posts_new_event_ids_with_the_csrf_token():
    sync = next(e for e in endpoints_for(MANIFEST, "progress_sync"))

    script = lua_script(sync, MANIFEST, nonce=123)

    assert '"POST"' in script and '"/api/v1/progress/sync/"' in script
    assert f"csrftoken={'t' * 32}" in script and 'headers["X-CSRFToken"] = csrf' in script
    assert "local lessons = {3, 7, 9}" in script
    # ids: the run's nonce, the wrk thread and a per-thread counter, so none repeats
    assert "local nonce = 123" in script and "event_id(counter * per_sync + i)" in script


def test_an_unknown_endpoint_name_is_refused_with_the_known_ones():
    with pytest.raises(SystemExit, match="Unknown endpoints: lesson. Known: bare, baseline"):
        endpoints_for(MANIFEST, "lesson")


def run(scale, database="sqlite", **endpoints):
    return {"database": database, "scale": scale, "endpoints": endpoints}


@pytest.mark.parametrize("name", ["bare", "baseline", "lesson_anon", "big_view", "progress_sync"])
def test_every_endpoint_warms_up_the_same_fixed_way(name):
    from argparse import Namespace

    from bench.run import warm_then_run

    args = Namespace(warmup=2, duration=10)
    endpoint = {e.name: e for e in endpoints_for(MANIFEST)}[name]

    phases = list(warm_then_run(args, endpoint))

    # deterministic: one round of fixed length, whatever the rates, then the run
    assert phases == [("warm-up", 2), ("run", 10)]


def test_a_page_view_combined_from_its_two_requests_measured_apart():
    from bench.run import combined_views

    results = {
        "bare": {"rps": 2000.0},
        "baseline": {"rps": 800.0},
        "lesson_signed_in": {"rps": 600.0},
        "viewer": {"rps": 300.0},
    }

    combined = combined_views(results)

    assert combined == {"rps": 200.0, "ratio_to_bare": 0.1, "ratio_to_baseline": 0.25}
    assert combined_views({"lesson_signed_in": {"rps": 600.0}}) is None


def test_the_caching_layer_is_counted_before_and_after_in_lines_and_non_blank_lines():
    from bench.run import CACHING_AFTER, caching_lines

    lines = caching_lines()

    # the deleted files are read from git, the new ones from the tree
    assert "lessons/page_cache.py" in lines["before"]["files"]
    assert "config/sessions/db.py" in lines["before"]["files"]
    assert set(lines["after"]["files"]) == set(CACHING_AFTER)
    for side in ("before", "after"):
        files = lines[side]["files"].values()
        assert lines[side]["lines"] == sum(found["lines"] for found in files)
        assert 0 < lines[side]["non_blank"] <= lines[side]["lines"]


def test_targets_are_checked_against_the_ceilings_of_the_same_run():
    results = {
        "runs": [
            run(
                1,
                lesson_anon={"ratio_to_bare": 0.55, "p99_to_baseline": 2.0, "queries": 1},
                lesson_signed_in={"ratio_to_bare": 0.45, "p99_to_baseline": 5.5, "queries": 1},
                lesson_view={"ratio_to_bare": 0.31, "p99_to_baseline": 3.0, "queries": 5},
                viewer={"ratio_to_baseline": 0.2, "p99_to_baseline": 3.0, "queries": 4},
                progress_sync={"queries": 12, "rps": 140.0},
            ),
            run(
                10,
                lesson_anon={"ratio_to_bare": 0.5, "p99_to_baseline": 2.0, "queries": 1},
                lesson_signed_in={"ratio_to_bare": 0.52, "p99_to_baseline": 3.0, "queries": 2},
                lesson_view={"ratio_to_bare": 0.29, "p99_to_baseline": 3.0, "queries": 5},
                viewer={"ratio_to_baseline": 0.6, "p99_to_baseline": 3.0, "queries": 4},
                progress_sync={"queries": 12, "rps": 90.0},
            ),
        ],
        "caching_lines": {
            "before": {"lines": 1654, "non_blank": 1378, "files": {}},
            "after": {"lines": 1235, "non_blank": 1005, "files": {}},
        },
    }

    by_target = {}
    for check in targets_check(results):
        by_target.setdefault(check["target"], {})[check["scale"]] = check

    anonymous = by_target["lesson page, anonymous ≥ 0.5 × bare WSGI app"]
    assert anonymous[1]["met"] and anonymous[10]["met"]  # 0.5 is enough
    signed_in = by_target["lesson page HTML, signed in ≥ 0.5 × bare WSGI app"]
    assert not signed_in[1]["met"] and signed_in[10]["met"]
    view = by_target["signed-in page view (HTML + viewer) ≥ 0.3 × bare WSGI app"]
    assert view[1]["met"] and not view[10]["met"]
    assert view[10]["shown"] == "0.29×"
    viewer = by_target["viewer endpoint ≥ 0.5 × Django baseline"]
    assert not viewer[1]["met"] and viewer[10]["met"]
    p99 = by_target["p99 of every page ≤ 4 × baseline p99"]
    assert not p99[1]["met"] and p99[1]["shown"] == "worst 5.5× (lesson_signed_in)"
    assert p99[10]["met"]
    sync = by_target["sync of 100 events ≤ 15 queries and ≥ 100 req/s on SQLite"]
    assert sync[1]["met"] and not sync[10]["met"]
    constant = by_target["queries per request constant across scale factors"]["all"]
    assert not constant["met"] and constant["value"] == {"lesson_signed_in": [1, 2]}
    [size] = by_target["caching layer under 500 lines"].values()
    assert not size["met"] and size["value"] == 1235


def test_the_sync_target_is_judged_on_sqlite_only():
    results = {"runs": [run(1, "postgres", progress_sync={"queries": 40, "rps": 10.0})]}

    assert not [c for c in targets_check(results) if c["target"].startswith("sync")]


def test_rewriting_the_doc_keeps_the_prose_outside_the_markers(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nHand-written.\n\n{BEGIN}\nold figures\n{END}\n\n## Notes\n")
    results = {
        "date": "2026-11-28 05:00 UTC",
        "command": "make bench",
        "seconds": 75,
        "machine": {
            "cpu": "Xeon",
            "cores": 2,
            "memory_gb": 8.0,
            "os": "Linux",
            "python": "3.11",
            "versions": {},
        },
        "settings": {"gunicorn": "5 workers", "django_settings": "bench", "wrk": "16 c"},
        "runs": [],
    }
    results["settings"]["sessions"] = 200

    write_doc(results, doc)

    text = doc.read_text()
    assert text.startswith("# Benchmarks\n\nHand-written.\n\n")
    assert text.endswith(f"{END}\n\n## Notes\n")
    assert "old figures" not in text
    assert "Latest run: 2026-11-28 05:00 UTC" in text and "(1 min 15 s)" in text


def test_a_page_that_completed_no_request_misses_the_p99_target():
    results = {
        "runs": [
            run(
                1,
                lesson_anon={"requests": 900, "p99_to_baseline": 1.5},
                big_view={"requests": 0, "p99_to_baseline": None},
            )
        ]
    }

    [check] = [c for c in targets_check(results) if c["target"].startswith("p99")]

    assert not check["met"]
    assert check["shown"] == "no request completed (big_view)"


@pytest.mark.django_db
def test_bench_data_is_consistent_and_its_sessions_sign_learners_in(tmp_path, client):
    from django.core.management import call_command
    from django.db.models import Max, Sum

    from comments.models import Comment
    from progress.models import AchievementAward, LearnerProfile, XPEntry

    # given an empty database
    manifest_path = tmp_path / "manifest.json"

    # when the scale-1 data set is made
    call_command("bench_data", scale=1, sessions=5, manifest=str(manifest_path))

    # then the manifest describes it
    manifest = json.loads(manifest_path.read_text())
    assert manifest["counts"]["big_lesson_comments"] == 1000
    assert manifest["counts"]["learners"] == 20
    assert manifest["lesson_page_status"] == 200
    # the 1,000 comments are threads down to the depth cap, never deeper
    big = Comment.objects.filter(lesson_id=manifest["big_lesson"]["id"])
    assert big.filter(parent=None).count() == 40
    assert big.aggregate(deepest=Max("depth"))["deepest"] == 3
    assert not big.exclude(parent=None).filter(root=None).exists()
    # every learner's XP total is their ledger's sum, awards included
    assert AchievementAward.objects.exists()
    sums = dict(
        XPEntry.objects.values("learner_id")
        .annotate(total=Sum("amount"))
        .values_list("learner_id", "total")
    )
    profiles = dict(LearnerProfile.objects.values_list("user_id", "xp"))
    assert profiles == {learner: sums.get(learner, 0) for learner in profiles}
    assert set(sums) <= set(profiles)
    # and a manifest session is a signed-in learner
    learner = manifest["learners"][0]
    client.cookies[manifest["session_cookie"]] = learner["session"]
    answer = client.get("/api/v1/progress/")
    assert answer.status_code == 200
    assert answer.json()["xp"] == profiles[learner["id"]]
    # and the viewer endpoint the page names answers for that learner
    assert manifest["viewer_url"].startswith("/api/v1/me/page/")
    client.cookies[manifest["viewer_cookie"]] = "1"
    viewer = client.get(endpoints_for(manifest, "viewer")[0].path)
    assert viewer.status_code == 200
    assert viewer.json()["user"]["id"] == learner["id"]
    # and it refuses to add a second data set on top of the first
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="empty database"):
        call_command("bench_data", scale=1, manifest=str(tmp_path / "again.json"))


@pytest.mark.django_db
def test_the_soak_counts_an_earlier_report_that_moved_a_days_row_as_kept():
    # The log keeps one row per lesson and day, at the earliest time reported that day: a sync
    # event reporting 09:00 on a day the log holds at 15:00 is applied by moving that row, not
    # by adding one under its own id. The soak took that for a lost event (6 of 4,768).
    import uuid

    from bench.soak import database_check
    from progress import services
    from tests.factories import LessonFactory, UserFactory

    learner, lesson = UserFactory(), LessonFactory()

    def sync(at):
        event_id = str(uuid.uuid4())
        result = services.progress_sync(
            user=learner,
            events=[{"id": event_id, "type": "lesson_completed", "lesson": lesson.pk, "at": at}],
        )
        return event_id, result.results[0].status

    initial = {"comments": 0, "completions": 0, "completion_events": 0}
    later_id, later = sync("2026-11-03T15:00:00+09:00")
    earlier_id, earlier = sync("2026-11-03T09:00:00+09:00")
    ledger = {
        "initial": initial,
        "events": [
            (learner.pk, later_id, lesson.pk, "2026-11-03T15:00:00+09:00"),
            (learner.pk, earlier_id, lesson.pk, "2026-11-03T09:00:00+09:00"),
        ],
        "comments": [],
        "reports": [],
        "refused_markers": [],
    }
    assert (later, earlier) == ("applied", "applied")

    checks = {check["what"]: check for check in database_check(ledger)}

    assert checks["each event answered “applied” is in the completion log once"]["ok"], checks
    # and an applied event that left nothing in the log is still caught
    ledger["events"].append((learner.pk, str(uuid.uuid4()), lesson.pk, "2026-11-20T09:00:00+09:00"))
    checks = {check["what"]: check for check in database_check(ledger)}
    assert not checks["each event answered “applied” is in the completion log once"]["ok"]


@pytest.mark.django_db
def test_the_soak_counts_a_report_from_before_publication_that_moved_a_days_row_as_kept():
    # A time before the lesson's first publication counts as that moment: a sync event from a
    # week before moved the row the page's form had written later that day, under the form's
    # id. The soak looked for a row on the event's own day (4 of 5,456 "missing").
    import uuid
    from datetime import UTC, datetime

    from bench.soak import database_check
    from progress import services
    from tests.factories import LessonFactory, UserFactory

    published = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
    learner, lesson = UserFactory(), LessonFactory()
    type(lesson).objects.filter(pk=lesson.pk).update(published_at=published)
    lesson.refresh_from_db()
    services.completion_record(
        user=learner, lesson=lesson, at=datetime(2026, 11, 10, 5, 0, tzinfo=UTC)
    )
    event_id, at = str(uuid.uuid4()), "2026-11-03T09:00:00+09:00"
    result = services.progress_sync(
        user=learner,
        events=[{"id": event_id, "type": "lesson_completed", "lesson": lesson.pk, "at": at}],
    )
    assert result.results[0].status == "applied"
    ledger = {
        "initial": {"comments": 0, "completions": 0, "completion_events": 0},
        "events": [(learner.pk, event_id, lesson.pk, at)],
        "comments": [],
        "reports": [],
        "refused_markers": [],
        "form_completions": [(learner.pk, lesson.pk)],
    }

    checks = {check["what"]: check for check in database_check(ledger)}

    assert checks["each event answered “applied” is in the completion log once"]["ok"], checks


def test_comment_posting_is_reported_per_run_with_the_queue_or_without():
    from bench.report import comment_posts_markdown

    posts = {
        "comment": {"queries": 7, "ms": 21.04},
        "reply": {"subscribers": 200, "queries": 9, "ms": 12.0},
    }
    results = {
        "runs": [
            {
                "database": "postgres",
                "scale": 1,
                "comment_posts": {**posts, "worker": {"tasks": 8, "ms": 700.0, "failed": 0}},
            },
            {"database": "sqlite", "scale": 1, "comment_posts": {**posts, "worker": None}},
            {"database": "sqlite", "scale": 10},
        ]
    }

    rows = [line for line in comment_posts_markdown(results) if line.startswith("| ")]

    assert rows[2:] == [
        "| postgres | 1 | 7 | 21.0 | 200 | 9 | 12.0 | 8 in 700.0 ms |",
        "| sqlite | 1 | 7 | 21.0 | 200 | 9 | 12.0 | in the request |",
    ]
    assert comment_posts_markdown({"runs": [{"database": "sqlite", "scale": 1}]}) == []


@pytest.mark.django_db(transaction=True)
def test_the_soak_checks_that_queued_replies_were_run_and_notified(settings):
    from django.core.management import call_command

    from bench.soak import database_check
    from comments import services
    from tests.factories import LessonFactory, UserFactory

    # given a reply queued in django-tasks-db's queue and not yet run
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    asker, replier, lesson = UserFactory(), UserFactory(), LessonFactory()
    question = services.comment_post(lesson=lesson, author=asker, body="soak-1: question")
    reply = services.comment_post(
        lesson=lesson, author=replier, body="soak-2: answer", parent=question
    )
    ledger = {
        "initial": {"comments": 0, "completions": 0, "completion_events": 0},
        "events": [],
        "comments": [
            {"id": question.pk, "marker": "soak-1", "parent": None, "lesson": lesson.pk},
            {"id": reply.pk, "marker": "soak-2", "parent": question.pk, "lesson": lesson.pk},
        ],
        "reports": [],
        "refused_markers": [],
    }
    tasks_ran = "every task the load queued ran and succeeded (django-tasks-db's worker)"
    notified = "every reply notified the author it answers, once its task ran"

    # then the check finds the task waiting and the asker not notified
    checks = {check["what"]: check for check in database_check(ledger)}
    assert not checks[tasks_ran]["ok"] and not checks[notified]["ok"], checks

    # when the worker runs the queue, then both hold
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    checks = {check["what"]: check for check in database_check(ledger)}
    assert checks[tasks_ran]["ok"] and checks[notified]["ok"], checks


def test_search_latency_is_tabled_per_run_and_query():
    from bench.report import searches_markdown

    token = {"query": "token", "hits": 3200, "queries": 3, "p50_ms": 12.34}
    results = {
        "runs": [
            {"database": "postgres", "scale": 100, "searches": {"common English term": token}},
            {"database": "sqlite", "scale": 1, "searches": {}},
            {"database": "sqlite", "scale": 10},
        ]
    }

    rows = [line for line in searches_markdown(results) if line.startswith("| ")]

    assert rows[2:] == ["| postgres | 100 | common English term | `token` | 3200 | 3 | 12.3 |"]
    assert searches_markdown({"runs": [{"database": "sqlite", "scale": 1}]}) == []
