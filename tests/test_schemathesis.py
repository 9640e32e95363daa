"""Schemathesis over the whole OpenAPI schema, in process (WSGI).

Every operation is called with a bounded number of generated requests, as an anonymous visitor,
as a signed-in learner (token) and as staff in a browser (session and CSRF token), with path ids
of real objects and with generated ones, with valid inputs and with invalid ones. Each answer
must not be a 5xx and must conform to the schema: a documented status code and content type,
and a body that matches its schema.
Generation is derandomised so a run is repeatable; the whole file takes well under a minute.
"""

import json
from collections import defaultdict
from importlib import import_module

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token

from comments.models import Notification
from lessons.models import Status
from tests.factories import (
    CommentFactory,
    CourseFactory,
    LessonFactory,
    LessonLinkFactory,
    ProblemReportFactory,
    TagFactory,
)

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import CHECKS as REGISTRY  # noqa: E402

pytestmark = pytest.mark.django_db

# Every check schemathesis has but positive_data_acceptance: a schema-valid request may still be
# refused with a 400 for what a schema does not say (NUL characters, a section that is not one of
# the lesson's headings, a wrong password), and each such case would need its own exception.
CHECKS = [check for check in REGISTRY.get_all() if check.__name__ != "positive_data_acceptance"]
# (generation mode, real path ids?, examples per operation and requester)
RUNS = [
    (GenerationMode.POSITIVE, True, 8),
    (GenerationMode.POSITIVE, False, 3),
    (GenerationMode.NEGATIVE, True, 5),
]


# What cannot succeed for each requester: staff-only or signed-in-only operations, and a
# token for generated credentials.
NEVER_SUCCEEDS = {
    "anonymous": {
        "POST /api/v1/auth/token/",
        "DELETE /api/v1/auth/token/",
        "PATCH /api/v1/comments/{id}/",
        "DELETE /api/v1/comments/{id}/",
        "POST /api/v1/comments/{id}/flag/",
        "POST /api/v1/lessons/{lesson_id}/comments/",
        "GET /api/v1/lessons/{lesson_id}/subscription/",
        "PUT /api/v1/lessons/{lesson_id}/subscription/",
        "DELETE /api/v1/lessons/{lesson_id}/subscription/",
        "GET /api/v1/me/data/",
        "GET /api/v1/notifications/",
        "POST /api/v1/notifications/read/",
        "GET /api/v1/progress/",
        "POST /api/v1/progress/sync/",
        "POST /api/v1/reports/{id}/resolve/",
    },
    "learner": {"POST /api/v1/auth/token/", "POST /api/v1/reports/{id}/resolve/"},
    # Staff may delete others' comments but not edit them.
    "staff": {"POST /api/v1/auth/token/", "PATCH /api/v1/comments/{id}/"},
}


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, kept on the test's database connection: the real handler
    closes connections when a request ends, which on PostgreSQL would leave the test's
    transaction (Django's test client disconnects the same receivers)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(learner, other_learner, staff, settings):
    """Real objects for the operations to hit, and limits out of the way (429s conform too,
    but would hide the answers behind them)."""
    settings.STREAM = {
        **settings.STREAM,
        "API_THROTTLE_RATES": {},
        "COMMENTS_POST_LIMIT": 10_000,
        "COMMENTS_PER_LESSON_PER_HOUR": 10_000,
        "COMMENTS_FLAG_LIMIT": 10_000,
        "REPORTS_LIMIT_PER_IP": 10_000,
        "REPORTS_LIMIT_PER_USER": 10_000,
    }
    course = CourseFactory(slug="basics")
    lesson = LessonFactory(course=course, tags=[TagFactory()], exercise="Do **it**.")
    LessonLinkFactory(lesson=lesson)
    LessonFactory(course=course, status=Status.DRAFT)
    theirs = CommentFactory(lesson=lesson, author=other_learner)
    mine = CommentFactory(lesson=lesson, author=learner, parent=theirs)
    reply = CommentFactory(lesson=lesson, author=other_learner, parent=mine)
    Notification.objects.create(recipient=learner, kind="reply", lesson=lesson, comment=reply)
    report = ProblemReportFactory(lesson=lesson, reporter=learner)
    return {
        "slug": course.slug,
        "lesson_id": lesson.pk,
        "id": {"comments": mine.pk, "flag": theirs.pk, "reports": report.pk},
        "learner": learner,
        "staff": staff,
    }


def real_path_parameters(operation, world):
    """Ids of the world's objects for every path parameter the operation has."""
    names = {p.name for p in operation.path_parameters}
    values = {}
    if "slug" in names:
        values["slug"] = world["slug"]
    if "lesson_id" in names:
        values["lesson_id"] = world["lesson_id"]
    if "id" in names:
        kind = next((k for k in ("reports", "flag") if f"/{k}/" in operation.path), "comments")
        values["id"] = world["id"][kind]
    return values


def learner_headers(world):
    token, _ = Token.objects.get_or_create(user=world["learner"])
    return {"Authorization": f"Token {token.key}"}, {}


CSRF_SECRET = "s" * 32


def staff_session(world):
    """A browser's headers: the staff member's session cookie, and the CSRF cookie with the
    same token in the header, as Stream's pages send it."""
    session = import_module(django_settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(world["staff"].pk)
    session[BACKEND_SESSION_KEY] = django_settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = world["staff"].get_session_auth_hash()
    session.save()
    cookies = {
        django_settings.SESSION_COOKIE_NAME: session.session_key,
        django_settings.CSRF_COOKIE_NAME: CSRF_SECRET,
    }
    return {"X-CSRFToken": CSRF_SECRET}, cookies


def exercise(strategy, *, checks, examples, headers, negative, seen):
    """Call the app with ``examples`` cases drawn from ``strategy`` and validate each answer."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        sent, cookies = headers()
        response = case.call(headers=sent, cookies=cookies)
        seen[f"{case.method} {case.operation.path}"].add(response.status_code)
        case.validate_response(response, checks=checks, headers=sent)

    try:
        run()
    except Unsatisfiable:
        # Invalid inputs are asked for with the path ids fixed: an operation with nothing else
        # to make invalid (no body, no query) has no such case, which is fine.
        assert negative, "no valid case could be generated"


@pytest.mark.parametrize("who", ["anonymous", "learner", "staff"])
def test_every_operation_answers_as_its_schema_says(wsgi_app, world, who):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # the designed endpoints, token, report resolution, me/page, me/data, search
    assert len(operations) == 22

    # Revoking the token would sign the learner out for the operations after it.
    operations.sort(key=lambda op: op.path == "/api/v1/auth/token/" and op.method == "delete")

    seen = defaultdict(set)

    session = staff_session(world) if who == "staff" else ({}, {})

    def headers():
        return learner_headers(world) if who == "learner" else session

    for operation in operations:
        for mode, real_ids, examples in RUNS:
            path_parameters = real_path_parameters(operation, world) if real_ids else None
            if real_ids and not path_parameters and operation.path_parameters:
                continue
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            checks = CHECKS

            exercise(
                strategy,
                checks=checks,
                examples=examples,
                headers=headers,
                negative=mode is GenerationMode.NEGATIVE,
                seen=seen,
            )

    # and the real ids made the operations succeed, not only refuse
    succeeded = {label for label, statuses in seen.items() if any(200 <= c < 300 for c in statuses)}
    assert set(seen) - succeeded == NEVER_SUCCEEDS[who]


# --- Hostile inputs schemathesis does not make ------------------------------------------------
# Inputs that broke the API before (issue 13): JSON nested past the decoder's recursion limit,
# digits that are not ASCII ("²", "٣"), ids past the database's range, times at the ends of the
# calendar. Each is put in every field of every JSON endpoint and form; each answer must be a
# 4xx or a success, never a 5xx, and the API's in JSON.

DEPTHS = st.sampled_from([33, 200, 1_000, 20_000])
UNICODE_DIGITS = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=24)
HUGE_IDS = st.one_of(
    st.integers(min_value=2**63 - 1, max_value=10**40),
    st.integers(min_value=-(10**40), max_value=0),
)
EXTREME_TIMES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+14:00",
            "0001-01-01T00:00:00-12:00",
            "9999-12-31T23:59:59.999999-12:00",
            "9999-12-31T23:59:59+14:00",
        ]
    ),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
)
SCALARS = st.one_of(
    UNICODE_DIGITS,
    HUGE_IDS,
    HUGE_IDS.map(str),
    EXTREME_TIMES,
    st.floats(allow_nan=False),
    st.text(max_size=40),
)


def nested(depth):
    return "[" * depth + "]" * depth


@st.composite
def hostile_json(draw, fields):
    """A raw JSON body: deep nesting alone or under a field, or the fields given hostile values
    (for a sync, inside events too)."""
    shape = draw(st.sampled_from(["deep", "deep field", "fields", "events"]))
    if shape == "deep":
        return nested(draw(DEPTHS))
    if shape == "deep field":
        return json.dumps({draw(st.sampled_from(fields)): None}).replace(
            "null", nested(draw(DEPTHS))
        )
    values = {field: draw(st.one_of(SCALARS, st.lists(SCALARS, max_size=3))) for field in fields}
    if shape == "events":
        values["events"] = [
            {
                "id": draw(st.one_of(st.uuids().map(str), SCALARS)),
                "type": "lesson_completed",
                "lesson": draw(st.one_of(HUGE_IDS, UNICODE_DIGITS, st.integers(1, 3))),
                "at": draw(EXTREME_TIMES),
            }
            for _ in range(draw(st.integers(1, 3)))
        ]
        values["time_zone"] = draw(st.sampled_from(["America/New_York", "Pacific/Kiritimati"]))
    return json.dumps(values)


HOSTILE_SETTINGS = settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def json_endpoints(world):
    """(method, path, the fields its body takes) of every endpoint that reads JSON."""
    lesson, ids = world["lesson_id"], world["id"]
    return [
        ("post", "/api/v1/auth/token/", ["login", "password"]),
        ("post", "/api/v1/progress/sync/", ["events", "time_zone"]),
        ("post", f"/api/v1/lessons/{lesson}/comments/", ["body", "parent"]),
        ("patch", f"/api/v1/comments/{ids['comments']}/", ["body"]),
        ("post", f"/api/v1/comments/{ids['flag']}/flag/", ["reason"]),
        ("put", f"/api/v1/lessons/{lesson}/subscription/", ["subscribed"]),
        ("post", "/api/v1/notifications/read/", ["ids"]),
        ("post", f"/api/v1/lessons/{lesson}/reports/", ["kind", "message", "section"]),
        ("post", f"/api/v1/reports/{ids['reports']}/resolve/", ["status", "note"]),
    ]


def send_hostile_json(client, method, path, fields):
    @HOSTILE_SETTINGS
    @given(body=hostile_json(fields))
    def run(body):
        response = getattr(client, method)(path, body, content_type="application/json")
        assert response.status_code < 500, (method, path, body[:200])
        assert response["Content-Type"] == "application/json", (method, path)

    run()


@pytest.mark.parametrize("who", ["learner", "staff"])
def test_hostile_json_on_every_endpoint_is_answered_in_json_never_a_500(world, who):
    client = Client(raise_request_exception=False)
    client.force_login(world[who])
    for method, path, fields in json_endpoints(world):
        send_hostile_json(client, method, path, fields)


def form_targets(world):
    """(path, the form fields it reads) of every form a learner posts."""
    lesson, ids = world["lesson_id"], world["id"]
    return [
        ("/me/notifications/read/", ["notification"]),
        (f"/comments/lessons/{lesson}/", ["body", "parent"]),
        (f"/comments/lessons/{lesson}/report/", ["kind", "message", "section", "contact_email"]),
        (f"/comments/{ids['flag']}/flag/", ["reason"]),
        (f"/comments/{ids['comments']}/edit/", ["body"]),
    ]


def post_hostile_form(client, path, fields):
    @HOSTILE_SETTINGS
    @given(
        values=st.fixed_dictionaries(
            {field: st.lists(SCALARS.map(str), min_size=1, max_size=3) for field in fields}
        )
    )
    def run(values):
        response = client.post(path, values)
        assert response.status_code < 500, (path, values)

    run()


@pytest.mark.parametrize("who", ["learner", "staff"])
def test_hostile_form_values_and_path_ids_are_never_a_500(world, who):
    client = Client(raise_request_exception=False)
    client.force_login(world[who])
    for path, fields in form_targets(world):
        post_hostile_form(client, path, fields)

    @HOSTILE_SETTINGS
    @given(value=st.one_of(UNICODE_DIGITS, HUGE_IDS.map(str)))
    def paths(value):
        for template in ("/comments/{}/", "/api/v1/lessons/{}/", "/api/v1/comments/{}/"):
            response = client.get(template.format(value))
            assert response.status_code < 500, (template, value)
        page = client.get(f"/api/v1/lessons/{world['lesson_id']}/comments/", {"page": value})
        assert page.status_code == 404

    paths()
