"""Course titles and tag labels per language where progress shows them: /me/progress/, the
no-JavaScript "course complete" notice, the lesson's course-complete line, and their cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lessons.caching import page_cache
from lessons.models import CourseTranslation, TagTranslation
from lessons.services import lesson_set_tags
from progress import services
from tests.factories import AchievementFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def titled(course, lessons):
    """The course "Basics" is "기초" in Korean; its tag "t" is "Tokens" in English."""
    CourseTranslation.objects.create(course=course, language="ko", title="기초")
    tag = TagFactory(name="t", slug="t")
    TagTranslation.objects.create(tag=tag, language="en", name="Tokens")
    lesson_set_tags(lesson=lessons[0], tags=[tag])
    AchievementFactory(slug="all-t", rule_kind="tag_completed", rule_params={"tag": "t"})
    return course


def test_my_progress_names_the_course_and_the_tag_in_the_pages_language(
    client, learner, titled, lessons
):
    services.completion_record(user=learner, lesson=lessons[0])
    client.force_login(learner)

    korean = client.get("/me/progress/").content.decode()
    english = client.get("/en/me/progress/").content.decode()

    assert '<h3 id="progress-course-' in korean
    assert ">기초 <span" in korean and ">Basics <span" not in korean
    assert ">Basics <span" in english  # no English row: the course's own title
    assert "Tokens" in english and "Tokens" not in korean  # the tag rule's "how to earn it"


def test_the_no_javascript_course_complete_notice_names_the_course_in_the_pages_language(
    client, learner, titled, lessons
):
    for lesson in lessons[:2]:
        services.completion_record(user=learner, lesson=lesson)
    client.force_login(learner)

    response = client.post(f"/me/progress/lessons/{lessons[2].pk}/complete/", follow=True)

    html = response.content.decode()
    assert "“기초” 강좌를 모두 마쳤어요." in html and "Basics" not in html


def test_the_lesson_page_names_its_course_for_the_course_complete_line(client, titled, lessons):
    korean = client.get(lessons[0].get_absolute_url()).content.decode()

    assert 'data-course-title="기초"' in korean


def test_my_progress_costs_the_same_with_course_and_tag_texts(client, learner, course, lessons):
    tag = TagFactory(name="t", slug="t")
    lesson_set_tags(lesson=lessons[0], tags=[tag])
    AchievementFactory(slug="all-t", rule_kind="tag_completed", rule_params={"tag": "t"})
    services.completion_record(user=learner, lesson=lessons[0])
    client.force_login(learner)
    client.get("/me/progress/")
    page_cache().clear()
    plain = _page_queries(client, "/me/progress/")

    for language in ("ko", "en"):
        CourseTranslation.objects.create(course=course, language=language, title=language)
        TagTranslation.objects.create(tag=tag, language=language, name=language)
    page_cache().clear()

    assert _page_queries(client, "/me/progress/") == plain


def _page_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)
