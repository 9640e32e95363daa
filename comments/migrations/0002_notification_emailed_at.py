from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stream_comments", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="emailed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="emailed"),
        ),
    ]
