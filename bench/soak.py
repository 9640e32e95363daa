"""The soak: a mixed load from many learners at once, then the database is checked.

Concurrent clients (threads, keep-alive connections) read pages and the API, complete lessons
through sync (new events, and batches sent again as a retrying browser would), post comments
and replies, and file problem reports. Every acknowledged write is recorded (a 2xx with its id,
or each sync event's answer), and so is every refused one. Afterwards, in-process:

- each acknowledged comment, reply and report is in the database exactly once, and nothing
  that was refused or never acknowledged is;
- each event a sync answered "applied" is in the learner's completion log exactly once, or
  moved its day's row to its earlier time (the log keeps one row per lesson and day), with a
  completion for its lesson; a batch sent again was answered "duplicate" for every event
  applied or a duplicate before (a refused one is judged again, and counts as applied if it is
  now); each lesson completed with the page's form is completed; every completion has its XP
  row;
- every learner's XP total equals the sum of their XP ledger;
- every task the load queued (reply notifications and emails, with production's database
  queue and its worker running beside the server) ran and succeeded, and no reply left any of
  its thread's subscribers without a notification;
- the server answered no 5xx and logged no traceback.

``bench/run.py`` calls :func:`soak_run`; ``python bench/soak.py check …`` is its checking half.
"""

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.endpoints import viewer_path  # noqa: E402

SOAK_SCALE = 10
CLIENTS = 24
MARK = "soak-"
# Operation weights: mostly reads, as on a real site, with a steady stream of every write.
MIX = [
    ("read_page_anon", 20),
    ("read_page_signed_in", 10),
    ("read_big_signed_in", 4),
    ("read_comments_api", 6),
    ("read_progress", 8),
    ("sync", 18),
    ("sync_again", 6),
    ("complete_form", 6),
    ("comment", 10),
    ("reply", 10),
    ("report", 8),
]


class Ledger:
    """What the server acknowledged and refused, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.operations = {name: {"sent": 0, "acknowledged": 0, "refused": 0} for name, _ in MIX}
        self.statuses: dict[str, int] = {}
        self.comments = []  # {"id", "marker", "parent", "lesson", "learner"}
        self.refused_markers = []
        self.reports = []  # {"id", "marker"}
        self.events = []  # (learner_id, event_id, lesson_id, at) answered "applied"
        # (learner, [events], {event id: its last answer}) acknowledged, for sending again
        self.batches = []
        self.form_completions = []  # (learner_id, lesson_id) the page's form acknowledged
        self.duplicate_mismatches = 0
        self.server_errors = []

    def count(self, name, status):
        with self.lock:
            entry = self.operations[name]
            entry["sent"] += 1
            if 200 <= status < 400:
                entry["acknowledged"] += 1
            elif 400 <= status < 500:
                entry["refused"] += 1
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1


class Client(threading.Thread):
    def __init__(self, number, *, port, manifest, ledger, stop, seed):
        super().__init__(daemon=True)
        self.number, self.port, self.manifest = number, port, manifest
        self.ledger, self.stop = ledger, stop
        self.random = random.Random(seed)
        self.connection = None
        names, weights = zip(*MIX, strict=True)
        self.names, self.weights = names, weights

    # --- HTTP -------------------------------------------------------------------------------

    def request(self, method, path, *, learner=None, body=None, form=False):
        headers = {"X-Forwarded-For": f"10.{self.number}.{self.random.randint(0, 255)}.9"}
        cookies = []
        if learner is not None:
            cookies.append(f"{self.manifest['session_cookie']}={learner['session']}")
            cookies.append(f"{self.manifest['viewer_cookie']}=1")  # as a signed-in browser
        if method != "GET":
            cookies.append(f"{self.manifest['csrf_cookie']}={self.manifest['csrf_token']}")
            headers["X-CSRFToken"] = self.manifest["csrf_token"]
            headers["Content-Type"] = (
                "application/x-www-form-urlencoded" if form else "application/json"
            )
        if cookies:
            headers["Cookie"] = "; ".join(cookies)
        payload = json.dumps(body).encode() if body is not None else None
        if form:
            payload = b""
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, data
            except (OSError, http.client.HTTPException):
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    # --- Operations -------------------------------------------------------------------------

    def learner(self):
        return self.random.choice(self.manifest["learners"])

    def lesson_id(self):
        return self.random.choice(self.manifest["lesson_ids"])

    def read_page_anon(self):
        url = self.random.choice(
            [self.manifest["lesson"]["url"], self.manifest["big_lesson"]["url"]]
        )
        return self.request("GET", url)[0]

    def _view_signed_in(self, lesson):
        """A signed-in page view: the shared page, then the viewer endpoint (``viewer.js``)."""
        learner = self.learner()
        status = self.request("GET", lesson["url"], learner=learner)[0]
        if status != 200:
            return status
        return self.request("GET", viewer_path(self.manifest, lesson), learner=learner)[0]

    def read_page_signed_in(self):
        return self._view_signed_in(self.manifest["lesson"])

    def read_big_signed_in(self):
        return self._view_signed_in(self.manifest["big_lesson"])

    def read_comments_api(self):
        return self.request(
            "GET", f"/api/v1/lessons/{self.manifest['big_lesson']['id']}/comments/"
        )[0]

    def read_progress(self):
        return self.request("GET", "/api/v1/progress/", learner=self.learner())[0]

    def sync(self):
        learner = self.learner()
        events = [
            {
                "id": str(uuid.UUID(int=self.random.getrandbits(128), version=4)),
                "type": "lesson_completed",
                "lesson": self.lesson_id(),
                "at": f"2026-11-{self.random.randint(1, 27):02d}T09:00:00+09:00",
            }
            for _ in range(self.random.randint(1, 20))
        ]
        status, data = self.request(
            "POST", "/api/v1/progress/sync/", learner=learner, body={"events": events}
        )
        if status == 200:
            answers = {item["id"]: item["status"] for item in json.loads(data)["results"]}
            with self.ledger.lock:
                for event in events:
                    if answers.get(event["id"]) == "applied":
                        self.ledger.events.append(
                            (learner["id"], event["id"], event["lesson"], event["at"])
                        )
                self.ledger.batches.append((learner, events, answers))
        return status

    def sync_again(self):
        with self.ledger.lock:
            batch = self.random.choice(self.ledger.batches) if self.ledger.batches else None
        if batch is None:
            return self.sync()
        learner, events, answers = batch
        status, data = self.request(
            "POST", "/api/v1/progress/sync/", learner=learner, body={"events": events}
        )
        if status == 200:
            again = {item["id"]: item["status"] for item in json.loads(data)["results"]}
            with self.ledger.lock:
                # What was applied or a duplicate is a duplicate now; a refused event was not
                # kept, so it is judged again (a lesson locked then may be open now).
                if any(
                    answers[event["id"]] != "rejected" and again.get(event["id"]) != "duplicate"
                    for event in events
                ):
                    self.ledger.duplicate_mismatches += 1
                for event in events:
                    if answers[event["id"]] == "rejected" and again.get(event["id"]) == "applied":
                        self.ledger.events.append(
                            (learner["id"], event["id"], event["lesson"], event["at"])
                        )
                    answers[event["id"]] = again.get(event["id"], answers[event["id"]])
        return status

    def complete_form(self):
        """The plain "mark complete" form (no JavaScript): done, the page saying so (200); a
        refusal goes back to the lesson (302) with its message."""
        learner, lesson_id = self.learner(), self.lesson_id()
        status, _ = self.request(
            "POST", f"/me/progress/lessons/{lesson_id}/complete/", learner=learner, form=True
        )
        if status == 200:
            with self.ledger.lock:
                self.ledger.form_completions.append((learner["id"], lesson_id))
        return status

    def _post_comment(self, lesson_id, parent=None):
        learner = self.learner()
        marker = f"{MARK}{uuid.UUID(int=self.random.getrandbits(128), version=4).hex}"
        body = {"body": f"Soak comment {marker}: **GQA** keeps `n_kv_heads` small."}
        if parent is not None:
            body["parent"] = parent
        status, data = self.request(
            "POST", f"/api/v1/lessons/{lesson_id}/comments/", learner=learner, body=body
        )
        with self.ledger.lock:
            if status == 201:
                self.ledger.comments.append(
                    {
                        "id": json.loads(data)["id"],
                        "marker": marker,
                        "parent": parent,
                        "lesson": lesson_id,
                        "learner": learner["id"],
                    }
                )
            else:
                self.ledger.refused_markers.append(marker)
        return status

    def comment(self):
        lesson_id = self.random.choice([self.lesson_id(), self.manifest["big_lesson"]["id"]])
        return self._post_comment(lesson_id)

    def reply(self):
        with self.ledger.lock:
            parent = self.random.choice(self.ledger.comments) if self.ledger.comments else None
        if parent is None:
            return self.comment()
        return self._post_comment(parent["lesson"], parent=parent["id"])

    def report(self):
        marker = f"{MARK}{uuid.UUID(int=self.random.getrandbits(128), version=4).hex}"
        learner = self.learner() if self.random.random() < 0.3 else None
        status, data = self.request(
            "POST",
            f"/api/v1/lessons/{self.lesson_id()}/reports/",
            learner=learner,
            body={"kind": "content", "message": f"Soak report {marker}: a typo in the table."},
        )
        with self.ledger.lock:
            if status == 201:
                self.ledger.reports.append({"id": json.loads(data)["id"], "marker": marker})
            else:
                self.ledger.refused_markers.append(marker)
        return status

    def run(self):
        while not self.stop.is_set():
            name = self.random.choices(self.names, self.weights)[0]
            try:
                status = getattr(self, name)()
            except Exception as error:  # noqa: BLE001 (recorded, and fails the soak)
                with self.ledger.lock:
                    self.ledger.server_errors.append(f"{name}: {error!r}")
                status = 599
            self.ledger.count(name, status)
            if status >= 500:
                with self.ledger.lock:
                    self.ledger.server_errors.append(f"{name}: HTTP {status}")


class QueueWorker:
    """django-tasks-db's worker (``manage.py db_worker``) running beside the server, as
    docs/deploy.md has production run it, when the settings queue Stream's background work in
    the database; nothing otherwise (a backend that runs tasks in the request needs none).

    On leaving, the worker stops after its current task and a last batch runs whatever the load
    left in the queue, so the check finds every task done.
    """

    def __init__(self, env: dict, workdir: Path):
        self.env, self.log_path = env, workdir / "worker-soak.log"
        self.process = None
        self.active = database_queue(env)

    def _manage(self, *args):
        return [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-reload", *args]

    def __enter__(self):
        if self.active:
            self._out = self.log_path.open("a", encoding="utf-8")
            self.process = subprocess.Popen(
                self._manage("--interval", "0.2", "--no-startup-delay"),
                env=self.env,
                cwd=ROOT,
                stdout=self._out,
                stderr=subprocess.STDOUT,
            )
        return self

    def __exit__(self, *exc):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: the running task finishes
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        subprocess.run(
            self._manage("--batch", "--no-startup-delay"),
            env=self.env,
            cwd=ROOT,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            check=False,
        )
        self._out.close()


def database_queue(env: dict) -> bool:
    """Whether the settings in ``env`` queue tasks in the database (django-tasks-db)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(getattr(settings, 'TASKS', {}).get('default', {}).get('BACKEND', ''))",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip() == "django_tasks_db.DatabaseBackend"


def soak_run(*, env, kind, workdir, duration, workers, manage, server_class, log) -> dict:
    """Load a fresh scale-10 data set, run the mixed load for ``duration`` s (with the task
    worker beside the server, when the settings queue tasks), check the data."""
    manifest_path = workdir / "manifest-soak.json"
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "bench_data", "--scale", str(SOAK_SCALE), "--manifest", str(manifest_path))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    ledger, stop = Ledger(), threading.Event()
    worker = QueueWorker(env, workdir)
    log(
        f"soak: {duration:.0f} s of mixed load on {kind}, {CLIENTS} clients"
        + (", the task worker beside the server" if worker.active else "")
    )
    with (
        worker,
        server_class(
            env,
            workers=workers,
            workdir=workdir,
            label="soak",
            baseline_bytes=manifest["lesson_page_bytes"],
        ) as server,
    ):
        clients = [
            Client(n, port=server.port, manifest=manifest, ledger=ledger, stop=stop, seed=n)
            for n in range(CLIENTS)
        ]
        started = time.monotonic()
        for client in clients:
            client.start()
        time.sleep(duration)
        stop.set()
        for client in clients:
            client.join(timeout=60)
        seconds = time.monotonic() - started
        statuses = server.statuses()
    ledger_path = workdir / "soak-ledger.json"
    ledger_path.write_text(
        json.dumps(
            {
                "comments": ledger.comments,
                "refused_markers": ledger.refused_markers,
                "reports": ledger.reports,
                "events": ledger.events,
                "form_completions": ledger.form_completions,
                "initial": manifest["counts"],
            }
        ),
        encoding="utf-8",
    )
    out = workdir / "soak-check.json"
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "check", str(ledger_path), "--out", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        checks = [{"what": "database check ran", "ok": False, "detail": done.stderr[-1500:]}]
    else:
        checks = json.loads(out.read_text(encoding="utf-8"))
    server_5xx = sum(count for code, count in statuses.items() if code.startswith("5"))
    log_text = server.server_log.read_text(encoding="utf-8", errors="replace")
    tracebacks = log_text.count("Traceback (most recent call last)")
    checks += [
        {
            "what": "no 5xx in the server's access log",
            "ok": server_5xx == 0,
            "detail": f"{server_5xx} of {sum(statuses.values()):,} responses",
        },
        {
            "what": "no traceback in the server's log",
            "ok": tracebacks == 0,
            "detail": f"{tracebacks} tracebacks",
        },
        {
            "what": "every request answered (no client-side failure)",
            "ok": not ledger.server_errors,
            "detail": "; ".join(ledger.server_errors[:5]) or "all answered",
        },
        {
            "what": "batches sent again answered “duplicate” for every event applied or a "
            "duplicate before (a refused one is judged again)",
            "ok": ledger.duplicate_mismatches == 0,
            "detail": f"{ledger.operations['sync_again']['acknowledged']:,} repeated batches, "
            f"{ledger.duplicate_mismatches} with another answer",
        },
    ]
    requests = sum(entry["sent"] for entry in ledger.operations.values())
    result = {
        "database": kind,
        "scale": SOAK_SCALE,
        "seconds": round(seconds, 1),
        "clients": CLIENTS,
        "learners": len(manifest["learners"]),
        "requests": requests,
        "rps": round(requests / seconds, 1),
        "statuses": dict(sorted(statuses.items())),
        "operations": ledger.operations,
        "checks": checks,
        "passed": all(check["ok"] for check in checks),
    }
    log(f"soak: {requests:,} requests, {'passed' if result['passed'] else 'FAILED'}")
    for check in checks:
        if not check["ok"]:
            log(f"  ✗ {check['what']}: {check['detail']}")
    return result


# --- The checking half, in-process ---------------------------------------------------------------


def _log_of(learner, event_id, lesson, at) -> str:
    """An applied event that left no trace, with what the log holds of its lesson."""
    from progress.models import CompletionEvent

    rows = CompletionEvent.objects.filter(learner_id=learner, lesson_id=lesson).order_by("pk")
    held = ", ".join(f"{row.event_id} at {row.completed_at.isoformat()}" for row in rows)
    return f"learner {learner} event {event_id} lesson {lesson} at {at}: the log holds [{held}]"


def _log_day_check(learners):
    """``holds(learner, lesson, at)``: whether ``learner``'s log has a row for ``lesson`` on
    ``at``'s day (in their time zone) at ``at`` or earlier, ``at`` moved as the server moves a
    reported time: not before the lesson was first published (an event from before then
    counts as completed at that moment, so it may have moved that day's row)."""
    from django.db.models.functions import Coalesce

    from lessons.models import Lesson
    from progress.models import CompletionEvent, LearnerProfile
    from progress.rules import local_date
    from progress.selectors import learner_time_zone

    default = learner_time_zone(None)
    zones = {
        profile.user_id: learner_time_zone(profile)
        for profile in LearnerProfile.objects.filter(user_id__in=learners)
    }
    days = {}
    rows = CompletionEvent.objects.filter(learner_id__in=learners).values_list(
        "learner_id", "lesson_id", "completed_at"
    )
    for learner, lesson, moment in rows:
        days[(learner, lesson, local_date(moment, zones.get(learner, default)))] = moment

    first_published = dict(
        Lesson.objects.annotate(since=Coalesce("published_at", "created_at")).values_list(
            "pk", "since"
        )
    )

    def holds(learner, lesson, at) -> bool:
        since = first_published.get(lesson)
        at = max(at, since) if since is not None else at
        held = days.get((learner, lesson, local_date(at, zones.get(learner, default))))
        return held is not None and held <= at

    return holds


def database_check(ledger: dict) -> list[dict]:
    """Compare the database with what the server acknowledged (see the module docstring)."""
    from django.db.models import Sum

    from comments.models import Comment, ProblemReport
    from progress.models import CompletionEvent, LearnerProfile, LessonCompletion, XPEntry
    from progress.services import lesson_xp_key

    checks = []

    def check(what, ok, detail):
        checks.append({"what": what, "ok": bool(ok), "detail": detail})

    by_marker: dict[str, list[tuple]] = {}
    for pk, body, parent_id, root_id in Comment.objects.filter(body__contains=MARK).values_list(
        "pk", "body", "parent_id", "root_id"
    ):
        marker = body.split(MARK, 1)[1].split(":", 1)[0]
        by_marker.setdefault(MARK + marker, []).append((pk, parent_id, root_id))
    acknowledged = ledger["comments"]
    wrong = [
        c["marker"]
        for c in acknowledged
        if [row[0] for row in by_marker.get(c["marker"], [])] != [c["id"]]
    ]
    check(
        "each acknowledged comment and reply stored exactly once, under its id",
        not wrong,
        f"{len(acknowledged):,} acknowledged, {len(wrong)} missing or doubled",
    )
    replies = [c for c in acknowledged if c["parent"]]
    orphaned = [
        c["marker"]
        for c in replies
        if by_marker.get(c["marker"]) and by_marker[c["marker"]][0][2] is None
    ]
    check(
        "each acknowledged reply is in a thread",
        not orphaned,
        f"{len(replies):,} replies, {len(orphaned)} top-level by mistake",
    )
    reports_by_marker: dict[str, list[int]] = {}
    for pk, message in ProblemReport.objects.filter(message__contains=MARK).values_list(
        "pk", "message"
    ):
        marker = MARK + message.split(MARK, 1)[1].split(":", 1)[0]
        reports_by_marker.setdefault(marker, []).append(pk)
    wrong = [r for r in ledger["reports"] if reports_by_marker.get(r["marker"]) != [r["id"]]]
    check(
        "each acknowledged problem report stored exactly once",
        not wrong,
        f"{len(ledger['reports']):,} acknowledged, {len(wrong)} missing or doubled",
    )
    stray = [m for m in ledger["refused_markers"] if m in by_marker or m in reports_by_marker]
    check(
        "nothing refused was stored",
        not stray,
        f"{len(ledger['refused_markers']):,} refused, {len(stray)} stored anyway",
    )
    initial = ledger["initial"]
    total_comments = Comment.objects.count()
    check(
        "comment count = before + acknowledged",
        total_comments == initial["comments"] + len(acknowledged),
        f"{total_comments:,} = {initial['comments']:,} + {len(acknowledged):,}",
    )
    applied = {(learner, event_id): lesson for learner, event_id, lesson, _ in ledger["events"]}
    stored = {
        (learner, str(event_id)): lesson
        for learner, event_id, lesson in CompletionEvent.objects.filter(
            event_id__in=[uuid.UUID(event_id) for _, event_id in applied]
        ).values_list("learner_id", "event_id", "lesson_id")
    }
    # The log keeps one row per lesson and day in the learner's time zone, at the earliest
    # time reported that day: an applied event that reported a lesson earlier on a day the log
    # already held moved that day's row to its time instead of adding a row of its own.
    day_row_holds = _log_day_check({learner for learner, _, _, _ in ledger["events"]})
    missing = [
        (learner, event_id, lesson, at)
        for learner, event_id, lesson, at in ledger["events"]
        if stored.get((learner, event_id)) != lesson
        and not day_row_holds(learner, lesson, datetime.fromisoformat(at))
    ]
    check(
        "each event answered “applied” is in the completion log once",
        not missing and len(applied) == len(ledger["events"]),
        f"{len(ledger['events']):,} applied, {len(missing)} missing, "
        f"{len(ledger['events']) - len(applied)} answered twice"
        + "".join(f"; e.g. {_log_of(*row)}" for row in missing[:3]),
    )
    # The data set's events were bulk-created first in a fresh database: every row with a
    # higher id was written during the soak, by a sync or by the page's form.
    before = initial.get("completion_events", initial["completions"])
    from_form = {tuple(pair) for pair in ledger.get("form_completions", [])}
    new_rows = list(
        CompletionEvent.objects.filter(pk__gt=before).values_list(
            "learner_id", "event_id", "lesson_id"
        )
    )
    server_made = [
        (learner, lesson)
        for learner, event_id, lesson in new_rows
        if (learner, str(event_id)) not in applied
    ]
    stray = [pair for pair in server_made if pair not in from_form]
    form_posts = len(ledger.get("form_completions", []))
    check(
        "the completion log grew by the applied events and the form's new completions only",
        not stray
        and len(server_made) <= form_posts
        and CompletionEvent.objects.count() == before + len(new_rows),
        f"{len(new_rows):,} new rows: {len(new_rows) - len(server_made):,} applied events, "
        f"{len(server_made):,} from {form_posts:,} form posts (completing a completed lesson "
        f"again adds none), {len(stray)} unexplained",
    )
    pairs = {(learner, lesson) for (learner, _), lesson in applied.items()}
    completed = set(LessonCompletion.objects.values_list("learner_id", "lesson_id"))
    check(
        "each applied event's lesson is completed",
        pairs <= completed,
        f"{len(pairs):,} learner-lesson pairs, {len(pairs - completed)} without a completion",
    )
    check(
        "each lesson completed with the page's form is completed",
        from_form <= completed,
        f"{len(from_form):,} learner-lesson pairs, {len(from_form - completed)} missing",
    )
    ledger_keys = set(XPEntry.objects.values_list("learner_id", "key"))
    unpaid = [
        (learner, lesson)
        for learner, lesson in completed
        if (learner, lesson_xp_key(lesson)) not in ledger_keys
    ]
    check(
        "every completion has its XP row in the ledger (once: the key is unique)",
        not unpaid,
        f"{len(completed):,} completions, {len(unpaid)} without XP",
    )
    sums = dict(
        XPEntry.objects.values("learner_id")
        .annotate(total=Sum("amount"))
        .values_list("learner_id", "total")
    )
    profiles = dict(LearnerProfile.objects.values_list("user_id", "xp"))
    unequal = [
        learner
        for learner in set(sums) | set(profiles)
        if sums.get(learner, 0) != profiles.get(learner, 0)
    ]
    check(
        "every learner's XP total equals their ledger's sum",
        not unequal,
        f"{len(profiles):,} learners, {len(unequal)} differ",
    )
    _background_check(ledger, check)
    return checks


def _background_check(ledger: dict, check) -> None:
    """Every task the load queued ran and succeeded, and every reply notified the author of
    the comment it answers (subscribed, active, not the replier themselves)."""
    from django.conf import settings
    from django.db.models import Count, Exists, F, OuterRef

    from comments.models import Comment, CommentStatus, Notification, ReplySubscription

    if settings.TASKS.get("default", {}).get("BACKEND") == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        by_status = dict(
            DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        check(
            "every task the load queued ran and succeeded (django-tasks-db's worker)",
            by_status.get("SUCCESSFUL", 0) == sum(by_status.values()),
            ", ".join(f"{n:,} {status.lower()}" for status, n in sorted(by_status.items())),
        )
    replies = [c["id"] for c in ledger["comments"] if c["parent"] is not None]
    answered = OuterRef("parent__author_id")
    expected = (
        Comment.objects.filter(pk__in=replies, status=CommentStatus.PUBLISHED)
        .exclude(parent__author__isnull=True)
        .exclude(author_id=F("parent__author_id"))
        .filter(parent__author__is_active=True)
        .filter(
            Exists(
                ReplySubscription.objects.filter(
                    user_id=answered, lesson_id=OuterRef("lesson_id"), active=True
                )
            )
        )
        .annotate(
            notified=Exists(
                Notification.objects.filter(
                    kind="reply", comment_id=OuterRef("pk"), recipient_id=answered
                )
            )
        )
    )
    total, missed = expected.count(), expected.filter(notified=False).count()
    check(
        "every reply notified the author it answers, once its task ran",
        not missed,
        f"{total:,} replies to a subscribed author, {missed} without the notification",
    )


def main():
    parser = argparse.ArgumentParser(description="Check the database after a soak.")
    parser.add_argument("mode", choices=["check"])
    parser.add_argument("ledger")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    ledger = json.loads(Path(args.ledger).read_text(encoding="utf-8"))
    Path(args.out).write_text(json.dumps(database_check(ledger), indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
