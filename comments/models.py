"""Lesson comments, flags, reply subscriptions, notifications and problem reports.

A comment thread is a tree: every reply keeps its ``parent`` and the thread's top comment
(``root``; ``None`` on a top-level comment) and its ``depth``, so a page of threads is read in
two queries (the page of top-level comments, then every comment whose ``root`` is among them)
and built in Python. Nothing a learner does deletes a row: deleting marks the comment
``removed``, and a comment with replies cannot be deleted at all (``parent`` is protected).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lessons.markdown import render_comment_markdown
from lessons.models import Course, Lesson


class CommentStatus(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("comment status", "published")
    PENDING = "pending", pgettext_lazy("comment status", "awaiting moderation")
    HIDDEN = "hidden", pgettext_lazy("comment status", "hidden by staff")
    REMOVED = "removed", pgettext_lazy("comment status", "deleted by its author")


# Comments held back from learners: moderators see them in full on the lesson page.
HELD = (CommentStatus.HIDDEN, CommentStatus.PENDING)


class Comment(models.Model):
    # PROTECT: a lesson with comments is unpublished, not deleted, so no learner's words go
    # with it by accident (the admin lists what blocks the deletion).
    lesson = models.ForeignKey(
        Lesson, on_delete=models.PROTECT, related_name="stream_comments", verbose_name=_("lesson")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="stream_comments",
        verbose_name=_("author"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("reply to"),
    )
    root = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="thread_comments",
        verbose_name=_("thread"),
        help_text=_("The thread's top-level comment; empty on a top-level comment."),
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    body = models.TextField(_("comment text"), help_text=_("Markdown, as the learner wrote it."))
    body_html = models.TextField(_("rendered text"), editable=False, default="")
    # The language of the page it was written on (a lesson is one discussion in every language).
    language = models.CharField(
        _("language"),
        max_length=15,
        blank=True,
        editable=False,
        help_text=_("The language of the page it was written on; empty before it was kept."),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CommentStatus.choices,
        default=CommentStatus.PUBLISHED,
        db_index=True,
    )
    created_at = models.DateTimeField(_("posted"), auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True, editable=False)
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True, editable=False)
    # Moved on by every save, in the database (so two saves at once move it twice): a thread's
    # shared HTML is kept under its comments' revisions (``comments.threads``).
    revision = models.PositiveIntegerField(
        _("revision"),
        default=0,
        editable=False,
        help_text=_("How many times the comment was saved."),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            models.Index(fields=["lesson", "root", "created_at"], name="stream_comment_page"),
            models.Index(fields=["author", "lesson", "created_at"], name="stream_comment_author"),
            # A moderator's page view reads the lesson's newest held comments
            # (comments.viewer): only they are in this index, newest first, so the read
            # stops at the last one shown however many are held back.
            models.Index(
                fields=["lesson", "-created_at", "-id"],
                name="stream_comment_held",
                condition=models.Q(status__in=HELD),
            ),
        ]

    def __str__(self):
        text = " ".join(self.body.split())
        return text if len(text) <= 60 else f"{text[:59]}…"

    def save(self, *args, **kwargs):
        # Rendered once here, so that a page with a thousand comments never renders Markdown.
        self.body_html = render_comment_markdown(self.body)
        # A new row starts at 1; an existing one adds 1 in the UPDATE itself (after the save,
        # ``revision`` is that expression until the row is read again).
        adding = self.pk is None or kwargs.get("force_insert")
        self.revision = 1 if adding else F("revision") + 1
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "body_html", "revision"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The comment's permalink: redirects to the lesson page that shows it."""
        return reverse("stream_comments:permalink", kwargs={"pk": self.pk})

    @property
    def thread_id(self):
        return self.root_id or self.pk


class FlagReason(models.TextChoices):
    SPAM = "spam", _("spam")
    ABUSE = "abuse", _("rude or abusive")
    OFF_TOPIC = "off_topic", _("off topic")
    OTHER = "other", _("something else")


class CommentFlag(models.Model):
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="flags", verbose_name=_("comment")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stream_comment_flags",
        verbose_name=_("flagged by"),
    )
    reason = models.CharField(
        _("reason"), max_length=20, choices=FlagReason.choices, default=FlagReason.OTHER
    )
    created_at = models.DateTimeField(_("flagged"), auto_now_add=True)
    reviewed_at = models.DateTimeField(
        _("reviewed"),
        null=True,
        blank=True,
        help_text=_("Set when staff hide, unhide or approve the comment, or dismiss its flags."),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="stream_flag_once_per_user")
        ]

    def __str__(self):
        return f"{self.get_reason_display()} · {self.comment}"


class ReplySubscription(models.Model):
    """The 🔔 toggle of one learner on one lesson.

    A row with ``active=False`` records that the learner turned notifications off, so that
    posting another comment does not turn them on again.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stream_reply_subscriptions",
        verbose_name=_("learner"),
    )
    lesson = models.ForeignKey(
        Lesson,
        on_delete=models.CASCADE,
        related_name="stream_reply_subscriptions",
        verbose_name=_("lesson"),
    )
    active = models.BooleanField(_("on"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reply subscription")
        verbose_name_plural = _("reply subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="stream_subscription_unique")
        ]

    def __str__(self):
        return f"{self.user} · {self.lesson}"


class NotificationSettings(models.Model):
    """A learner's notification preferences, across lessons (created on first change)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stream_notification_settings",
        verbose_name=_("learner"),
    )
    email_replies = models.BooleanField(
        _("email me about replies"),
        help_text=_("In-app notifications stay on either way."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(self.user)


class NotificationKind(models.TextChoices):
    REPLY = "reply", _("reply")
    REPORT_RESOLVED = "report_resolved", _("report resolved")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stream_notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="+", verbose_name=_("lesson")
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("reply"),
    )
    report = models.ForeignKey(
        "ProblemReport",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("report"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Set when the reply email about it is sent (claimed just before): the key that keeps a
    # re-run of the background task from emailing anybody twice.
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "comment"],
                condition=Q(kind="reply"),
                name="stream_notification_once_per_reply",
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="stream_notification_unread")]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"


class ReportKind(models.TextChoices):
    BUG = "bug", _("Bug")
    CONTENT = "content", _("Content error")
    SUGGESTION = "suggestion", _("Suggestion")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("open")
    RESOLVED = "resolved", _("resolved")
    WONT_FIX = "wont_fix", _("won't fix")


class ProblemReport(models.Model):
    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="stream_reports", verbose_name=_("lesson")
    )
    lesson_revision = models.PositiveIntegerField(_("lesson revision"))
    lesson_updated_at = models.DateTimeField(_("lesson content updated"))
    # The text the reader reported on: the lesson's variant in this language, or its original
    # (revision and date above are that text's). Empty on reports from before variants.
    language = models.CharField(
        _("language of the text"),
        max_length=15,
        blank=True,
        help_text=_("The language of the lesson text reported on: a variant's, or the original's."),
    )
    section = models.CharField(
        _("section"), max_length=200, blank=True, help_text=_("The heading's anchor, if chosen.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    message = models.TextField(_("message"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stream_reports",
        verbose_name=_("reporter"),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    page_url = models.CharField(_("page address"), max_length=500, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ReportStatus.choices,
        default=ReportStatus.OPEN,
        db_index=True,
    )
    staff_note = models.TextField(_("staff note"), blank=True)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("problem report")
        verbose_name_plural = _("problem reports")
        indexes = [models.Index(fields=["lesson", "status"], name="stream_report_lesson_status")]

    def __str__(self):
        text = " ".join(self.message.split())
        return text if len(text) <= 60 else f"{text[:59]}…"

    def get_lesson_url(self):
        url = self.lesson.get_absolute_url()
        return f"{url}#{self.section}" if self.section else url


class CommentSettings(models.Model):
    """Comment posting opened or closed for one lesson or one whole course.

    A lesson's own row wins over its course's row; with neither, comments are open.
    """

    course = models.OneToOneField(
        Course,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="stream_comment_settings",
        verbose_name=_("course"),
    )
    lesson = models.OneToOneField(
        Lesson,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="stream_comment_settings",
        verbose_name=_("lesson"),
    )
    comments_open = models.BooleanField(
        _("comments open"),
        default=True,
        help_text=_("Closed: existing comments stay visible, nobody can post or reply."),
    )

    class Meta:
        verbose_name = _("comment settings")
        verbose_name_plural = _("comment settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(course__isnull=True, lesson__isnull=False)
                | Q(course__isnull=False, lesson__isnull=True),
                name="stream_comment_settings_one_target",
            )
        ]

    def __str__(self):
        return str(self.lesson or self.course)


class LessonReportSummary(Lesson):
    """Lessons as the report queue sees them: open-report counts per lesson, in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("open reports by lesson")
        verbose_name_plural = _("open reports by lesson")
