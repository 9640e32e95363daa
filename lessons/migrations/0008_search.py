"""Search (``lessons.search``): each lesson's text without tags, and the index the database
searches it with: on PostgreSQL the ``pg_trgm`` extension and a trigram index, on SQLite an
FTS5 table with the trigram tokenizer and the triggers that keep it in step. Nothing else is
created elsewhere, and each part is skipped on the databases it is not for."""

from django.db import migrations, models

try:
    from django.contrib.postgres.operations import TrigramExtension
except ImportError:  # no PostgreSQL driver installed: this database is not PostgreSQL
    TrigramExtension = None


def fill_search_text(apps, schema_editor):
    from lessons.search import lesson_search_text

    lesson_model = apps.get_model("stream_lessons", "Lesson")
    rows = lesson_model.objects.using(schema_editor.connection.alias)
    for lesson in rows.only("pk", "body_html", "exercise_html").iterator():
        rows.filter(pk=lesson.pk).update(
            search_text=lesson_search_text(
                body_html=lesson.body_html, exercise_html=lesson.exercise_html
            )
        )


def index_create(apps, schema_editor):
    from lessons.search import postgres_index_create, sqlite_index_ensure

    sqlite_index_ensure(schema_editor.connection, variants=False)
    postgres_index_create(schema_editor.connection)


def index_drop(apps, schema_editor):
    from lessons.search import postgres_index_drop, sqlite_index_drop

    sqlite_index_drop(schema_editor.connection)
    postgres_index_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("stream_lessons", "0007_requirements")]

    operations = [
        migrations.AddField(
            model_name="lesson",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop, elidable=True),
        # CreateExtension does nothing on databases other than PostgreSQL.
        *([TrigramExtension()] if TrigramExtension is not None else []),
        migrations.RunPython(index_create, index_drop),
    ]
