"""Courses, lessons, tags and links.

Every course and lesson carries a ``uuid`` that never changes: progress, comments and lesson
files hang on it, so renaming, re-slugging or reordering keeps a lesson's identity.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator, URLValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .conf import lessons_settings
from .translations import Translatable, Translation, content_languages


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


# PostgreSQL cannot store NUL in text; refuse it with a clear error (forms and lesson files).
NO_NUL = [ProhibitNullCharactersValidator()]


def default_lesson_xp():
    return lessons_settings.LESSON_DEFAULT_XP


def default_lesson_language():
    return settings.LANGUAGE_CODE


class LessonText(models.Model):
    """The text of a lesson in one language, and what is derived from it on save (abstract):
    the lesson itself (its original) and each :class:`LessonVariant` have one."""

    title = models.CharField(_("title"), max_length=200, validators=NO_NUL)
    body = models.TextField(_("body"), help_text=_("Markdown."), validators=NO_NUL)
    exercise = models.TextField(
        _("exercise"),
        blank=True,
        help_text=_("Markdown. Shown under “Exercise”; optional."),
        validators=NO_NUL,
    )
    # Derived on save, so that a page view never renders Markdown.
    body_html = models.TextField(editable=False, default="")
    exercise_html = models.TextField(editable=False, default="")
    # What search looks in besides the title: the rendered body and exercise without tags.
    search_text = models.TextField(editable=False, default="")
    reading_minutes_estimate = models.PositiveSmallIntegerField(editable=False, default=1)
    revision = models.PositiveIntegerField(
        _("revision"),
        editable=False,
        default=1,
        help_text=_("Goes up by one on every content change."),
    )
    content_updated_at = models.DateTimeField(
        _("content updated"), default=timezone.now, editable=False
    )

    # Saved with any ``update_fields``: they follow from the Markdown.
    DERIVED_FIELDS = (
        "body_html",
        "exercise_html",
        "search_text",
        "reading_minutes_estimate",
        "revision",
        "content_updated_at",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.render()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *self.DERIVED_FIELDS}
        super().save(*args, **kwargs)

    def render(self):
        """Refresh the stored HTML and reading estimate from the Markdown fields.

        Bumps ``revision`` and ``content_updated_at`` when the rendered content changed, which
        is what "posted on an earlier version of this lesson", problem reports and a variant's
        "may be out of date" compare with.
        """
        from .markdown import render_lesson_markdown
        from .reading import estimate_reading_minutes
        from .search import lesson_search_text

        body_html = render_lesson_markdown(self.body)
        exercise_html = render_lesson_markdown(self.exercise) if self.exercise.strip() else ""
        changed = (body_html, exercise_html) != (self.body_html, self.exercise_html)
        if changed and self.pk is not None:
            self.revision += 1
            self.content_updated_at = timezone.now()
        self.body_html, self.exercise_html = body_html, exercise_html
        self.search_text = lesson_search_text(body_html=body_html, exercise_html=exercise_html)
        self.reading_minutes_estimate = estimate_reading_minutes(self.body + "\n\n" + self.exercise)


class CourseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)


class Course(Translatable, models.Model):
    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200, validators=NO_NUL)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    summary = models.TextField(_("summary"), blank=True, validators=NO_NUL)
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Courses are listed by this number, lowest first.")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_("Learners see only published courses, and only their published lessons."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CourseQuerySet.as_manager()

    translated_fields = ("title", "summary")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("stream_lessons:course", kwargs={"course": self.slug})

    def title_in(self, language: str | None = None) -> str:
        """The title in ``language`` (the active one by default), else :attr:`title`."""
        return self.translated("title", language)

    def summary_in(self, language: str | None = None) -> str:
        """The summary in ``language``, else :attr:`summary`."""
        return self.translated("summary", language)

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED


class CourseTranslation(Translation):
    """A course's title and summary in one language (see ``lessons.translations``)."""

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="translations", verbose_name=_("course")
    )
    title = models.CharField(
        _("title"),
        max_length=200,
        validators=NO_NUL,
        help_text=_("The course's title on pages in this language."),
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
        validators=NO_NUL,
        help_text=_("Optional. Empty: the summary above, as for a language without a row."),
    )

    class Meta:
        ordering = ["course_id", "language"]
        verbose_name = _("course text in a language")
        verbose_name_plural = _("course texts per language")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "language"], name="stream_course_translation_once"
            )
        ]


class Tag(Translatable, models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True, validators=NO_NUL)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    translated_fields = ("name",)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("stream_lessons:tag", kwargs={"tag": self.slug})

    def name_in(self, language: str | None = None) -> str:
        """The label in ``language`` (the active one by default), else :attr:`name`."""
        return self.translated("name", language)


class TagTranslation(Translation):
    """A tag's label in one language (see ``lessons.translations``)."""

    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="translations", verbose_name=_("tag")
    )
    name = models.CharField(
        _("name"),
        max_length=50,
        validators=NO_NUL,
        help_text=_("The tag's label on pages in this language."),
    )

    class Meta:
        ordering = ["tag_id", "language"]
        verbose_name = _("tag label in a language")
        verbose_name_plural = _("tag labels per language")
        constraints = [
            models.UniqueConstraint(fields=["tag", "language"], name="stream_tag_translation_once")
        ]


class LessonQuerySet(models.QuerySet):
    def published(self):
        """Lessons a learner may read: published, in a published course."""
        return self.filter(status=Status.PUBLISHED, course__status=Status.PUBLISHED)

    def in_order(self):
        return self.order_by("course__position", "course_id", "position", "id")


class Lesson(Translatable, LessonText):
    """A lesson: its identity (UUID, place, XP, tags, requirements; progress and comments hang
    on it) and its text in its original ``language``. Variants in other languages are
    :class:`LessonVariant` rows (``translations``); see docs/lessons.md, "Lessons in several
    languages"."""

    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="lessons", verbose_name=_("course")
    )
    language = models.CharField(
        _("original language"),
        max_length=15,
        default=default_lesson_language,
        help_text=_("The language the text below is written in; variants add others."),
    )
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        help_text=_("Part of the lesson's address; unique in its course."),
    )
    position = models.PositiveIntegerField(
        _("position"),
        default=0,
        help_text=_("Lessons are numbered in this order within their course, lowest first."),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_("Drafts are visible to staff only."),
    )
    reading_minutes_override = models.PositiveSmallIntegerField(
        _("reading time override (minutes)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to use the estimate computed from the text."),
    )
    xp = models.PositiveIntegerField(
        _("XP"), default=default_lesson_xp, help_text=_("XP a learner earns for completing it.")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="lessons", verbose_name=_("tags"))
    published_at = models.DateTimeField(_("first published"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    translated_fields = ("title", "body", "exercise")
    DERIVED_FIELDS = (*LessonText.DERIVED_FIELDS, "published_at")

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["course__position", "course_id", "position", "id"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"], name="stream_lesson_slug_unique_in_course"
            )
        ]
        indexes = [
            models.Index(fields=["course", "status", "position"], name="stream_lesson_course_order")
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.__dict__.get("shown_language", self.language) != self.language:
            # Its text was swapped for a variant's to be shown (``lessons.variants``).
            raise ValueError("A lesson read to show a variant cannot be saved.")
        if self.status == Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse(
            "stream_lessons:lesson", kwargs={"course": self.course.slug, "lesson": self.slug}
        )

    def title_in(self, language: str | None = None) -> str:
        """The title a reader in ``language`` (the active one by default) sees: its variant's
        in that language, else the original's. No query when the variant's title was joined
        in (``translations_annotate(fields=("title",))``, ``related_translations_annotate``)."""
        return self.translated("title", language)

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED

    @property
    def reading_minutes(self):
        return self.reading_minutes_override or self.reading_minutes_estimate

    def clean(self):
        super().clean()
        codes = [code for code, _name in content_languages()]
        if self.language and self.language not in codes:
            raise ValidationError(
                {
                    "language": _("“%(value)s” is not one of this site's languages (%(codes)s).")
                    % {"value": self.language, "codes": ", ".join(codes)}
                }
            )


class LessonVariant(Translation, LessonText):
    """A lesson's text in another language: its own title, body and exercise, rendered and
    revised on its own. Everything else (the lesson's identity, progress, comments) is the
    lesson's. It "may be out of date" when the original changed after it did."""

    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="translations", verbose_name=_("lesson")
    )

    class Meta:
        ordering = ["lesson_id", "language"]
        verbose_name = _("language variant")
        verbose_name_plural = _("language variants")
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "language"], name="stream_lesson_variant_once"
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.language})"

    @property
    def out_of_date(self) -> bool:
        """Whether the original's text changed after this variant's did."""
        return self.content_updated_at < self.lesson.content_updated_at

    def clean(self):
        super().clean()
        if self.lesson_id is not None and self.language == self.lesson.language:
            raise ValidationError(
                {"language": _("This is the lesson's original language; edit the text above.")}
            )


class LessonLink(Translatable, models.Model):
    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="links", verbose_name=_("lesson")
    )
    title = models.CharField(_("title"), max_length=200, validators=NO_NUL)
    url = models.URLField(
        _("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    translated_fields = ("title",)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("external link")
        verbose_name_plural = _("external links")

    def __str__(self):
        return self.title


class LessonLinkTranslation(Translation):
    """A link's label in a language of the lesson's variants (the address is the link's)."""

    link = models.ForeignKey(
        LessonLink,
        on_delete=models.CASCADE,
        related_name="translations",
        verbose_name=_("external link"),
    )
    title = models.CharField(_("title"), max_length=200, validators=NO_NUL)

    class Meta:
        ordering = ["link_id", "language"]
        verbose_name = _("link label in a language")
        verbose_name_plural = _("link labels per language")
        constraints = [
            models.UniqueConstraint(
                fields=["link", "language"], name="stream_lesson_link_translation_once"
            )
        ]


class Requirement(models.Model):
    """Something a learner must complete first: a lesson, or a whole course (every published
    lesson of it). See ``lessons.requirements`` for what they mean to learners and why cycles
    are refused. ``created_at`` dates it: a completion reported from before a requirement
    existed is judged without it (see docs/lessons.md, "Prerequisites")."""

    required_lesson = models.ForeignKey(
        Lesson,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("required lesson"),
    )
    required_course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("required course"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("required since"), default=timezone.now, editable=False)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self):
        return str(self.required_lesson or self.required_course or "")

    def clean(self):
        if (self.required_lesson_id is None) == (self.required_course_id is None):
            raise ValidationError(_("Choose a lesson or a course to require (one of them)."))


def _requirement_constraints(owner: str, itself: str) -> list[models.CheckConstraint]:
    """A requirement row of ``owner`` ("lesson" or "course") names exactly one lesson or
    course, and never its own owner (``itself``: the message saying so)."""
    lesson, course = Q(required_lesson__isnull=False), Q(required_course__isnull=False)
    return [
        models.CheckConstraint(
            condition=(lesson & ~course) | (~lesson & course),
            name=f"stream_{owner}_requirement_one_target",
        ),
        models.CheckConstraint(
            condition=~Q(**{f"required_{owner}": F(owner)}),
            name=f"stream_{owner}_requirement_not_itself",
            violation_error_message=itself,
        ),
    ]


class LessonRequirement(Requirement):
    """A lesson's requirement: the lesson is locked for a learner until it is met."""

    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="requirements", verbose_name=_("lesson")
    )

    class Meta(Requirement.Meta):
        verbose_name = _("lesson requirement")
        verbose_name_plural = _("requirements")
        constraints = _requirement_constraints("lesson", _("A lesson cannot require itself."))
        # unique_together, not UniqueConstraint: an admin inline checks only the former
        # against saved rows (its foreign key is left out of constraint validation).
        unique_together = [("lesson", "required_lesson"), ("lesson", "required_course")]


class CourseRequirement(Requirement):
    """A course's requirement: every lesson of the course is locked until it is met."""

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="requirements", verbose_name=_("course")
    )

    class Meta(Requirement.Meta):
        verbose_name = _("course requirement")
        verbose_name_plural = _("requirements")
        constraints = _requirement_constraints("course", _("A course cannot require itself."))
        unique_together = [("course", "required_lesson"), ("course", "required_course")]


class ContentVersion(models.Model):
    """A counter per scope of shared pages, bumped in the transaction of every write that
    changes what those pages show (see ``lessons.versions``). ``scope`` 0 is the whole site
    (catalogue, course and tag pages, every lesson's pager, tags and totals); a lesson's id is
    that lesson's own page (its comments). Page caches key on these numbers, so a write from
    any process is seen at the next request, whatever the cache backend."""

    scope = models.PositiveBigIntegerField(primary_key=True)
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("content version")
        verbose_name_plural = _("content versions")

    def __str__(self):
        return f"{self.scope}: {self.version}"


class LearnerData(ContentVersion):
    """The admin's "Learner data" page (``lessons.learner_data_admin``), where staff export or
    erase one learner's data on request. It keeps no rows: the proxy gives the page its place in
    the admin and its two permissions, view (export) and delete (erase)."""

    class Meta:
        proxy = True
        default_permissions = ("view", "delete")
        verbose_name = _("learner data")
        verbose_name_plural = _("learner data")


class XapiStatement(models.Model):
    """An xAPI statement waiting for, or done with, delivery to the learning record store.

    Written in the transaction of the event it describes (see ``lessons.xapi``), so a
    rolled-back completion leaves no row and sends nothing. ``statement_id`` is derived from
    the event (UUIDv5): the same event always makes the same statement, so writing it twice
    keeps one row and delivering it twice stores one statement in the LRS.
    """

    class Delivery(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    statement_id = models.UUIDField(_("statement id"), unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stream_xapi_statements",
        verbose_name=_("learner"),
    )
    verb = models.CharField(_("verb"), max_length=200)
    statement = models.JSONField(_("statement"))
    status = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outgoing xAPI statement")
        verbose_name_plural = _("outgoing xAPI statements")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="stream_xapi_due"),
        ]

    def __str__(self):
        return str(self.statement_id)
