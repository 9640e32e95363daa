"""The progress API: who may call it, the payloads of docs/api.md, bad input, query counts."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from lessons.models import Status
from progress import services
from progress.models import CompletionEvent, LearnerProfile, LessonCompletion, XPEntry
from tests.factories import AchievementFactory, CourseFactory, LessonFactory, TagFactory

pytestmark = pytest.mark.django_db

STATE_URL = "/api/v1/progress/"
SYNC_URL = "/api/v1/progress/sync/"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def client():
    """A client whose browser asks for English (the site speaks Korean by default)."""
    return Client(headers={"Accept-Language": "en"})


def event(lesson, at=T0, **extra):
    return {
        "id": str(uuid.uuid4()),
        "type": "lesson_completed",
        "lesson": lesson if isinstance(lesson, int) else lesson.pk,
        "at": at.isoformat() if isinstance(at, datetime) else at,
        **extra,
    }


def catalogue_cached(language=None):
    """Put what a sync reads of the catalogue in the page cache, as any earlier request does:
    a page in the language the answer is in (the figures name the levels in it, the
    requirements what they require; the active one unless given)."""
    from lessons.requirements import requirement_facts
    from progress.models import Achievement
    from progress.selectors import course_lesson_ids, rules_cached, site_figures

    with translation.override(language or translation.get_language()):
        site_figures()
        requirement_facts()
    course_lesson_ids()
    rules_cached(Achievement.objects.filter(active=True).order_by("position", "id"))


def post(client, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(SYNC_URL, data=data, content_type="application/json")


def snapshot():
    """Everything a sync may write, to check that a refused request wrote nothing."""
    return (
        list(LessonCompletion.objects.values_list("learner_id", "lesson_id", "completed_at")),
        list(XPEntry.objects.values_list("learner_id", "key", "amount")),
        list(LearnerProfile.objects.values_list("user_id", "xp", "time_zone")),
        list(CompletionEvent.objects.values_list("learner_id", "event_id")),
    )


# --- Who may call it ---------------------------------------------------------------------------


def test_anonymous_visitors_get_a_json_403_and_nothing_is_written(client, lessons):
    state = client.get(STATE_URL)
    sync = post(client, {"events": [event(lessons[0])]})

    for response in (state, sync):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": "Authentication credentials were not provided.",
            "code": "not_authenticated",
        }
    assert snapshot() == ([], [], [], [])


def test_the_owner_reads_their_state_in_the_design_shape(client, learner, lessons, levels):
    AchievementFactory(slug="first", rule_params={"count": 1}, xp=90)
    AchievementFactory(slug="later", rule_params={"count": 3})
    services.completion_record(user=learner, lesson=lessons[1], at=T0)
    client.force_login(learner)

    response = client.get(STATE_URL)

    assert response.status_code == 200
    assert response.json() == {
        "xp": 110,
        "level": {"number": 1, "name": "Explorer", "min_xp": 100},
        "next_level": {"number": 2, "name": "Builder", "min_xp": 250},
        "completed": [{"lesson": lessons[1].pk, "at": "2026-03-02T01:00:00+00:00"}],
        "achievements": [{"slug": "first", "at": "2026-03-02T01:00:00+00:00"}],
        "totals": {"lessons": 3, "achievements": 2},
    }


@pytest.mark.parametrize("who", ["other_learner", "staff"])
def test_nobody_reads_or_writes_someone_elses_progress(client, learner, lessons, who, request):
    # given the learner's progress
    services.completion_record(user=learner, lesson=lessons[0], at=T0)
    before = snapshot()
    caller = request.getfixturevalue(who)
    client.force_login(caller)

    # when another learner (or staff) reads and syncs, naming the learner wherever they can
    state = client.get(STATE_URL, {"user": learner.pk, "learner": learner.pk})
    sync = post(client, {"events": [event(lessons[1])], "user": learner.pk, "learner": learner.pk})

    # then they see and change only their own progress
    assert state.json()["completed"] == [] and state.json()["xp"] == 0
    assert sync.json()["state"]["completed"][0]["lesson"] == lessons[1].pk
    assert LessonCompletion.objects.get(lesson=lessons[1]).learner == caller
    mine = [row for row in snapshot()[0] if row[0] == learner.pk]
    assert mine == before[0]
    assert LearnerProfile.objects.get(user=learner).xp == 10


def test_the_api_refuses_other_methods(client, learner):
    client.force_login(learner)

    assert client.post(STATE_URL).status_code == 405
    assert client.get(SYNC_URL).status_code == 405
    assert client.delete(SYNC_URL).status_code == 405


def test_session_sync_needs_the_csrf_token(learner, lessons):
    client = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    client.force_login(learner)

    refused = post(client, {"events": [event(lessons[0])]})
    # the page's script gets the token from the viewer endpoint (pages carry none)
    token = client.get("/api/v1/me/page/").json()["csrf_token"]
    accepted = client.post(
        SYNC_URL,
        data=json.dumps({"events": [event(lessons[0])]}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 200


# --- Sync ---------------------------------------------------------------------------------------


def test_sync_answers_per_event_with_the_state_and_the_new_awards(client, learner, lessons, levels):
    AchievementFactory(slug="two", name="Two down", rule_params={"count": 2}, xp=25)
    draft = LessonFactory(course=lessons[0].course, status=Status.DRAFT)
    client.force_login(learner)
    events = [
        event(lessons[0]),
        event(lessons[1], at="2026-03-02T11:00:00+09:00"),
        event(draft),
        event(424242),
        {"id": "x", "type": "lesson_completed"},
    ]

    response = post(client, {"events": events, "time_zone": "Asia/Seoul"})

    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [
        {"id": events[0]["id"], "status": "applied"},
        {"id": events[1]["id"], "status": "applied"},
        {"id": events[2]["id"], "status": "rejected", "reason": "unpublished_lesson"},
        {"id": events[3]["id"], "status": "rejected", "reason": "unknown_lesson"},
        {"id": "x", "status": "rejected", "reason": "invalid_event"},
    ]
    assert body["awarded"] == [{"slug": "two", "name": "Two down", "xp": 25}]
    assert body["state"]["xp"] == 55
    assert body["state"]["achievements"] == [{"slug": "two", "at": "2026-03-02T02:00:00+00:00"}]
    assert body["state"] == client.get(STATE_URL).json()
    assert LearnerProfile.objects.get(user=learner).time_zone == "Asia/Seoul"

    again = post(client, {"events": events[:2]})
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    assert again.json()["awarded"] == []


def test_an_id_reused_with_another_payload_is_409_and_nothing_is_applied(client, learner, lessons):
    client.force_login(learner)
    first = event(lessons[0])
    post(client, {"events": [first]})
    before = snapshot()

    response = post(client, {"events": [event(lessons[2]), {**first, "lesson": lessons[1].pk}]})

    assert response.status_code == 409
    assert response.json()["code"] == "event_conflict"
    assert response.json()["conflicts"] == [first["id"]]
    assert "nothing in this batch was applied" in response.json()["detail"]
    assert snapshot() == before


def test_a_far_future_time_is_clamped_to_now(client, learner, lessons):
    client.force_login(learner)

    post(client, {"events": [event(lessons[0], at=datetime(2999, 1, 1, tzinfo=UTC))]})

    completed_at = LessonCompletion.objects.get().completed_at
    assert timezone.now() - timedelta(minutes=1) < completed_at <= timezone.now()


def test_a_batch_over_500_is_a_400_that_names_the_limit(client, learner, lessons):
    client.force_login(learner)

    response = post(client, {"events": [event(lessons[0]) for _ in range(501)]})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "A sync batch holds at most 500 events; this one has 501.",
        "code": "batch_too_large",
    }
    assert snapshot()[0] == []


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        "{}",
        json.dumps({"events": "lesson 1"}),
        json.dumps({"events": {"0": 1}}),
        json.dumps({"events": None}),
    ],
    ids=["malformed", "array", "no-events", "events-text", "events-object", "events-null"],
)
def test_malformed_bodies_are_json_400s_and_change_nothing(client, learner, body):
    client.force_login(learner)

    response = post(client, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) >= {"detail", "code"}
    assert snapshot() == ([], [], [], [])


def test_wrong_types_inside_events_are_rejected_one_by_one(client, learner, lessons):
    client.force_login(learner)
    bad = [
        {**event(lessons[0]), "lesson": "1"},
        {**event(lessons[0]), "lesson": 1.5},
        {**event(lessons[0]), "at": 1700000000},
        {**event(lessons[0]), "at": "2026-13-45T99:00:00Z"},
        {**event(lessons[0]), "id": 7},
        {**event(lessons[0]), "type": None},
        {**event(lessons[0]), "lesson": 10**30},
        None,
        "event",
    ]

    response = post(client, {"events": [*bad, event(lessons[1])]})

    assert response.status_code == 200
    statuses = [(r["status"], r.get("reason")) for r in response.json()["results"]]
    assert statuses == [("rejected", "invalid_event")] * len(bad) + [("applied", None)]
    assert list(LessonCompletion.objects.values_list("lesson_id", flat=True)) == [lessons[1].pk]


# --- Query counts -------------------------------------------------------------------------------


@pytest.fixture
def rules_of_every_kind(lessons):
    TagFactory(slug="t").lessons.add(lessons[0])
    AchievementFactory(slug="a1", rule_params={"count": 1}, xp=5)
    AchievementFactory(slug="a2", rule_kind="course_completed", rule_params={"course": "basics"})
    AchievementFactory(slug="a3", rule_kind="tag_completed", rule_params={"tag": "t"})
    AchievementFactory(slug="a4", rule_kind="lessons_in_one_day", rule_params={"count": 2})
    AchievementFactory(slug="a5", rule_kind="streak_days", rule_params={"days": 2})
    AchievementFactory(slug="a6", rule_kind="xp_at_least", rule_params={"xp": 20}, xp=5)
    AchievementFactory(slug="a7", rule_kind="first_comment", rule_params={})


@pytest.mark.parametrize("count", [2, 100])
def test_a_sync_costs_the_same_queries_for_2_or_100_new_events(
    learner, lessons, rules_of_every_kind, levels, django_assert_num_queries, count
):
    # given a first sync (no profile yet) of N new events meeting rules of every kind
    lessons = [*lessons, *LessonFactory.create_batch(count)][:count]
    events = [event(lesson, at=T0 + timedelta(hours=n)) for n, lesson in enumerate(lessons)]

    # and the catalogue's part in the page cache (any page view or sync puts it there)
    catalogue_cached()

    # 1 savepoint; 2-3 the profile (insert if missing, lock); 4 achievements with the learner's
    # awards; 5 the learner's completed lessons and the batch's; 6 event ids seen before;
    # 7 insert completions; 8 insert awards; 9 insert XP rows; 10 update the profile's total;
    # 11 insert event ids; 12 release the savepoint; 13-16 the site's version for each value
    # kept under it (the lessons' prerequisites, rule lesson sets, each course's lessons, the
    # levels and lessons' count)
    with django_assert_num_queries(16):
        result = services.progress_sync(user=learner, events=events)

    assert [r.status for r in result.results] == ["applied"] * count
    assert len(result.state.completed) == count
    assert {"a1", "a6"} <= set(result.state.achievements)


@pytest.mark.parametrize("count", [2, 100])
def test_the_sync_endpoint_adds_only_the_session_and_the_user(
    client, learner, rules_of_every_kind, levels, django_assert_num_queries, count
):
    lessons = LessonFactory.create_batch(count)
    client.force_login(learner)
    body = {"events": [event(lesson) for lesson in lessons]}

    catalogue_cached("en")  # the client asks in English

    # the 16 of the service, plus the session and the user
    with django_assert_num_queries(18):
        response = post(client, body)
    assert response.status_code == 200


def test_reading_the_state_costs_four_queries_plus_the_session(
    client, learner, lessons, levels, rules_of_every_kind, django_assert_num_queries
):
    services.completion_record(user=learner, lesson=lessons[0])
    client.force_login(learner)
    catalogue_cached("en")  # the client asks in English

    # session, user, the site's version (the levels, named in English, the lessons' count and
    # the active achievements are kept under it), then the learner's XP, awards and completions
    with django_assert_num_queries(6):
        client.get(STATE_URL)


@pytest.mark.parametrize("catalogue", [3, 60])
def test_reading_the_state_costs_the_same_whatever_the_catalogues_size(
    client, learner, lessons, levels, rules_of_every_kind, django_assert_num_queries, catalogue
):
    # given a catalogue of N lessons, a few completed
    for _ in range(catalogue // 3 - 1):
        LessonFactory.create_batch(3, course=CourseFactory())
    services.completion_record(user=learner, lesson=lessons[0])
    services.completion_record(user=learner, lesson=lessons[1])
    client.force_login(learner)
    client.get(STATE_URL)

    # when the state is read again: the same six queries
    with django_assert_num_queries(6):
        response = client.get(STATE_URL)

    # then it counts the whole catalogue all the same
    assert response.json()["totals"]["lessons"] == catalogue
    assert len(response.json()["completed"]) == 2


def test_a_refused_request_costs_no_query_beyond_the_session(
    client, learner, django_assert_num_queries
):
    client.force_login(learner)

    with django_assert_num_queries(2):
        response = post(client, {"events": [{}] * 501})
    assert response.status_code == 400
