"""Re-render the stored HTML of lessons with a table, which now sits in a scrolling wrapper.

Only the markup around tables changes, not what a learner reads, so the revision (what
"posted on an earlier version" compares with) stays as it is.
"""

from django.db import migrations
from django.utils import timezone


def rerender_tables(apps, schema_editor):
    from lessons.markdown import render_lesson_markdown

    lesson_model = apps.get_model("stream_lessons", "Lesson")
    with_tables = lesson_model.objects.filter(body_html__contains="<table") | (
        lesson_model.objects.filter(exercise_html__contains="<table")
    )
    for lesson in with_tables.only("pk", "body", "exercise").iterator():
        lesson_model.objects.filter(pk=lesson.pk).update(
            body_html=render_lesson_markdown(lesson.body),
            exercise_html=(
                render_lesson_markdown(lesson.exercise) if lesson.exercise.strip() else ""
            ),
        )
    # update() sends no signal: bump the site's content version so no page kept before is
    # served again (lessons.versions).
    version = apps.get_model("stream_lessons", "ContentVersion")
    row, _ = version.objects.get_or_create(scope=0)
    version.objects.filter(scope=0).update(version=row.version + 1, changed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("stream_lessons", "0003_content_version")]

    operations = [migrations.RunPython(rerender_tables, migrations.RunPython.noop, elidable=True)]
