"""PostgreSQL: a GIN index of the words of lessons' and variants' titles (``lessons.search``,
"The indexes"), through which a page of hits with a term in a title is read without reading
every hit. Nothing happens on other databases."""

from django.db import migrations


def index_create(apps, schema_editor):
    from lessons.search import postgres_title_words_create

    postgres_title_words_create(schema_editor.connection)


def index_drop(apps, schema_editor):
    from lessons.search import postgres_title_words_drop

    postgres_title_words_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("stream_lessons", "0011_search_words")]

    operations = [migrations.RunPython(index_create, index_drop)]
