# A problem report records the language of the lesson text reported on (issue 16, lesson variants).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stream_comments", "0002_notification_emailed_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="problemreport",
            name="language",
            field=models.CharField(
                blank=True,
                help_text="The language of the lesson text reported on: a variant's, or the original's.",
                max_length=15,
                verbose_name="language of the text",
            ),
        ),
    ]
