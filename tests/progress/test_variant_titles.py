"""A lesson read in a language variant is named in that language wherever progress names it:
the no-JavaScript "Mark as complete" page, the browser's facts (``facts.json``, kept per
language: the "Continue where you left off" link reads its titles) and /me/progress/."""

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lessons.caching import page_cache
from lessons.models import CourseTranslation, LessonRequirement
from progress import services
from tests.factories import CourseFactory, LessonFactory, LessonVariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(lessons):
    """English variants of the first two lessons; the third is in Korean only."""
    for lesson in lessons[:2]:
        LessonVariantFactory(lesson=lesson, title=f"English {lesson.slug}")
    return lessons


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return client


def test_the_mark_as_complete_page_names_the_lesson_in_the_pages_language(signed_in, english):
    lesson = english[0]
    url = f"/me/progress/lessons/{lesson.pk}/complete/"

    english_page = signed_in.get(f"/en{url}").content.decode()
    korean = signed_in.get(url).content.decode()

    assert "Mark “English b1” as complete?" in english_page
    assert lesson.title not in english_page
    assert f"“{lesson.title}”" in korean and "English b1" not in korean


def facts(client, prefix=""):
    html = client.get(f"{prefix}/").content.decode()
    block = re.search(r'id="stream-progress-data" type="application/json">(.*?)</script>', html)
    return json.loads(client.get(json.loads(block[1])["factsUrl"]).content)


def test_the_facts_carry_each_lessons_title_in_their_language(client, english):
    korean = [lesson["title"] for lesson in facts(client)["lessons"]]
    english_facts = [lesson["title"] for lesson in facts(client, "/en")["lessons"]]

    assert korean == [lesson.title for lesson in english]
    # the third lesson has no English variant: its original title
    assert english_facts == ["English b1", "English b2", english[2].title]


def test_my_progress_lists_completed_lessons_in_the_pages_language(signed_in, learner, english):
    for lesson in english:
        services.completion_record(user=learner, lesson=lesson)

    english_page = signed_in.get("/en/me/progress/").content.decode()
    korean = signed_in.get("/me/progress/").content.decode()

    assert '/en/courses/basics/b1/">English b1</a>' in english_page
    assert f'/en/courses/basics/b3/">{english[2].title}</a>' in english_page
    assert f'/courses/basics/b1/">{english[0].title}</a>' in korean
    assert "English b1" not in korean


def queries(client, url) -> int:
    page_cache().clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_titles_cost_no_query(signed_in, lessons):
    # given the English facts' and "Mark as complete" page's costs with no variant
    complete = f"/en/me/progress/lessons/{lessons[0].pk}/complete/"
    before = (queries(Client(), "/en/progress/facts.json"), queries(signed_in, complete))

    # when every lesson has an English variant
    for lesson in lessons:
        LessonVariantFactory(lesson=lesson)

    # then they cost the same: the variants' titles come in the lessons' query
    after = (queries(Client(), "/en/progress/facts.json"), queries(signed_in, complete))
    assert after == before


def test_requirements_are_named_in_the_pages_language(signed_in, lessons):
    # given "b2" requiring a lesson with an English variant and "b3" a course with an English
    # title
    prep = CourseFactory(slug="prep", title="준비 과정")
    CourseTranslation.objects.create(course=prep, language="en", title="Getting ready")
    first = LessonFactory(course=prep, slug="p1", title="준비 운동")
    LessonVariantFactory(lesson=first, title="Warming up")
    LessonRequirement.objects.create(lesson=lessons[1], required_lesson=first)
    LessonRequirement.objects.create(lesson=lessons[2], required_course=prep)

    # then the lesson page says what it builds on in its language
    english_page = signed_in.get("/en/courses/basics/b2/").content.decode()
    korean = signed_in.get("/courses/basics/b2/").content.decode()
    assert "Lesson “Warming up”" in english_page and "준비 운동" not in english_page
    assert "준비 운동" in korean and "Warming up" not in korean
    # and the locked lesson's "Mark as complete" page what unlocks it
    locked = signed_in.get(f"/en/me/progress/lessons/{lessons[2].pk}/complete/")
    assert locked.status_code == 200
    assert "Every lesson of the course “Getting ready”" in locked.content.decode()
