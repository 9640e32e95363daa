import secrets
import uuid

import django.db.models.deletion
from django.db import migrations, models

import progress.models


def badges_for_existing_awards(apps, schema_editor):
    """Each award already held gets its own badge id and salt (a field's default is computed
    once for every existing row)."""
    award_model = apps.get_model("stream_progress", "AchievementAward")
    awards = list(award_model.objects.only("pk"))
    for award in awards:
        award.badge_id = uuid.uuid4()
        award.badge_salt = secrets.token_hex(16)
    award_model.objects.bulk_update(awards, ["badge_id", "badge_salt"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("stream_progress", "0002_translations"),
    ]

    operations = [
        migrations.AddField(
            model_name="achievementaward",
            name="badge_id",
            field=models.UUIDField(editable=False, null=True, verbose_name="badge id"),
        ),
        migrations.AddField(
            model_name="achievementaward",
            name="badge_salt",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="badge salt"
            ),
        ),
        migrations.RunPython(badges_for_existing_awards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="achievementaward",
            name="badge_id",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                help_text=(
                    "The end of the award's Open Badges address: random, so nobody can guess "
                    "another learner's badge, and never changed."
                ),
                unique=True,
                verbose_name="badge id",
            ),
        ),
        migrations.AlterField(
            model_name="achievementaward",
            name="badge_salt",
            field=models.CharField(
                default=progress.models.badge_salt_new,
                editable=False,
                help_text=(
                    "Hashed with the learner's email in the badge, so the badge never shows it."
                ),
                max_length=64,
                verbose_name="badge salt",
            ),
        ),
        migrations.CreateModel(
            name="BadgeRevocation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "badge_id",
                    models.UUIDField(editable=False, unique=True, verbose_name="badge id"),
                ),
                ("reason", models.CharField(max_length=255, verbose_name="reason")),
                ("revoked_at", models.DateTimeField(auto_now_add=True, verbose_name="revoked")),
                (
                    "achievement",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="badge_revocations",
                        to="stream_progress.achievement",
                        verbose_name="achievement",
                    ),
                ),
            ],
            options={
                "verbose_name": "revoked badge",
                "verbose_name_plural": "revoked badges",
                "ordering": ["-revoked_at", "id"],
            },
        ),
    ]
