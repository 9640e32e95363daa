"""A flag needs a reason: the form starts with none chosen, and a post without one is refused
with a form error (page, script and API alike) and flags nothing."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from comments.models import CommentFlag
from tests.factories import CommentFactory

pytestmark = pytest.mark.django_db

FRAGMENT = {"HTTP_X_STREAM_FRAGMENT": "1"}


@pytest.fixture
def comment(lesson, learner):
    return CommentFactory(lesson=lesson, author=learner, body="Original")


@pytest.fixture
def users(learner, other_learner, staff):
    return {"anonymous": None, "learner": other_learner, "author": learner, "staff": staff}


def flag_url(comment):
    return reverse("stream_comments:flag", args=[comment.pk])


def signed_in(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["learner", "staff"])
@pytest.mark.parametrize("data", [{}, {"reason": ""}])
def test_a_flag_without_a_reason_shows_the_flag_page_again_with_the_error(
    client, comment, users, who, data
):
    # given a signed-in reader who may flag the comment
    signed_in(client, users[who])

    # when they send the flag form without choosing a reason (no JavaScript)
    response = client.post(flag_url(comment), data)

    # then the flag page comes back with the error, and nothing is flagged
    html = response.content.decode()
    assert response.status_code == 400
    assert 'name="reason"' in html and "이유를 골라 주세요." in html
    assert 'aria-invalid="true"' in html
    assert not CommentFlag.objects.exists()


@pytest.mark.parametrize("who", ["learner", "staff"])
def test_a_flag_without_a_reason_answers_the_script_with_the_error(client, comment, users, who):
    signed_in(client, users[who])

    response = client.post(flag_url(comment), {}, **FRAGMENT)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "errors": ["이유를 골라 주세요."]}
    assert not CommentFlag.objects.exists()


def test_the_author_is_refused_whether_or_not_a_reason_is_given(client, comment, users):
    signed_in(client, users["author"])

    without = client.post(flag_url(comment), {}, **FRAGMENT)
    with_one = client.post(flag_url(comment), {"reason": "spam"}, **FRAGMENT)

    assert without.status_code == with_one.status_code == 403
    assert without.json() == {"ok": False, "errors": ["이 댓글은 신고할 수 없어요."]}
    assert not CommentFlag.objects.exists()


def test_an_anonymous_visitor_is_asked_to_sign_in_and_flags_nothing(client, comment):
    page = client.post(flag_url(comment), {})
    script = client.post(flag_url(comment), {}, **FRAGMENT)

    assert page.status_code == 302 and "/login/" in page["Location"]
    assert script.status_code == 403 and script.json()["ok"] is False
    assert not CommentFlag.objects.exists()


def test_a_flag_with_a_reason_is_kept_with_that_reason(client, comment, users):
    signed_in(client, users["learner"])

    response = client.post(flag_url(comment), {"reason": "off_topic"}, **FRAGMENT)

    assert response.status_code == 200 and response.json()["ok"] is True
    assert CommentFlag.objects.get().reason == "off_topic"


# --- The API -------------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient(enforce_csrf_checks=True)


def api_flag_url(comment):
    return reverse("stream_comments_api:comment-flag", args=[comment.pk])


@pytest.mark.parametrize("who", ["learner", "staff"])
@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": None}])
def test_the_api_refuses_a_flag_without_a_reason_with_a_field_error(api, comment, users, who, data):
    api.force_authenticate(users[who])

    response = api.post(api_flag_url(comment), data, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert not CommentFlag.objects.exists()


@pytest.mark.parametrize(("who", "code"), [("anonymous", 403), ("author", 403)])
def test_the_api_refuses_who_may_not_flag_before_looking_at_the_reason(
    api, comment, users, who, code
):
    if users[who] is not None:
        api.force_authenticate(users[who])

    response = api.post(api_flag_url(comment), {}, format="json")

    assert response.status_code == code
    assert not CommentFlag.objects.exists()
