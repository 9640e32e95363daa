"""The endpoints ``make bench`` measures, with their addresses in a given data set."""

from bench.wrk import Endpoint

NAMES = [
    "bare",
    "baseline",
    "baseline_signed_in",
    "lesson_anon",
    "lesson_signed_in",
    "viewer",
    "lesson_view",
    "big_anon",
    "big_view",
    "progress_get",
    "comments_api",
    "progress_sync",  # last: it writes
]
# The two ceilings every other endpoint is compared with: measured first and again last.
CEILINGS = ["bare", "baseline"]
# What the browser of a signed-in learner asks for one lesson page: the shared HTML, then the
# viewer endpoint; a pair of requests counts as one page view.
PAIRS = ["lesson_view", "big_view"]


def viewer_path(manifest: dict, lesson: dict) -> str:
    """The viewer endpoint's address for ``lesson``, as ``viewer.js`` builds it from the page's
    ``#stream-viewer-config`` block (its URL, then ``lesson``)."""
    url = manifest["viewer_url"]
    return f"{url}{'&' if '?' in url else '?'}lesson={lesson['id']}"


def endpoints_for(manifest: dict, names: str | list[str] = "") -> list[Endpoint]:
    """The endpoints named (comma-separated or a list; all when empty), in measuring order."""
    lesson, big = manifest["lesson"], manifest["big_lesson"]
    every = {
        "bare": Endpoint(
            "bare", "bare WSGI app, the lesson page's bytes", "GET", lesson["url"], server="bare"
        ),
        "baseline": Endpoint("baseline", "Django baseline view", "GET", "/bench/baseline/"),
        "baseline_signed_in": Endpoint(
            "baseline_signed_in",
            "Django baseline view, signed in (session read, user loaded)",
            "GET",
            "/bench/baseline/signed-in/",
            signed_in=True,
        ),
        "lesson_anon": Endpoint("lesson_anon", "lesson page, anonymous", "GET", lesson["url"]),
        "lesson_signed_in": Endpoint(
            "lesson_signed_in", "lesson page HTML, signed in", "GET", lesson["url"], signed_in=True
        ),
        "viewer": Endpoint(
            "viewer",
            "GET /api/v1/me/page/ (viewer endpoint)",
            "GET",
            viewer_path(manifest, lesson),
            signed_in=True,
        ),
        "lesson_view": Endpoint(
            "lesson_view",
            "lesson page view, signed in (HTML + viewer endpoint)",
            "GET",
            lesson["url"],
            signed_in=True,
            also=viewer_path(manifest, lesson),
        ),
        "big_anon": Endpoint("big_anon", "1,000-comment lesson, anonymous", "GET", big["url"]),
        "big_view": Endpoint(
            "big_view",
            "1,000-comment lesson view, signed in (HTML + viewer endpoint)",
            "GET",
            big["url"],
            signed_in=True,
            also=viewer_path(manifest, big),
        ),
        "progress_get": Endpoint(
            "progress_get", "GET /api/v1/progress/", "GET", "/api/v1/progress/", signed_in=True
        ),
        "comments_api": Endpoint(
            "comments_api",
            "GET /api/v1/lessons/<id>/comments/ (1,000 comments)",
            "GET",
            f"/api/v1/lessons/{big['id']}/comments/",
        ),
        "progress_sync": Endpoint(
            "progress_sync",
            "POST /api/v1/progress/sync/ (100 new events)",
            "POST",
            "/api/v1/progress/sync/",
            signed_in=True,
            kind="sync",
        ),
    }
    if isinstance(names, str):
        names = [name.strip() for name in names.split(",") if name.strip()]
    unknown = sorted(set(names) - set(every))
    if unknown:
        raise SystemExit(f"Unknown endpoints: {', '.join(unknown)}. Known: {', '.join(NAMES)}.")
    return [every[name] for name in NAMES if not names or name in names]
