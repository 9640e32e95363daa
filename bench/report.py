"""``bench/results.json`` as Markdown, and the issue's targets checked against it.

``docs/benchmarks.md`` keeps hand-written prose: only the part between the two markers below
is rewritten by ``make bench``; everything outside them stays as written.
"""

from pathlib import Path

BEGIN = "<!-- bench:begin (written by make bench; edit outside these markers) -->"
END = "<!-- bench:end -->"

# What a page view asks for, judged by p99 against the baseline's.
PAGES = ["lesson_anon", "lesson_signed_in", "viewer", "lesson_view", "big_anon", "big_view"]
# (endpoint, ceiling, minimum, target): issue 12's "Benchmarks".
RATIO_TARGETS = [
    ("lesson_anon", "bare", 0.5, "lesson page, anonymous ≥ 0.5 × bare WSGI app"),
    ("lesson_signed_in", "bare", 0.5, "lesson page HTML, signed in ≥ 0.5 × bare WSGI app"),
    ("lesson_view", "bare", 0.3, "signed-in page view (HTML + viewer) ≥ 0.3 × bare WSGI app"),
    ("viewer", "baseline", 0.5, "viewer endpoint ≥ 0.5 × Django baseline"),
]
P99_LIMIT = 4.0
SYNC_MAX_QUERIES = 15
SYNC_MIN_RPS = 100
CACHING_MAX_LINES = 500


def _check(target, database, scale, value, met, shown):
    return {
        "target": target,
        "database": database,
        "scale": scale,
        "value": value,
        "shown": shown,
        "met": met,
    }


def targets_check(results: dict) -> list[dict]:
    """Each target, per database and scale, met or missed, with its figure: issue 12's ratios
    and p99s, issue 6's sync and constant queries, and the caching layer's size."""
    checks = []
    by_database: dict[str, list[dict]] = {}
    for run in results.get("runs", []):
        database, scale, found = run["database"], run["scale"], run["endpoints"]
        by_database.setdefault(database, []).append(run)
        for name, ceiling, minimum, target in RATIO_TARGETS:
            ratio = found.get(name, {}).get(f"ratio_to_{ceiling}")
            if ratio is not None:
                checks.append(
                    _check(target, database, scale, ratio, ratio >= minimum, f"{ratio:.2f}×")
                )
        p99s = {
            name: found[name]["p99_to_baseline"]
            for name in PAGES
            if found.get(name, {}).get("p99_to_baseline") is not None
        }
        stalled = [name for name in PAGES if found.get(name, {}).get("requests") == 0]
        if stalled:
            checks.append(
                _check(
                    f"p99 of every page ≤ {P99_LIMIT:g} × baseline p99",
                    database,
                    scale,
                    None,
                    False,
                    f"no request completed ({', '.join(stalled)})",
                )
            )
        elif p99s:
            worst = max(p99s, key=p99s.get)
            checks.append(
                _check(
                    f"p99 of every page ≤ {P99_LIMIT:g} × baseline p99",
                    database,
                    scale,
                    p99s[worst],
                    p99s[worst] <= P99_LIMIT,
                    f"worst {p99s[worst]:.1f}× ({worst})",
                )
            )
        sync = found.get("progress_sync")
        if sync and database == "sqlite" and "queries" in sync:
            met = sync["queries"] <= SYNC_MAX_QUERIES and sync["rps"] >= SYNC_MIN_RPS
            checks.append(
                _check(
                    f"sync of 100 events ≤ {SYNC_MAX_QUERIES} queries and "
                    f"≥ {SYNC_MIN_RPS} req/s on SQLite",
                    database,
                    scale,
                    [sync["queries"], sync["rps"]],
                    met,
                    f"{sync['queries']} queries, {sync['rps']:.0f} req/s",
                )
            )
    lines = results.get("caching_lines")
    if lines:
        after = lines["after"]
        checks.append(
            _check(
                f"caching layer under {CACHING_MAX_LINES} lines",
                "–",
                "–",
                after["lines"],
                after["lines"] < CACHING_MAX_LINES,
                f"{after['lines']:,} lines ({after['non_blank']:,} non-blank); "
                f"before {lines['before']['lines']:,}",
            )
        )
    for database, runs in by_database.items():
        if len(runs) < 2:
            continue
        varying = {}
        names = {name for run in runs for name in run["endpoints"]}
        for name in sorted(names):
            counts = [run["endpoints"].get(name, {}).get("queries") for run in runs]
            counts = [count for count in counts if count is not None]
            if len(set(counts)) > 1:
                varying[name] = counts
        checks.append(
            _check(
                "queries per request constant across scale factors",
                database,
                "all",
                varying,
                not varying,
                "constant"
                if not varying
                else "; ".join(f"{name}: {counts}" for name, counts in varying.items()),
            )
        )
    return checks


# --- Markdown ------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _num(value, digits=1, suffix=""):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return f"{value:,}{suffix}"


def _counts(counts: dict) -> str:
    return (
        f"{counts['courses']:,} courses, {counts['lessons']:,} lessons, {counts['tags']:,} tags, "
        f"{counts['learners']:,} learners, {counts['completions']:,} completions, "
        f"{counts['awards']:,} awards, {counts['xp_entries']:,} XP rows, "
        f"{counts['comments']:,} comments ({counts['big_lesson_comments']:,} on one lesson)"
    )


def _queries(figures: dict) -> str:
    warm, first = figures.get("queries"), figures.get("queries_first")
    if warm is None:
        return "–"
    return f"{warm} (first {first})" if first is not None and first != warm else str(warm)


def _endpoint_rows(run: dict, titles: dict) -> list[list]:
    rows = []
    for name, figures in run["endpoints"].items():
        rows.append(
            [
                titles.get(name, name),
                _num(figures["rps"]) if figures["requests"] else "**none completed**",
                _num(figures.get("ratio_to_bare"), 2, "×"),
                _num(figures.get("ratio_to_baseline"), 2, "×"),
                _num(figures["p50_ms"], 2),
                _num(figures["p99_ms"], 2),
                _num(figures.get("p99_to_baseline"), 1, "×"),
                f"{figures['errors']:,}"
                + (f" ({figures['server_5xx']} 5xx)" if figures.get("server_5xx") else ""),
                _queries(figures),
                _num(figures.get("peak_rss_mb"), 0),
            ]
        )
    return rows


def _titles() -> dict:
    from bench.endpoints import endpoints_for

    manifest = {
        "lesson": {"url": "…", "id": "<id>"},
        "big_lesson": {"url": "…", "id": "<id>"},
        "viewer_url": "/api/v1/me/page/",
    }
    return {endpoint.name: endpoint.title for endpoint in endpoints_for(manifest)}


def _frame_name(frame: str) -> str:
    """``function (path:line)`` → ``function``, or ``file.py`` for anonymous frames."""
    function, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    if where == "<built-in>":
        return f"`{function}`"
    if function.startswith(("[", "<")):
        return f"`{where}` {function}" if function.startswith("<") else f"`{where}`"
    module = Path(where).stem
    return f"`{module}.{function}`"


def generated_markdown(results: dict) -> list[str]:
    titles = _titles()
    machine = results["machine"]
    lines = [
        f"## Latest run: {results['date']}",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB RAM, "
        f"{machine['os']}, Python {machine['python']}, "
        + ", ".join(f"{name} {version}" for name, version in machine["versions"].items()),
        f"- Command: `{results['command']}` "
        f"({results['seconds'] // 60} min {results['seconds'] % 60} s)",
        f"- Server: {results['settings']['gunicorn']}, {results['settings']['django_settings']}",
        f"- Load: wrk on loopback, {results['settings']['wrk']}; signed-in requests rotate "
        f"over {results['settings']['sessions']} learners' sessions",
    ]
    if results.get("conditions"):
        lines.append(f"- Conditions: {results['conditions']}")
    lines.append("")
    for failed in results.get("failed", []):
        lines += [
            f"**{failed['database']}, scale {failed['scale']} failed** and is missing below: "
            f"`{failed['error'].strip().splitlines()[-1][:300]}`",
            "",
        ]
    checks = results.get("targets", [])
    if checks:
        lines += ["### Targets", ""]
        rows = []
        for check in checks:
            rows.append(
                [
                    check["target"],
                    check["database"],
                    check["scale"],
                    check["shown"],
                    "met" if check["met"] else "**missed**",
                ]
            )
        lines += _table(["target", "database", "scale", "measured", ""], rows) + [""]
    header = [
        "endpoint",
        "req/s (views/s)",
        "× bare",
        "× baseline",
        "p50 ms",
        "p99 ms",
        "p99 × baseline",
        "errors",
        "queries",
        "peak RSS MB",
    ]
    for run in results.get("runs", []):
        lines += [
            f"### {run['database']}, scale {run['scale']}",
            "",
            f"Data: {_counts(run['counts'])}. Cache: {run['cache']}; sessions: "
            f"{run.get('sessions', 'db')}. Lesson page {run['lesson_page_bytes']:,} bytes (the "
            "bare app's body and the baseline's size).",
            "",
        ]
        lines += _table(header, _endpoint_rows(run, titles)) + [""]
        combined = run.get("combined_view")
        if combined:
            lines += [
                "A signed-in page view from the HTML and the viewer endpoint measured apart, "
                f"1 / (1/a + 1/b): {_num(combined['rps'])} views/s, "
                f"{_num(combined.get('ratio_to_bare'), 2, '×')} bare.",
                "",
            ]
    databases = list(dict.fromkeys(run["database"] for run in results.get("runs", [])))
    for database in databases:
        runs = [run for run in results["runs"] if run["database"] == database]
        if len(runs) < 2:
            continue
        scales = [run["scale"] for run in runs]
        lines += [
            f"### Scaling on {database}: the same endpoints at scale {', '.join(map(str, scales))}",
            "",
        ]
        header = (
            ["endpoint"]
            + [f"req/s ×{s}" for s in scales]
            + [f"p99 ms ×{s}" for s in scales]
            + [f"queries ×{s}" for s in scales]
        )
        rows = []
        for name in runs[0]["endpoints"]:
            found = [run["endpoints"].get(name, {}) for run in runs]
            rows.append(
                [titles.get(name, name)]
                + [_num(f.get("rps")) for f in found]
                + [_num(f.get("p99_ms"), 2) for f in found]
                + [_num(f.get("queries")) for f in found]
            )
        lines += _table(header, rows) + [""]
    profiled = [run for run in results.get("runs", []) if run.get("profiles")]
    for run in profiled:
        lines += [
            f"### Where the time goes ({run['database']}, scale {run['scale']}, pyinstrument)",
            "",
            "In-process through the test client, warm (pages kept; a page view is its two "
            "requests). “Own code” is the inclusive share of Stream's functions; “hottest” is "
            "self time anywhere. Full trees: `bench/profiles/<endpoint>.txt`.",
            "",
        ]
        rows = []
        for name, profile in run["profiles"].items():
            own = "; ".join(
                f"{_frame_name(item['frame'])} {item['share']:.0%}"
                for item in profile["top_project"][:4]
            )
            hot = "; ".join(
                f"{_frame_name(item['frame'])} {item['share']:.0%}"
                for item in profile["top_self"][:5]
            )
            rows.append([titles.get(name, name), _num(profile["ms_per_request"], 1), own, hot])
        header = [
            "endpoint",
            "ms/request",
            "own code (inclusive)",
            "hottest (self)",
        ]
        lines += _table(header, rows)
        lines += [""]
    lines += comment_posts_markdown(results)
    lines += searches_markdown(results)
    lines += first_views_markdown(results)
    lines += caching_lines_markdown(results.get("caching_lines"))
    soak = results.get("soak")
    if soak:
        lines += soak_markdown(soak)
    return lines


def comment_posts_markdown(results: dict) -> list[str]:
    rows = []
    for run in results.get("runs", []):
        found = run.get("comment_posts")
        if not found:
            continue
        worker = found.get("worker")
        rows.append(
            [
                run["database"],
                run["scale"],
                found["comment"]["queries"],
                _num(found["comment"]["ms"]),
                found["reply"]["subscribers"],
                found["reply"]["queries"],
                _num(found["reply"]["ms"]),
                f"{worker['tasks']} in {_num(worker['ms'])} ms" if worker else "in the request",
            ]
        )
    if not rows:
        return []
    return [
        "### Posting a comment (in-process)",
        "",
        "The page's script posting to the 1,000-comment lesson with a learner's session "
        "(`bench/inprocess.py commentpost`): a comment, and a reply in a thread of subscribed "
        "participants; the most queries and the median ms of 7 posts. Notifications and "
        "emails wait in django-tasks-db's queue; its worker then runs them in one batch.",
        "",
        *_table(
            [
                "database",
                "scale",
                "comment: queries",
                "ms",
                "reply: subscribers",
                "queries",
                "ms",
                "queued tasks, worker",
            ],
            rows,
        ),
        "",
    ]


def searches_markdown(results: dict) -> list[str]:
    rows = [
        [
            run["database"],
            run["scale"],
            name,
            f"`{found['query']}`",
            found["hits"],
            found["queries"],
            _num(found["p50_ms"]),
        ]
        for run in results.get("runs", [])
        for name, found in (run.get("searches") or {}).items()
    ]
    if not rows:
        return []
    return [
        "### Search (in-process)",
        "",
        "The search page for a visitor (`bench/inprocess.py search`): how many lessons each "
        "query finds, the page's queries and the median ms of 7 views. Goal: p50 ≤ 20 ms at "
        "scale 100 on PostgreSQL.",
        "",
        *_table(["database", "scale", "query", "terms", "hits", "queries", "p50 ms"], rows),
        "",
    ]


def _after_reply(found: dict) -> str:
    if found.get("after_reply_ms") is None:
        return "–"
    return f"{_num(found['after_reply_ms'])} ({found['after_reply_thread']})"


def first_views_markdown(results: dict) -> list[str]:
    rows = [
        [
            run["database"],
            run["scale"],
            _num(run["first_views"]["cold_ms"]),
            _num(run["first_views"]["after_comment_ms"]),
            _after_reply(run["first_views"]),
            _num(run["first_views"].get("after_site_change_ms")),
            _num(run["first_views"]["hit_ms"], 2),
            f"{run['first_views']['page_bytes']:,}",
        ]
        for run in results.get("runs", [])
        if run.get("first_views")
    ]
    if not rows:
        return []
    return [
        "### The 1,000-comment lesson's first views (in-process, ms)",
        "",
        "A visitor's view through the test client, timed alone (medians of 3, 3, 3 and 5): the "
        "cold render with every cache emptied, the first view after a new comment (a thread of "
        "its own: every other thread's kept HTML reused), the first view after a reply in the "
        "largest thread (that thread drawn again; its size in brackets), the first view after "
        "a change elsewhere on the site (another lesson renamed: every page is new, the "
        "comments' articles are reused), and a view of the kept page.",
        "",
        *_table(
            [
                "database",
                "scale",
                "cold render",
                "first view after a new comment",
                "first view after a reply (thread)",
                "first view after a change elsewhere",
                "kept page",
                "bytes",
            ],
            rows,
        ),
        "",
    ]


def caching_lines_markdown(lines: dict | None) -> list[str]:
    if not lines:
        return []
    rows = [
        [f"`{path}`", "before", found["lines"], found["non_blank"]]
        for path, found in lines["before"]["files"].items()
    ]
    rows.append(
        ["**total before**", "", f"**{lines['before']['lines']:,}**", lines["before"]["non_blank"]]
    )
    rows += [
        [f"`{path}`", "after", found["lines"], found["non_blank"]]
        for path, found in lines["after"]["files"].items()
    ]
    rows.append(
        ["**total after**", "", f"**{lines['after']['lines']:,}**", lines["after"]["non_blank"]]
    )
    return [
        "### The caching layer's size",
        "",
        f"Before: the deleted files at `{lines['before_commit']}`; after: as the bench ran.",
        "",
        *_table(["file", "", "lines", "non-blank"], rows),
        "",
    ]


def soak_markdown(soak: dict) -> list[str]:
    verdict = "passed" if soak.get("passed") else "**FAILED**"
    lines = [
        f"### Soak: {verdict}",
        "",
        f"{soak['seconds']:.0f} s on {soak['database']} at scale {soak['scale']}, "
        f"{soak['clients']} concurrent clients as {soak['learners']} learners, "
        f"{soak['requests']:,} requests ({soak['rps']:.0f} req/s).",
        "",
    ]
    rows = [
        [kind, f"{n['sent']:,}", f"{n['acknowledged']:,}", f"{n['refused']:,}"]
        for kind, n in soak["operations"].items()
    ]
    lines += _table(["operation", "sent", "acknowledged", "refused (4xx, e.g. rate limits)"], rows)
    lines += ["", "Checks after the run:", ""]
    lines += [
        f"- {'✓' if check['ok'] else '✗'} {check['what']}: {check['detail']}"
        for check in soak["checks"]
    ]
    return lines + [""]


FRESH_HEAD = """# Benchmarks

`make bench` measures Stream under load next to the fastest pages the same machine serves (a
bare WSGI app returning the lesson page's bytes, and a Django view returning a constant page),
and writes the figures below and `bench/results.json`. It is not part of the test suite: tests
pin query counts, never times. `bench/run.py --help` lists the options.

"""

FRESH_TAIL = """
## What was changed, and why

(Written by hand: what each profile showed and what was done about it.)

## Markdown rendering

Written by `bench/markdown_render.py`, which a full `make bench` runs last; one row per run.

| date | machine | benchmark | result | target |
| --- | --- | --- | --- | --- |
"""


def write_doc(results: dict, path: Path) -> None:
    """Rewrite the generated part of ``path``; keep everything outside the markers."""
    generated = "\n".join([BEGIN, "", *generated_markdown(results), END])
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        path.write_text(head + generated + tail, encoding="utf-8")
        return
    old_rows = [line for line in text.splitlines() if line.startswith("| 20")]
    tail = FRESH_TAIL + "".join(row + "\n" for row in old_rows)
    path.write_text(FRESH_HEAD + generated + "\n" + tail, encoding="utf-8")
