"""PostgreSQL: an index of the character pairs of the table of words (``lessons.search``, "The
indexes"), through which the words that contain a two-character term are found without
scanning the table. Nothing happens on other databases."""

from django.db import migrations


def index_create(apps, schema_editor):
    from lessons.search import postgres_pairs_create

    postgres_pairs_create(schema_editor.connection)


def index_drop(apps, schema_editor):
    from lessons.search import postgres_pairs_drop

    postgres_pairs_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("stream_lessons", "0012_search_title_words")]

    operations = [migrations.RunPython(index_create, index_drop)]
