"""The search page (``/search/?q=``) and the header's search box: what a learner sees, and that
neither breaks the shared pages (the box is the same for everyone; results are never kept)."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from lessons.models import Status
from tests.factories import CourseFactory, LessonFactory, StaffFactory
from tests.lessons.test_shared_pages import page_entries, signed_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

SEARCH = reverse("stream_lessons:search")
with translation.override("en"):
    SEARCH_EN = reverse("stream_lessons:search")  # the language is in the address


def results(response) -> list[str]:
    """The result titles on a search page, as text."""
    html = response.content.decode()
    # (a title in another language than the page's carries its lang attribute)
    titles = re.findall(
        r'<h2 class="search-result__title"><a href="[^"]*"[^>]*>(.*?)</a></h2>', html
    )
    return [re.sub(r"</?mark>", "", title) for title in titles]


def test_a_visitor_finds_korean_text_by_two_syllables_with_the_course_and_a_snippet(client):
    # given a lesson in a course
    course = CourseFactory(slug="camelids", title="낙타과")
    LessonFactory(course=course, slug="llama", title="라마", body="라마들은 초원에 산다.")

    # when a visitor searches two syllables from inside a word
    response = client.get(SEARCH, {"q": "마들"})

    # then the page lists it with its course and a marked snippet, and is this viewer's only
    html = response.content.decode()
    assert response.status_code == 200
    assert results(response) == ["라마"]
    assert '<a href="/courses/camelids/llama/">라마</a>' in html
    assert '<a href="/courses/camelids/">낙타과</a>' in html
    assert "라<mark>마들</mark>은 초원에 산다." in html
    assert 'value="마들"' in html
    assert response["Cache-Control"] == "private, no-cache"
    assert "ETag" not in response


def test_search_pages_are_never_kept_in_the_page_cache(client, page_entries):  # noqa: F811
    # given a lesson, and a shared page that is kept (so the cache works)
    lesson = LessonFactory(title="Llama", body="Old words.")
    client.get("/")
    kept = len(page_entries)
    assert kept == 1

    # when several searches are made, and the lesson changes between two of them
    for query in ("llama", "old", "llama old", "새 낱말"):
        client.get(SEARCH, {"q": query})
    lesson.body = "새 낱말."
    lesson.save()

    # then nothing more was kept, and the next search sees the change at once
    assert len(page_entries) == kept
    assert results(client.get(SEARCH, {"q": "새 낱말"})) == ["Llama"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("", 200, "Type a word or two to search for."),
        ("   ", 200, "Type a word or two to search for."),
        ("\x00", 200, "Type a word or two to search for."),
        ("a" * 101, 400, "That search is too long: at most 100 characters, please."),
    ],
)
def test_an_empty_or_too_long_query_shows_the_form_with_a_message(client, query, status, message):
    LessonFactory(title="Llama")

    response = client.get(SEARCH_EN, {"q": query})

    assert response.status_code == status
    html = response.content.decode()
    assert f'<p class="form-error" id="search-problem" role="alert">{message}</p>' in html
    assert 'aria-invalid="true"' in html
    assert results(response) == []


def test_without_a_query_the_page_shows_the_form_only(client):
    response = client.get(SEARCH)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="search-q"' in html and "form-error" not in html and "search-results" not in html


def test_nothing_found_says_what_to_try(client):
    LessonFactory(title="Llama")

    response = client.get(SEARCH_EN, {"q": "alpaca"})

    assert "0 lessons contain “alpaca”." in response.content.decode()
    assert "a lesson is found when it contains every word" in response.content.decode()


def test_the_query_is_escaped_wherever_the_page_shows_it(client):
    LessonFactory(title="<script>alert(1)</script> llama", body="<b>x</b>")

    response = client.get(SEARCH, {"q": '<script>alert(1)</script> "llama'})

    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_results_come_a_page_at_a_time_and_keep_the_query(client, settings):
    settings.STREAM = {**settings.STREAM, "SEARCH_RESULTS_PER_PAGE": 2}
    course = CourseFactory()
    for position in range(5):
        LessonFactory(course=course, position=position, title=f"Llama {position}")

    first = client.get(SEARCH_EN, {"q": "llama"})
    last = client.get(SEARCH, {"q": "llama", "page": "3"})
    past = client.get(SEARCH, {"q": "llama", "page": "99"})
    wrong = client.get(SEARCH, {"q": "llama", "page": "x"})

    assert results(first) == ["Llama 0", "Llama 1"]
    assert '<a rel="next" href="?q=llama&amp;page=2">More results</a>' in first.content.decode()
    assert "Page 1 of 3" in first.content.decode()
    assert results(last) == results(past) == ["Llama 4"]
    assert results(wrong) == ["Llama 0", "Llama 1"]


def test_staff_find_drafts_marked_as_drafts(client, learner):
    LessonFactory(title="Draft llama", status=Status.DRAFT)
    LessonFactory(title="Live llama")

    assert results(client.get(SEARCH, {"q": "llama"})) == ["Live llama"]
    assert results(signed_in(learner).get(SEARCH, {"q": "llama"})) == ["Live llama"]
    response = signed_in(StaffFactory()).get(SEARCH, {"q": "llama"})
    assert sorted(results(response)) == ["Draft llama", "Live llama"]
    assert 'class="badge badge--draft"' in response.content.decode()


def test_the_search_page_refuses_writes(client):
    assert client.post(SEARCH, {"q": "llama"}).status_code == 405


@pytest.mark.parametrize("lessons", [1, 12])
def test_the_page_costs_the_same_queries_whatever_the_results(
    client, django_assert_num_queries, lessons
):
    for number in range(lessons):
        LessonFactory(title=f"Llama {number}", body="라마 wool")

    # 1 the count, 2 the page's lessons with their courses, 3 the site's content version (read
    # by a slot of the layout)
    with django_assert_num_queries(3):
        response = client.get(SEARCH, {"q": "llama 라마"})

    assert len(results(response)) == min(lessons, 10)


# The header's box --------------------------------------------------------------------------------


def test_every_page_has_the_search_box_in_its_header_the_same_for_everyone(client, learner):
    # given a shared page as a visitor and as a signed-in learner see it
    LessonFactory(course=CourseFactory(slug="c"), slug="l")
    pages = [client.get("/courses/c/l/"), signed_in(learner).get("/courses/c/l/")]

    # then both carry the same labelled GET form, with no token
    boxes = [
        re.search(r'<form class="site-search".*?</form>', page.content.decode(), re.S).group()
        for page in pages
    ]
    assert boxes[0] == boxes[1]
    assert 'action="/search/" method="get" role="search"' in boxes[0]
    assert '<label class="visually-hidden" for="site-search-q">' in boxes[0]
    assert 'name="q"' in boxes[0] and 'maxlength="100"' in boxes[0]
    assert "csrfmiddlewaretoken" not in boxes[0]
    assert pages[0].content == pages[1].content
