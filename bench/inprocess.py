"""In-process measurements for ``make bench``: queries per request, pyinstrument profiles, and
the 1,000-comment lesson's first views.

Run by ``bench/run.py`` against the database wrk just loaded, with the same settings as the
server (``bench.settings``), through Django's test client: the same middleware, views and
caches, but in this process where queries can be counted, the stack sampled and one page view
timed alone.

    python bench/inprocess.py queries --manifest m.json --endpoints a,b --out q.json
    python bench/inprocess.py profile --manifest m.json --endpoints a,b --out p.json
    python bench/inprocess.py firstview --manifest m.json --out f.json   # adds comments
    python bench/inprocess.py commentpost --manifest m.json --out c.json   # adds comments
    python bench/inprocess.py search --manifest m.json --out s.json
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.endpoints import endpoints_for  # noqa: E402
from bench.wrk import EVENTS_PER_SYNC, SYNC_AT  # noqa: E402

PROFILE_REQUESTS = {"get": 40, "sync": 10}
PROFILE_SECONDS = 8
LEARNER_OFFSET = 7  # profile and count with learners wrk used least, one per request


class Requester:
    """Sends one endpoint's request the way the wrk script does, learner by learner."""

    def __init__(self, endpoint, manifest):
        self.endpoint, self.manifest = endpoint, manifest
        self.turn = 0
        # One client (one middleware chain) per endpoint, as one server worker has.
        self.client = Client(enforce_csrf_checks=True, raise_request_exception=True)

    def __call__(self):
        self.turn += 1
        client = self.client
        client.cookies.clear()
        if self.endpoint.signed_in or self.endpoint.kind == "sync":
            learners = self.manifest["learners"]
            learner = learners[(self.turn * LEARNER_OFFSET) % len(learners)]
            client.cookies[self.manifest["session_cookie"]] = learner["session"]
            if self.endpoint.kind == "get":
                client.cookies[self.manifest["viewer_cookie"]] = "1"
        if self.endpoint.kind == "sync":
            client.cookies[self.manifest["csrf_cookie"]] = self.manifest["csrf_token"]
            lessons = self.manifest["lesson_ids"]
            events = [
                {
                    "id": str(uuid.uuid4()),
                    "type": "lesson_completed",
                    "lesson": lessons[(self.turn * 31 + i * 17) % len(lessons)],
                    "at": SYNC_AT,
                }
                for i in range(EVENTS_PER_SYNC)
            ]
            response = client.post(
                self.endpoint.path,
                data=json.dumps({"events": events}),
                content_type="application/json",
                headers={"X-CSRFToken": self.manifest["csrf_token"]},
            )
        else:
            response = client.generic(self.endpoint.method, self.endpoint.path)
            if self.endpoint.also and response.status_code < 400:
                response = client.generic(self.endpoint.method, self.endpoint.also)
        if response.status_code >= 400:
            raise RuntimeError(
                f"{self.endpoint.name}: {self.endpoint.method} {self.endpoint.path} answered "
                f"{response.status_code}: {response.content[:300]!r}"
            )
        return response


SYNC_SAMPLES = 10


def count_queries(endpoints, manifest) -> dict:
    """Queries of the first request and of a warm one (the third: the second's learner
    again), per endpoint; a page view's are its two requests'. A sync's
    count depends on what its batch earns (an award, a level) for the learner at hand, not on
    the data set's size: for it, the most of ``SYNC_SAMPLES`` warm requests."""
    found = {}
    for endpoint in endpoints:
        send = Requester(endpoint, manifest)
        counts, most, most_sql = [], -1, []
        samples = 2 + (SYNC_SAMPLES if endpoint.kind == "sync" else 1)
        for sample in range(samples):
            if sample == 2 and endpoint.kind != "sync":
                send.turn -= 1  # warm: the learner of the request before, again
            with CaptureQueriesContext(connection) as captured:
                send()
            counts.append(len(captured.captured_queries))
            if len(counts) > 2 and counts[-1] > most:
                most = counts[-1]
                most_sql = [query["sql"][:160] for query in captured.captured_queries]
        found[endpoint.name] = {
            "queries": most,
            "queries_first": counts[0],
            "queries_warm": counts[2:],
            "sql": most_sql,
        }
    return found


def _frames(frame, found, path=()):
    """Accumulate self time by function, and inclusive time of the project's own frames.

    pyinstrument puts a function's own time in a synthetic ``[self]`` child: it is counted
    as its parent's."""
    key = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
    if frame.function.startswith("[self]") and path:
        key = path[-1]
    entry = found.setdefault(key, {"self": 0.0, "total": 0.0, "project": False})
    entry["self"] += max(0.0, frame.time - sum(child.time for child in frame.children))
    if key not in path and not frame.function.startswith(
        "[self]"
    ):  # recursion: count a function's inclusive time once per stack
        entry["total"] += frame.time
    file_path = frame.file_path or ""
    entry["project"] = entry["project"] or (
        str(ROOT) in file_path and ".venv" not in file_path and "bench" not in file_path
    )
    for child in frame.children:
        _frames(child, found, (*path, key))


def profile(endpoints, manifest, out_dir: Path) -> dict:
    """Profile each endpoint over a number of warm requests; the heaviest frames, summarised."""
    from pyinstrument import Profiler

    summaries = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    for endpoint in endpoints:
        send = Requester(endpoint, manifest)
        for _ in range(3):
            send()  # warm caches, as under load
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        profiler.start()
        count = 0
        # A number of requests, or as many as fit in the time budget for a slow endpoint.
        while count < PROFILE_REQUESTS[endpoint.kind] and (
            count < 3 or time.perf_counter() - started < PROFILE_SECONDS
        ):
            send()
            count += 1
        profiler.stop()
        elapsed = time.perf_counter() - started
        (out_dir / f"{endpoint.name}.txt").write_text(
            profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8"
        )
        found = {}
        root = profiler.last_session.root_frame()
        if root is not None:
            _frames(root, found)
        total = max(root.time if root is not None else 0.0, 1e-9)
        by_self = sorted(found.items(), key=lambda item: -item[1]["self"])[:8]
        # Middleware frames wrap the whole request and say nothing: show what is inside.
        project = sorted(
            (
                (key, entry)
                for key, entry in found.items()
                if entry["project"]
                and not key.startswith(("__call__ ", "<genexpr> ", "<listcomp> "))
            ),
            key=lambda item: -item[1]["total"],
        )[:8]
        summaries[endpoint.name] = {
            "requests": count,
            "ms_per_request": round(elapsed * 1000 / count, 2),
            "top_self": [
                {"frame": key, "share": round(entry["self"] / total, 3)} for key, entry in by_self
            ],
            "top_project": [
                {"frame": key, "share": round(entry["total"] / total, 3)} for key, entry in project
            ],
        }
    return summaries


FIRST_VIEW_SAMPLES = 3
HIT_SAMPLES = 5


def _timed_get(client, url) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return elapsed


def first_views(manifest) -> dict:
    """The 1,000-comment lesson's page for a visitor, timed alone (ms): its cold render (every
    cache emptied first), a view of the kept page, the first view after a change elsewhere on
    the site (another lesson renamed), and the first view after a new comment
    (posted through ``comments.services.comment_post`` by a learner who has published
    comments before, so it is published under any moderation mode; the data set's learners
    have each posted dozens on that lesson within the hour, so its hourly cap is lifted).
    Medians of a few."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.db.models import Count
    from django.test import override_settings

    from comments.models import Comment, CommentStatus
    from comments.services import comment_post
    from lessons.models import Lesson

    url = manifest["big_lesson"]["url"]
    lesson = Lesson.objects.get(pk=manifest["big_lesson"]["id"])
    client = Client(raise_request_exception=True)
    cold = []
    for _ in range(FIRST_VIEW_SAMPLES):
        for alias in caches:
            caches[alias].clear()
        cold.append(_timed_get(client, url))
    hits = [_timed_get(client, url) for _ in range(HIT_SAMPLES)]
    authors = (
        Comment.objects.filter(lesson=lesson, status=CommentStatus.PUBLISHED)
        .values("author_id")
        .annotate(n=Count("id"))
        .order_by("-n", "author_id")
        .values_list("author_id", flat=True)[:FIRST_VIEW_SAMPLES]
    )
    users = get_user_model()._default_manager.in_bulk(list(authors))
    after = []
    uncapped = override_settings(STREAM={**settings.STREAM, "COMMENTS_PER_LESSON_PER_HOUR": None})
    for number, author_id in enumerate(authors):
        with uncapped:
            comment = comment_post(
                lesson=lesson,
                author=users[author_id],
                body=f"Bench comment {number}: a new question about `n_kv_heads`.",
            )
        if comment.status != CommentStatus.PUBLISHED:
            raise RuntimeError(f"the bench's new comment is {comment.status}, not published")
        after.append(_timed_get(client, url))
    # A reply in the lesson's largest thread, by the same learners: that whole thread is drawn
    # again (threads are kept whole), the others reused.
    largest = (
        Comment.objects.filter(lesson=lesson, root__isnull=False, status=CommentStatus.PUBLISHED)
        .values("root")
        .annotate(n=Count("id"))
        .order_by("-n", "root")
        .values_list("root", "n")
        .first()
    )
    root = Comment.objects.get(pk=largest[0])
    after_reply = []
    for number, author_id in enumerate(authors):
        with uncapped:
            comment_post(
                lesson=lesson,
                author=users[author_id],
                body=f"Bench reply {number}.",
                parent=root,
            )
        after_reply.append(_timed_get(client, url))
    # A change elsewhere on the site (another lesson renamed, as in the admin): every page's
    # version moves; the comments' articles are kept by what they show, not by that version.
    other = Lesson.objects.exclude(pk=lesson.pk).order_by("pk").first()
    after_site = []
    for number in range(FIRST_VIEW_SAMPLES):
        other.title = f"{other.title.split(' · ')[0]} · {number}"
        other.save()
        after_site.append(_timed_get(client, url))
    return {
        "cold_ms": round(statistics.median(cold), 1),
        "cold_runs_ms": [round(ms, 1) for ms in cold],
        "hit_ms": round(statistics.median(hits), 2),
        "after_comment_ms": round(statistics.median(after), 1),
        "after_comment_runs_ms": [round(ms, 1) for ms in after],
        "after_reply_ms": round(statistics.median(after_reply), 1),
        "after_reply_thread": largest[1] + 1,
        "after_site_change_ms": round(statistics.median(after_site), 1),
        "page_bytes": len(client.get(url).content),
    }


POST_SAMPLES = 7
SUBSCRIBERS = 200


def _thread_with_subscribers(lesson, count):
    """A new thread on ``lesson`` whose ``count`` repliers (new accounts) are all subscribed to
    it, built in bulk."""
    from django.contrib.auth import get_user_model

    from comments.models import Comment, CommentStatus, ReplySubscription
    from lessons.markdown import render_comment_markdown

    user_model = get_user_model()
    login, email = user_model.USERNAME_FIELD, user_model.get_email_field_name()
    tag = uuid.uuid4().hex[:8]
    users = user_model._default_manager.bulk_create(
        user_model(**{login: f"sub-{tag}-{i}@bench.test", email: f"sub-{tag}-{i}@bench.test"})
        for i in range(count)
    )
    html = render_comment_markdown("Me too: how many KV heads?")
    top = Comment.objects.create(
        lesson=lesson,
        author=users[0],
        body="How many KV heads?",
        body_html=html,
        status=CommentStatus.PUBLISHED,
    )
    Comment.objects.bulk_create(
        Comment(
            lesson=lesson,
            author=user,
            parent=top,
            root=top,
            depth=1,
            body="Me too: how many KV heads?",
            body_html=html,
            status=CommentStatus.PUBLISHED,
        )
        for user in users
    )
    ReplySubscription.objects.bulk_create(
        ReplySubscription(user=user, lesson=lesson, active=True) for user in users
    )
    return top


def comment_posts(manifest) -> dict:
    """What posting a comment costs the request, as the page's script posts it (the comment
    form with ``X-Stream-Fragment``, a learner's session and CSRF token): queries and ms
    (medians of ``POST_SAMPLES``, each by another learner, after one unmeasured post), for a
    comment on the 1,000-comment lesson and for a reply in a thread of ``SUBSCRIBERS``
    subscribed participants there. The rate limits are lifted: the data set's learners have
    posted dozens of comments within the hour. With production's settings the reply's
    notifications and emails wait in the task queue: the worker's time for them is measured
    after, as it runs the queue alone."""
    from django.conf import settings
    from django.test import override_settings
    from django.urls import reverse

    from lessons.models import Lesson

    lesson = Lesson.objects.get(pk=manifest["big_lesson"]["id"])
    url = reverse("stream_comments:post", kwargs={"lesson_id": lesson.pk})
    learners = manifest["learners"]
    unlimited = override_settings(
        STREAM={
            **settings.STREAM,
            "COMMENTS_PER_LESSON_PER_HOUR": None,
            "COMMENTS_POST_LIMIT": 10**6,
        }
    )

    def post(turn, parent=None):
        client = Client(enforce_csrf_checks=True, raise_request_exception=True)
        client.cookies[manifest["session_cookie"]] = learners[turn % len(learners)]["session"]
        client.cookies[manifest["csrf_cookie"]] = manifest["csrf_token"]
        data = {"body": f"Bench post {turn}: what does `n_kv_heads` change?"}
        if parent is not None:
            data["parent"] = parent.pk
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(
                url,
                data,
                headers={"X-CSRFToken": manifest["csrf_token"], "X-Stream-Fragment": "1"},
            )
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 201:
            raise RuntimeError(f"POST {url} answered {response.status_code}: {response.content!r}")
        return len(captured.captured_queries), elapsed

    def measured(parent=None):
        post(0, parent)  # the first: imports, templates, connections
        samples = [post(turn, parent) for turn in range(1, POST_SAMPLES + 1)]
        return {
            "queries": max(q for q, _ms in samples),
            "queries_runs": [q for q, _ms in samples],
            "ms": round(statistics.median(ms for _q, ms in samples), 1),
            "runs_ms": [round(ms, 1) for _q, ms in samples],
        }

    with unlimited:
        found = {"comment": measured()}
        top = _thread_with_subscribers(lesson, SUBSCRIBERS)
        found["reply"] = {"subscribers": SUBSCRIBERS, **measured(top)}
    found["worker"] = _queued_work()
    return found


def _queued_work() -> dict | None:
    """The tasks the posts left in django-tasks-db's queue, run by its worker as production
    runs them (``db_worker``, here in one batch): how many and how long; ``None`` when the
    settings run tasks another way."""
    from django.conf import settings
    from django.core.management import call_command

    backend = settings.TASKS["default"]["BACKEND"] if hasattr(settings, "TASKS") else ""
    if backend != "django_tasks_db.DatabaseBackend":
        return None
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready().count()
    started = time.perf_counter()
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    elapsed = (time.perf_counter() - started) * 1000
    return {
        "tasks": waiting,
        "ms": round(elapsed, 1),
        "failed": DBTaskResult.objects.filter(status="FAILED").count(),
    }


# Terms of the demo's text, which bench_data copies into every course: how common each is
# depends on the scale, not on chance.
SEARCH_QUERIES = {
    "common English term": "token",
    "Korean, 2 syllables": "모델",
    "Korean, 4 syllables": "하드웨어",
    "two terms": "token 모델",
}
SEARCH_SAMPLES = 7


def searches(manifest) -> dict:
    """The search page (``/search/?q=``) for a visitor, per query in ``SEARCH_QUERIES``: how
    many lessons it finds, the page's queries and the median ms of a few views (search pages
    are never cached, so every view counts and reads a page of hits)."""
    from django.contrib.auth.models import AnonymousUser
    from django.urls import reverse

    from lessons.search import search_lessons

    client = Client(raise_request_exception=True)
    found = {}
    for name, query in SEARCH_QUERIES.items():
        url = f"{reverse('stream_lessons:search')}?{urlencode({'q': query})}"
        with CaptureQueriesContext(connection) as captured:
            _timed_get(client, url)
        queries = len(captured.captured_queries)  # read now: each request empties the log
        times = [_timed_get(client, url) for _ in range(SEARCH_SAMPLES)]
        found[name] = {
            "query": query,
            "hits": search_lessons(query=query, user=AnonymousUser()).count(),
            "queries": queries,
            "p50_ms": round(statistics.median(times), 1),
        }
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode", choices=["queries", "profile", "firstview", "commentpost", "search"]
    )
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--endpoints", default="")
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile-dir", default=str(ROOT / "bench" / "profiles"))
    args = parser.parse_args()
    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
    if args.mode == "firstview":
        result = first_views(manifest)
    elif args.mode == "commentpost":
        result = comment_posts(manifest)
    elif args.mode == "search":
        result = searches(manifest)
    else:
        endpoints = [
            e
            for e in endpoints_for(manifest, args.endpoints)
            if e.server == "django"
            and (not e.name.startswith("baseline") or args.mode == "queries")
        ]
    if args.mode == "queries":
        result = count_queries(endpoints, manifest)
    elif args.mode == "profile":
        result = profile(endpoints, manifest, Path(args.profile_dir))
    Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
