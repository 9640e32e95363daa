"""xAPI in the host project: statements for Acme's own members (email sign-in, no username),
with Stream under /learn/, sent to a real LRS (Ralph, see tests/lrs.py)."""

import uuid

import pytest
from django.test import Client

from lessons import xapi
from lessons.models import XapiStatement
from tests.factories import CourseFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    return LessonFactory(course=CourseFactory(title="Safety first"), title="Ladders")


def sync(client, lesson, django_capture_on_commit_callbacks):
    event = {
        "id": str(uuid.uuid4()),
        "type": "lesson_completed",
        "lesson": lesson.pk,
        "at": "2026-03-02T01:00:00Z",
    }
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            "/learn/api/v1/progress/sync/", {"events": [event]}, content_type="application/json"
        )


def test_a_members_completion_reaches_the_lrs_under_an_opaque_id(
    xapi_lrs, lesson, django_capture_on_commit_callbacks
):
    member = UserFactory(nickname="Kim")
    client = Client()
    client.force_login(member)

    assert sync(client, lesson, django_capture_on_commit_callbacks).status_code == 200

    by_object = {s["object"]["id"]: s for s in xapi_lrs.statements()}
    site = xapi_lrs.site_url
    statement = by_object[f"{site}/xapi/lessons/{lesson.uuid}"]
    assert statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": site + "/", "name": xapi.actor_key(member)},
    }
    assert member.email not in str(statement) and "Kim" not in str(statement)
    assert statement["object"]["definition"]["moreInfo"].startswith(f"{site}/learn/courses/")
    # a site in one language: the lesson is written in it, LANGUAGE_CODE
    assert statement["object"]["definition"]["name"] == {"en-us": "Ladders"}
    assert statement["context"]["language"] == "en-us"
    # the one-lesson course is finished too
    assert f"{site}/xapi/courses/{lesson.course.uuid}" in by_object
    assert XapiStatement.objects.filter(learner=member, status="sent").count() == 2


def test_with_actor_mbox_the_members_email_names_them(
    xapi_lrs, settings, lesson, django_capture_on_commit_callbacks
):
    settings.STREAM = {**settings.STREAM, "XAPI": {**settings.STREAM["XAPI"], "ACTOR": "mbox"}}
    member = UserFactory()
    client = Client()
    client.force_login(member)

    sync(client, lesson, django_capture_on_commit_callbacks)

    statements = xapi_lrs.statements()
    assert len(statements) == 2  # the lesson and its one-lesson course
    for statement in statements:
        assert statement["actor"] == {"objectType": "Agent", "mbox": f"mailto:{member.email}"}
