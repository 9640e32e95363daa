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

        # A comment's lesson page changes with it; course-wide settings change many pages.
        from lessons.page_cache import invalidate_on_save, invalidate_user_on_save

        from .models import Comment, CommentFlag, CommentSettings, Notification, ReplySubscription
        from .thread_cache import flag_lesson_id

        invalidate_on_save(Comment, lesson_of=lambda comment: comment.lesson_id)
        invalidate_on_save(CommentSettings, lesson_of=lambda row: row.lesson_id)
        # A flag changes its author's view of the threads ("Flagged for moderation").
        invalidate_on_save(CommentFlag, lesson_of=flag_lesson_id)
        # The 🔔 state is cached with the lesson's comment figures.
        invalidate_on_save(ReplySubscription, lesson_of=lambda row: row.lesson_id)
        # A learner's own cached pages show their unread count.
        invalidate_user_on_save(Notification, user_of=lambda row: row.recipient_id)
