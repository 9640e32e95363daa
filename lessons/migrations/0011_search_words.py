"""Search finds lessons by their language variants too, and PostgreSQL searches a word index.

- SQLite: an FTS5 table of the variants' titles and texts (``stream_lessons_variant_search``)
  with the triggers that keep it in step, like the lessons' own.
- PostgreSQL: the word index (``lessons.search``, "The indexes"): a function that cuts a
  document into words, the table of words with its trigram index, the triggers that fill it, a
  GIN index of the words of lessons and of variants; the lessons' trigram index of migration
  0008, which it replaces, is dropped.

Each part is skipped on the databases it is not for.
"""

from django.db import migrations


def index_create(apps, schema_editor):
    from lessons.search import postgres_index_drop, postgres_words_create, sqlite_index_ensure

    sqlite_index_ensure(schema_editor.connection)
    postgres_words_create(schema_editor.connection)
    postgres_index_drop(schema_editor.connection)


def index_drop(apps, schema_editor):
    from lessons.search import postgres_index_create, postgres_words_drop, sqlite_index_drop

    sqlite_index_drop(schema_editor.connection, lessons=False)
    postgres_index_create(schema_editor.connection)
    postgres_words_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("stream_lessons", "0010_course_tag_translations")]

    operations = [migrations.RunPython(index_create, index_drop)]
