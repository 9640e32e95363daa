"""Search (``lessons.search``): what a query finds, for whom, in which order, with which snippet;
and that the index follows every way lessons are written. Runs on SQLite (FTS5) and on
PostgreSQL (full-text and trigram) alike; a few tests look at the SQLite index itself."""

import html
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import translation

from lessons import search
from lessons.adapter import StreamAdapter
from lessons.checks import check_search_index
from lessons.lesson_files import lessons_export, lessons_import
from lessons.models import Lesson, Status
from lessons.search import (
    SearchQueryError,
    lesson_search_text,
    search_lessons,
    search_query_terms,
    snippet_html,
    text_from_html,
)
from lessons.services import courses_set_status
from tests.factories import CourseFactory, LessonFactory
from tests.xss_corpus import XSS_PAYLOADS

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()
ON_SQLITE = connection.vendor == "sqlite"
LIVE = Status.PUBLISHED


def found(query, user=ANONYMOUS):
    """The titles ``query`` finds for ``user``, best first."""
    results = search_lessons(query=query, user=user)
    return [hit.lesson.title for hit in results[0 : results.count()]]


def sqlite_index_in_step(table="stream_lessons_search"):
    """FTS5's own check that its index matches the lesson (or variant) table (rank 1: external
    content)."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
    return True


def sqlite_index_pages():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, block FROM stream_lessons_search_data ORDER BY id")
        return cursor.fetchall()


# The text searched ------------------------------------------------------------------------------


def test_the_text_is_what_the_page_shows_without_markup_addresses_or_fences():
    # given a lesson with a heading (its "#" anchor is hidden), a link, emphasis, code (its
    # caption names the language) and an entity
    lesson = LessonFactory(
        body="# 라마\n\n**Llamas** live in [the Andes](https://example.com/andes).\n\n"
        "```python\nprint('a < b')\n```\n",
        exercise="Draw one & name it.",
    )

    # then its search text is the words a reader sees, one block a line
    assert (
        lesson.search_text
        == "라마\nLlamas live in the Andes.\npython\nprint('a < b')\nDraw one & name it."
    )


def test_blocks_do_not_run_into_each_other():
    assert text_from_html("<ul><li>one</li><li>two</li></ul><p>three</p>") == "one\ntwo\nthree"
    assert lesson_search_text(body_html="<p>body</p>", exercise_html="") == "body"


# Queries ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "\x00", "\t\n", "\u200b"])
def test_an_empty_query_is_refused_with_a_message(query):
    with translation.override("en"), pytest.raises(SearchQueryError) as refused:
        search_query_terms(query)
    assert refused.value.code == "empty"
    assert refused.value.message == "Type a word or two to search for."


def test_a_query_longer_than_the_setting_is_refused(settings):
    settings.STREAM = {**settings.STREAM, "SEARCH_QUERY_MAX_LENGTH": 10}
    assert search_query_terms("a" * 10) == ("a" * 10,)
    with translation.override("en"), pytest.raises(SearchQueryError) as refused:
        search_query_terms("a" * 11)
    assert refused.value.code == "too_long"
    assert "at most 10 characters" in refused.value.message


def test_terms_are_split_at_spaces_cleaned_of_control_characters_and_kept_once():
    assert search_query_terms("  라마\x00들  Llama llama\tANDES ") == (
        "라마",
        "들",
        "llama",
        "ANDES",
    )


# What is found, and for whom --------------------------------------------------------------------


def test_two_hangul_syllables_inside_a_word_find_the_lesson():
    # given Korean text where the query is only ever the middle of a word
    LessonFactory(title="고산 지대", body="라마들은 안데스 산맥의 초원에서 무리를 지어 산다.")
    LessonFactory(title="다른 이야기", body="알파카는 털이 길다.")

    # then two syllables from inside 라마들은 and 안데스 find it, and only it
    assert found("마들") == ["고산 지대"]
    assert found("데스") == ["고산 지대"]
    assert found("산맥의 초원") == ["고산 지대"]  # every term, three syllables and more
    assert found("마들 털이") == []  # a lesson must contain every term


def test_english_queries_ignore_case_and_find_parts_of_words():
    LessonFactory(title="Camelids", body="LLAMAS and alpacas are domesticated.")
    assert found("llama") == ["Camelids"]
    assert found("Domestic") == ["Camelids"]
    assert found("ca") == ["Camelids"]  # under three letters, found by scanning


def test_drafts_and_lessons_of_draft_courses_are_found_by_staff_only(learner, staff):
    # given a published lesson, a draft, and a published lesson in a draft course
    LessonFactory(title="Public llama")
    LessonFactory(title="Draft llama", status=Status.DRAFT)
    LessonFactory(title="Hidden llama", course=CourseFactory(status=Status.DRAFT))

    # then visitors and learners find the published one; staff find all three
    assert found("llama") == ["Public llama"]
    assert found("llama", learner) == ["Public llama"]
    assert sorted(found("llama", staff)) == ["Draft llama", "Hidden llama", "Public llama"]


def test_the_adapter_narrows_what_is_found(settings, learner):
    # given an adapter that hides the course "vault" from everyone but staff
    settings.STREAM = {**settings.STREAM, "ADAPTER": "tests.lessons.test_search.VaultAdapter"}
    LessonFactory(title="Open llama")
    LessonFactory(title="Vault llama", course=CourseFactory(slug="vault"))

    # then the vault's lesson is not found
    assert found("llama", learner) == ["Open llama"]


class VaultAdapter(StreamAdapter):
    def lessons_for_user(self, lessons, *, user):
        return lessons.exclude(course__slug="vault")


# Ranking ----------------------------------------------------------------------------------------


def test_a_word_in_the_title_ranks_above_the_same_word_in_the_text_only():
    # given the word many times in one body, once in another lesson's title; the body-only
    # lesson comes first in the course
    course = CourseFactory()
    LessonFactory(course=course, position=1, title="Mountains", body="Llama, llama, llama. " * 20)
    LessonFactory(course=course, position=2, title="The llama", body="An animal.")
    LessonFactory(course=course, position=3, title="Rivers", body="No animals here.")

    # then the title match comes first
    assert found("llama") == ["The llama", "Mountains"]


def test_titles_with_more_of_the_terms_come_first():
    course = CourseFactory()
    LessonFactory(course=course, position=1, title="Llama", body="wool and more wool")
    LessonFactory(course=course, position=2, title="Llama wool", body="wool")
    assert found("llama wool") == ["Llama wool", "Llama"]


@pytest.mark.skipif(ON_SQLITE, reason="PostgreSQL's lower-cased comparison of titles")
def test_on_postgresql_a_title_has_a_term_when_its_lower_case_has_the_terms():
    # given a title with the term in capitals only as PostgreSQL lower-cases them (a capital
    # sigma becomes σ, never the final ς), after a text-only hit in the catalogue
    course = CourseFactory()
    LessonFactory(course=course, position=1, title="Άλλο", body="ο λόγος")
    LessonFactory(course=course, position=2, title="ΛΌΓΟΣ", body="ο λόγος")
    LessonFactory(course=course, position=3, title="Ο λόγος", body="κείμενο")

    # then it ranks as a text-only hit: a title has a term as the word index would find it
    # there (the comparison by which its document is a hit)
    assert found("λόγος") == ["Ο λόγος", "Άλλο", "ΛΌΓΟΣ"]


@pytest.mark.parametrize("count_first", [True, False])
@pytest.mark.parametrize("query", ["llama", "llama wool"])
def test_every_page_is_its_slice_of_the_whole_ranking(query, count_first):
    # given hits with the terms in their titles and in their texts only, in several courses
    # whose catalogue order is not their ids' (PostgreSQL reads a page in two parts: the hits
    # with a term in a title, then the others)
    courses = [CourseFactory(position=position) for position in (3, 1, 2)]
    for number in range(27):
        title = ["Llama wool", "Woolly llama", "A llama", "Mountains"][number % 4]
        body = "llama and wool" if number % 3 else "wool and a llama, a llama"
        LessonFactory(course=courses[number % 3], position=number, title=title, body=body)
    LessonFactory(course=courses[0], title="Rivers", body="no such animal")
    results = search_lessons(query=query, user=ANONYMOUS)
    whole = [(hit.lesson.pk, hit.lesson.title) for hit in results[0:100]]

    # when it is read a page at a time, the count first (as the pages do) or not
    pages = search_lessons(query=query, user=ANONYMOUS)
    if count_first:
        assert pages.count() == 27
    read = [
        (hit.lesson.pk, hit.lesson.title)
        for start in (0, 10, 20)
        for hit in pages[start : start + 10]
    ]

    # then the pages are the whole ranking's slices, the titles' hits first
    assert read == whole and len(whole) == 27
    assert [title for _pk, title in whole[-6:]] == ["Mountains"] * 6


@pytest.mark.skipif(
    not (ON_SQLITE and search.sqlite_fts_available()), reason="SQLite's FTS5 relevance (bm25)"
)
def test_on_sqlite_among_text_only_hits_the_text_with_the_term_most_often_comes_first():
    # given three lessons with the term in their text only, the most often in the last one
    course = CourseFactory()
    LessonFactory(course=course, position=1, title="One", body="A llama. " + "Grass. " * 30)
    LessonFactory(course=course, position=2, title="Two", body="A llama, a llama. " + "Hay. " * 30)
    LessonFactory(course=course, position=3, title="Three", body="Llama, llama, llama. " * 5)

    # then bm25 orders them, against the catalogue's order
    assert found("llama") == ["Three", "Two", "One"]


# Snippets ---------------------------------------------------------------------------------------


def test_the_snippet_is_cut_around_the_first_term_at_spaces_and_marks_every_term():
    text = " ".join(f"word{n}" for n in range(100)) + " 라마들은 풀을 먹는다 " + "tail " * 50

    snippet = snippet_html(text, ("마들", "풀을"), length=60)

    assert snippet.startswith("…") and snippet.endswith("…")
    assert "라<mark>마들</mark>은 <mark>풀을</mark> 먹는다" in snippet
    assert len(html.unescape(re.sub("<[^>]+>", "", snippet))) <= 62
    assert " word" not in snippet[:2]  # cut at a space, not inside a word


def test_a_short_text_is_shown_whole_and_a_text_without_the_term_from_its_start():
    assert snippet_html("Llamas hum.", ("hum",)) == "Llamas <mark>hum</mark>."
    assert snippet_html("Nothing here.", ("llama",)) == "Nothing here."


def test_hits_carry_the_course_and_marked_title():
    course = CourseFactory(title="Camelids & co")
    LessonFactory(course=course, title="<Llama> facts", body="Llamas hum.")

    [hit] = search_lessons(query="llama", user=ANONYMOUS)[0:1]

    assert hit.course.title == "Camelids & co"
    assert hit.title_html == "&lt;<mark>Llama</mark>&gt; facts"
    assert hit.snippet_html == "<mark>Llama</mark>s hum."


@pytest.mark.parametrize(("name", "markdown"), XSS_PAYLOADS, ids=[n for n, _ in XSS_PAYLOADS])
def test_snippets_and_titles_are_escaped_marks_being_the_only_markup(name, markdown):
    # given a lesson whose title and body are an attack (without NUL, which no lesson may
    # hold), and a query made of its own characters
    markdown = markdown.replace("\x00", "")
    LessonFactory(title=markdown[:200], body=markdown + "\n\nmarker " + markdown)
    query = " ".join(markdown.split()[:2])[:100] or "marker"

    for query_text in (query, "marker"):
        for hit in search_lessons(query=query_text, user=ANONYMOUS)[0:5]:
            for fragment in (hit.title_html, hit.snippet_html):
                # then the only tags are <mark> and </mark>, and the text reads back unchanged
                assert set(re.findall(r"<[^>]*>", fragment)) <= {"<mark>", "</mark>"}
                assert "<" not in fragment.replace("<mark>", "").replace("</mark>", "")


# Query counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("lessons", "query"), [(2, "llama"), (12, "llama 라마 wool")])
def test_counting_and_reading_a_page_cost_one_query_each_whatever_the_size(
    django_assert_num_queries, lessons, query
):
    # given some lessons that all match
    for number in range(lessons):
        LessonFactory(title=f"Llama {number}", body="라마 wool " * 30)

    # when the count and a page are read
    with django_assert_num_queries(2):
        results = search_lessons(query=query, user=ANONYMOUS)
        total = results.count()  # 1 the count
        hits = results[0:10]  # 2 the page's lessons with their courses
        texts = [
            (hit.title_html, hit.snippet_html, hit.course.title, hit.lesson.get_absolute_url())
            for hit in hits
        ]

    # then
    assert total == lessons and len(texts) == min(lessons, 10)


# The index follows every write ------------------------------------------------------------------


def test_the_index_follows_saves_and_deletes():
    lesson = LessonFactory(title="Alpaca", body="초원")
    assert found("초원") == ["Alpaca"]

    lesson.title, lesson.body = "Vicuña", "사막의 바위"
    lesson.save()
    assert found("초원") == [] and found("alpaca") == []
    assert found("사막") == ["Vicuña"] and found("vicuña") == ["Vicuña"]

    lesson.delete()
    assert found("사막") == []
    if ON_SQLITE:
        assert sqlite_index_in_step()


def test_the_index_follows_bulk_writes_that_send_no_signal():
    # given lessons written with bulk_create and changed with update(), as scripts do
    course = CourseFactory()
    Lesson.objects.bulk_create(
        [
            Lesson(
                course=course, slug="a", title="Bulk one", search_text="라마들 풀밭", status=LIVE
            ),
            Lesson(course=course, slug="b", title="Bulk two", search_text="바위", status=LIVE),
        ]
    )
    assert found("마들") == ["Bulk one"]

    Lesson.objects.filter(slug="b").update(search_text="라마들의 바위")
    assert found("마들") == ["Bulk one", "Bulk two"]

    Lesson.objects.filter(slug="a").delete()
    assert found("마들") == ["Bulk two"]
    if ON_SQLITE:
        assert sqlite_index_in_step()


def test_the_index_follows_import_lessons(tmp_path):
    # given lessons exported to files, then edited and imported back
    lesson = LessonFactory(
        title="Llamas", body="풀을 먹는다.", course=CourseFactory(slug="camelids")
    )
    lessons_export(directory=tmp_path)
    path = next(tmp_path.glob("camelids/*.md"))
    path.write_text(path.read_text("utf-8").replace("풀을 먹는다.", "바위를 오른다."), "utf-8")

    call_command("import_lessons", str(tmp_path), verbosity=0)

    # then search sees the imported text, not the old one
    assert found("바위를") == ["Llamas"]
    assert found("풀을") == []
    lesson.refresh_from_db()
    assert "바위를 오른다." in lesson.search_text
    if ON_SQLITE:
        assert sqlite_index_in_step()


def test_import_into_an_empty_database_indexes_every_lesson(tmp_path):
    LessonFactory(title="One", body="첫째 라마", course=CourseFactory(slug="c1"))
    LessonFactory(title="Two", body="둘째 라마", course=CourseFactory(slug="c2"))
    lessons_export(directory=tmp_path)
    Lesson.objects.all().delete()

    report = lessons_import(directory=tmp_path)

    assert len(report.lessons) == 2
    assert sorted(found("라마")) == ["One", "Two"]


def test_admin_bulk_actions_change_who_finds_a_lesson_not_the_index(client, staff):
    # given a published lesson and a draft in the same course
    client.force_login(staff)
    live = LessonFactory(title="Live llama")
    draft = LessonFactory(title="Draft llama", status=Status.DRAFT, course=live.course)
    pages_before = sqlite_index_pages() if ON_SQLITE else None
    changelist = reverse("admin:stream_lessons_lesson_changelist")

    # when staff publish the draft and unpublish the live one with the admin's actions
    client.post(changelist, {"action": "publish_lessons", "_selected_action": [draft.pk]})
    client.post(changelist, {"action": "unpublish_lessons", "_selected_action": [live.pk]})

    # then visitors find the other lesson; the index was not written
    assert found("llama") == ["Draft llama"]
    if ON_SQLITE:
        assert sqlite_index_pages() == pages_before
        assert sqlite_index_in_step()

    # and unpublishing the course hides both
    courses_set_status(courses=type(live.course).objects.all(), status=Status.DRAFT)
    assert found("llama") == []


# SQLite: the index's triggers, and the fallback -------------------------------------------------


@pytest.mark.skipif(not ON_SQLITE, reason="the SQLite index")
def test_after_migrate_the_triggers_come_back_when_a_migration_rebuilt_the_table():
    # given the triggers lost (Django rebuilds a SQLite table to alter it) and a write then
    LessonFactory(title="Before", body="라마")
    with connection.cursor() as cursor:
        for name in ("ai", "ad", "au"):
            cursor.execute(f"DROP TRIGGER stream_lessons_search_{name}")
    Lesson.objects.bulk_create(
        [Lesson(course=CourseFactory(), slug="x", title="During", search_text="라마", status=LIVE)]
    )

    # when migrate's post_migrate runs
    search.search_index_after_migrate(None, using="default")

    # then the triggers are back and the index holds both lessons
    assert sorted(found("라마")) == ["Before", "During"]
    LessonFactory(title="After", body="라마")
    assert sorted(found("라마")) == ["After", "Before", "During"]
    assert sqlite_index_in_step()


def test_without_an_index_search_scans_and_a_system_check_says_so(monkeypatch):
    # given SQLite without FTS5's trigram tokenizer (or any database but PostgreSQL)
    monkeypatch.setattr(search, "sqlite_fts_available", lambda: False)
    monkeypatch.setattr(search, "PostgresSearch", search.BasicSearch)
    LessonFactory(title="Camelids", body="라마들은 초원에 산다.")
    LessonFactory(title="Llama", body="Other text.")

    # then the same queries find the same lessons, titles first
    assert search.search_backend().name == "basic"
    assert found("마들") == ["Camelids"]
    assert found("llama") == ["Llama"]
    assert found("camel") == ["Camelids"]

    # and the system check warns
    [warning] = check_search_index()
    assert warning.id == "stream_lessons.W006"
    assert "scans the text of every lesson" in warning.msg


def test_with_an_index_the_system_check_is_silent():
    assert check_search_index() == []


@pytest.mark.skipif(ON_SQLITE, reason="PostgreSQL's text-search configurations")
def test_on_postgresql_a_stemming_configuration_finds_other_forms_of_a_word(settings):
    # given lessons in a language searched with PostgreSQL's English configuration
    settings.STREAM = {
        **settings.STREAM,
        "SEARCH_POSTGRES_CONFIGS": {settings.LANGUAGE_CODE: "english"},
    }
    LessonFactory(title="Camelids", body="A llama runs fast.")

    # then another form of the word finds it, which a substring alone would not
    assert found("running") == ["Camelids"]
    assert found("llama running") == ["Camelids"]
    assert found("walking") == []


# Long words and big counts ----------------------------------------------------------------------


def test_any_part_of_a_long_word_is_found_and_a_long_term_too():
    # given a word of 150 characters (an index keeps long words in pieces)
    word = "".join(f"{n:03d}x" for n in range(38))[:150]
    LessonFactory(title="Long", body=f"Before {word} after.")

    # then any part of it is found, wherever it is in the word, even longer than a piece
    for start, length in ((0, 5), (70, 20), (120, 30), (100, 45), (50, 100)):
        assert found(word[start : start + length]) == ["Long"], (start, length)
    assert found(word[100:140] + "zz") == []


def test_the_count_stops_at_the_limit_and_no_page_beyond_it_is_offered(
    client, monkeypatch, settings
):
    # given more hits than the limit, two a page
    monkeypatch.setattr(search.LessonSearch, "count_limit", 3)
    settings.STREAM = {**settings.STREAM, "SEARCH_RESULTS_PER_PAGE": 2}
    for number in range(5):
        LessonFactory(title=f"Llama {number}", body="wool")

    results = search_lessons(query="wool", user=ANONYMOUS)
    with translation.override("en"):
        url = reverse("stream_lessons:search")
    last = client.get(url, {"q": "wool", "page": 2}).content.decode()
    with translation.override("ko"):
        korean = client.get(reverse("stream_lessons:search"), {"q": "wool"}).content.decode()

    # then the count says "more than" the limit, and the last page offered is the limit's
    assert results.count() == 3 and results.more
    assert "More than 3 lessons contain “wool”." in last
    assert "Page 2 of 2" in last and 'rel="next"' not in last
    assert "레슨이 3개가 넘어요." in korean


def test_the_language_switch_and_sign_in_come_back_to_the_same_search(client, settings):
    # given a search with two pages of results
    settings.STREAM = {**settings.STREAM, "SEARCH_RESULTS_PER_PAGE": 1}
    course = CourseFactory(status=Status.PUBLISHED)
    LessonFactory.create_batch(2, course=course, status=Status.PUBLISHED, body="Llama wool")
    url = reverse("stream_lessons:search")
    with translation.override("en"):
        if reverse("stream_lessons:search") == url:
            pytest.skip("this project has no language in its addresses")

    page = client.get(url, {"q": "llama wool", "page": "2"}).content.decode()

    # then the English link and the sign-in link keep the query and the page
    assert 'href="/en/search/?q=llama+wool&amp;page=2"' in page
    assert "next=%2Fsearch%2F%3Fq%3Dllama%2Bwool%26page%3D2" in page
    # and a query the page refuses is not carried along
    refused = client.get(url, {"q": "x" * 1000}).content.decode()
    assert 'href="/en/search/"' in refused
