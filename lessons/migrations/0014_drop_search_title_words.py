"""PostgreSQL: drop the word index of titles that 0012 made. Search ranks every hit in the
query that counts them and reads a page's rows by id (``lessons.search.LessonSearch``), so
nothing reads the index any more, and each save of a lesson or variant no longer updates it.
Nothing happens on other databases."""

from django.db import migrations


def index_drop(apps, schema_editor):
    from lessons.search import postgres_title_words_drop

    postgres_title_words_drop(schema_editor.connection)


def index_create(apps, schema_editor):
    from lessons.search import postgres_title_words_create

    postgres_title_words_create(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("stream_lessons", "0013_search_word_pairs")]

    operations = [migrations.RunPython(index_drop, index_create)]
