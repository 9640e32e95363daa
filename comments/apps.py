from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommentsConfig(AppConfig):
    name = "comments"
    label = "stream_comments"
    verbose_name = _("Stream comments")
    default_auto_field = "django.db.models.BigAutoField"
    # What lessons.site_urls mounts for this app.
    stream_urls = "comments.urls"
    stream_api_urls = "comments.api_urls"

    def ready(self):
        from django.core.checks import register

        from lessons.checks import check_messages, lessons_installed_check
        from lessons.slots import slot_register

        from . import checks  # noqa: F401 (registers the system checks)

        register(lessons_installed_check(self.label))
        register(check_messages)
        slot_register("page_head", "stream/comments/page_head.html")
        slot_register("site_nav", "stream/comments/site_nav.html")
        slot_register("lesson_report", "stream/comments/lesson_report.html")
        slot_register("lesson_comments", "stream/comments/lesson_comments.html")
        slot_register("page_scripts", "stream/comments/page_scripts.html")

        # A comment's lesson page shows it; course-wide settings change many pages.
        from lessons.caching import page_param_register
        from lessons.versions import bump_on_save
        from lessons.viewer import viewer_part_register

        from .models import Comment, CommentSettings
        from .selectors import comment_page_count
        from .viewer import comments_rows, comments_viewer_part

        bump_on_save(Comment, lesson_of=lambda comment: comment.lesson_id)
        bump_on_save(CommentSettings, lesson_of=lambda row: row.lesson_id)
        page_param_register("comments_page", pages=comment_page_count)
        viewer_part_register("comments", comments_viewer_part, rows=comments_rows)

        from . import learner_data

        learner_data.register()

        from lessons.xapi import xapi_backfill_register

        from .xapi import comment_statements_past

        xapi_backfill_register("comments", comment_statements_past)
