"""Course titles and summaries and tag labels per language: the pages, the API, search, the
admin's rows, the content version and the cost of it all (``lessons.translations``)."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from lessons import selectors
from lessons.models import CourseTranslation, TagTranslation
from lessons.services import lesson_set_tags
from lessons.versions import site_version
from tests.factories import CourseFactory, LessonFactory, TagFactory

from .test_admin import course_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    """A Korean course with an English title and summary, a lesson tagged with a tag that has
    an English label and one tagged with a tag that has none."""
    course = CourseFactory(slug="dense-families", title="Dense 모델 계보", summary="한국어 요약")
    CourseTranslation.objects.create(
        course=course, language="en", title="Dense model families", summary="English summary"
    )
    llama = LessonFactory(course=course, slug="llama", title="LLaMA 계열", position=1)
    models, plain = TagFactory(name="모델", slug="models"), TagFactory(name="plain", slug="plain")
    TagTranslation.objects.create(tag=models, language="en", name="Models")
    lesson_set_tags(lesson=llama, tags=[models, plain])
    return course


def english():
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_the_english_pages_show_the_english_title_summary_and_labels(client, course):
    catalogue = client.get("/en/").content.decode()
    course_page = client.get("/en/courses/dense-families/").content.decode()
    lesson_page = client.get("/en/courses/dense-families/llama/").content.decode()
    tag_page = client.get("/en/tags/models/").content.decode()

    assert "Dense model families" in catalogue and "English summary" in catalogue
    assert '<h1 id="course-title">Dense model families' in course_page
    assert "English summary" in course_page and "Dense 모델 계보" not in course_page
    assert '<a href="/en/courses/dense-families/">Dense model families</a>' in lesson_page
    assert "<title>LLaMA 계열 · Dense model families" in lesson_page
    assert 'href="/en/tags/models/">Models</a>' in lesson_page
    assert "Lessons tagged “Models”" in tag_page
    assert "Dense model families ·" in tag_page  # the lesson list names its course


def test_the_korean_pages_show_the_original(client, course):
    course_page = client.get("/courses/dense-families/").content.decode()
    lesson_page = client.get("/courses/dense-families/llama/").content.decode()

    assert '<h1 id="course-title">Dense 모델 계보' in course_page and "한국어 요약" in course_page
    assert '<a href="/courses/dense-families/">Dense 모델 계보</a>' in lesson_page
    assert 'href="/tags/models/">모델</a>' in lesson_page
    assert "Dense model families" not in course_page + lesson_page


def test_a_language_without_a_row_shows_the_original(client, course):
    CourseTranslation.objects.filter(course=course).update(summary="")
    lesson_page = client.get("/en/courses/dense-families/llama/").content.decode()
    course_page = client.get("/en/courses/dense-families/").content.decode()

    assert 'href="/en/tags/plain/">plain</a>' in lesson_page  # no English label: the name
    assert "한국어 요약" in course_page  # an empty translated summary: the original's


def test_the_api_names_courses_and_tags_in_the_requests_language(course):
    lesson = course.lessons.get()
    listed = english().get("/api/v1/courses/").json()["results"][0]
    detail = english().get("/api/v1/courses/dense-families/").json()
    lesson_json = english().get(f"/api/v1/lessons/{lesson.pk}/").json()
    korean = Client().get(f"/api/v1/lessons/{lesson.pk}/").json()

    assert (listed["title"], listed["summary"]) == ("Dense model families", "English summary")
    assert detail["title"] == "Dense model families"
    assert lesson_json["course"]["title"] == "Dense model families"
    assert [tag["name"] for tag in lesson_json["tags"]] == ["Models", "plain"]
    assert korean["course"]["title"] == "Dense 모델 계보"
    assert [tag["name"] for tag in korean["tags"]] == ["모델", "plain"]


def test_search_results_name_the_course_in_the_pages_language(client, course):
    with translation.override("en"):
        url = reverse("stream_lessons:search")
    html = client.get(url, {"q": "LLaMA"}).content.decode()
    hits = english().get("/api/v1/search/", {"q": "LLaMA"}).json()["results"]

    assert '<a href="/en/courses/dense-families/">Dense model families</a>' in html
    assert hits[0]["course"]["title"] == "Dense model families"


def test_the_selectors_read_the_texts_in_the_same_queries(course, django_assert_num_queries):
    with translation.override("en"):
        with django_assert_num_queries(1):
            (found,) = selectors.catalogue_courses(user=None)
            assert found.title_in() == "Dense model families"
        with django_assert_num_queries(2):
            found, lessons = selectors.course_with_lessons(course_slug=course.slug, user=None)
            assert (found.title_in(), found.summary_in()) == (
                "Dense model families",
                "English summary",
            )
            assert lessons[0].course.title_in() == "Dense model families"
        with django_assert_num_queries(2):
            tag, lessons = selectors.tag_with_lessons(tag_slug="models", user=None)
            assert tag.name_in() == "Models"
            assert lessons[0].course.title_in() == "Dense model families"
        with django_assert_num_queries(6):
            page = selectors.lesson_page(course_slug=course.slug, lesson_slug="llama", user=None)
            assert page.course.title_in() == "Dense model families"
            assert [t.name_in() for t in page.tags] == ["Models", "plain"]


def test_saving_or_deleting_a_translation_bumps_the_site_version(client, course):
    before = site_version()
    row = CourseTranslation.objects.get(course=course)
    row.title = "Dense families"
    row.save()
    after_course = site_version()
    TagTranslation.objects.get(language="en").delete()
    after_tag = site_version()

    assert before != after_course != after_tag
    assert "Dense families" in client.get("/en/courses/dense-families/").content.decode()
    lesson_page = client.get("/en/courses/dense-families/llama/").content.decode()
    assert 'href="/en/tags/models/">모델</a>' in lesson_page


def test_the_admin_saves_a_course_title_in_another_language(staff_client):
    course = CourseFactory(title="원래 제목", slug="original")
    url = reverse("admin:stream_lessons_course_change", args=[course.pk])
    form = staff_client.get(url)
    data = course_form_data(
        course,
        **{
            "translations-TOTAL_FORMS": "1",
            "translations-0-language": "en",
            "translations-0-title": "The original title",
            "translations-0-summary": "",
        },
    )

    response = staff_client.post(url, data)

    assert 'name="translations-0-language"' in form.content.decode()
    assert response.status_code == 302
    assert course.translations.get().title == "The original title"
    assert course.title_in("en") == "The original title"


def test_the_admin_saves_a_tag_label_and_refuses_a_language_the_site_lacks(staff_client):
    tag = TagFactory(name="모델", slug="models")
    url = reverse("admin:stream_lessons_tag_change", args=[tag.pk])
    data = {
        "name": tag.name,
        "slug": tag.slug,
        "translations-TOTAL_FORMS": "1",
        "translations-INITIAL_FORMS": "0",
        "translations-0-language": "fr",
        "translations-0-name": "Modèles",
    }

    refused = staff_client.post(url, data)
    data["translations-0-language"] = "en"
    data["translations-0-name"] = "Models"
    saved = staff_client.post(url, data)

    assert refused.status_code == 200 and not TagTranslation.objects.filter(language="fr")
    assert saved.status_code == 302
    assert tag.translations.get().name == "Models"


def test_a_summary_only_in_another_language_shows_on_its_pages(client):
    course = CourseFactory(slug="c", title="제목", summary="")
    CourseTranslation.objects.create(course=course, language="en", title="Title", summary="Only en")

    english_pages = (
        client.get("/en/").content.decode() + client.get("/en/courses/c/").content.decode()
    )
    korean_page = client.get("/courses/c/").content.decode()

    assert english_pages.count("Only en") == 2
    assert 'class="course__summary"' not in korean_page
