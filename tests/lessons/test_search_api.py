"""``GET api/v1/search/?q=``: the search page's results as JSON, paginated like every list, with
the same visibility rules."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lessons.models import LessonRequirement, Status
from tests.factories import CourseFactory, LessonFactory, LessonVariantFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("stream_lessons_api:search")


@pytest.fixture
def api():
    return APIClient(enforce_csrf_checks=True)


def test_hits_carry_the_lesson_its_course_and_marked_snippets(api):
    # given a Korean lesson
    course = CourseFactory(slug="camelids", title="Camelids")
    lesson = LessonFactory(
        course=course, slug="llama", title="라마 <이야기>", body="라마들은 초원에 산다."
    )

    # when a visitor searches two syllables from inside a word
    response = api.get(SEARCH, {"q": "마들"})

    # then
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "lesson": {
                    "id": lesson.pk,
                    "slug": "llama",
                    "title": "라마 <이야기>",
                    "status": "published",
                    "reading_minutes": 1,
                    "url": "/courses/camelids/llama/",
                },
                "course": {
                    "id": course.pk,
                    "slug": "camelids",
                    "title": "Camelids",
                    "url": "/courses/camelids/",
                },
                "title_html": "라마 &lt;이야기&gt;",
                "snippet_html": "라<mark>마들</mark>은 초원에 산다.",
                "language": "",
                "locked": False,
            }
        ],
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Type a word or two to search for."),
        ({"q": "  "}, "Type a word or two to search for."),
        ({"q": "\x00"}, "Type a word or two to search for."),
        ({"q": "a" * 101}, "That search is too long: at most 100 characters, please."),
    ],
)
def test_a_missing_empty_or_too_long_query_is_a_400_saying_so(api, params, message):
    response = api.get(SEARCH, params, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "errors": {"q": [message]},
    }


def test_drafts_are_found_by_staff_only(api, learner, staff):
    LessonFactory(title="Public llama")
    LessonFactory(title="Draft llama", status=Status.DRAFT)

    def titles():
        return [hit["lesson"]["title"] for hit in api.get(SEARCH, {"q": "llama"}).json()["results"]]

    assert titles() == ["Public llama"]
    api.force_authenticate(learner)
    assert titles() == ["Public llama"]
    api.force_authenticate(staff)
    assert sorted(titles()) == ["Draft llama", "Public llama"]


def test_results_are_paginated_like_every_list(api):
    course = CourseFactory()
    for position in range(5):
        LessonFactory(course=course, position=position, title=f"Llama {position}")

    first = api.get(SEARCH, {"q": "llama", "page_size": 2}).json()
    last = api.get(SEARCH, {"q": "llama", "page_size": 2, "page": 3}).json()

    assert first["count"] == 5 and len(first["results"]) == 2
    assert "q=llama" in first["next"] and "page=2" in first["next"]
    assert [hit["lesson"]["title"] for hit in last["results"]] == ["Llama 4"]
    assert api.get(SEARCH, {"q": "llama", "page": 4}).status_code == 404


@pytest.mark.parametrize("lessons", [1, 12])
def test_query_count_is_constant(api, django_assert_num_queries, lessons):
    # given lessons that all match
    for number in range(lessons):
        LessonFactory(title=f"Llama {number}", body="라마 wool")

    # 1 the count, 2 the page's lessons with their courses
    with django_assert_num_queries(2):
        response = api.get(SEARCH, {"q": "llama 라마"})

    assert response.json()["count"] == lessons


def test_lessons_of_a_draft_course_are_not_found(api):
    LessonFactory(title="Hidden llama", course=CourseFactory(status=Status.DRAFT))
    assert api.get(SEARCH, {"q": "llama"}).json()["count"] == 0


def test_a_lesson_found_through_its_english_variant_is_named_in_it(api):
    lesson = LessonFactory(title="라마", body="라마는 콧노래를 부른다.")
    LessonVariantFactory(lesson=lesson, title="Llamas", body="Llamas hum.")

    [hit] = api.get(SEARCH, {"q": "hum"}).json()["results"]

    assert (hit["lesson"]["title"], hit["language"]) == ("Llamas", "en")
    assert hit["snippet_html"] == "Llamas <mark>hum</mark>."


def test_a_locked_lesson_is_found_by_its_title_with_a_note(api, settings):
    settings.STREAM = {**settings.STREAM, "REQUIREMENTS_HIDE_LOCKED": True}
    first = LessonFactory(title="Basics", body="Grass.")
    locked = LessonFactory(course=first.course, title="Llama secrets", body="The answer is 42.")
    LessonRequirement.objects.create(lesson=locked, required_lesson=first)

    by_text = api.get(SEARCH, {"q": "answer"}).json()
    [hit] = api.get(SEARCH, {"q": "secrets"}, HTTP_ACCEPT_LANGUAGE="en").json()["results"]

    assert by_text["count"] == 0
    assert hit["locked"] is True and "answer" not in hit["snippet_html"]
