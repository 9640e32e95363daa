"""A lesson in several languages: one identity, the text in the page's language."""

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from lessons.models import Lesson, LessonLinkTranslation, LessonVariant
from lessons.selectors import lesson_page
from progress.models import LessonCompletion, XPEntry
from tests.factories import (
    CourseFactory,
    LessonFactory,
    LessonLinkFactory,
    LessonVariantFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

KO_URL = "/courses/dense-families/llama/"
EN_URL = "/en/courses/dense-families/llama/"


@pytest.fixture
def lesson():
    course = CourseFactory(slug="dense-families", title="Dense 모델 계보")
    LessonFactory(course=course, slug="gpt", title="GPT 계열", position=1)
    lesson = LessonFactory(
        course=course,
        slug="llama",
        title="LLaMA 계열",
        body="## 개요\n\n라마는 공개 모델입니다.\n",
        exercise="직접 실행해 보세요.",
        position=2,
    )
    LessonFactory(course=course, slug="mistral", title="Mistral 계열", position=3)
    return lesson


@pytest.fixture
def english(lesson):
    return LessonVariantFactory(
        lesson=lesson,
        title="The LLaMA family",
        body="## Overview\n\nLLaMA is an open model.\n",
        exercise="Run it yourself.",
    )


def alternates(html: str) -> set[tuple[str, str]]:
    return set(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


def test_the_english_page_shows_the_english_variant(client, english):
    html = client.get(EN_URL).content.decode()

    assert "The LLaMA family" in html
    assert "LLaMA is an open model." in html
    assert "Run it yourself." in html
    assert "라마는 공개 모델입니다" not in html
    # it says what it was translated from and links to the original
    assert "Translated from 한국어." in html
    assert f'<a href="{KO_URL}" hreflang="ko" lang="ko">한국어</a> (original)' in html
    assert "no English version yet" not in html


def test_the_korean_page_shows_the_original_and_links_to_the_variant(client, english):
    html = client.get(KO_URL).content.decode()

    assert "LLaMA 계열" in html
    assert "라마는 공개 모델입니다." in html
    assert "The LLaMA family" not in html
    assert f'<a href="{EN_URL}" hreflang="en" lang="en">English</a>' in html
    assert alternates(html) == {("en", EN_URL)}


def test_a_page_without_its_language_shows_the_original_with_a_notice(client, lesson):
    html = client.get(EN_URL).content.decode()

    assert "This lesson has no English version yet, so it is shown in its original" in html
    assert "LLaMA 계열" in html
    # the text is marked as Korean for screen readers and translation tools
    assert '<h1 class="lesson-title" lang="ko">LLaMA 계열</h1>' in html
    assert '<div class="lesson-body prose" lang="ko">' in html
    # and no alternate claims an English page of the same text
    assert alternates(html) == {("ko", KO_URL)}
    assert alternates(Client().get(KO_URL).content.decode()) == set()


def test_a_variant_older_than_the_originals_last_change_may_be_out_of_date(client, english):
    assert "may be out of date" not in client.get(EN_URL).content.decode()

    # when the original's text changes after the variant's
    lesson = Lesson.objects.get(pk=english.lesson_id)
    lesson.body += "\n새 문단.\n"
    lesson.save()

    # then readers of the variant are told (the page shows it at the next request)
    html = Client().get(EN_URL).content.decode()
    assert "This translation may be out of date:" in html
    assert "The LLaMA family" in html

    # and once the variant is brought up to date, the flag goes
    english.refresh_from_db()
    english.body += "\nA new paragraph.\n"
    english.save()
    assert english.revision == 2
    assert "may be out of date" not in Client().get(EN_URL).content.decode()


def test_a_change_to_the_original_that_renders_the_same_does_not_date_the_variant(english):
    lesson = Lesson.objects.get(pk=english.lesson_id)
    lesson.xp = 50
    lesson.save()
    english.refresh_from_db()
    assert not english.out_of_date


def test_saving_a_variant_shows_at_the_next_request(client, english):
    assert "The LLaMA family" in client.get(EN_URL).content.decode()

    english.title = "LLaMA and its children"
    english.save()

    html = client.get(EN_URL).content.decode()
    assert "LLaMA and its children" in html
    # a lesson page's neighbours and the lists name it in the page's language too
    for url in ("/en/courses/dense-families/gpt/", "/en/courses/dense-families/"):
        assert "LLaMA and its children" in client.get(url).content.decode()
    assert "LLaMA and its children" not in client.get("/courses/dense-families/").content.decode()


def test_tag_pages_name_lessons_in_the_pages_language(client, english):
    tag = TagFactory(slug="open")
    english.lesson.tags.add(tag)

    assert "The LLaMA family" in client.get("/en/tags/open/").content.decode()
    assert "LLaMA 계열" in client.get("/tags/open/").content.decode()


def test_link_labels_follow_the_variant(client, english):
    link = LessonLinkFactory(lesson=english.lesson, title="공식 논문", url="https://example.com/p")
    LessonLinkTranslation.objects.create(link=link, language="en", title="The paper")

    assert ">The paper<" in client.get(EN_URL).content.decode()
    assert ">공식 논문<" in client.get(KO_URL).content.decode()


def test_a_link_label_is_not_translated_where_the_original_text_is_shown(client, lesson):
    link = LessonLinkFactory(lesson=lesson, title="공식 논문", url="https://example.com/p")
    LessonLinkTranslation.objects.create(link=link, language="en", title="The paper")

    # no English variant: the Korean text keeps its Korean labels
    assert ">공식 논문<" in client.get(EN_URL).content.decode()


def test_the_lesson_shown_in_a_variant_cannot_be_saved_over_the_original(english, settings):
    from django.utils import translation

    with translation.override("en"):
        page = lesson_page(course_slug="dense-families", lesson_slug="llama", user=None)
    assert page.lesson.title == "The LLaMA family"
    with pytest.raises(ValueError, match="variant"):
        page.lesson.save()
    assert Lesson.objects.get(pk=english.lesson_id).title == "LLaMA 계열"


def test_a_variant_must_be_in_another_of_the_sites_languages(lesson):
    from django.utils import translation

    for language, field_message in (("ko", "original language"), ("fr", "not one of")):
        variant = LessonVariant(lesson=lesson, language=language, title="t", body="b")
        with translation.override("en"):
            with pytest.raises(ValidationError) as error:
                variant.full_clean()
            assert field_message in str(error.value.message_dict["language"])


def test_the_variant_has_its_own_revision(english):
    english.lesson.body = "## 바뀐 본문\n"
    english.lesson.save()
    english.refresh_from_db()

    assert english.lesson.revision == 2
    assert english.revision == 1
    assert english.out_of_date
    # and its rendered HTML is its own
    assert "<h2" in english.body_html and "Overview" in english.body_html


@pytest.mark.parametrize("lessons_in_course", [3, 60])
def test_query_counts_stay_the_same_with_variants(
    client, django_assert_num_queries, lessons_in_course, monkeypatch
):
    monkeypatch.setattr("lessons.slots._slots", {})
    course = CourseFactory(slug="c")
    tag = TagFactory(slug="t")
    lessons = LessonFactory.create_batch(lessons_in_course, course=course)
    for lesson in lessons:
        lesson.tags.add(tag)
        LessonVariantFactory(lesson=lesson)
        LessonLinkFactory.create_batch(2, lesson=lesson)
    target = lessons[lessons_in_course // 2]
    url = f"/en/courses/c/{target.slug}/"

    # the same as without variants (tests/lessons/test_views.py): the variant, its languages
    # and the link labels come in the queries the page makes anyway
    with django_assert_num_queries(10):
        response = client.get(url)
    assert f"{target.title} (English)" in response.content.decode()
    # the lists: the site's version, then the page's own 2 (the site's prerequisites were kept
    # by the lesson page)
    with django_assert_num_queries(3):
        response = client.get("/en/courses/c/")
    assert f"{lessons[-1].title} (English)" in response.content.decode()
    with django_assert_num_queries(3):
        response = client.get("/en/tags/t/")
    assert f"{lessons[0].title} (English)" in response.content.decode()


def test_completing_the_korean_then_the_english_page_completes_the_lesson_once(english):
    learner = UserFactory()
    client = Client()
    client.force_login(learner)

    # when the learner marks it complete from the Korean page, then from the English one
    # (each page's own "mark as complete" form, in its language)
    lesson_id = english.lesson_id
    for url in (KO_URL, EN_URL):
        html = client.get(url).content.decode()
        assert f'data-lesson-id="{lesson_id}"' in html
        action = re.search(r'action="([^"]*/lessons/\d+/complete/)"', html).group(1)
        assert action.startswith("/en/") == url.startswith("/en/")
        response = client.post(action)
        assert response.status_code == 200

    # then it is one completion and one XP award
    assert LessonCompletion.objects.filter(learner=learner, lesson_id=lesson_id).count() == 1
    assert XPEntry.objects.filter(learner=learner).count() == 1


def test_syncs_from_browsers_that_read_different_languages_merge(english):
    learner = UserFactory()
    client = Client()
    client.force_login(learner)

    def sync(event_id, language, at):
        body = {
            "events": [
                {"id": event_id, "type": "lesson_completed", "lesson": english.lesson_id, "at": at}
            ]
        }
        return client.post(
            f"/api/v1/progress/sync/?lang={language}",
            data=json.dumps(body),
            content_type="application/json",
        )

    # a browser that read the English page, then one that read the Korean page, earlier
    english_read = sync("5f0c8a9e-1c1e-4a43-9a57-3f1d2b7c9e10", "en", "2026-11-28T09:30:00+09:00")
    korean_read = sync("6a1d9b0f-2d2f-4b54-8b68-402e3c8d0f21", "ko", "2026-11-27T09:30:00+09:00")
    assert english_read.status_code == korean_read.status_code == 200

    completion = LessonCompletion.objects.get(learner=learner, lesson_id=english.lesson_id)
    assert completion.completed_at.date().isoformat() == "2026-11-27"
    assert XPEntry.objects.filter(learner=learner).count() == 1


# --- The admin ----------------------------------------------------------------------------------


def admin_form(lesson, **overrides):
    data = {
        "course": lesson.course_id,
        "language": "ko",
        "title": lesson.title,
        "slug": lesson.slug,
        "position": lesson.position,
        "status": lesson.status,
        "xp": lesson.xp,
        "body": lesson.body,
        "exercise": lesson.exercise,
        "reading_minutes_override": "",
        "requirements-TOTAL_FORMS": "0",
        "requirements-INITIAL_FORMS": "0",
        "links-TOTAL_FORMS": "0",
        "links-INITIAL_FORMS": "0",
        "translations-TOTAL_FORMS": "1",
        "translations-INITIAL_FORMS": "0",
        "translations-0-language": "en",
        "translations-0-title": "The LLaMA family",
        "translations-0-body": "## Overview\n\nIn English.\n",
        "translations-0-exercise": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def staff_client(client):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(is_superuser=True))
    return client


def change_url(lesson):
    return f"/admin/stream_lessons/lesson/{lesson.pk}/change/"


def test_staff_write_a_variant_beside_the_original_with_the_live_preview(staff_client, lesson):
    # the change page offers an English variant, with the editor and its preview
    html = staff_client.get(change_url(lesson), headers={"accept-language": "en"}).content.decode()
    assert 'name="translations-0-language"' in html
    assert 'id="id_translations-0-body"' in html
    assert 'aria-labelledby="id_translations-0-body-preview-label"' in html
    assert 'value="en" selected' in html  # the one language it has no variant in

    # when staff save it
    response = staff_client.post(change_url(lesson), admin_form(lesson))

    # then the variant is saved and the English page shows it at once
    assert response.status_code == 302
    variant = LessonVariant.objects.get(lesson=lesson)
    assert (variant.language, variant.title, variant.revision) == ("en", "The LLaMA family", 1)
    assert "In English." in Client().get(EN_URL).content.decode()


def test_a_variant_in_the_original_language_is_refused(staff_client, lesson):
    response = staff_client.post(
        change_url(lesson),
        admin_form(lesson, **{"translations-0-language": "ko"}),
        headers={"accept-language": "en"},
    )

    assert response.status_code == 200
    assert "This is the lesson&#x27;s original language" in response.content.decode()
    assert not LessonVariant.objects.exists()


def test_the_admin_flags_a_variant_that_may_be_out_of_date(staff_client, english):
    lesson = Lesson.objects.get(pk=english.lesson_id)
    lesson.body = "## 새 본문\n"
    lesson.save()
    en = {"accept-language": "en"}

    page = staff_client.get(change_url(lesson), headers=en).content.decode()
    listing = staff_client.get("/admin/stream_lessons/lesson/", headers=en).content.decode()

    assert "May be out of date: the original changed after this variant." in page
    assert "en (may be out of date)" in listing


def test_staff_label_a_link_in_english(staff_client, english):
    lesson = english.lesson
    link = LessonLinkFactory(lesson=lesson, title="논문", url="https://example.com/p", position=0)
    data = admin_form(
        lesson,
        **{
            "translations-TOTAL_FORMS": "1",
            "translations-INITIAL_FORMS": "1",
            "translations-0-id": english.pk,
            "translations-0-lesson": lesson.pk,
            "translations-0-title": english.title,
            "translations-0-body": english.body,
            "links-TOTAL_FORMS": "1",
            "links-INITIAL_FORMS": "1",
            "links-0-id": link.pk,
            "links-0-lesson": lesson.pk,
            "links-0-title": "논문",
            "links-0-url": link.url,
            "links-0-position": "0",
            "links-0-title_en": "The paper",
        },
    )

    assert staff_client.post(change_url(lesson), data).status_code == 302

    assert LessonLinkTranslation.objects.get(link=link).title == "The paper"
    assert ">The paper<" in Client().get(EN_URL).content.decode()
    # and emptied, the label goes
    data["links-0-title_en"] = ""
    staff_client.post(change_url(lesson), data)
    assert not LessonLinkTranslation.objects.exists()


# --- The API ------------------------------------------------------------------------------------


def test_the_api_answers_the_variant_in_the_requests_language(english, django_assert_num_queries):
    link = LessonLinkFactory(lesson=english.lesson, title="논문", url="https://example.com/p")
    LessonLinkTranslation.objects.create(link=link, language="en", title="The paper")
    url = f"/api/v1/lessons/{english.lesson_id}/"

    # 1 the lesson with its variant, 2 its links with their labels, 3 its tags
    with django_assert_num_queries(3):
        data = Client().get(url, headers={"accept-language": "en"}).json()
    korean = Client().get(url, headers={"accept-language": "ko"}).json()

    assert (data["title"], data["language"], data["original_language"]) == (
        "The LLaMA family",
        "en",
        "ko",
    )
    assert "LLaMA is an open model." in data["body_html"]
    assert data["languages"] == ["ko", "en"]
    assert (data["variant_revision"], data["variant_out_of_date"]) == (1, False)
    assert data["links"] == [{"title": "The paper", "url": "https://example.com/p"}]
    assert (korean["title"], korean["language"], korean["variant_revision"]) == (
        "LLaMA 계열",
        "ko",
        None,
    )
    assert korean["links"][0]["title"] == "논문"


def test_the_api_lists_lessons_by_their_title_in_the_requests_language(english):
    courses = Client().get("/api/v1/courses/", headers={"accept-language": "en"}).json()
    course = Client().get("/api/v1/courses/dense-families/", headers={"accept-language": "en"})

    titles = [lesson["title"] for lesson in courses["results"][0]["lessons"]]
    assert "The LLaMA family" in titles
    assert "The LLaMA family" in [lesson["title"] for lesson in course.json()["lessons"]]
