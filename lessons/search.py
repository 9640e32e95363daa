"""Search over lessons: one selector, :func:`search_lessons`, over the index the database has.

What is searched is a lesson's title and its *text*: ``Lesson.search_text``, the rendered body
and exercise without their tags (:func:`text_from_html`, derived on save like ``body_html``).
The text rather than the Markdown source, so that link addresses, image paths, code-fence
markers and emphasis marks neither match nor show in a snippet: a learner finds what the page
shows, and the snippet reads like the page.

A query is split into terms at spaces; a lesson matches when it contains every term, as a
substring, in its title or text (case-insensitive): two Hangul syllables inside a word find
it, since Korean has no stemmer to cut words for us. Ranking: the more terms a title contains,
the higher (an English word in a title beats one in a body only), then the database's own
relevance, then catalogue order. Three implementations share that contract:

- **PostgreSQL**: full-text search (``SearchVector`` over title, weight A, and text, weight B,
  in the text-search configuration of the content's language, ``SEARCH_POSTGRES_CONFIGS``;
  ``SearchQuery``), so an English query stems (``running`` finds ``runs``); substring
  containment through ``ILIKE``, served by a ``pg_trgm`` trigram index. The rank is the
  title's alone (``SearchRank`` of its vector plus the trigram word similarity of the query to
  it, ``TrigramWordSimilarity``): cheap per hit, where ranking the text built every hit's
  vector at query time.
  ``SearchHeadline`` is not used: ``ts_headline`` drops anything shaped like a tag from the text
  and only marks whole words of its configuration, so it cannot mark a Korean substring.
- **SQLite**: an FTS5 table with the trigram tokenizer (``stream_lessons_search``, external
  content: it indexes the lesson table's ``title`` and ``search_text`` and stores no copy),
  ranked by ``bm25`` with titles weighted 10 to 1. Triggers on the lesson table keep it in step
  with every insert, update and delete, whoever writes (``save()``, ``update()``,
  ``bulk_create``, ``import_lessons``, raw SQL). Terms under three characters (a trigram
  index cannot look them up) match by ``LIKE`` on the lesson table.
- **Basic** (SQLite without FTS5's trigram tokenizer, or another database): ``icontains`` on
  title and text, ranked by title matches and catalogue order; system check
  ``stream_lessons.W006`` says so.

Snippets are cut here, in Python, from the text of the page's hits (:func:`snippet_html`): the
same on every database, and escaped piece by piece so that ``<mark>`` is the only markup.

Language variants of a lesson, when they come, are documents of their own: each variant's
title and text indexed with its language (its PostgreSQL configuration, its row in the FTS
table), and the selector answering one hit per lesson, the variant in the page's language
first. :func:`search_lessons` keeps its signature.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from functools import cache, reduce
from html.parser import HTMLParser
from operator import or_

from django.conf import settings
from django.db import connections, router
from django.db.models import (
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from .conf import lessons_settings
from .models import Lesson
from .selectors import lessons_visible
from .translations import related_translations_annotate, related_translations_attach

# --- The text a lesson is searched by --------------------------------------------------------

# Elements after which the page starts a new line: their text must not run into the next's.
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt"}
    | {"figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr"}
    | {"li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr"}
    | {"ul"}
)


_VOID_TAGS = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "source", "wbr"})


class _TextParser(HTMLParser):
    """Collects text, leaving out what is hidden from readers (``aria-hidden``: the headings'
    "#" anchors)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0  # depth inside an aria-hidden element

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag not in _VOID_TAGS and (self.hidden or ("aria-hidden", "true") in attrs):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if self.hidden and tag not in _VOID_TAGS:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def text_from_html(html: str) -> str:
    """What a reader sees of ``html`` (Stream's sanitised lesson HTML): its text, entities
    decoded, one line per block, spaces collapsed."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def lesson_search_text(*, body_html: str, exercise_html: str) -> str:
    """``Lesson.search_text``: the text of the body, then of the exercise."""
    return "\n".join(text for text in map(text_from_html, (body_html, exercise_html)) if text)


# --- Queries ---------------------------------------------------------------------------------


class SearchQueryError(ValueError):
    """A query that cannot be searched: ``code`` is ``"empty"`` or ``"too_long"``, ``message``
    says so to the person who typed it."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def search_query_terms(query: str) -> tuple[str, ...]:
    """The terms of ``query``: split at whitespace, without control or format characters
    (PostgreSQL refuses NUL), each once. Raises :class:`SearchQueryError` when nothing is left
    or the query is longer than ``STREAM["SEARCH_QUERY_MAX_LENGTH"]`` characters."""
    limit = lessons_settings.SEARCH_QUERY_MAX_LENGTH
    cleaned = "".join(
        " " if unicodedata.category(char).startswith("C") else char for char in query or ""
    )
    text = " ".join(cleaned.split())
    if not text:
        raise SearchQueryError("empty", str(_("Type a word or two to search for.")))
    if len(text) > limit:
        raise SearchQueryError(
            "too_long",
            str(
                _("That search is too long: at most %(limit)d characters, please.")
                % {"limit": limit}
            ),
        )
    return tuple({term.casefold(): term for term in text.split()}.values())


# --- Snippets --------------------------------------------------------------------------------


def _marked(text: str, pattern: re.Pattern) -> SafeString:
    """``text`` escaped, with every match of ``pattern`` in ``<mark>``."""
    pieces, start = [], 0
    for found in pattern.finditer(text):
        pieces += [escape(text[start : found.start()]), "<mark>", escape(found.group()), "</mark>"]
        start = found.end()
    pieces.append(escape(text[start:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece of text is escaped above)


def _pattern(terms) -> re.Pattern:
    longest_first = sorted(terms, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, longest_first)), re.IGNORECASE)


def title_html(title: str, terms) -> SafeString:
    """``title`` escaped, each term in ``<mark>``."""
    return _marked(title, _pattern(terms))


def snippet_html(text: str, terms, *, length: int | None = None) -> SafeString:
    """About ``length`` characters of ``text`` (``STREAM["SEARCH_SNIPPET_LENGTH"]``) around
    the first term found, cut at spaces, "…" where cut, escaped, each term in ``<mark>``. The
    start of the text when no term is in it (the title matched, or a stemmed word)."""
    length = length or lessons_settings.SEARCH_SNIPPET_LENGTH
    text = " ".join(text.split())
    pattern = _pattern(terms)
    found = pattern.search(text)
    start = 0 if found is None else max(0, found.start() - length // 3)
    end = min(len(text), start + length)
    start = max(0, min(start, end - length))
    if start > 0:
        space = text.find(" ", start, found.start() if found else end)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", found.end() if found and found.end() < end else start, end)
        end = space if space > start else end
    body = _marked(text[start:end], pattern)
    return mark_safe(("…" if start > 0 else "") + body + ("…" if end < len(text) else ""))  # noqa: S308


# --- The indexes -----------------------------------------------------------------------------

FTS_TABLE = "stream_lessons_search"


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def sqlite_fts_available() -> bool:
    """Whether this Python's SQLite has FTS5 with the trigram tokenizer (SQLite 3.34+)."""
    try:
        with sqlite3.connect(":memory:") as probe:
            probe.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='trigram')")
    except sqlite3.Error:
        return False
    return True


def _sqlite_index_statements(connection) -> list[tuple[str, str]]:
    """(name, SQL) of the FTS table and of the triggers that keep it in step. Only table names
    are formatted in."""
    fts = _quote(connection, FTS_TABLE)
    lessons = _quote(connection, Lesson._meta.db_table)
    insert = (
        f"INSERT INTO {fts}(rowid, title, search_text)"  # noqa: S608
        " VALUES (new.id, new.title, new.search_text);"
    )
    delete = (
        f"INSERT INTO {fts}({fts}, rowid, title, search_text)"  # noqa: S608
        " VALUES ('delete', old.id, old.title, old.search_text);"
    )
    return [
        (
            FTS_TABLE,
            f"CREATE VIRTUAL TABLE {fts} USING fts5(title, search_text,"
            f" content={lessons}, content_rowid='id', tokenize='trigram')",
        ),
        (
            f"{FTS_TABLE}_ai",
            f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON {lessons} BEGIN {insert} END",
        ),
        (
            f"{FTS_TABLE}_ad",
            f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON {lessons} BEGIN {delete} END",
        ),
        (
            f"{FTS_TABLE}_au",
            # Only when the text changed: publishing changes who may see, not the index.
            f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF title, search_text ON {lessons}"
            " WHEN old.title IS NOT new.title OR old.search_text IS NOT new.search_text"
            f" BEGIN {delete} {insert} END",
        ),
    ]


def sqlite_index_ensure(connection) -> bool:
    """Create what is missing of the SQLite index (the FTS table, its triggers) and, if anything
    was, fill it from the lesson table. Run by the migration that adds search and after every
    ``migrate`` (Django rebuilds a SQLite table to alter it, which drops its triggers). Answers
    whether the index is there; nothing happens on other databases or without FTS5."""
    if connection.vendor != "sqlite" or not sqlite_fts_available():
        return False
    statements = _sqlite_index_statements(connection)
    with connection.cursor() as cursor:
        names = [name for name, _sql in statements]
        marks = ", ".join(["%s"] * len(names))
        cursor.execute(f"SELECT name FROM sqlite_master WHERE name IN ({marks})", names)  # noqa: S608
        present = {row[0] for row in cursor.fetchall()}
        missing = [sql for name, sql in statements if name not in present]
        for sql in missing:
            cursor.execute(sql)
        if missing:
            fts = _quote(connection, FTS_TABLE)
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608
    return True


def search_index_after_migrate(sender, *, using, **kwargs) -> None:
    """``post_migrate``: put back the SQLite index's triggers if a migration rebuilt the lesson
    table (see :func:`sqlite_index_ensure`)."""
    connection = connections[using]
    table = Lesson._meta.db_table
    if connection.vendor != "sqlite" or table not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        columns = {
            column.name for column in connection.introspection.get_table_description(cursor, table)
        }
    if "search_text" in columns:  # migrated back before search: nothing to keep in step
        sqlite_index_ensure(connection)


def sqlite_index_drop(connection) -> None:
    """Drop the SQLite index (the migration's reverse)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name, _sql in reversed(_sqlite_index_statements(connection)):
            kind = "TABLE" if name == FTS_TABLE else "TRIGGER"
            cursor.execute(f"DROP {kind} IF EXISTS {_quote(connection, name)}")


POSTGRES_INDEX = "stream_lesson_search_trgm"


def search_document():
    """A lesson's title and text in one value (a term has no spaces, so it never spans the
    space between them): what PostgreSQL matches terms in, with one trigram index on it. Both
    columns are NOT NULL, so the SQL is plain concatenation, the same in the index."""
    return Func(
        F("title"),
        F("search_text"),
        template="(%(expressions)s)",
        arg_joiner=" || ' ' || ",
        output_field=TextField(),
    )


def postgres_index_create(connection) -> None:
    """The trigram index PostgreSQL's matching uses (``pg_trgm`` must exist): on the very
    expression ``icontains`` compares, UPPER(document) LIKE UPPER('%term%')."""
    if connection.vendor != "postgresql":
        return
    lessons = _quote(connection, Lesson._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {POSTGRES_INDEX} ON {lessons}"
            " USING gin ((UPPER(title || ' ' || search_text)) gin_trgm_ops)"
        )


def postgres_index_drop(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {POSTGRES_INDEX}")


# --- Backends --------------------------------------------------------------------------------


def _contains(term: str) -> Q:
    return Q(title__icontains=term) | Q(search_text__icontains=term)


class BasicSearch:
    """``icontains`` on title and text: any database, no index."""

    name = "basic"

    def matching(self, lessons, terms):
        """``lessons`` narrowed to those containing every term, with ``search_rank`` (higher is
        better) annotated."""
        for term in terms:
            lessons = lessons.filter(_contains(term))
        return lessons.annotate(search_rank=Value(0.0, output_field=FloatField()))


class SqliteSearch(BasicSearch):
    """FTS5 with the trigram tokenizer (see the module's docstring)."""

    name = "sqlite"

    def matching(self, lessons, terms):
        short = [term for term in terms if len(term) < 3]
        indexed = [term for term in terms if len(term) >= 3]
        lessons = super().matching(lessons, short)
        if not indexed:
            return lessons
        connection = connections[lessons.db]
        fts = _quote(connection, FTS_TABLE)
        table = _quote(connection, Lesson._meta.db_table)
        # Each term a phrase ("" escapes a quote inside one): never an FTS5 syntax error.
        match = " AND ".join('"' + term.replace('"', '""') + '"' for term in indexed)
        # Only table names are formatted in; the query is a parameter.
        ids = RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [match])  # noqa: S608, S611
        # Every hit's bm25 in one pass over the index: the scores are materialised once
        # (SQLite indexes them itself) and each hit looks its own up. Looked up with
        # "MATCH ... AND rowid = id", FTS5 read the term's whole list again for every hit
        # (4 s for a term in 3,200 lessons, against 10 ms).
        materialized = "MATERIALIZED " if sqlite3.sqlite_version_info >= (3, 35) else ""
        rank = RawSQL(  # noqa: S611
            f"WITH scores AS {materialized}(SELECT rowid AS id, -bm25({fts}, 10.0, 1.0)"  # noqa: S608
            f" AS score FROM {fts} WHERE {fts} MATCH %s)"
            f" SELECT score FROM scores WHERE scores.id = {table}.id",
            [match],
            output_field=FloatField(),
        )
        return lessons.filter(pk__in=ids).annotate(search_rank=rank)


class PostgresSearch(BasicSearch):
    """Full-text search with trigram matching (see the module's docstring)."""

    name = "postgresql"

    def matching(self, lessons, terms):
        from django.contrib.postgres.search import (
            SearchQuery,
            SearchRank,
            SearchVector,
            TrigramWordSimilarity,
        )

        config = postgres_config()
        lessons = lessons.alias(
            search_vector=SearchVector("title", weight="A", config=config)
            + SearchVector("search_text", weight="B", config=config),
            search_document=search_document(),
        )
        queries = [SearchQuery(term, config=config, search_type="plain") for term in terms]
        for term, query in zip(terms, queries, strict=True):
            # Without stemming ("simple") a full-text match is a substring match already, and
            # leaving it out lets the trigram index answer the ILIKEs alone.
            stemmed = Q(search_vector=query) if config != "simple" else Q()
            lessons = lessons.filter(stemmed | Q(search_document__icontains=term))
        # Relevance from the title alone: cheap whatever the number of hits. Ranking by the
        # text too built every hit's text vector at query time (seconds at 1,000s of hits).
        title_vector = SearchVector("title", weight="A", config=config)
        rank = SearchRank(title_vector, reduce(or_, queries)) + TrigramWordSimilarity(
            " ".join(terms), "title"
        )
        return lessons.annotate(search_rank=rank)


def postgres_config(language: str | None = None) -> str:
    """The text-search configuration for ``language`` (the lessons' language,
    ``LANGUAGE_CODE``, by default): ``SEARCH_POSTGRES_CONFIGS`` by code, then by its primary
    subtag (``en-us`` → ``en``), else ``simple`` (no stemming, as for Korean)."""
    language = (language or settings.LANGUAGE_CODE).lower()
    configs = lessons_settings.SEARCH_POSTGRES_CONFIGS
    return configs.get(language) or configs.get(language.split("-")[0]) or "simple"


def search_backend(using: str | None = None) -> BasicSearch:
    """The implementation for the database lessons are read from."""
    connection = connections[using or router.db_for_read(Lesson)]
    if connection.vendor == "postgresql":
        return PostgresSearch()
    if connection.vendor == "sqlite" and sqlite_fts_available():
        return SqliteSearch()
    return BasicSearch()


# --- The selector ----------------------------------------------------------------------------


@dataclass
class SearchHit:
    """One lesson found: the lesson (its ``course`` loaded), its title and a snippet of its text
    with the terms in ``<mark>`` (escaped HTML)."""

    lesson: Lesson
    title_html: SafeString
    snippet_html: SafeString

    @property
    def course(self):
        return self.lesson.course


class LessonSearch:
    """The lessons a search found, in rank order, for Django's ``Paginator`` and DRF's
    pagination: ``count()`` is 1 query, a slice is 1 query and gives :class:`SearchHit`\\ s."""

    def __init__(self, lessons, terms: tuple[str, ...]):
        self.lessons = lessons
        self.terms = terms

    def count(self) -> int:
        return self.lessons.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        # The course's title in the page's language comes in the same query.
        lessons = related_translations_annotate(self.lessons, "course")[index]
        return [
            SearchHit(
                lesson=lesson,
                title_html=title_html(lesson.title, self.terms),
                snippet_html=snippet_html(lesson.search_text, self.terms),
            )
            for lesson in lessons
            if related_translations_attach(lesson, "course")
        ]


_HIT_FIELDS = (
    "id",
    "uuid",
    "slug",
    "title",
    "status",
    "position",
    "search_text",
    "reading_minutes_estimate",
    "reading_minutes_override",
    "course__id",
    "course__slug",
    "course__title",
    "course__status",
    "course__position",
)


def search_lessons(*, query: str, user) -> LessonSearch:
    """The lessons ``user`` may open (``selectors.lessons_visible``: published lessons of
    published courses, the adapter's ``lessons_for_user``; staff find drafts too) whose title
    or text contains every term of ``query``, best first (see the module's docstring).

    Raises :class:`SearchQueryError` for an empty or too long query. Counting the hits is 1
    query and reading a page of them 1 more, whatever the number of lessons or terms.
    """
    terms = search_query_terms(query)
    lessons = lessons_visible(user=user)
    lessons = search_backend(lessons.db).matching(lessons, terms)
    in_title = sum(
        (Case(When(title__icontains=term, then=Value(1)), default=Value(0)) for term in terms),
        start=Value(0),
    )
    lessons = (
        lessons.annotate(search_in_title=ExpressionWrapper(in_title, output_field=IntegerField()))
        .only(*_HIT_FIELDS)
        .order_by(
            "-search_in_title", "-search_rank", "course__position", "course_id", "position", "id"
        )
    )
    return LessonSearch(lessons, terms)
