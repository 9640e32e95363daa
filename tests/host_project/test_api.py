"""Stream's REST API inside Acme Academy: mounted under /learn/api/v1/ by the one include, with
the academy's email-only member model, its enrolment adapter and no REST_FRAMEWORK settings of
its own. Tokens (rest_framework.authtoken) and the docs page (drf_spectacular and its sidecar)
are optional apps: each test checks both ways."""

import pytest
from django.apps import apps
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS

from comments.models import Comment
from tests.factories import CourseFactory, LessonFactory

pytestmark = pytest.mark.django_db

API = "/learn/api/v1/"


def members_only(course):
    from tests.host_project.members.models import MembersOnlyCourse

    MembersOnlyCourse.objects.create(course=course)


def test_courses_and_lessons_follow_the_academys_enrolment_rules(client, course, member):
    # given a members-only course the member is not enrolled in
    from tests.host_project.members.models import Enrolment

    closed = CourseFactory(slug="forging", title="Forging")
    secret = LessonFactory(course=closed)
    members_only(closed)

    # when a visitor, then the member, then the enrolled member asks the API
    listed = [c["slug"] for c in client.get(f"{API}courses/").json()["results"]]
    client.force_login(member)
    refused = client.get(f"{API}lessons/{secret.pk}/")
    Enrolment.objects.create(member=member, course=closed)
    opened = client.get(f"{API}lessons/{secret.pk}/")

    # then the adapter decided each answer, and links point under /learn/
    assert listed == ["welding"]
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert opened.status_code == 200 and opened.json()["url"].startswith("/learn/courses/forging/")


def test_a_member_posts_through_the_api_with_the_session_and_csrf(lessons, member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    lesson = lessons[0]
    page = client.get(f"/learn/courses/{lesson.course.slug}/{lesson.slug}/")
    assert page.status_code == 200
    # the page is the same for everyone: its script asks the viewer endpoint for a token
    token = client.get(f"{API}me/page/").json()["csrf_token"]

    posted = client.post(
        f"{API}lessons/{lesson.pk}/comments/",
        {"body": "Which rod for thin plates?"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert posted.status_code == 201
    assert posted.json()["author"] == {"name": "Ada", "is_instructor": False}
    assert Comment.objects.get().author == member


def test_a_member_syncs_progress_through_the_api(lessons, member):
    client = Client()
    client.force_login(member)
    event = {
        "id": "0b7c6a52-6a49-4f0e-9d57-1b3c9a0f5e21",
        "type": "lesson_completed",
        "lesson": lessons[0].pk,
        "at": "2026-11-28T09:30:00+09:00",
    }

    synced = client.post(
        f"{API}progress/sync/", {"events": [event]}, content_type="application/json"
    )

    assert synced.status_code == 200 and synced.json()["results"][0]["status"] == "applied"
    assert client.get(f"{API}progress/").json()["xp"] == 10


def test_the_schema_is_served_under_learn_and_holds_only_streams_endpoints(client):
    GENERATOR_STATS.reset()

    schema = client.get(f"{API}schema/", {"format": "json"}).json()

    assert f"{API}courses/" in schema["paths"]
    assert all(route.startswith(API) for route in schema["paths"])
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache


def test_tokens_work_with_the_email_login_when_authtoken_is_installed(client, member):
    answer = client.post(
        f"{API}auth/token/",
        {"login": "ada@acme.test", "password": "correct horse battery staple"},
        content_type="application/json",
    )

    if not apps.is_installed("rest_framework.authtoken"):
        assert answer.status_code == 404  # optional: without it the endpoint is not mounted
        return
    assert answer.status_code == 200
    state = client.get(f"{API}progress/", HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    assert state.status_code == 200


def test_the_docs_page_runs_or_names_the_app_it_lacks(client):
    docs = client.get(f"{API}docs/")

    if apps.is_installed("drf_spectacular") and apps.is_installed("drf_spectacular_sidecar"):
        assert docs.status_code == 200 and b"swagger-ui" in docs.content
    else:
        assert docs.status_code == 404 and docs.json()["code"] == "docs_unavailable"
        assert "INSTALLED_APPS" in docs.json()["detail"]
