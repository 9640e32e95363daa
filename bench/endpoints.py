"""The endpoints ``make bench`` measures, with their addresses in a given data set."""

from bench.wrk import Endpoint

NAMES = [
    "baseline",
    "lesson_anon",
    "lesson_signed_in",
    "big_anon",
    "big_signed_in",
    "progress_get",
    "comments_api",
    "progress_sync",  # last: it writes
]


def endpoints_for(manifest: dict, names: str | list[str] = "") -> list[Endpoint]:
    """The endpoints named (comma-separated or a list; all when empty), in measuring order."""
    lesson, big = manifest["lesson"], manifest["big_lesson"]
    every = {
        "baseline": Endpoint("baseline", "baseline (constant page)", "GET", "/bench/baseline/"),
        "lesson_anon": Endpoint("lesson_anon", "lesson page, anonymous", "GET", lesson["url"]),
        "lesson_signed_in": Endpoint(
            "lesson_signed_in", "lesson page, signed in", "GET", lesson["url"], signed_in=True
        ),
        "big_anon": Endpoint("big_anon", "1,000-comment lesson, anonymous", "GET", big["url"]),
        "big_signed_in": Endpoint(
            "big_signed_in", "1,000-comment lesson, signed in", "GET", big["url"], signed_in=True
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
