"""Hostile or malformed input anywhere a client can send it is answered with a 4xx that says what
was wrong (JSON in the API's error shape on API endpoints), never with a 500: deeply nested JSON,
bodies past the site's size limit, ids written in Unicode digits or past the database's range."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from comments.models import Notification
from lessons.ids import MAX_ID, id_parse, ids_parse
from tests.factories import (
    CommentFactory,
    LessonFactory,
    ProblemReportFactory,
    StaffFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(learner, other_learner):
    lesson = LessonFactory()
    theirs = CommentFactory(lesson=lesson, author=other_learner)
    mine = CommentFactory(lesson=lesson, author=learner)
    report = ProblemReportFactory(lesson=lesson, reporter=learner)
    return {"lesson": lesson.pk, "theirs": theirs.pk, "mine": mine.pk, "report": report.pk}


def json_endpoints(world):
    """(method, path) of every endpoint that reads a JSON body."""
    return [
        ("post", reverse("stream_lessons_api:auth-token")),
        ("post", reverse("stream_progress_api:sync")),
        ("post", reverse("stream_comments_api:lesson-comments", args=[world["lesson"]])),
        ("patch", reverse("stream_comments_api:comment", args=[world["mine"]])),
        ("post", reverse("stream_comments_api:comment-flag", args=[world["theirs"]])),
        ("post", reverse("stream_comments_api:notifications-read")),
        ("post", reverse("stream_comments_api:lesson-reports", args=[world["lesson"]])),
        ("post", reverse("stream_comments_api:report-resolve", args=[world["report"]])),
    ]


def signed_in_client(user):
    """A client that signs in with a token (no CSRF to get past)."""
    token, _ = Token.objects.get_or_create(user=user)
    return Client(
        HTTP_AUTHORIZATION=f"Token {token.key}",
        HTTP_ACCEPT_LANGUAGE="en",
        raise_request_exception=False,
    )


@pytest.mark.parametrize("who", ["anonymous", "learner", "staff"])
@pytest.mark.parametrize("depth", [40, 20_000])
def test_json_nested_too_deep_is_a_400_parse_error_on_every_endpoint(world, learner, who, depth):
    client = {
        "anonymous": Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False),
        "learner": signed_in_client(learner),
        "staff": signed_in_client(StaffFactory()),
    }[who]
    # given a body nested deeper than any payload needs, inside an otherwise plausible object
    body = '{"events": ' + "[" * depth + "]" * depth + "}"
    for method, path in json_endpoints(world):
        # when it is sent, signed in or not
        response = getattr(client, method)(path, body, content_type="application/json")
        # then the answer is a 400 in the API's error shape (or the sign-in refusal that comes
        # before the body is read), never a 500
        assert response.status_code in (400, 403), (path, response.status_code)
        assert response["Content-Type"] == "application/json", path
        if response.status_code == 400:
            assert response.json()["code"] == "parse_error", path
            assert "32 levels" in response.json()["detail"]


def test_json_nested_as_deep_as_the_limit_is_read_as_usual(learner):
    # given a sync whose events list holds an event nested 32 levels deep in all
    nested = "[" * 29 + "1" + "]" * 29
    body = '{"events": [' + nested + "]}"
    response = signed_in_client(learner).post(
        reverse("stream_progress_api:sync"), body, content_type="application/json"
    )
    # then the body is read, and the event is answered as malformed
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": None, "status": "rejected", "reason": "invalid_event"}
    ]


def test_a_body_over_the_sites_limit_is_a_413_in_the_apis_error_shape(world, learner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"message": "x" * 20_000, "kind": "typo"})
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    for client in (anonymous, signed_in_client(learner)):
        for method, path in json_endpoints(world):
            response = getattr(client, method)(path, body, content_type="application/json")
            if response.status_code == 403:
                continue  # refused for want of a sign-in before the body was read
            assert response.status_code == 413, (path, response.status_code)
            assert response["Content-Type"] == "application/json"
            assert response.json() == {
                "detail": "The request body is larger than 10000 bytes.",
                "code": "request_too_large",
            }


# --- Ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("12", 12),
        (12, 12),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999", None),
        ("9" * 5_000, None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("٣", None),  # an Arabic-Indic three: a decimal digit to Python, not to a database
        ("１２", None),  # full-width digits
        (" 12", None),
        ("1e3", None),
        ("", None),
        (True, None),
        (None, None),
        (1.0, None),
    ],
)
def test_an_id_is_ascii_digits_within_the_databases_range(text, parsed):
    assert id_parse(text) == parsed


def test_ids_parse_keeps_the_ids_in_order_and_leaves_the_rest_out():
    assert ids_parse(["3", "²", "1", "99999999999999999999", 2]) == [3, 1, 2]


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "٣", "9" * 5_000])
def test_marking_a_notification_read_with_a_non_id_changes_nothing(client, learner, value):
    # given a learner with an unread notification
    lesson = LessonFactory()
    reply = CommentFactory(lesson=lesson, parent=CommentFactory(lesson=lesson, author=learner))
    Notification.objects.create(recipient=learner, kind="reply", lesson=lesson, comment=reply)
    client.force_login(learner)
    # when the form posts something that is not a notification's id
    response = client.post(reverse("stream_comments:notifications_read"), {"notification": value})
    # then nothing is marked and the learner is sent back to the list
    assert response.status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999", "0"])
def test_an_api_path_id_or_page_that_is_not_an_id_is_a_404(client, value):
    lesson = LessonFactory()
    assert client.get(f"/api/v1/lessons/{value}/").status_code == 404
    comments = reverse("stream_comments_api:lesson-comments", args=[lesson.pk])
    assert client.get(comments, {"page": value}).status_code == 404


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999", "9" * 5_000])
def test_a_page_size_that_is_not_a_whole_number_is_a_400(client, value):
    response = client.get(reverse("stream_lessons_api:courses"), {"page_size": value})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["page_size"]


def test_the_lesson_admin_ignores_tag_ids_that_are_not_ids(client):
    # given a lesson and a tag, and staff editing it in the admin
    lesson, tag = LessonFactory(), TagFactory()
    client.force_login(StaffFactory())
    url = reverse("admin:stream_lessons_lesson_change", args=[lesson.pk])
    data = {
        "course": lesson.course_id,
        "title": lesson.title,
        "slug": lesson.slug,
        "position": lesson.position,
        "status": lesson.status,
        "body": lesson.body,
        "exercise": "",
        "xp": lesson.xp,
        "tags": [str(tag.pk), "²", "99999999999999999999"],
        "requirements-TOTAL_FORMS": "0",
        "requirements-INITIAL_FORMS": "0",
        "links-TOTAL_FORMS": "0",
        "links-INITIAL_FORMS": "0",
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    # then the lesson is saved with the one real tag, and what is not an id is left out
    assert response.status_code == 302
    assert list(lesson.tags.all()) == [tag]


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999"])
@pytest.mark.parametrize("queue", ["comment", "problemreport"])
def test_the_moderation_queues_lesson_filter_refuses_what_is_not_an_id(client, value, queue):
    # given staff filtering a moderation queue by lesson, with an id that is not one
    client.force_login(StaffFactory())
    url = reverse(f"admin:stream_comments_{queue}_changelist")
    response = client.get(url, {"lesson__id__exact": value})
    # then the admin treats it as a bad filter (it shows the unfiltered list with ?e=1)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
