# Comments record the language of the page they were written on (issue 16, lesson variants).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('stream_comments', '0003_report_language'),
    ]

    operations = [
        migrations.AddField(
            model_name='comment',
            name='language',
            field=models.CharField(blank=True, editable=False, help_text='The language of the page it was written on; empty before it was kept.', max_length=15, verbose_name='language'),
        ),
    ]
