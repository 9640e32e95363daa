from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Where progress shows on Stream's pages (see lessons.slots); a host can unregister any of them.
SLOTS = (
    ("page_head", "stream/progress/page_head.html"),
    ("site_nav", "stream/progress/site_nav.html"),
    ("lesson_status_bar", "stream/progress/status_bar.html"),
    ("lesson_progress", "stream/progress/lesson_progress.html"),
    ("catalogue_top", "stream/progress/continue_catalogue.html"),
    ("course_top", "stream/progress/continue_course.html"),
    ("course_card", "stream/progress/course_card.html"),
    ("lesson_list_item", "stream/progress/lesson_list_item.html"),
    ("page_scripts", "stream/progress/page_scripts.html"),
)


class ProgressConfig(AppConfig):
    name = "progress"
    label = "stream_progress"
    verbose_name = _("Stream progress")
    default_auto_field = "django.db.models.BigAutoField"
    # What lessons.site_urls mounts for this app.
    stream_urls = "progress.urls"
    stream_api_urls = "progress.api_urls"

    def ready(self):
        from django.core import checks

        from lessons.checks import lessons_installed_check
        from lessons.slots import slot_register

        from .checks import check_levels, check_sync_urls

        for slot, template_name in SLOTS:
            slot_register(slot, template_name)
        checks.register(check_sync_urls, checks.Tags.urls)
        checks.register(check_levels, checks.Tags.database)
        checks.register(lessons_installed_check(self.label))

        # A deleted award's Open Badge answers "revoked" from then on (progress.badges).
        from django.db.models.signals import post_delete

        from .models import AchievementAward
        from .services import badge_revoke_on_delete

        post_delete.connect(
            badge_revoke_on_delete,
            sender=AchievementAward,
            dispatch_uid="stream-progress-badge-revoked",
        )

        # Every shared page's status bar shows the levels and the active achievements' count.
        from lessons.versions import bump_on_save
        from lessons.viewer import viewer_part_register

        from .models import Achievement, AchievementTranslation, Level, LevelTranslation
        from .viewer import progress_rows, progress_viewer_part

        for model in (Level, LevelTranslation, Achievement, AchievementTranslation):
            bump_on_save(model)
        viewer_part_register("progress", progress_viewer_part, rows=progress_rows)
        # Whether a viewer met a lesson's prerequisites (lessons.requirements asks).
        from lessons.requirements import requirements_unmet_register

        from .selectors import lessons_locked_for, requirements_unmet_for

        requirements_unmet_register(requirements_unmet_for, locked=lessons_locked_for)

        from . import learner_data

        learner_data.register()

        from lessons.xapi import xapi_backfill_register

        from .xapi import progress_statements_past

        xapi_backfill_register("progress", progress_statements_past)
