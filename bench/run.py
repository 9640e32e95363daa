"""``make bench``: Stream under load, side by side with the fastest pages its stack can serve.

For each database (SQLite; PostgreSQL + Redis too when ``DATABASE_URL`` and ``REDIS_URL`` are
set) and each scale factor: a fresh database, ``migrate``, ``bench_data --scale N``, the demo
under gunicorn with production settings (``bench.settings``, ``config/gunicorn.conf.py``), a
bare WSGI app serving the lesson page's exact bytes under the same gunicorn settings
(``bench/bare.py``), and wrk on loopback at fixed connections and duration against every
endpoint. Then queries per request, pyinstrument profiles, posting a comment and a reply, and
the 1,000-comment lesson's first views in-process, the soak (``bench/soak.py``), and the
results: ``bench/results.json`` and ``docs/benchmarks.md``.

    python bench/run.py                      # everything (about 25 minutes on 2 cores)
    python bench/run.py --quick              # SQLite, scale 1, short runs: a smoke test
    python bench/run.py --endpoints lesson_anon --scales 1 --duration 5 --no-soak
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.endpoints import CEILINGS, NAMES, endpoints_for  # noqa: E402
from bench.wrk import lua_script, wrk_binary, wrk_run  # noqa: E402

PYTHON = sys.executable
BENCH_DATABASE = "stream_bench"
DEFAULT_REDIS_DB = 15


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- The machine -------------------------------------------------------------------------------


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    versions = {}
    for module in ("django", "gunicorn", "psycopg", "redis"):
        with contextlib.suppress(Exception):
            versions[module] = __import__(module).__version__
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "versions": versions,
    }


# --- Databases -----------------------------------------------------------------------------------


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def postgres_fresh(url: str) -> str:
    """A new, empty ``stream_bench`` database on the server ``url`` points at; its URL."""
    import psycopg

    parts = urlsplit(url)
    admin = psycopg.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname=(parts.path or "/postgres").lstrip("/") or "postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return _with_path(url, f"/{BENCH_DATABASE}")


def redis_fresh(url: str) -> str:
    """``url`` with a database number of its own (``BENCH_REDIS_DB``, default 15), emptied."""
    import redis

    db = int(os.environ.get("BENCH_REDIS_DB", DEFAULT_REDIS_DB))
    fresh = _with_path(url, f"/{db}")
    redis.Redis.from_url(fresh).flushdb()
    return fresh


def database_env(kind: str, workdir: Path, label: str) -> dict:
    """Environment for the server and every command of one (database, scale) run."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        CACHE_KEY_PREFIX="stream-bench",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    if kind == "sqlite":
        path = workdir / f"{label}.sqlite3"
        path.unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        env["DATABASE_URL"] = postgres_fresh(os.environ["DATABASE_URL"])
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = redis_fresh(os.environ["REDIS_URL"])
            # As docs/deploy.md recommends with a shared cache: a signed-in request reads its
            # session from Redis. (Not with SQLite's per-worker local-memory cache, where a
            # sign-out would not reach the other workers' copies.)
            env["SESSIONS_IN_CACHE"] = "1"
    if "REDIS_URL" not in env:
        # Each worker's own memory cache, measured on purpose (bench.settings turns the rate
        # limits off); the production settings refuse that unless told so.
        env["ALLOW_PER_WORKER_LIMITS"] = "1"
    return env


def manage(env: dict, *args: str, log_path: Path | None = None) -> str:
    done = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if log_path is not None:
        with log_path.open("a", encoding="utf-8") as out:
            out.write(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- The server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """The demo under gunicorn with ``config/gunicorn.conf.py``; workers' RSS polled. With
    ``app``, that WSGI callable instead of the demo, under the same configuration."""

    def __init__(
        self,
        env: dict,
        *,
        workers: int,
        workdir: Path,
        label: str,
        baseline_bytes,
        app: str = "",
        extra_env: dict | None = None,
    ):
        self.app = app
        self.probe = "/" if app else "/bench/baseline/"
        label = f"{label}-bare" if app else label
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = workdir / f"access-{label}.log"
        self.server_log = workdir / f"server-{label}.log"
        self.access_log.unlink(missing_ok=True)
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_ACCESS_LOG": str(self.access_log),
            "GUNICORN_MAX_REQUESTS": "0",  # no recycling mid-measurement
            "STREAM_BENCH_BASELINE_BYTES": str(baseline_bytes),
            **(extra_env or {}),
        }
        self.workers = workers
        self.process = None

    def __enter__(self):
        self._out = self.server_log.open("a", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "config" / "gunicorn.conf.py"),
                *([self.app] if self.app else []),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.server_log}")
            try:
                with urllib.request.urlopen(self.url + self.probe, timeout=2) as answer:
                    if answer.status == 200 and len(self.worker_pids()) >= self.workers:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.__exit__()
        raise SystemExit(f"gunicorn did not answer within 60 s; see {self.server_log}")

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        with contextlib.suppress(OSError):
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
            return [int(child) for child in text.split()]
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                        pids.append(int(entry.name))
        return pids

    def drain(self, *, quick_ms: float = 100, limit_s: float = 60) -> float:
        """Wait until the server is idle again: requests of a finished load run that were
        still queued (wrk stops, gunicorn does not) would otherwise slow the next run down.
        Returns the seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < limit_s:
            probe = time.monotonic()
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.url + self.probe, timeout=limit_s),
            ):
                pass
            if (time.monotonic() - probe) * 1000 < quick_ms:
                break
        return time.monotonic() - started

    def statuses(self) -> dict[str, int]:
        """Responses by status code so far, from the access log."""
        counts: dict[str, int] = {}
        if self.access_log.exists():
            for match in re.finditer(r'" (\d{3}) ', self.access_log.read_text(errors="replace")):
                counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        return counts


def rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssPeak:
    """Polls the workers' resident memory while a load runs: the largest worker's peak."""

    def __init__(self, server: Server, every: float = 0.2):
        self.server, self.every = server, every
        self.peak_kb = self.peak_total_kb = 0
        self._stop = threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _poll(self):
        while not self._stop.is_set():
            sizes = [rss_kb(pid) for pid in self.server.worker_pids()]
            if sizes:
                self.peak_kb = max(self.peak_kb, max(sizes))
                self.peak_total_kb = max(self.peak_total_kb, sum(sizes))
            self._stop.wait(self.every)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# --- One (database, scale) run ---------------------------------------------------------------


def measure_one(args, wrk, server: Server, manifest: dict, endpoint, workdir: Path) -> dict:
    """One endpoint under wrk: its warm-up, then the measured run."""
    before = server.statuses()
    figures = None
    warm_seconds = 0.0
    primed = prime(server, endpoint, manifest, rounds=args.workers * 2)
    for phase, duration in warm_then_run(args, endpoint):
        script = workdir / f"{endpoint.name}.lua"
        script.write_text(
            lua_script(endpoint, manifest, nonce=secrets.randbits(31)), encoding="utf-8"
        )
        with RssPeak(server) as rss:
            figures = wrk_run(
                wrk=wrk,
                url=server.url + endpoint.path,
                script_path=str(script),
                connections=args.connections,
                duration=duration,
                threads=args.threads,
            )
        server.drain()
        if phase == "warm-up":
            warm_seconds += duration
    figures["peak_rss_mb"] = round(rss.peak_kb / 1024, 1)
    figures["peak_rss_all_workers_mb"] = round(rss.peak_total_kb / 1024, 1)
    figures["warmup_s"] = warm_seconds
    figures["primed_requests"] = primed
    per_view = endpoint.requests_per_view
    if per_view > 1:
        # wrk counts requests; a page view is the page and the viewer endpoint
        figures["requests_rps"] = figures["rps"]
        figures["rps"] = round(figures["rps"] / per_view, 1)
        figures["views"] = figures["requests"] // per_view
    after = server.statuses()
    figures["server_5xx"] = sum(
        count - before.get(code, 0) for code, count in after.items() if code.startswith("5")
    )
    return figures


def prime(server: Server, endpoint, manifest: dict, *, rounds: int) -> int:
    """The deterministic part of the warm-up: each address of a GET endpoint asked ``rounds``
    times (twice the workers), one connection after another, so that every worker has most
    likely rendered and kept the page (with SQLite's per-worker memory cache, each keeps its
    own) before any load; then one warm-up round of ``--warmup`` seconds. Returns the number
    of requests."""
    if endpoint.kind != "get" or endpoint.server != "django":
        return 0
    headers = {}
    if endpoint.signed_in:
        learner = manifest["learners"][0]
        headers["Cookie"] = (
            f"{manifest['session_cookie']}={learner['session']}; {manifest['viewer_cookie']}=1"
        )
    sent = 0
    for path in filter(None, (endpoint.path, endpoint.also)):
        for _ in range(rounds):
            request = urllib.request.Request(server.url + path, headers=headers)
            with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=60) as got:
                got.read()
            sent += 1
    return sent


def warm_then_run(args, endpoint):
    """The phases of one endpoint: one warm-up round of ``--warmup`` seconds (after
    :func:`prime`), then the measured run. The same for every endpoint and every run, so that
    the p99s of different runs are comparable."""
    if args.warmup > 0:
        yield "warm-up", args.warmup
    yield "run", args.duration


def measure(args, wrk, servers: dict, manifest: dict, endpoints, workdir: Path) -> dict:
    results = {}
    # The two ceilings (the bare WSGI app, the Django baseline) run first and again last:
    # right after a server starts its first run can be well below the stack's ceiling. The
    # better of the two is the one every endpoint is compared with (the lower ratios); both
    # are kept.
    ceilings = [endpoint for endpoint in endpoints if endpoint.name in CEILINGS]
    for endpoint in [*endpoints, *ceilings]:
        figures = measure_one(args, wrk, servers[endpoint.server], manifest, endpoint, workdir)
        earlier = results.get(endpoint.name)
        if earlier is not None:
            runs = [earlier["rps"], figures["rps"]]
            if earlier["rps"] >= figures["rps"]:
                figures = earlier
            figures["rps_runs"] = runs
        results[endpoint.name] = figures
        log(
            f"  {endpoint.name:<17} {figures['rps']:>8.1f} {'views' if endpoint.also else 'req'}/s"
            f"  p50 {figures['p50_ms']:>7.2f} ms  p99 {figures['p99_ms']:>8.2f} ms"
            f"  errors {figures['errors']}  rss {figures['peak_rss_mb']} MB"
        )
    baseline, bare = results.get("baseline"), results.get("bare")
    for figures in results.values():
        if bare and bare["rps"]:
            figures["ratio_to_bare"] = round(figures["rps"] / bare["rps"], 3)
        if baseline and baseline["rps"]:
            figures["ratio_to_baseline"] = round(figures["rps"] / baseline["rps"], 3)
            figures["p99_to_baseline"] = (
                round(figures["p99_ms"] / baseline["p99_ms"], 2)
                if baseline["p99_ms"] and figures["requests"]
                else None
            )
    return results


def combined_views(results: dict) -> dict | None:
    """A signed-in page view from the page and the viewer endpoint measured apart:
    1 / (1/a + 1/b) views per second (a check on the paired run)."""
    page, viewer = results.get("lesson_signed_in"), results.get("viewer")
    if not (page and viewer and page["rps"] and viewer["rps"]):
        return None
    rps = round(1 / (1 / page["rps"] + 1 / viewer["rps"]), 1)
    combined = {"rps": rps}
    for ceiling in CEILINGS:
        if results.get(ceiling, {}).get("rps"):
            combined[f"ratio_to_{ceiling}"] = round(rps / results[ceiling]["rps"], 3)
    return combined


def inprocess(env: dict, mode: str, manifest_path: Path, names: list[str], workdir: Path):
    out = workdir / f"{mode}-{manifest_path.stem}.json"
    done = subprocess.run(
        [
            PYTHON,
            str(ROOT / "bench" / "inprocess.py"),
            mode,
            "--manifest",
            str(manifest_path),
            "--endpoints",
            ",".join(names),
            "--out",
            str(out),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        log(f"  in-process {mode} failed:\n{done.stderr[-3000:]}")
        return {}
    return json.loads(out.read_text(encoding="utf-8"))


def page_bytes(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as answer:
        return answer.read()


def one_run(args, wrk, kind: str, scale: int, workdir: Path, profile: bool) -> dict:
    label = f"{kind}-{scale}"
    env = database_env(kind, workdir, label)
    setup_log = workdir / f"setup-{label}.log"
    started = time.monotonic()
    manage(env, "migrate", "--no-input", "-v", "0", log_path=setup_log)
    manifest_path = workdir / f"manifest-{label}.json"
    manage(
        env,
        "bench_data",
        "--scale",
        str(scale),
        "--manifest",
        str(manifest_path),
        "--sessions",
        str(args.sessions),
        log_path=setup_log,
    )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    log(
        f"{kind}, scale {scale}: {manifest['counts']['lessons']} lessons, "
        f"{manifest['counts']['learners']} learners, {manifest['counts']['comments']} comments "
        f"(data in {time.monotonic() - started:.0f} s)"
    )
    if manifest["lesson_page_status"] != 200:
        raise SystemExit(
            f"The lesson page answers {manifest['lesson_page_status']} under bench settings; "
            f"see {setup_log}"
        )
    wanted = [endpoint.name for endpoint in endpoints_for(manifest, args.endpoints)]
    endpoints = endpoints_for(manifest, [*CEILINGS, *wanted])
    page_file = workdir / f"page-{label}.html"
    servers = {}
    with contextlib.ExitStack() as stack:
        servers["django"] = stack.enter_context(
            Server(
                env,
                workers=args.workers,
                workdir=workdir,
                label=label,
                baseline_bytes=manifest["lesson_page_bytes"],
            )
        )
        # The lesson page exactly as this server sends it, for the bare app to send.
        page_file.write_bytes(page_bytes(servers["django"].url + manifest["lesson"]["url"]))
        servers["bare"] = stack.enter_context(
            Server(
                env,
                workers=args.workers,
                workdir=workdir,
                label=label,
                baseline_bytes=manifest["lesson_page_bytes"],
                app="bench.bare:application",
                extra_env={"STREAM_BENCH_PAGE": str(page_file)},
            )
        )
        results = measure(args, wrk, servers, manifest, endpoints, workdir)
    names = [endpoint.name for endpoint in endpoints if endpoint.server == "django"]
    queries = inprocess(env, "queries", manifest_path, names, workdir)
    for name, found in queries.items():
        if name in results:
            results[name]["queries"] = found["queries"]
            results[name]["queries_first"] = found["queries_first"]
    run = {
        "database": kind,
        "cache": "redis" if env.get("REDIS_URL") else "local memory (per worker)",
        "sessions": "cached_db (Redis)" if env.get("SESSIONS_IN_CACHE") else "db",
        "scale": scale,
        "counts": manifest["counts"],
        "lesson_page_bytes": page_file.stat().st_size,
        "endpoints": results,
        "combined_view": combined_views(results),
    }
    if profile:
        log("  profiling in-process (pyinstrument)")
        run["profiles"] = inprocess(
            env, "profile", manifest_path, [n for n in names if n not in CEILINGS], workdir
        )
    run["searches"] = inprocess(env, "search", manifest_path, [], workdir)
    for name, found in (run["searches"] or {}).items():
        log(f"  search, {name} ({found['hits']} hits): {found['p50_ms']} ms p50")
    # These two add comments to the 1,000-comment lesson: last.
    run["comment_posts"] = inprocess(env, "commentpost", manifest_path, [], workdir)
    if run["comment_posts"]:
        found = run["comment_posts"]
        log(
            f"  posting in-process: a comment {found['comment']['queries']} queries, "
            f"{found['comment']['ms']} ms; a reply to {found['reply']['subscribers']} "
            f"subscribers {found['reply']['queries']} queries, {found['reply']['ms']} ms"
        )
    run["first_views"] = inprocess(env, "firstview", manifest_path, [], workdir)
    if run["first_views"]:
        found = run["first_views"]
        log(
            f"  1,000-comment lesson in-process: cold render {found['cold_ms']} ms, "
            f"first view after a new comment {found['after_comment_ms']} ms, "
            f"after a reply in a thread of {found.get('after_reply_thread')} "
            f"{found.get('after_reply_ms')} ms, "
            f"after a change elsewhere {found.get('after_site_change_ms')} ms, "
            f"kept {found['hit_ms']} ms"
        )
    return run


# --- The caching layer's size -----------------------------------------------------------------

# Before: the per-viewer page cache and what served it, as they were before the commit that
# replaced them with shared pages. After: shared pages, content versions, the viewer endpoint
# and its parts, the hint cookie, purging, comment articles and the address-chosen language.
CACHING_REPLACED_BY = "8b9bb15"
CACHING_BEFORE = [
    "lessons/page_cache.py",
    "lessons/middleware.py",
    "comments/thread_cache.py",
    "comments/api_cache.py",
    "config/prepared.py",
    "config/sessions/",
    "config/auth_backends.py",
    "config/redis_cache.py",
]
CACHING_AFTER = [
    "lessons/caching.py",
    "lessons/versions.py",
    "lessons/viewer.py",
    "lessons/middleware.py",
    "lessons/purge.py",
    "comments/threads.py",
    "comments/viewer.py",
    "progress/viewer.py",
    "config/locale.py",
]


def _lines(text: str) -> dict:
    lines = text.splitlines()
    return {"lines": len(lines), "non_blank": sum(1 for line in lines if line.strip())}


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else ""


def caching_lines() -> dict:
    """Lines (and non-blank lines) of the caching layer before and after shared pages: the
    files of ``CACHING_BEFORE`` at the parent of ``CACHING_REPLACED_BY``, those of
    ``CACHING_AFTER`` as they are now."""
    before_commit = f"{CACHING_REPLACED_BY}^"
    before = {}
    for path in CACHING_BEFORE:
        if path.endswith("/"):
            names = _git("ls-tree", "--name-only", f"{before_commit}:{path}").split()
            paths = [f"{path}{name}" for name in names if name.endswith(".py")]
        else:
            paths = [path]
        for each in paths:
            text = _git("show", f"{before_commit}:{each}")
            if text:
                before[each] = _lines(text)
    after = {}
    for path in CACHING_AFTER:
        with contextlib.suppress(OSError):
            after[path] = _lines((ROOT / path).read_text(encoding="utf-8"))

    def total(files):
        return {key: sum(found[key] for found in files.values()) for key in ("lines", "non_blank")}

    return {
        "before_commit": before_commit,
        "before": {"files": before, **total(before)},
        "after": {"files": after, **total(after)},
    }


# --- Main ----------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Benchmark Stream with wrk.", formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="SQLite, scale 1, short runs.")
    parser.add_argument("--databases", default="", help="sqlite,postgres (default: available)")
    parser.add_argument("--scales", default="", help="Scale factors (default 1,10,100).")
    parser.add_argument("--endpoints", default="", help=f"Subset of: {','.join(NAMES)}")
    parser.add_argument("--duration", type=float, default=None, help="Seconds per endpoint.")
    parser.add_argument("--warmup", type=float, default=None, help="Warm-up seconds.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument(
        "--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="gunicorn workers."
    )
    parser.add_argument("--sessions", type=int, default=200, help="Signed-in learners in load.")
    parser.add_argument("--no-profile", action="store_true", help="Skip pyinstrument profiles.")
    parser.add_argument("--no-soak", action="store_true", help="Skip the mixed soak run.")
    parser.add_argument("--soak-duration", type=float, default=None, help="Soak seconds (≥ 60).")
    parser.add_argument(
        "--results",
        default=None,
        help="Where results go (default: bench/results.json for a full run, "
        "bench/results-last.json for a partial one).",
    )
    parser.add_argument(
        "--doc",
        default=None,
        help="Markdown to rewrite (default: docs/benchmarks.md, for a full run only).",
    )
    parser.add_argument("--no-doc", action="store_true", help="Do not rewrite the doc.")
    parser.add_argument("--keep", action="store_true", help="Keep the work directory.")
    args = parser.parse_args(argv)
    available = ["sqlite"] + (["postgres"] if os.environ.get("DATABASE_URL") else [])
    wanted = [d.strip() for d in args.databases.split(",") if d.strip()] or (
        ["sqlite"] if args.quick else available
    )
    for database in wanted:
        if database not in available:
            parser.error(f"database {database!r} is not available (set DATABASE_URL)")
    args.databases = wanted
    args.scales = [int(s) for s in args.scales.split(",") if s.strip()] or (
        [1] if args.quick else [1, 10, 100]
    )
    if args.duration is None:
        args.duration = 3 if args.quick else 10
    if args.duration < 2:
        parser.error("--duration: at least 2 seconds (wrk reports nothing for shorter runs)")
    if args.warmup is None:
        args.warmup = 1 if args.quick else 2
    if args.soak_duration is None:
        args.soak_duration = 20 if args.quick else 60
    # A partial run (a subset, shorter runs) must not replace the published figures.
    args.partial = (
        args.quick
        or bool(args.endpoints)
        or args.no_soak
        or args.scales != [1, 10, 100]
        or args.databases != available
        or args.duration < 10
        or args.soak_duration < 60
    )
    if args.results is None:
        name = "results-last.json" if args.partial else "results.json"
        args.results = str(ROOT / "bench" / name)
    if args.doc is None:
        args.doc = str(ROOT / "docs" / "benchmarks.md")
        args.no_doc = args.no_doc or args.partial
    return args


def main(argv=None):
    args = parse_args(argv)
    wrk = wrk_binary()
    command = "make bench" + (
        f' BENCH_ARGS="{" ".join(argv or sys.argv[1:])}"' if (argv or sys.argv[1:]) else ""
    )
    workdir = Path(tempfile.mkdtemp(prefix="stream-bench-"))
    log(f"work directory {workdir}")
    started = time.monotonic()
    results = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "machine": machine_info(),
        "settings": {
            "django_settings": "bench.settings (config.settings_production + the baseline)",
            "gunicorn": f"config/gunicorn.conf.py, {args.workers} gthread workers",
            "wrk": f"{args.threads} threads, {args.connections} connections, "
            f"{args.duration:g} s per endpoint after a fixed warm-up ({args.workers * 2} "
            f"requests one after another to each address, then {args.warmup:g} s of load)",
            "sessions": args.sessions,
        },
        "runs": [],
    }
    load_start = os.getloadavg()
    try:
        static_env = database_env("sqlite", workdir, "static")
        manage(static_env, "collectstatic", "--no-input", "-v", "0")
        for kind in args.databases:
            for scale in args.scales:
                profile = (
                    not args.no_profile and kind == args.databases[0] and scale == args.scales[-1]
                )
                try:
                    results["runs"].append(one_run(args, wrk, kind, scale, workdir, profile))
                except (SystemExit, Exception) as error:  # noqa: BLE001 (recorded, reported)
                    # The tree is shared with work in progress: one broken leg must not lose
                    # the others' figures.
                    log(f"{kind}, scale {scale} failed: {str(error)[-1000:]}")
                    results.setdefault("failed", []).append(
                        {"database": kind, "scale": scale, "error": str(error)[-2000:]}
                    )
        results["caching_lines"] = caching_lines()
        if not args.no_soak:
            from bench.soak import soak_run

            kind = "postgres" if "postgres" in args.databases else args.databases[0]
            env = database_env(kind, workdir, "soak")
            results["soak"] = soak_run(
                env=env,
                kind=kind,
                workdir=workdir,
                duration=args.soak_duration,
                workers=args.workers,
                manage=manage,
                server_class=Server,
                log=log,
            )
    finally:
        results["seconds"] = round(time.monotonic() - started)
        load_end = os.getloadavg()
        results["conditions"] = (
            f"load average (1, 5, 15 min) {', '.join(f'{x:.1f}' for x in load_start)} at the "
            f"start, {', '.join(f'{x:.1f}' for x in load_end)} at the end, on "
            f"{os.cpu_count()} cores shared with other work"
        )
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    from bench.report import generated_markdown, targets_check, write_doc

    results["targets"] = targets_check(results)
    Path(args.results).write_text(
        json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    log(f"results → {args.results}")
    if not args.no_doc:
        write_doc(results, Path(args.doc))
        log(f"report → {args.doc}")
        if Path(args.doc).resolve() == (ROOT / "docs" / "benchmarks.md").resolve():
            # Its own row in the doc's last table: the 30 KB Markdown render.
            subprocess.run([PYTHON, str(ROOT / "bench" / "markdown_render.py")], check=False)
    else:
        print("\n".join(generated_markdown(results)))
        if args.partial:
            log("a partial run: docs/benchmarks.md is left as it is (--doc to write one)")
    log(f"done in {results['seconds']} s")


if __name__ == "__main__":
    main()
