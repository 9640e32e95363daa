"""Completions, the XP ledger, levels, achievements and awards.

The learner's numbers are derived, never sent by a browser: a :class:`LessonCompletion` per
lesson (its earliest time), one :class:`XPEntry` per thing that earned XP (unique key, so XP is
never counted twice), and one :class:`AchievementAward` per achievement. Every ``get_or_create``
in the services has a unique constraint behind it. Lessons and achievements that learners hold
are protected from deletion: unpublish a lesson or deactivate an achievement instead, and the
learner keeps what they earned.
"""

import functools
import secrets
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from lessons.models import Course, Lesson
from lessons.translations import Translatable, Translation


class RuleKind(models.TextChoices):
    LESSONS_COMPLETED = "lessons_completed", _("Lessons completed (at least N)")
    COURSE_COMPLETED = "course_completed", _("Course completed")
    TAG_COMPLETED = "tag_completed", _("Every lesson with a tag completed")
    LESSONS_IN_ONE_DAY = "lessons_in_one_day", _("N lessons completed in one day")
    STREAK_DAYS = "streak_days", _("Streak of N days")
    XP_AT_LEAST = "xp_at_least", _("XP reached (at least N)")
    FIRST_COMMENT = "first_comment", _("First comment posted")


@functools.cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value):
    if value and value not in time_zone_names():
        raise ValidationError(
            _("“%(value)s” is not a time zone name such as Asia/Seoul."), params={"value": value}
        )


class LearnerProfile(models.Model):
    """One row per learner: the cached XP total, the time zone days are counted in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stream_progress_profile",
        verbose_name=_("learner"),
    )
    xp = models.PositiveIntegerField(
        _("XP"),
        default=0,
        help_text=_("The sum of the learner's XP ledger, kept up to date by every award."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_(
            "Days for “in one day” and streak achievements are counted in this zone (e.g. "
            "Asia/Seoul). Empty: the site's time zone. Set from the browser on the first sync."
        ),
    )
    first_comment_at = models.DateTimeField(
        _("first comment"),
        null=True,
        blank=True,
        help_text=_("When the learner first posted a comment (reported by the comments app)."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("learner profile")
        verbose_name_plural = _("learner profiles")

    def __str__(self):
        return str(self.user)


class LessonCompletion(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stream_completions",
        verbose_name=_("learner"),
    )
    lesson = models.ForeignKey(
        Lesson, on_delete=models.PROTECT, related_name="completions", verbose_name=_("lesson")
    )
    completed_at = models.DateTimeField(
        _("completed"),
        help_text=_("The earliest time the learner completed the lesson, on any device."),
    )
    xp = models.PositiveIntegerField(_("XP earned"), default=0)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["completed_at", "id"]
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "lesson"], name="stream_completion_once_per_lesson"
            )
        ]

    def __str__(self):
        return f"{self.learner} · {self.lesson}"


class XPEntry(models.Model):
    """The XP ledger: one row per award, keyed ``lesson:<id>`` or ``achievement:<slug>``."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stream_xp_entries",
        verbose_name=_("learner"),
    )
    key = models.CharField(_("key"), max_length=120)
    amount = models.PositiveIntegerField(_("XP"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("XP ledger entry")
        verbose_name_plural = _("XP ledger")
        constraints = [
            models.UniqueConstraint(fields=["learner", "key"], name="stream_xp_once_per_key")
        ]

    def __str__(self):
        return f"{self.learner} · {self.key} · {self.amount}"


class Level(Translatable, models.Model):
    number = models.PositiveSmallIntegerField(
        _("number"), unique=True, help_text=_("Shown as “Level N”. Start at 0.")
    )
    name = models.CharField(
        _("name"),
        max_length=60,
        help_text=_(
            "Shown beside the number, in every language that has no name of its own below."
        ),
    )
    min_xp = models.PositiveIntegerField(
        _("minimum XP"),
        unique=True,
        help_text=_(
            "A learner reaches this level at this much XP. The lowest level should start at 0; "
            "higher numbers need more XP."
        ),
    )

    translated_fields = ("name",)

    class Meta:
        ordering = ["min_xp"]
        verbose_name = _("level")
        verbose_name_plural = _("levels")

    def __str__(self):
        return f"{self.number} · {self.name}"

    def name_in(self, language: str | None = None) -> str:
        """The name in ``language`` (the active one by default), else :attr:`name`."""
        return self.translated("name", language)

    def clean(self):
        others = Level.objects.exclude(pk=self.pk)
        if self.number is None or self.min_xp is None:
            return
        out_of_order = others.filter(
            models.Q(number__lt=self.number, min_xp__gte=self.min_xp)
            | models.Q(number__gt=self.number, min_xp__lte=self.min_xp)
        ).first()
        if out_of_order is not None:
            raise ValidationError(
                {
                    "min_xp": _(
                        "Level %(number)s starts at %(min_xp)s XP: a higher level needs more XP "
                        "than a lower one."
                    )
                    % {"number": out_of_order.number, "min_xp": out_of_order.min_xp}
                }
            )


class Achievement(Translatable, models.Model):
    slug = models.SlugField(
        _("slug"),
        max_length=60,
        unique=True,
        help_text=_("Its permanent name in the XP ledger; do not reuse one for another idea."),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("Shown in every language that has no name of its own below."),
    )
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Optional. Learners see it with the rule's own “how to earn it” line."),
    )
    icon = models.CharField(
        _("icon"), max_length=16, blank=True, help_text=_("An emoji or a short symbol; optional.")
    )
    rule_kind = models.CharField(_("rule"), max_length=32, choices=RuleKind.choices)
    rule_params = models.JSONField(
        _("rule parameters"),
        default=dict,
        blank=True,
        help_text=_(
            'Depends on the rule: {"count": N} for lessons completed and lessons in one day, '
            '{"course": "<slug or uuid>"}, {"tag": "<slug>"}, {"days": N} for a '
            'streak, {"xp": N} for XP reached, nothing for the first comment.'
        ),
    )
    xp = models.PositiveIntegerField(
        _("XP reward"), default=0, help_text=_("XP the learner gets when it is awarded.")
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "Only active achievements are awarded and counted. Deactivating one keeps the "
            "awards (and their XP) learners already have."
        ),
    )
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Achievements are listed by this number.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    translated_fields = ("name", "description")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("achievement")
        verbose_name_plural = _("achievements")

    def __str__(self):
        return self.name

    def name_in(self, language: str | None = None) -> str:
        """The name in ``language`` (the active one by default), else :attr:`name`. What
        learners and anything written for them (notices, badges) should show."""
        return self.translated("name", language)

    def description_in(self, language: str | None = None) -> str:
        """The description in ``language``, else :attr:`description`."""
        return self.translated("description", language)

    def clean(self):
        from .rules import rule_params_clean

        if self.rule_kind:
            self.rule_params = rule_params_clean(kind=self.rule_kind, params=self.rule_params)


class LevelTranslation(Translation):
    """A level's name in one language (see ``lessons.translations``)."""

    level = models.ForeignKey(
        Level, on_delete=models.CASCADE, related_name="translations", verbose_name=_("level")
    )
    name = models.CharField(
        _("name"), max_length=60, help_text=_("The level's name on pages in this language.")
    )

    class Meta:
        ordering = ["level_id", "language"]
        verbose_name = _("level name in a language")
        verbose_name_plural = _("level names per language")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "language"], name="stream_level_translation_once"
            )
        ]


class AchievementTranslation(Translation):
    """An achievement's name and description in one language (see ``lessons.translations``)."""

    achievement = models.ForeignKey(
        Achievement,
        on_delete=models.CASCADE,
        related_name="translations",
        verbose_name=_("achievement"),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("The achievement's name on pages in this language."),
    )
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Optional. Empty: the description above, as for a language without a row."),
    )

    class Meta:
        ordering = ["achievement_id", "language"]
        verbose_name = _("achievement text in a language")
        verbose_name_plural = _("achievement texts per language")
        constraints = [
            models.UniqueConstraint(
                fields=["achievement", "language"], name="stream_achievement_translation_once"
            )
        ]


def badge_salt_new() -> str:
    """A fresh salt for one award's hashed recipient (Open Badges' ``recipient.salt``)."""
    return secrets.token_hex(16)


class AchievementAward(models.Model):
    """A learner's achievement, and its Open Badges assertion (see ``progress.badges``): the
    assertion's address ends with ``badge_id``, and its recipient is the learner's email hashed
    with ``badge_salt``."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stream_awards",
        verbose_name=_("learner"),
    )
    achievement = models.ForeignKey(
        Achievement,
        on_delete=models.PROTECT,
        related_name="awards",
        verbose_name=_("achievement"),
    )
    awarded_at = models.DateTimeField(
        _("awarded"), help_text=_("When the learner first met the rule.")
    )
    xp = models.PositiveIntegerField(_("XP earned"), default=0)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    badge_id = models.UUIDField(
        _("badge id"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_(
            "The end of the award's Open Badges address: random, so nobody can guess another "
            "learner's badge, and never changed."
        ),
    )
    badge_salt = models.CharField(
        _("badge salt"),
        max_length=64,
        default=badge_salt_new,
        editable=False,
        help_text=_("Hashed with the learner's email in the badge, so the badge never shows it."),
    )

    class Meta:
        ordering = ["awarded_at", "id"]
        verbose_name = _("achievement award")
        verbose_name_plural = _("achievement awards")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "achievement"], name="stream_award_once_per_achievement"
            )
        ]

    def __str__(self):
        return f"{self.learner} · {self.achievement}"


class BadgeRevocation(models.Model):
    """An award's Open Badges assertion that was withdrawn: its address answers "revoked" for
    good, as the specification asks, instead of not found.

    Written when an award row is deleted (``progress.services.badge_revocations_record``): the
    learner's account was deleted or their learning data erased. It holds nothing about the
    learner, only the badge's random id.
    """

    badge_id = models.UUIDField(_("badge id"), unique=True, editable=False)
    achievement = models.ForeignKey(
        Achievement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="badge_revocations",
        verbose_name=_("achievement"),
    )
    reason = models.CharField(_("reason"), max_length=255)
    revoked_at = models.DateTimeField(_("revoked"), auto_now_add=True)

    class Meta:
        ordering = ["-revoked_at", "id"]
        verbose_name = _("revoked badge")
        verbose_name_plural = _("revoked badges")

    def __str__(self):
        return str(self.badge_id)


class CompletionEvent(models.Model):
    """Every completion a learner reported, from any device: the log behind their completions.

    A browser's event keeps its client id and a hash of its payload: the same id again is a
    duplicate and changes nothing; the same id with another payload is a conflict (409) and
    nothing in its batch is applied. A completion from the page gets an id made by the server.
    ``LessonCompletion`` keeps each lesson's earliest time; the day-based rules ("N lessons in
    one day", streaks) count every day in this log, so syncing an old device never unmakes a
    day that was already counted.
    """

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stream_completion_events",
        verbose_name=_("learner"),
    )
    event_id = models.UUIDField(_("event id"))
    payload_hash = models.CharField(_("payload hash"), max_length=64)
    lesson = models.ForeignKey(
        Lesson, on_delete=models.PROTECT, related_name="completion_events", verbose_name=_("lesson")
    )
    completed_at = models.DateTimeField(_("completed"))
    processed_at = models.DateTimeField(_("processed"), auto_now_add=True)

    class Meta:
        ordering = ["completed_at", "id"]
        verbose_name = _("completion event")
        verbose_name_plural = _("completion events")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "event_id"], name="stream_completion_event_once_per_learner"
            )
        ]

    def __str__(self):
        return str(self.event_id)


class CourseCompletionFigures(Course):
    """Courses seen from the progress side: the admin's per-course completion figures."""

    class Meta:
        proxy = True
        verbose_name = _("course completion figures")
        verbose_name_plural = _("completion figures per course")


class LessonCompletionFigures(Lesson):
    """Lessons seen from the progress side: the admin's per-lesson completion figures."""

    class Meta:
        proxy = True
        verbose_name = _("lesson completion figures")
        verbose_name_plural = _("completion figures per lesson")
