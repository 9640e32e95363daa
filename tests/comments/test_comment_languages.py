"""One discussion per lesson in every language: each comment marked with the language of the
page it was written on, and a filter to one language."""

import pytest
from django.test import Client

from comments.models import Comment
from tests.factories import CommentFactory, CourseFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    return LessonFactory(course=CourseFactory(slug="c"), slug="l")


@pytest.fixture
def learner_client():
    client = Client()
    client.force_login(UserFactory())
    return client


def test_a_comment_written_on_the_english_page_is_marked_english(lesson, learner_client):
    # the English page's form carries its language
    html = learner_client.get("/en/courses/c/l/").content.decode()
    assert '<input type="hidden" name="language" value="en">' in html

    response = learner_client.post(
        f"/en/comments/lessons/{lesson.pk}/",
        {"body": "Great lesson.", "language": "en"},
        HTTP_X_STREAM_FRAGMENT="1",
    )

    assert response.status_code in {200, 201}
    assert Comment.objects.get().language == "en"


def test_the_api_takes_the_pages_language_and_falls_back_to_the_requests(lesson, learner_client):
    url = f"/api/v1/lessons/{lesson.pk}/comments/"
    english = learner_client.post(url, {"body": "One.", "language": "en"}, "application/json")
    unknown = learner_client.post(url, {"body": "Two.", "language": "fr"}, "application/json")

    assert english.status_code == unknown.status_code == 201
    assert english.json()["language"] == "en"
    assert unknown.json()["language"] == "ko"  # the request's (the site's default)


def test_the_shared_page_marks_comments_of_another_language(lesson):
    CommentFactory(lesson=lesson, body="좋은 강의예요.", language="ko")
    CommentFactory(lesson=lesson, body="Nice one.", language="en")

    korean = Client().get("/courses/c/l/").content.decode()
    english = Client().get("/en/courses/c/l/").content.decode()

    # on the Korean page the English comment is marked, with its text's language
    assert '<span class="stream-comment__language" lang="en">English</span>' in korean
    assert '<div class="stream-comment__body prose" lang="en">' in korean
    assert 'lang="ko">한국어</span>' not in korean
    # and the other way round
    assert '<span class="stream-comment__language" lang="ko">한국어</span>' in english
    # every article says its language, for the filter
    assert korean.count('data-language="') == 2
    assert "data-language-filter-template" in korean
