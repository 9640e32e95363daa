"""Search over lessons: one selector, :func:`search_lessons`, over the index the database has.

What is searched is a lesson's title and its *text*: ``Lesson.search_text``, the rendered body
and exercise without their tags (:func:`text_from_html`, derived on save like ``body_html``).
The text rather than the Markdown source, so that link addresses, image paths, code-fence
markers and emphasis marks neither match nor show in a snippet: a learner finds what the page
shows, and the snippet reads like the page.

A query is split into terms at spaces; a document matches when it contains every term, as a
substring, in its title or text (case-insensitive): two Hangul syllables inside a word find
it, since Korean has no stemmer to cut words for us. A lesson's documents are its original and
each of its language variants (``LessonVariant``, whose ``search_text`` is derived the same
way); a lesson is found when one of them matches, once, and the hit shows the page's
language's text when that one has the terms, else the original's, else a variant's. Ranking:
the more terms a title contains (the original's, or any of its variants'), the higher, then
the database's own relevance, then catalogue order. The count stops at
``LessonSearch.count_limit``. With ``REQUIREMENTS_HIDE_LOCKED``, a lesson whose text is kept
from the viewer matches by its titles only and shows a note instead of a snippet. Three
implementations share that contract:

- **PostgreSQL**: an index of words (see "The indexes"): a term is looked up in the table of
  every word seen (trigram index; pairs of characters for a two-character term), then the
  documents with one of those words (GIN index of each table's words) — exact, so no hit's
  text is read again. Documents in a language whose configuration stems
  (``SEARCH_POSTGRES_CONFIGS``) also match by full text (``running`` finds ``runs``), through
  a partial index per configuration. The rank is the original's title's alone (``SearchRank``
  of its vector plus ``TrigramWordSimilarity``), for hits with a term in a title; text-only
  hits follow in catalogue order. ``SearchHeadline`` is not used: ``ts_headline`` drops anything
  shaped like a tag from the text and only marks whole words of its configuration, so it
  cannot mark a Korean substring.
- **SQLite**: FTS5 tables with the trigram tokenizer (``stream_lessons_search`` for lessons,
  ``stream_lessons_variant_search`` for variants; external content: they index the tables'
  ``title`` and ``search_text`` and store no copy), ranked by ``bm25`` with titles weighted 10
  to 1. Triggers on each table keep its index in step with every insert, update and delete,
  whoever writes (``save()``, ``update()``, ``bulk_create``, ``import_lessons``, raw SQL).
  Terms under three characters (a trigram index cannot look them up) match by ``LIKE``.
- **Basic** (SQLite without FTS5's trigram tokenizer, or another database): ``icontains`` on
  title and text, ranked by title matches and catalogue order; system check
  ``stream_lessons.W006`` says so.

On every database the hits are found and ranked once a page: one query reads the ids of the
first ``LessonSearch.count_limit`` + 1 hits, best first, which also counts them, and a second
reads the page's own rows by id (:class:`LessonSearch`).

Snippets are cut here, in Python, from the text of the page's hits (:func:`snippet_html`): the
same on every database, and escaped piece by piece so that ``<mark>`` is the only markup.
"""

from __future__ import annotations

import hashlib
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
    BooleanField,
    Case,
    ExpressionWrapper,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest, JSONObject, Lower, StrIndex
from django.db.models.lookups import GreaterThan
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from .conf import lessons_settings
from .models import Lesson
from .requirements import lessons_locked, requirement_facts
from .selectors import lessons_visible
from .translations import (
    active_language,
    content_languages,
    related_translations_annotate,
    related_translations_attach,
    translations_annotate,
)

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
VARIANT_FTS_TABLE = "stream_lessons_variant_search"


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def _searched_models():
    """The models whose rows are search documents, with their SQLite FTS table: lessons (their
    original text) and their language variants."""
    from .models import LessonVariant

    return ((Lesson, FTS_TABLE), (LessonVariant, VARIANT_FTS_TABLE))


@cache
def sqlite_fts_available() -> bool:
    """Whether this Python's SQLite has FTS5 with the trigram tokenizer (SQLite 3.34+)."""
    try:
        with sqlite3.connect(":memory:") as probe:
            probe.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='trigram')")
    except sqlite3.Error:
        return False
    return True


def _sqlite_index_statements(connection, model, fts_name: str) -> list[tuple[str, str]]:
    """(name, SQL) of ``model``'s FTS table and of the triggers that keep it in step. Only
    table names are formatted in."""
    fts = _quote(connection, fts_name)
    table = _quote(connection, model._meta.db_table)
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
            fts_name,
            f"CREATE VIRTUAL TABLE {fts} USING fts5(title, search_text,"
            f" content={table}, content_rowid='id', tokenize='trigram')",
        ),
        (
            f"{fts_name}_ai",
            f"CREATE TRIGGER {fts_name}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        ),
        (
            f"{fts_name}_ad",
            f"CREATE TRIGGER {fts_name}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        ),
        (
            f"{fts_name}_au",
            # Only when the text changed: publishing changes who may see, not the index.
            f"CREATE TRIGGER {fts_name}_au AFTER UPDATE OF title, search_text ON {table}"
            " WHEN old.title IS NOT new.title OR old.search_text IS NOT new.search_text"
            f" BEGIN {delete} {insert} END",
        ),
    ]


def sqlite_index_ensure(connection, *, variants: bool = True) -> bool:
    """Create what is missing of the SQLite index (the FTS tables of lessons and, with
    ``variants``, of their language variants, and their triggers) and fill each table that
    was. Run by the migrations that add search and variants' search, and after every
    ``migrate`` (Django rebuilds a SQLite table to alter it, which drops its triggers).
    Answers whether the index is there; nothing happens on other databases or without FTS5."""
    if connection.vendor != "sqlite" or not sqlite_fts_available():
        return False
    searched = _searched_models() if variants else _searched_models()[:1]
    with connection.cursor() as cursor:
        for model, fts_name in searched:
            statements = _sqlite_index_statements(connection, model, fts_name)
            names = [name for name, _sql in statements]
            marks = ", ".join(["%s"] * len(names))
            cursor.execute(f"SELECT name FROM sqlite_master WHERE name IN ({marks})", names)  # noqa: S608
            present = {row[0] for row in cursor.fetchall()}
            missing = [sql for name, sql in statements if name not in present]
            for sql in missing:
                cursor.execute(sql)
            if missing:
                fts = _quote(connection, fts_name)
                cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608
    return True


def search_index_after_migrate(sender, *, using, **kwargs) -> None:
    """``post_migrate``: put back the SQLite index's triggers if a migration rebuilt the lesson
    or variant table (see :func:`sqlite_index_ensure`); on PostgreSQL, make the full-text
    indexes the settings call for (:func:`postgres_stem_indexes_ensure`)."""
    connection = connections[using]
    if connection.vendor not in {"sqlite", "postgresql"}:
        return
    tables = connection.introspection.table_names()
    searched = []
    with connection.cursor() as cursor:
        for model, _fts in _searched_models():
            table = model._meta.db_table
            columns = (
                {c.name for c in connection.introspection.get_table_description(cursor, table)}
                if table in tables
                else set()
            )
            searched.append("search_text" in columns)
    if not searched[0]:  # migrated back before search: nothing to keep in step
        return
    if connection.vendor == "sqlite":
        sqlite_index_ensure(connection, variants=searched[1])
    elif all(searched):
        postgres_stem_indexes_ensure(connection)


def sqlite_index_drop(connection, *, lessons: bool = True) -> None:
    """Drop the SQLite index of variants and, with ``lessons``, of lessons (the migrations'
    reverses)."""
    if connection.vendor != "sqlite":
        return
    searched = _searched_models() if lessons else _searched_models()[1:]
    with connection.cursor() as cursor:
        for model, fts_name in searched:
            for name, _sql in reversed(_sqlite_index_statements(connection, model, fts_name)):
                kind = "TABLE" if name == fts_name else "TRIGGER"
                cursor.execute(f"DROP {kind} IF EXISTS {_quote(connection, name)}")


# PostgreSQL: an index of words. A document's words are its title and text lower-cased and
# split at spaces, each word once; a long word is kept as overlapping pieces of WORD_PIECE
# characters, every WORD_STEP, so that any part of it up to WORD_STEP + 1 characters is inside
# one piece (and index keys stay far below GIN's limit of a third of a page).
WORD_PIECE, WORD_STEP = 64, 32
WORDS_FUNCTION = "stream_search_words"
WORDS_TABLE = "stream_lessons_search_word"
WORDS_TRIGGER_FUNCTION = "stream_search_words_keep"


def _postgres_words_statements(connection) -> tuple[list[str], list[str]]:
    """(create, drop) SQL of the word index: the function that cuts a document into words, the
    table of every word seen (with a trigram index: the terms' parts are looked up there), the
    triggers that add a lesson's or variant's words to it on every insert and change of title
    or text, whoever writes, and a GIN index of each table's words. Only names are formatted."""
    words = _quote(connection, WORDS_TABLE)
    create = [
        f"CREATE OR REPLACE FUNCTION {WORDS_FUNCTION}(document text) RETURNS text[]"  # noqa: S608
        # COST: cutting a text is dear, so the planner reads the index rather than cut each row.
        " LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000 AS $$"
        f" SELECT coalesce(array_agg(DISTINCT substr(word, piece, {WORD_PIECE})), '{{}}')"
        " FROM regexp_split_to_table(lower(document), '\\s+') AS word,"
        f" generate_series(1, greatest(length(word) - {WORD_STEP}, 1), {WORD_STEP}) AS piece"
        " WHERE word <> '' $$",
        # to_tsvector with a cost that tells the planner to prefer its index (plpgsql: never
        # inlined, so the cost stays).
        f"CREATE OR REPLACE FUNCTION {STEMS_FUNCTION}(config regconfig, document text)"
        " RETURNS tsvector LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 10000 AS $$"
        " BEGIN RETURN to_tsvector(config, document); END $$",
        f"CREATE TABLE IF NOT EXISTS {words} (word text PRIMARY KEY)",
        # fastupdate off: GIN's list of pending entries, until a vacuum, is read on every search
        # and makes the planner shun the index; writes of lessons are rare.
        f"CREATE INDEX IF NOT EXISTS {WORDS_TABLE}_trgm ON {words}"
        " USING gin (word gin_trgm_ops) WITH (fastupdate = off)",
        # Sorted, so that two writers add shared words in the same order (no deadlock).
        f"CREATE OR REPLACE FUNCTION {WORDS_TRIGGER_FUNCTION}() RETURNS trigger"  # noqa: S608
        " LANGUAGE plpgsql AS $$ BEGIN"
        f" INSERT INTO {words} (word) SELECT word FROM"
        f" unnest({WORDS_FUNCTION}(NEW.title || ' ' || NEW.search_text)) AS word"
        " ORDER BY word ON CONFLICT DO NOTHING; RETURN NULL; END $$",
    ]
    drop = [
        f"DROP TABLE IF EXISTS {words}",
        f"DROP FUNCTION IF EXISTS {WORDS_TRIGGER_FUNCTION}() CASCADE",
    ]
    for model, _fts in _searched_models():
        table = _quote(connection, model._meta.db_table)
        name = f"{model._meta.db_table}_words"
        create += [
            f"CREATE OR REPLACE TRIGGER {name} AFTER INSERT OR UPDATE OF title, search_text"
            f" ON {table} FOR EACH ROW EXECUTE FUNCTION {WORDS_TRIGGER_FUNCTION}()",
            f"CREATE INDEX IF NOT EXISTS {name} ON {table}"
            f" USING gin ({WORDS_FUNCTION}(title || ' ' || search_text)) WITH (fastupdate = off)",
            f"INSERT INTO {words} (word) SELECT DISTINCT unnest("  # noqa: S608
            f"{WORDS_FUNCTION}(title || ' ' || search_text)) FROM {table} ON CONFLICT DO NOTHING",
        ]
        drop.insert(0, f"DROP INDEX IF EXISTS {name}")
    drop.append(f"DROP FUNCTION IF EXISTS {WORDS_FUNCTION}(text)")
    drop.append(f"DROP FUNCTION IF EXISTS {STEMS_FUNCTION}(regconfig, text) CASCADE")
    return create, drop


def _postgres_title_words_statements(connection) -> tuple[list[str], list[str]]:
    """(create, drop) SQL of the word index of titles, a GIN index of the words of each
    table's titles, through which a page of hits with a term in a title was read alone:
    migration 0012 made it, 0014 drops it, since the count query ranks every hit once."""
    create, drop = [], []
    for model, _fts in _searched_models():
        table = _quote(connection, model._meta.db_table)
        name = f"{model._meta.db_table}_title_words"
        create.append(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table}"
            f" USING gin ({WORDS_FUNCTION}(title)) WITH (fastupdate = off)"
        )
        drop.append(f"DROP INDEX IF EXISTS {name}")
    return create, drop


PAIRS_FUNCTION = "stream_search_pairs"


def _postgres_pairs_statements(connection) -> tuple[list[str], list[str]]:
    """(create, drop) SQL of the index of character pairs of the table of words: the function
    that lists a word's pairs of adjacent characters and a GIN index of them, through which
    the words that contain a two-character term (``모델``) are found without a scan of the
    table (``_words_containing``)."""
    words = _quote(connection, WORDS_TABLE)
    create = [
        f"CREATE OR REPLACE FUNCTION {PAIRS_FUNCTION}(word text) RETURNS text[]"  # noqa: S608
        # COST: as the word function's, so that the planner reads the index.
        " LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000 AS $$"
        " SELECT coalesce(array_agg(DISTINCT substr(word, i, 2)), '{}')"
        " FROM generate_series(1, length(word) - 1) AS i $$",
        f"CREATE INDEX IF NOT EXISTS {WORDS_TABLE}_pairs ON {words}"
        f" USING gin ({PAIRS_FUNCTION}(word)) WITH (fastupdate = off)",
    ]
    drop = [
        f"DROP INDEX IF EXISTS {WORDS_TABLE}_pairs",
        f"DROP FUNCTION IF EXISTS {PAIRS_FUNCTION}(text)",
    ]
    return create, drop


def _postgres_run(connection, statements, part: int) -> None:
    """Run ``statements(connection)[part]`` (0: create, 1: drop) on PostgreSQL; nothing happens
    on other databases. What the migrations of the indexes below call."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in statements(connection)[part]:
                cursor.execute(sql)


def postgres_pairs_create(connection) -> None:
    """Create the index of character pairs of the table of words; run by a migration."""
    _postgres_run(connection, _postgres_pairs_statements, 0)


def postgres_pairs_drop(connection) -> None:
    _postgres_run(connection, _postgres_pairs_statements, 1)


def postgres_title_words_create(connection) -> None:
    """Create the word index of titles; run by migration 0012 (and 0014's reverse)."""
    _postgres_run(connection, _postgres_title_words_statements, 0)


def postgres_title_words_drop(connection) -> None:
    _postgres_run(connection, _postgres_title_words_statements, 1)


def postgres_words_create(connection) -> None:
    """Create the word index (``pg_trgm`` must exist) and fill it; run by a migration."""
    _postgres_run(connection, _postgres_words_statements, 0)


def postgres_words_drop(connection) -> None:
    _postgres_run(connection, _postgres_words_statements, 1)


STEM_INDEX_PREFIX = "stream_search_stem_"
STEMS_FUNCTION = "stream_search_stems"


def _postgres_stem_indexes(connection) -> dict[str, str]:
    """Name → SQL of the full-text index of each searched table for each stemming
    configuration of the site's languages (partial: the rows in those languages). The name
    ends in a digest of the SQL, so an index whose settings changed is a new one."""
    wanted = {}
    for config, languages in _stemming_configs():
        for model, _fts in _searched_models():
            sql = (
                f" ON {_quote(connection, model._meta.db_table)} USING gin"
                f" ({STEMS_FUNCTION}({config}, title || ' ' || search_text))"
                f" WITH (fastupdate = off) WHERE language IN ({languages})"
            )
            digest = hashlib.sha256(sql.encode()).hexdigest()[:10]
            name = f"{STEM_INDEX_PREFIX}{model._meta.model_name}_{digest}"
            wanted[name] = f"CREATE INDEX IF NOT EXISTS {_quote(connection, name)}{sql}"
    return wanted


def postgres_stem_indexes_ensure(connection) -> None:
    """Create the full-text indexes that stemming searches (``SEARCH_POSTGRES_CONFIGS`` for the
    site's languages) and drop those of configurations no longer named: run after every
    ``migrate``, since the settings, not a migration, say which there are."""
    wanted = _postgres_stem_indexes(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure(%s)", [f"{STEMS_FUNCTION}(regconfig, text)"])
        if cursor.fetchone()[0] is None:  # migrated back before the word index
            return
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s",
            [connection.ops.prep_for_like_query(STEM_INDEX_PREFIX) + "%"],
        )
        present = {row[0] for row in cursor.fetchall()}
        for name in sorted(present - wanted.keys()):
            cursor.execute(f"DROP INDEX IF EXISTS {_quote(connection, name)}")
        for name, sql in wanted.items():
            if name not in present:
                cursor.execute(sql)


POSTGRES_INDEX = "stream_lesson_search_trgm"


def postgres_index_create(connection) -> None:
    """The trigram index on lessons' ``UPPER(title || ' ' || search_text)`` that search used
    before the word index (migration 0008 makes it, 0011 drops it)."""
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


def _words_containing(connection, part: str) -> tuple[str, list]:
    """SQL (and parameters) of the array of the words seen that contain ``part``, lower-cased:
    from the table of words, through its trigram index for a part of three characters or more,
    through its index of character pairs for two (a trigram index cannot look those up, and a
    scan of the table costs ~0.8 ms at 10,000 words, for each table searched), else a scan."""
    words = _quote(connection, WORDS_TABLE)
    sql = f"ARRAY(SELECT word FROM {words} WHERE word LIKE lower(%s)"  # noqa: S608
    values = [f"%{connection.ops.prep_for_like_query(part)}%"]
    if len(part) == 2:
        sql += f" AND {PAIRS_FUNCTION}(word) @> ARRAY[lower(%s)]"
        values.append(part)
    return sql + ")", values


# --- Backends --------------------------------------------------------------------------------


def _contains(term: str) -> Q:
    return Q(title__icontains=term) | Q(search_text__icontains=term)


def _variants():
    from .models import LessonVariant

    return LessonVariant.objects.all()


class BasicSearch:
    """``icontains`` on title and text: any database, no index."""

    name = "basic"

    def found(self, lessons, terms) -> Q:
        """Lessons with a document (their original text, or a language variant) whose title
        and text contain every term."""
        # One IN of both sets: SQLite reads each IN of an OR twice (an index, then a filter).
        lessons = self.documents(Lesson.objects.order_by(), terms).values("pk")
        variants = self.documents(_variants().order_by(), terms).values("lesson_id")
        return Q(pk__in=lessons.union(variants))

    @staticmethod
    def in_title(term: str) -> Q:
        """Whether ``term`` is in a lesson's title or in one of its variants', for the ranking:
        ``icontains``. The variants are one subquery, run once, not once a hit."""
        titled = _variants().filter(title__icontains=term).values("lesson_id")
        return Q(title__icontains=term) | Q(pk__in=titled)

    def documents(self, rows, terms):
        """``rows`` (lessons or variants) whose title and text contain every term."""
        for term in terms:
            rows = rows.filter(_contains(term))
        return rows

    def rank(self, lessons, terms):
        """``search_rank``: higher is better."""
        return Value(0.0, output_field=FloatField())


class SqliteSearch(BasicSearch):
    """FTS5 with the trigram tokenizer (see the module's docstring)."""

    name = "sqlite"

    @staticmethod
    def _match(terms) -> str:
        # Each term a phrase ("" escapes a quote inside one): never an FTS5 syntax error.
        return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)

    def documents(self, rows, terms):
        indexed = [term for term in terms if len(term) >= 3]
        # Terms under three characters: a trigram index cannot look them up.
        rows = super().documents(rows, [term for term in terms if len(term) < 3])
        if not indexed:
            return rows
        connection = connections[rows.db]
        fts = _quote(connection, dict(_searched_models())[rows.model])
        # Only table names are formatted in; the query is a parameter.
        ids = RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [self._match(indexed)])  # noqa: S608, S611
        return rows.filter(pk__in=ids)

    def rank(self, lessons, terms):
        """The better ``bm25`` of the lesson's original and of its variants (titles weighted 10
        to 1), 0 for a document found by short terms alone. Every hit's score comes from one
        pass over each index: the scores are materialised once (SQLite indexes them itself)
        and each hit looks its own up. Looked up with "MATCH ... AND rowid = id", FTS5 read the
        term's whole list again for every hit (4 s for a term in 3,200 lessons, against 10 ms).
        """
        indexed = [term for term in terms if len(term) >= 3]
        if not indexed:
            return super().rank(lessons, terms)
        connection = connections[lessons.db]
        table = _quote(connection, Lesson._meta.db_table)
        materialized = "MATERIALIZED " if sqlite3.sqlite_version_info >= (3, 35) else ""
        scores = []
        for model, fts_name in _searched_models():
            fts = _quote(connection, fts_name)
            scored = (
                f"SELECT rowid AS id, -bm25({fts}, 10.0, 1.0) AS score"  # noqa: S608
                f" FROM {fts} WHERE {fts} MATCH %s"
            )
            if model is not Lesson:  # a lesson's best variant
                variants = _quote(connection, model._meta.db_table)
                # LIMIT -1: SQLite must not flatten the subquery into the join, where bm25
                # cannot run.
                scored = (
                    f"SELECT v.lesson_id AS id, max(s.score) AS score FROM ({scored} LIMIT -1)"  # noqa: S608
                    f" AS s JOIN {variants} AS v ON v.id = s.id GROUP BY v.lesson_id"
                )
            score = RawSQL(  # noqa: S611
                f"WITH scores AS {materialized}({scored})"  # noqa: S608
                f" SELECT score FROM scores WHERE scores.id = {table}.id",
                [self._match(indexed)],
                output_field=FloatField(),
            )
            scores.append(Coalesce(score, 0.0))
        return Greatest(*scores)


class PostgresSearch(BasicSearch):
    """A word index, full-text search for stemming languages, and the title's relevance (see
    the module's docstring)."""

    name = "postgresql"

    def found(self, lessons, terms) -> Q:
        """Lessons with a document that has every term: their ids in one array, which the
        lesson table's primary key reads (a bitmap scan of the hits, no join per hit). A
        single term is tested on the lesson table itself, ORed with the ids its variants
        found: one bitmap scan of the hits, without collecting their ids first."""
        connection = connections[lessons.db]
        table = _quote(connection, Lesson._meta.db_table)
        variants, params = self._documents_sql(connection, _variants().model, terms)
        in_variants = f"{table}.id = ANY(ARRAY({variants}))"
        if len(terms) == 1 and len(terms[0]) <= WORD_STEP:
            arms = self._term_arms(connection, table, terms[0])
            sql = " OR ".join([*(f"({arm})" for arm, _values in arms), in_variants])
            params = [*(value for _arm, values in arms for value in values), *params]
        else:
            lessons_sql, lessons_params = self._documents_sql(connection, Lesson, terms)
            sql = f"{table}.id = ANY(ARRAY(({lessons_sql}) UNION ({variants})))"
            params = [*lessons_params, *params]
        return Q(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611

    @staticmethod
    def in_title(term: str) -> Q:
        """As :meth:`BasicSearch.in_title`, lower-cased rather than upper-cased: the comparison
        by which the word index finds a document, so that a title has a term when its words
        would. The two differ only for letters whose cases do not map back (Turkish ``ı``,
        Greek final ``ς``): a title "ΛΌΓΟΣ" does not have "λόγος" (whose words do not find it
        either)."""
        has_term = GreaterThan(StrIndex(Lower("title"), Lower(Value(term))), 0)
        titled = _variants().filter(has_term).values("lesson_id")
        return Q(has_term) | Q(pk__in=titled)

    @staticmethod
    def _term_arms(connection, alias: str, term: str) -> list[tuple[str, list]]:
        """Conditions (SQL, parameters) on the rows of ``alias`` (lessons or variants), one of
        which holds when a row's title or text contains ``term``: one of its words contains it
        (the word index; such words come from the table of words, through its trigram index),
        or the full-text search of its language finds it (its index,
        ``SEARCH_POSTGRES_CONFIGS``). Each has one indexed test."""
        document = f"{alias}.title || ' ' || {alias}.search_text"
        part = term[:WORD_STEP]
        words, values = _words_containing(connection, part)
        arm = f"{WORDS_FUNCTION}({document}) && {words}"
        if part != term:  # longer than a word piece is sure to hold: check the document
            arm += f" AND UPPER({document}) LIKE UPPER(%s)"
            values.append(f"%{connection.ops.prep_for_like_query(term)}%")
        arms = [(arm, values)]
        for config, languages in _stemming_configs():
            arms.append(
                (
                    f"{alias}.language IN ({languages}) AND {STEMS_FUNCTION}({config},"
                    f" {document}) @@ plainto_tsquery({config}, %s)",
                    [term],
                )
            )
        return arms

    @classmethod
    def _documents_sql(cls, connection, model, terms) -> tuple[str, list]:
        """SQL (and its parameters) of the lesson ids of ``model``'s rows (lessons or variants)
        whose title and text contain every term: per term, the rows each of its
        conditions finds (:meth:`_term_arms`); then the rows every term found. Each SELECT
        has one condition: ANDed on one row, the planner may test one on each row the other
        found, cutting every hit's text into words (seconds)."""
        table = _quote(connection, model._meta.db_table)
        key = "id" if model is Lesson else "lesson_id"
        per_term, params = [], []
        for term in terms:
            selects = []
            for arm, values in cls._term_arms(connection, table, term):
                selects.append(f"SELECT {key} FROM {table} WHERE {arm}")  # noqa: S608
                params += values
            per_term.append("(" + " UNION ".join(selects) + ")")
        return " INTERSECT ".join(per_term), params

    def rank(self, lessons, terms):
        """The title's relevance, for hits with a term in a title (``search_in_title``), which
        it orders; text-only hits follow in catalogue order. Ranking by the text too built
        every hit's text vector at query time (seconds at 1,000s of hits), and even the title's
        costs per hit."""
        from django.contrib.postgres.search import (
            SearchQuery,
            SearchRank,
            SearchVector,
            TrigramWordSimilarity,
        )

        config = postgres_config()
        queries = [SearchQuery(term, config=config, search_type="plain") for term in terms]
        title_vector = SearchVector("title", weight="A", config=config)
        rank = SearchRank(title_vector, reduce(or_, queries)) + TrigramWordSimilarity(
            " ".join(terms), "title"
        )
        return Case(When(search_in_title__gt=0, then=rank), default=0.0, output_field=FloatField())


def postgres_config(language: str | None = None) -> str:
    """The text-search configuration for ``language`` (``LANGUAGE_CODE`` by default):
    ``SEARCH_POSTGRES_CONFIGS`` by code, then by its primary subtag (``en-us`` → ``en``), else
    ``simple`` (no stemming, as for Korean)."""
    language = (language or settings.LANGUAGE_CODE).lower()
    configs = lessons_settings.SEARCH_POSTGRES_CONFIGS
    return configs.get(language) or configs.get(language.split("-")[0]) or "simple"


def _stemming_configs() -> list[tuple[str, str]]:
    """The configurations other than ``simple`` of the site's languages, each with the
    languages it is for, as SQL literals (``'english'::regconfig``, ``'en', 'en-gb'``): documents
    in those languages are also searched by full text. Written into the SQL of indexes and
    queries alike, so that the planner matches them; a name that is not a plain identifier, or
    a language code that is not letters, digits and dashes, is left out."""
    languages = {settings.LANGUAGE_CODE, *(code for code, _name in content_languages())}
    by_config: dict[str, list[str]] = {}
    for language in sorted(languages):
        config = postgres_config(language)
        plain = re.fullmatch(r"[A-Za-z_][\w.]*", config) and re.fullmatch(r"[\w-]+", language)
        if config != "simple" and plain:
            by_config.setdefault(config, []).append(language)
    return [
        (f"'{config}'::regconfig", ", ".join(f"'{code}'" for code in codes))
        for config, codes in sorted(by_config.items())
    ]


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
    """One lesson found: the lesson (its ``course`` loaded; its ``title`` the one shown), its
    title and a snippet of its text with the terms in ``<mark>`` (escaped HTML), ``language``:
    the language of that title and text when it is not the page's (else ``""``), and
    ``locked``: its text is kept from this viewer (``REQUIREMENTS_HIDE_LOCKED``), so the
    snippet is a note saying so."""

    lesson: Lesson
    title_html: SafeString
    snippet_html: SafeString
    language: str = ""
    locked: bool = False

    @property
    def course(self):
        return self.lesson.course


def _contains_every(text: str, terms) -> bool:
    folded = text.casefold()
    return all(term.casefold() in folded for term in terms)


def _shown_text(lesson, terms) -> tuple[str, str, str]:
    """(language, title, text) of the document a hit shows: the page's language's (its variant,
    or the original) when it contains every term, else the original when it does, else a
    variant that does (the page query reads one), else the page's language's (found by a
    stemmed word)."""
    page = (lesson.language, lesson.title, lesson.search_text)
    original = page
    if lesson.__dict__.get("translated_title") is not None:
        page = (lesson.translation_language, lesson.translated_title, lesson.translated_search_text)
    for language, title, text in (page, original):
        if _contains_every(f"{title} {text}", terms):
            return language, title, text
    if (found := lesson.found_variant) is not None:
        return found["language"], found["title"], found["text"]
    return page


LOCKED_NOTE = _("This lesson opens once you have completed what it builds on.")


class LessonSearch:
    """The lessons a search found, in rank order, for Django's ``Paginator`` and DRF's
    pagination: ``count()`` is 1 query, the ids of the hits in rank order (up to
    ``count_limit`` and one more), and a slice is 1 query more, for its own rows only, and gives
    :class:`SearchHit`\\ s. So the hits are found and ranked once a page, not once to count
    them and again to sort them."""

    def __init__(self, lessons, terms: tuple[str, ...], *, rows, variants, locked=frozenset()):
        self.lessons = lessons  # the hits, ranked
        self.terms = terms
        self.rows = rows  # what a page reads of its hits
        self.variants = variants  # variants that contain every term (icontains)
        self.locked = locked
        self.ranked: list[int] | None = None

    # Hits counted at most: beyond, the page says "more than 1,000" and offers no more pages.
    count_limit = 1000

    def ids(self) -> list[int]:
        """The ids of the first ``count_limit`` + 1 hits, best first: the count stops there, so
        a term in most lessons costs no more than a thousand hits, and pages beyond are not
        offered."""
        if self.ranked is None:
            self.ranked = list(self.lessons.values_list("pk", flat=True)[: self.count_limit + 1])
        return self.ranked

    def count(self) -> int:
        """How many lessons were found, up to ``count_limit`` (``more`` says whether there were
        more)."""
        return min(len(self.ids()), self.count_limit)

    @property
    def more(self) -> bool:
        """Whether more than ``count_limit`` lessons were found."""
        return len(self.ids()) > self.count_limit

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        ids = self.ids()[: self.count_limit][index]
        if not ids:
            return []
        # The course's title in the page's language comes in the same query, and a variant
        # that has every term, for a lesson found through it alone (e.g. in English, on the
        # Korean page): its three fields in one subquery (one to compile and run, not three).
        found = self.variants.filter(lesson=OuterRef("pk")).order_by("language")
        found = found.values(
            found=JSONObject(language="language", title="title", text="search_text")
        )
        rows = related_translations_annotate(self.rows.filter(pk__in=ids), "course").annotate(
            found_variant=Subquery(found[:1])
        )
        by_id = {row.pk: row for row in rows if related_translations_attach(row, "course")}
        return [self._hit(by_id[pk]) for pk in ids if pk in by_id]

    def _hit(self, lesson) -> SearchHit:
        language, title, text = _shown_text(lesson, self.terms)
        lesson.title = title
        lesson.shown_language = language  # a lesson showing a variant refuses to be saved
        locked = lesson.pk in self.locked
        return SearchHit(
            lesson=lesson,
            title_html=title_html(title, self.terms),
            snippet_html=escape(LOCKED_NOTE) if locked else snippet_html(text, self.terms),
            language="" if language == active_language() else language,
            locked=locked,
        )


_HIT_FIELDS = (
    "id",
    "uuid",
    "slug",
    "title",
    "language",
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


def _in_a_title(terms) -> Q:
    """Lessons with every term in one of their titles (the original's or a variant's)."""
    variants = _variants()
    in_title = Q()
    for term in terms:
        in_title &= Q(title__icontains=term)
        variants = variants.filter(title__icontains=term)
    return in_title | Q(pk__in=variants.values("lesson_id"))


def _locked_for(user) -> frozenset[int]:
    """The lessons whose text is kept from ``user`` (``REQUIREMENTS_HIDE_LOCKED``; none when
    it is off)."""
    if not lessons_settings.REQUIREMENTS_HIDE_LOCKED:
        return frozenset()
    return frozenset(lessons_locked(user=user, facts=requirement_facts()))


def search_lessons(*, query: str, user) -> LessonSearch:
    """The lessons ``user`` may open (``selectors.lessons_visible``: published lessons of
    published courses, the adapter's ``lessons_for_user``; staff find drafts too) with a
    document, their original text or a language variant, whose title or text contains every
    term of ``query``; best first (see the module's docstring). A lesson whose text is kept from
    ``user`` (``REQUIREMENTS_HIDE_LOCKED``) is found by its titles alone.

    Raises :class:`SearchQueryError` for an empty or too long query. Counting and ranking the
    hits is 1 query and reading a page of them 1 more, whatever the number of lessons or
    terms (with
    ``REQUIREMENTS_HIDE_LOCKED``, reading who is locked out adds the site version and a
    learner's completions).
    """
    terms = search_query_terms(query)
    visible = lessons_visible(user=user)
    backend = search_backend(visible.db)
    found = backend.found(visible, terms)
    locked = _locked_for(user)
    if locked:
        found = (found & ~Q(pk__in=locked)) | (Q(pk__in=locked) & _in_a_title(terms))
    in_title = sum(
        (Case(When(backend.in_title(term), then=1), default=0) for term in terms),
        start=Value(0),
    )
    ranked = (
        visible.annotate(search_in_title=ExpressionWrapper(in_title, output_field=IntegerField()))
        .annotate(search_rank=backend.rank(visible, terms))
        .order_by(
            "-search_in_title", "-search_rank", "course__position", "course_id", "position", "id"
        )
    )
    lessons = ranked.filter(found)
    # A page's hits show the variant in the page's language when it has the terms.
    rows = translations_annotate(visible, fields=("title", "search_text"))
    rows = rows.only(*_HIT_FIELDS).order_by()
    # For the page's rows only, and by plain containment: cheaper than an index's every hit.
    variants = BasicSearch().documents(_variants(), terms)
    if locked:
        variants = variants.exclude(lesson__in=locked)
    return LessonSearch(lessons, terms, rows=rows, variants=variants, locked=locked)
