"""``/me/data/``: the learner's page, the JSON download and "erase my learning data"; and the
admin's "Learner data" page where staff do the same for a learner who asked by email."""

import json

import pytest
from django.test import Client

from comments.models import Comment, CommentFlag
from lessons.learner_data import EXPORT_FORMAT
from progress.models import LessonCompletion
from tests.factories import UserFactory
from tests.learner_data_fixtures import english_url, learners_with_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return learners_with_data()


_url = english_url


PAGE = "stream_lessons:learner_data"
DOWNLOAD = "stream_lessons:learner_data_download"
ERASE = "stream_lessons:learner_data_erase"


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [PAGE, DOWNLOAD, ERASE])
def test_a_visitor_is_sent_to_sign_in(client, name, people):
    response = client.get(_url(name))
    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_a_visitor_posting_erase_is_sent_to_sign_in_and_nothing_goes(client, people):
    response = client.post(_url(ERASE), {"confirm": "on"})
    assert response.status_code == 302
    assert LessonCompletion.objects.filter(learner=people.ada).count() == 2


def test_another_learner_sees_and_erases_only_their_own(client, people):
    # given: Bob signed in
    client.force_login(people.bob)
    # when
    page = client.get(_url(PAGE)).content.decode()
    download = json.loads(client.get(_url(DOWNLOAD)).content)
    client.post(_url(ERASE), {"confirm": "on"})
    # then
    assert "Bob answers the first." in page and "Ada waiting." not in page
    assert download["learner"]["id"] == people.bob.pk
    assert LessonCompletion.objects.filter(learner=people.bob).count() == 0
    assert LessonCompletion.objects.filter(learner=people.ada).count() == 2
    assert Comment.objects.filter(author=people.ada).count() == 3


# --- The page -----------------------------------------------------------------------------------


def test_the_page_lists_what_stream_keeps_about_the_learner(client, people):
    client.force_login(people.ada)

    response = client.get(_url(PAGE))

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    html = response.content.decode()
    for text in (
        "adalovelace@example.com",  # who
        "Private lesson 1",  # completions and comments name their lessons
        "First steps",  # the achievement
        "lesson:",  # the XP ledger's keys
        "Ada waiting.",  # a comment awaiting moderation
        "The second paragraph is wrong.",  # a report
        "Reply emails: off.",
        "awaiting moderation",  # a status shown by its label, not its code
    ):
        assert text in html, text
    assert _url(DOWNLOAD) in html and _url(ERASE) in html


def test_the_page_costs_the_same_queries_with_much_or_no_data(
    client, people, django_assert_num_queries
):
    newcomer = UserFactory()
    client.force_login(people.ada)
    client.get(_url(PAGE))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as full:
        client.get(_url(PAGE))
    client.force_login(newcomer)
    with CaptureQueriesContext(connection) as empty:
        response = client.get(_url(PAGE))
    assert len(full) == len(empty)
    assert response.content.decode().count("None.") >= 5


def test_the_download_is_a_json_attachment_in_the_documented_shape(client, people):
    client.force_login(people.ada)

    response = client.get(_url(DOWNLOAD))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="stream-learner-data-')
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    data = json.loads(response.content)
    assert (data["format"], data["version"]) == (EXPORT_FORMAT, 1)
    assert {"exported_at", "learner", "parts"} <= set(data)
    assert data["learner"]["email"] == "adalovelace@example.com"
    assert {"progress", "comments"} <= set(data["parts"])
    completion = data["parts"]["progress"]["completions"][0]
    assert set(completion) == {"id", "lesson", "completed_at", "xp", "recorded_at"}
    assert set(completion["lesson"]) == {"id", "uuid", "title", "course"}


# --- Erasing ------------------------------------------------------------------------------------


def test_the_erase_page_says_what_goes_and_what_stays(client, people):
    client.force_login(people.ada)

    response = client.get(_url(ERASE))

    html = response.content.decode()
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    assert "cannot be undone" in html
    assert "Comments stay in their threads" in html
    assert "Your account stays" in html
    assert 'type="checkbox" name="confirm"' in html
    assert LessonCompletion.objects.filter(learner=people.ada).count() == 2  # GET erases nothing


def test_erasing_without_ticking_the_box_erases_nothing_and_says_why(client, people):
    client.force_login(people.ada)

    response = client.post(_url(ERASE), {})

    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    assert LessonCompletion.objects.filter(learner=people.ada).count() == 2


def test_erasing_needs_the_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.ada)

    response = client.post(_url(ERASE), {"confirm": "on"})

    assert response.status_code == 403
    assert LessonCompletion.objects.filter(learner=people.ada).count() == 2


def test_the_learner_erases_their_learning_data_and_keeps_their_account(client, people):
    client.force_login(people.ada)

    response = client.post(_url(ERASE), {"confirm": "on"})

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "Your learning data was erased" in response.content.decode()
    assert LessonCompletion.objects.filter(learner=people.ada).count() == 0
    assert CommentFlag.objects.filter(user=people.ada).count() == 0
    assert Comment.objects.get(pk=people.ada_comment.pk).author_id is None
    assert client.get(_url(PAGE)).status_code == 200  # still signed in


def test_the_progress_page_links_to_the_learners_data(client, people):
    client.force_login(people.ada)
    html = client.get(_url("stream_progress:overview")).content.decode()
    assert f'href="{_url(PAGE)}"' in html


# --- The API ------------------------------------------------------------------------------------

API = "stream_lessons_api:learner_data"


def test_the_api_answers_the_signed_in_learner_their_own_data(people):
    from rest_framework.test import APIClient

    client = APIClient()
    assert client.get(_url(API)).status_code == 403
    client.force_authenticate(people.bob)

    response = client.get(_url(API))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["format"] == EXPORT_FORMAT and data["learner"]["id"] == people.bob.pk
    assert "Ada waiting." not in response.content.decode()
    bobs = Comment.objects.filter(author=people.bob).values_list("pk", flat=True)
    assert {c["id"] for c in data["parts"]["comments"]["comments"]} == set(bobs)


def test_the_headers_links_name_the_learners_data(client, people):
    client.force_login(people.ada)
    nav = client.get(_url("stream_lessons_api:viewer"), {"lang": "en"}).json()["nav"]
    assert {"url": _url(PAGE), "label": "My data", "badge": None} in nav


# --- In the page's language ---------------------------------------------------------------------


def test_the_page_and_the_download_name_lessons_and_courses_in_the_pages_language(
    client, people, django_assert_num_queries
):
    from django.urls import reverse
    from django.utils import translation

    from comments.learner_data import comments_data_export
    from lessons.models import CourseTranslation
    from lessons.translations import content_languages
    from progress.learner_data import progress_data_export
    from tests.factories import LessonVariantFactory

    if not {"ko", "en"} <= {code for code, _name in content_languages()}:
        pytest.skip("the site is not in Korean and English (the host project has one language)")
    # given the first lesson in English too, and its course's English title
    LessonVariantFactory(lesson=people.lessons[0], title="The private lesson")
    CourseTranslation.objects.create(
        course=people.lessons[0].course, language="en", title="Privacy, in English"
    )
    client.force_login(people.ada)

    english_page = client.get(_url(PAGE)).content.decode()
    english_data = json.loads(client.get(_url(DOWNLOAD)).content)
    with translation.override("ko"):
        korean_data = json.loads(client.get(reverse(DOWNLOAD)).content)

    assert "The private lesson" in english_page and "Privacy, in English" in english_page
    named = {
        (row["lesson"]["title"], row["lesson"]["course"])
        for row in english_data["parts"]["progress"]["completions"]
    }
    # the second lesson has no English variant: its own title
    assert named == {
        ("The private lesson", "Privacy, in English"),
        ("Private lesson 2", "Privacy, in English"),
    }
    for kind in ("comments", "subscriptions", "notifications", "reports"):
        titles = {row["lesson"]["title"] for row in english_data["parts"]["comments"][kind]}
        assert "Private lesson 1" not in titles, kind
    korean = korean_data["parts"]["progress"]["completions"][0]["lesson"]
    assert (korean["title"], korean["course"]) == ("Private lesson 1", "Privacy course")
    # the titles come in the parts' own queries (tests/test_learner_data.py pins them)
    with django_assert_num_queries(5):
        progress_data_export(people.ada)
    with django_assert_num_queries(6):
        comments_data_export(people.ada)


def test_the_page_and_the_download_name_achievements_in_the_pages_language(
    client, people, django_assert_num_queries
):
    from django.urls import reverse
    from django.utils import translation

    from lessons.translations import content_languages
    from progress.learner_data import progress_data_export
    from progress.models import Achievement, AchievementTranslation

    if not {"ko", "en"} <= {code for code, _name in content_languages()}:
        pytest.skip("the site is not in Korean and English (the host project has one language)")
    # given Ada's achievement named in Korean and in English
    achievement = Achievement.objects.get(slug="first-steps")
    AchievementTranslation.objects.create(achievement=achievement, language="ko", name="첫걸음")
    AchievementTranslation.objects.create(
        achievement=achievement, language="en", name="First steps, in English"
    )
    client.force_login(people.ada)

    # when she reads her data on the Korean and the English page, and downloads it
    korean_page = client.get(reverse(PAGE)).content.decode()
    english_page = client.get(_url(PAGE)).content.decode()
    english_data = json.loads(client.get(_url(DOWNLOAD)).content)

    # then each names it as /me/progress/ does in that language
    assert "첫걸음" in korean_page and "First steps" not in korean_page
    assert "First steps, in English" in english_page
    (award,) = english_data["parts"]["progress"]["awards"]
    assert award["achievement"] == {"slug": "first-steps", "name": "First steps, in English"}
    # in the part's own queries
    with translation.override("ko"), django_assert_num_queries(5):
        progress_data_export(people.ada)
