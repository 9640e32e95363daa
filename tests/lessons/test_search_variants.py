"""Search (``lessons.search``) over lessons in several languages and for viewers who have not
met a lesson's prerequisites: which lesson is found by which document, what a hit shows, and
what stays hidden with ``REQUIREMENTS_HIDE_LOCKED``. Runs on SQLite and PostgreSQL alike, with
the demo's languages (Korean originals, English variants), so not in the host project's run
(its lessons are in ``en-us``)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import translation

from lessons import search
from lessons.models import LessonRequirement
from lessons.search import search_lessons
from progress import services as progress_services
from tests.factories import CourseFactory, LessonFactory, LessonVariantFactory
from tests.lessons.test_search import ON_SQLITE, found, sqlite_index_in_step

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()


# Language variants ------------------------------------------------------------------------------


def test_a_lesson_is_found_by_its_variant_once_shown_in_the_variants_language_when_only_it_has_it():
    # given a Korean lesson whose English variant alone has the word
    lesson = LessonFactory(title="라마 이야기", body="라마는 콧노래를 부른다.")
    LessonVariantFactory(lesson=lesson, title="About llamas", body="Llamas hum, softly.")

    for language in ("ko", "en"):
        with translation.override(language):
            results = search_lessons(query="hum", user=ANONYMOUS)
            hits = results[0 : results.count()]
            urls = (lesson.get_absolute_url(), hits[0].lesson.get_absolute_url())

        # then one hit, the variant's title and text, the link to the lesson in the page's
        # language, and the variant's language named when it is not the page's
        assert [hit.lesson.pk for hit in hits] == [lesson.pk]
        [hit] = hits
        assert hit.title_html == "About llamas"
        assert hit.snippet_html == "Llamas <mark>hum</mark>, softly."
        assert urls[0] == urls[1] and urls[0].startswith("/en/" if language == "en" else "/c")
        assert hit.language == ("en" if language == "ko" else "")


def test_when_the_original_and_the_variant_have_the_word_the_pages_language_is_shown():
    lesson = LessonFactory(title="GPU 기초", body="GPU는 병렬로 계산한다.")
    LessonVariantFactory(lesson=lesson, title="GPU basics", body="A GPU computes in parallel.")

    with translation.override("en"):
        [english] = search_lessons(query="gpu", user=ANONYMOUS)[0:5]
    with translation.override("ko"):
        [korean] = search_lessons(query="gpu", user=ANONYMOUS)[0:5]

    assert english.title_html == "<mark>GPU</mark> basics"
    assert english.snippet_html == "A <mark>GPU</mark> computes in parallel."
    assert korean.title_html == "<mark>GPU</mark> 기초"
    assert korean.snippet_html == "<mark>GPU</mark>는 병렬로 계산한다."
    assert english.language == korean.language == ""


def test_every_term_must_be_in_one_document_the_original_or_a_variant():
    lesson = LessonFactory(title="라마", body="라마는 풀을 먹는다.")
    LessonVariantFactory(lesson=lesson, title="Llama", body="Llamas eat grass.")

    assert found("라마 풀을") == ["라마"]
    assert found("llamas grass") == ["Llama"]  # shown in the variant that has them
    assert found("풀을 grass") == []  # a term from each language: no document has both


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_variants_title_ranks_as_a_title_whatever_the_pages_language(language):
    # given a lesson whose English variant's title has the word, after a lesson that has the
    # word in its Korean text only
    course = CourseFactory()
    LessonFactory(course=course, position=1, title="산", body="Llama, llama, llama. " * 5)
    titled = LessonFactory(course=course, position=2, title="동물", body="초원")
    LessonVariantFactory(lesson=titled, title="The llama", body="Meadows and a llama.")

    with translation.override(language):
        hits = search_lessons(query="llama", user=ANONYMOUS)[0:5]

    # then, on the English page and on the Korean one, the title hit comes first, shown in the
    # language whose title has the word (on the Korean page PostgreSQL used to count only the
    # original's title and the page's language's)
    assert [hit.lesson.title for hit in hits] == ["The llama", "산"]
    assert hits[0].lesson.pk == titled.pk
    assert hits[0].language == ("" if language == "en" else "en")


def test_pages_of_title_hits_have_the_variants_titles_in_the_pages_language_among_them():
    # given more hits with the term in a title than a page holds, half of them by their English
    # variant's title
    course = CourseFactory()
    for number in range(6):
        LessonFactory(course=course, position=number, title=f"라마 llama {number}", body="초원")
        animal = LessonFactory(course=course, position=10 + number, title=f"동물 {number}")
        LessonVariantFactory(lesson=animal, title=f"The llama {number}", body="Meadows.")
    LessonFactory(course=course, position=30, title="산", body="Llama, llama.")

    with translation.override("en"):
        whole = [hit.lesson.title for hit in search_lessons(query="llama", user=ANONYMOUS)[0:20]]
        results = search_lessons(query="llama", user=ANONYMOUS)
        total = results.count()
        pages = [hit.lesson.title for start in (0, 5, 10) for hit in results[start : start + 5]]

    # then each page is its slice of the whole ranking, the text-only hit last
    assert total == 13 and pages == whole
    assert {title[:-2] for title in pages[:12]} == {"라마 llama", "The llama"}
    assert pages[-1] == "산"


def test_the_search_page_shows_a_variant_found_in_another_language_with_its_language(client):
    lesson = LessonFactory(title="라마 이야기", body="라마는 콧노래를 부른다.")
    LessonVariantFactory(lesson=lesson, title="About llamas", body="Llamas hum, softly.")

    page = client.get(reverse("stream_lessons:search"), {"q": "hum"}).content.decode()

    assert f'href="{lesson.get_absolute_url()}" lang="en">About llamas</a>' in page
    assert '<p class="search-result__snippet" lang="en">Llamas <mark>hum</mark>' in page


def test_the_variant_index_follows_saves_updates_and_deletes():
    variant = LessonVariantFactory(title="Alpaca", body="Meadow.")
    assert len(found("meadow")) == 1

    variant.body = "Pasture."
    variant.save()
    assert found("meadow") == [] and len(found("pasture")) == 1

    type(variant).objects.filter(pk=variant.pk).update(title="Vicuña", search_text="Hills.")
    assert found("pasture") == [] and len(found("vicuña hills")) == 1

    variant.delete()
    assert found("vicuña") == []
    if ON_SQLITE and search.sqlite_fts_available():
        assert sqlite_index_in_step("stream_lessons_variant_search")


def test_counting_and_reading_a_page_with_variants_cost_one_query_each(django_assert_num_queries):
    for number in range(6):
        lesson = LessonFactory(title=f"라마 {number}", body="라마 wool " * 30)
        LessonVariantFactory(lesson=lesson, title=f"Llama {number}", body="Llama wool " * 30)

    with translation.override("en"), django_assert_num_queries(2):
        results = search_lessons(query="wool", user=ANONYMOUS)
        total = results.count()
        texts = [(hit.title_html, hit.snippet_html, hit.course.title) for hit in results[0:10]]

    assert total == 6 and len(texts) == 6
    assert all(title.startswith("Llama") for title, _snippet, _course in texts)


# Lessons locked for the viewer (REQUIREMENTS_HIDE_LOCKED) ---------------------------------------


@pytest.fixture
def locked_path(settings):
    """A lesson B that requires A, its text kept from who has not completed A."""
    settings.STREAM = {**settings.STREAM, "REQUIREMENTS_HIDE_LOCKED": True}
    course = CourseFactory()
    a = LessonFactory(course=course, position=1, title="Llama basics", body="Grass.")
    b = LessonFactory(course=course, position=2, title="Llama secrets", body="The answer is 42.")
    LessonVariantFactory(lesson=b, title="Secrets", body="The English answer is 42.")
    LessonRequirement.objects.create(lesson=b, required_lesson=a)
    return a, b


def test_a_locked_lesson_is_found_by_its_title_alone_with_a_note_for_its_snippet(
    locked_path, learner
):
    a, b = locked_path

    # then a visitor does not find it by its hidden text, in any language, only by a title
    assert found("answer") == [] and found("42") == []
    with translation.override("en"):
        results = search_lessons(query="secrets", user=ANONYMOUS)
        [hit] = results[0:5]
        assert hit.snippet_html == "This lesson opens once you have completed what it builds on."
        assert hit.locked and "42" not in hit.snippet_html
    [llama_a, llama_b] = search_lessons(query="llama", user=ANONYMOUS)[0:5]
    assert (llama_a.lesson, llama_a.locked) == (a, False) and llama_a.snippet_html == "Grass."
    assert (llama_b.lesson, llama_b.locked) == (b, True)

    # and a learner who completed A finds it by its text, with a snippet of it
    assert found("42", user=learner) == []
    progress_services.completion_record(user=learner, lesson=a)
    [unlocked] = search_lessons(query="42", user=learner)[0:5]
    assert unlocked.lesson == b and not unlocked.locked
    assert unlocked.snippet_html == "The answer is <mark>42</mark>."


def test_a_locked_lesson_whose_title_has_the_term_only_lower_cased_is_not_found(locked_path):
    # given more title hits than a page, and a locked lesson whose title has the term only as
    # PostgreSQL lower-cases it ("İ" becomes "i"; upper-cased, "İZMIR" is not "IZMIR"), which
    # the titles' word index finds
    a, _b = locked_path
    locked = LessonFactory(course=a.course, position=3, title="İzmir", body="izmir")
    LessonRequirement.objects.create(lesson=locked, required_lesson=a)
    for number in range(10):
        LessonFactory(course=a.course, position=10 + number, title=f"izmir {number}")

    results = search_lessons(query="izmir", user=ANONYMOUS)
    total = results.count()
    titles = [hit.lesson.title for hit in results[0:10]]

    # then the page of title hits leaves it out, as the count does: a locked lesson is found
    # by a title that has every term as icontains compares
    assert total == 10 and "İzmir" not in titles


def test_without_hide_locked_a_locked_lessons_text_is_found_as_any(locked_path, settings):
    settings.STREAM = {**settings.STREAM, "REQUIREMENTS_HIDE_LOCKED": False}
    [hit] = search_lessons(query="42", user=ANONYMOUS)[0:5]
    assert hit.snippet_html == "The answer is <mark>42</mark>." and not hit.locked


def test_the_search_page_shows_the_note_for_a_locked_lesson(client, locked_path):
    page = client.get(reverse("stream_lessons:search"), {"q": "secrets"}).content.decode()
    assert "search-result__snippet--locked" in page
    assert "선수 레슨을 마치면 이 레슨이 열립니다." in page
    assert "answer is" not in page


def test_with_hide_locked_a_learners_search_costs_a_constant_number_of_queries(
    locked_path, learner, django_assert_num_queries
):
    # given more locked lessons
    a, b = locked_path
    for number in range(5):
        more = LessonFactory(course=a.course, title=f"Llama {number}", body="42")
        LessonRequirement.objects.create(lesson=more, required_lesson=a)
    search_lessons(query="llama", user=learner).count()  # the site's requirements kept

    # when a learner searches: the site version and their completions, then count and page
    with django_assert_num_queries(4):
        results = search_lessons(query="llama", user=learner)
        total = results.count()
        hits = results[0:10]

    assert total == 7 and sum(hit.locked for hit in hits) == 6
