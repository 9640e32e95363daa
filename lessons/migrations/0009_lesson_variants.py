# Lesson variants (issue 16): a lesson's original language, its text in other languages, link labels.

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import lessons.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stream_lessons", "0008_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="lesson",
            name="language",
            field=models.CharField(
                default=lessons.models.default_lesson_language,
                help_text="The language the text below is written in; variants add others.",
                max_length=15,
                verbose_name="original language",
            ),
        ),
        migrations.CreateModel(
            name="LessonLinkTranslation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        help_text="A language code from the site's LANGUAGES, e.g. ko or en.",
                        max_length=15,
                        verbose_name="language",
                    ),
                ),
                (
                    "title",
                    models.CharField(
                        max_length=200,
                        validators=[django.core.validators.ProhibitNullCharactersValidator()],
                        verbose_name="title",
                    ),
                ),
                (
                    "link",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="translations",
                        to="stream_lessons.lessonlink",
                        verbose_name="external link",
                    ),
                ),
            ],
            options={
                "verbose_name": "link label in a language",
                "verbose_name_plural": "link labels per language",
                "ordering": ["link_id", "language"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("link", "language"), name="stream_lesson_link_translation_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="LessonVariant",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        help_text="A language code from the site's LANGUAGES, e.g. ko or en.",
                        max_length=15,
                        verbose_name="language",
                    ),
                ),
                (
                    "title",
                    models.CharField(
                        max_length=200,
                        validators=[django.core.validators.ProhibitNullCharactersValidator()],
                        verbose_name="title",
                    ),
                ),
                (
                    "body",
                    models.TextField(
                        help_text="Markdown.",
                        validators=[django.core.validators.ProhibitNullCharactersValidator()],
                        verbose_name="body",
                    ),
                ),
                (
                    "exercise",
                    models.TextField(
                        blank=True,
                        help_text="Markdown. Shown under “Exercise”; optional.",
                        validators=[django.core.validators.ProhibitNullCharactersValidator()],
                        verbose_name="exercise",
                    ),
                ),
                ("body_html", models.TextField(default="", editable=False)),
                ("exercise_html", models.TextField(default="", editable=False)),
                ("search_text", models.TextField(default="", editable=False)),
                (
                    "reading_minutes_estimate",
                    models.PositiveSmallIntegerField(default=1, editable=False),
                ),
                (
                    "revision",
                    models.PositiveIntegerField(
                        default=1,
                        editable=False,
                        help_text="Goes up by one on every content change.",
                        verbose_name="revision",
                    ),
                ),
                (
                    "content_updated_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now,
                        editable=False,
                        verbose_name="content updated",
                    ),
                ),
                (
                    "lesson",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="translations",
                        to="stream_lessons.lesson",
                        verbose_name="lesson",
                    ),
                ),
            ],
            options={
                "verbose_name": "language variant",
                "verbose_name_plural": "language variants",
                "ordering": ["lesson_id", "language"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("lesson", "language"), name="stream_lesson_variant_once"
                    )
                ],
            },
        ),
    ]
