"""The instructors' side of progress: levels, achievements (with a dry run), and read-only views of
completions, awards and completion figures per lesson and per course.

Completions, awards and the XP ledger are written only by ``progress.services`` (so XP is never
counted twice); the admin shows them and does not edit them.
"""

import hashlib
import json

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Case, Count, Exists, F, FloatField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lessons.admin import StatusFilter, StatusLabels, ViewOnlyTitle
from lessons.admin_translations import TranslationInline
from lessons.models import Course, Lesson, Status, Tag

from .badges import how_to_earn
from .models import (
    Achievement,
    AchievementAward,
    AchievementTranslation,
    BadgeRevocation,
    CourseCompletionFigures,
    LearnerProfile,
    LessonCompletion,
    LessonCompletionFigures,
    Level,
    LevelTranslation,
    RuleKind,
    XPEntry,
)
from .rules import RULE_PARAMS, course_reference_q, rule_params_clean
from .selectors import achievement_dry_run


def learner_search_fields(prefix="learner__"):
    user_model = get_user_model()
    fields = [f"{prefix}{user_model.USERNAME_FIELD}"]
    if user_model.get_email_field_name() != user_model.USERNAME_FIELD:
        fields.append(f"{prefix}{user_model.get_email_field_name()}")
    return fields


class ReadOnlyAdmin(ViewOnlyTitle, admin.ModelAdmin):
    """Rows the services write: staff may look, not touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TranslatedNames:
    """The list's column of names per language (one query for the page's rows)."""

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations")

    @admin.display(description=_("names per language"))
    def names_per_language(self, obj):
        rows = sorted(obj.translations_by_language().items())
        return " · ".join(f"{language}: {row.name}" for language, row in rows) or "—"


class LevelTranslationInline(TranslationInline):
    model = LevelTranslation
    fields = ("language", "name")


@admin.register(Level)
class LevelAdmin(TranslatedNames, admin.ModelAdmin):
    list_display = ("number", "name", "names_per_language", "min_xp")
    list_display_links = ("number",)
    list_editable = ("name", "min_xp")
    ordering = ("min_xp",)
    fields = ("number", "name", "min_xp")
    inlines = [LevelTranslationInline]


# --- Achievements ------------------------------------------------------------------------------

NUMBER_PARAM = {
    RuleKind.LESSONS_COMPLETED: "count",
    RuleKind.LESSONS_IN_ONE_DAY: "count",
    RuleKind.STREAK_DAYS: "days",
    RuleKind.XP_AT_LEAST: "xp",
}


RULE_FIELDS = {
    "count": "rule_number",
    "days": "rule_number",
    "xp": "rule_number",
    "course": "rule_course",
    "tag": "rule_tag",
}


class AchievementAdminForm(forms.ModelForm):
    """An achievement's rule as plain fields (a number, a course, a tag) instead of JSON.

    Saving a new or changed active rule first shows how many learners it would award now
    (a dry run); saving again confirms.
    """

    rule_number = forms.IntegerField(
        label=_("N"),
        required=False,
        min_value=1,
        help_text=_(
            "Lessons completed and lessons in one day: the number of lessons. Streak: the "
            "number of days in a row. XP reached: the XP."
        ),
    )
    rule_course = forms.ModelChoiceField(
        label=capfirst(_("course")),
        queryset=Course.objects.order_by("position", "id"),
        to_field_name="uuid",
        required=False,
        help_text=_("Course completed: every lesson published in this course."),
    )
    rule_tag = forms.ModelChoiceField(
        label=capfirst(_("tag")),
        queryset=Tag.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        help_text=_("Every lesson with a tag completed: the published lessons with this tag."),
    )
    dry_run_seen = forms.CharField(
        label=_("dry run shown"), required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = Achievement
        fields = ("name", "slug", "icon", "description", "rule_kind", "xp", "active", "position")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        params = self.instance.rule_params or {}
        kind = self.instance.rule_kind
        if kind in NUMBER_PARAM:
            self.initial.setdefault("rule_number", params.get(NUMBER_PARAM[kind]))
        elif kind == RuleKind.COURSE_COMPLETED and params.get("course"):
            course = Course.objects.filter(course_reference_q(params["course"])).first()
            self.initial.setdefault("rule_course", course)
        elif kind == RuleKind.TAG_COMPLETED and params.get("tag"):
            tag = Tag.objects.filter(Q(slug=params["tag"]) | Q(name=params["tag"])).first()
            self.initial.setdefault("rule_tag", tag)

    def rule_params_from_fields(self, kind) -> dict:
        data = self.cleaned_data
        if kind in NUMBER_PARAM:
            return {NUMBER_PARAM[kind]: data.get("rule_number")}
        if kind == RuleKind.COURSE_COMPLETED:
            course = data.get("rule_course")
            return {"course": str(course.uuid) if course else None}
        if kind == RuleKind.TAG_COMPLETED:
            tag = data.get("rule_tag")
            return {"tag": tag.slug if tag else None}
        return {}

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("rule_kind")
        if not kind or kind not in RULE_PARAMS:
            return cleaned
        # The model checks the same parameters again (Achievement.clean); add_error below puts
        # both sets of messages on the field the parameter comes from, once.
        self.instance.rule_params = self.rule_params_from_fields(kind)
        try:
            params = rule_params_clean(kind=kind, params=self.instance.rule_params)
        except ValidationError as exc:
            self.add_error(None, exc)
            return cleaned
        self.instance.rule_params = params
        self._dry_run_check(kind, params, cleaned)
        return cleaned

    def rule_field(self) -> str | None:
        names = RULE_PARAMS.get(self.cleaned_data.get("rule_kind"), ())
        return RULE_FIELDS[names[0]] if names else None

    def add_error(self, field, error):
        error_dict = getattr(error, "error_dict", None) if field is None else None
        if error_dict and "rule_params" in error_dict:
            errors = dict(error.error_dict)
            target = self.rule_field()
            present = self._errors.get(target or NON_FIELD_ERRORS, []) if self._errors else []
            for message in ValidationError(errors.pop("rule_params")).messages:
                if message not in present:
                    super().add_error(target, message)
            if not errors:
                return
            error = ValidationError(errors)
        super().add_error(field, error)

    def _dry_run_check(self, kind, params, cleaned):
        saved = self.instance.pk and Achievement.objects.filter(pk=self.instance.pk).first()
        unchanged = saved and (saved.rule_kind, saved.rule_params, saved.active, saved.slug) == (
            kind,
            params,
            cleaned.get("active"),
            cleaned.get("slug"),
        )
        if unchanged or not cleaned.get("active") or self.errors:
            return
        signature = hashlib.sha256(
            json.dumps([kind, params, cleaned.get("slug")], sort_keys=True).encode()
        ).hexdigest()[:16]
        if cleaned.get("dry_run_seen") == signature:
            return
        candidate = Achievement(
            pk=self.instance.pk,
            slug=cleaned.get("slug") or "",
            rule_kind=kind,
            rule_params=params,
            xp=cleaned.get("xp") or 0,
            active=True,
        )
        dry_run = achievement_dry_run(achievement=candidate)
        self.data = self.data.copy()
        self.data[self.add_prefix("dry_run_seen")] = signature
        raise ValidationError(
            ngettext(
                "This rule would award %(count)s learner now (%(held)s already have it). "
                "Check the rule, then save again to confirm.",
                "This rule would award %(count)s learners now (%(held)s already have it). "
                "Check the rule, then save again to confirm.",
                dry_run.would_award,
            )
            % {"count": dry_run.would_award, "held": dry_run.already_awarded},
            code="dry_run",
        )


class AchievementTranslationInline(TranslationInline):
    model = AchievementTranslation
    fields = ("language", "name", "description")


@admin.register(Achievement)
class AchievementAdmin(TranslatedNames, admin.ModelAdmin):
    form = AchievementAdminForm
    inlines = [AchievementTranslationInline]
    list_display = (
        "name",
        "names_per_language",
        "rule_summary",
        "xp",
        "active",
        "position",
        "award_count",
    )
    list_editable = ("active", "position")
    list_filter = ("active", "rule_kind")
    search_fields = ("name", "slug", "description", "translations__name")
    ordering = ("position", "id")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("rule_summary", "award_preview")
    fieldsets = (
        (None, {"fields": ("name", "slug", "icon", "description", "xp", "active", "position")}),
        (
            _("Rule"),
            {
                "fields": (
                    "rule_kind",
                    "rule_number",
                    "rule_course",
                    "rule_tag",
                    "rule_summary",
                    "award_preview",
                    "dry_run_seen",
                ),
                "description": _(
                    "Pick the rule, then fill the one field it uses. Awards are dated when "
                    "the learner first met the rule, and are never taken back."
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(award_total=Count("awards"))

    @admin.display(description=_("learners awarded"), ordering="award_total")
    def award_count(self, obj):
        return obj.award_total

    @admin.display(description=_("how to earn it"))
    def rule_summary(self, obj):
        # In the admin's language, its course or tag named in it too (as learners see them).
        return how_to_earn(obj) if obj.rule_kind else "—"

    @admin.display(description=_("dry run"))
    def award_preview(self, obj):
        if obj is None or obj.pk is None:
            return _("Saving shows how many learners the rule would award before it is saved.")
        dry_run = achievement_dry_run(achievement=obj)
        return ngettext(
            "As saved, the rule would award %(count)s learner now; %(held)s have it.",
            "As saved, the rule would award %(count)s learners now; %(held)s have it.",
            dry_run.would_award,
        ) % {"count": dry_run.would_award, "held": obj.awards.count()}


# --- What the services wrote, read-only ---------------------------------------------------------


@admin.register(LessonCompletion)
class LessonCompletionAdmin(ReadOnlyAdmin):
    list_display = ("learner", "lesson", "course", "completed_at", "xp")
    list_filter = ("lesson__course",)
    list_select_related = ("learner", "lesson__course")
    search_fields = (*learner_search_fields(), "lesson__title")
    date_hierarchy = "completed_at"
    ordering = ("-completed_at",)

    @admin.display(description=_("course"), ordering="lesson__course__position")
    def course(self, obj):
        return obj.lesson.course


@admin.register(AchievementAward)
class AchievementAwardAdmin(ReadOnlyAdmin):
    list_display = ("learner", "achievement", "awarded_at", "xp")
    list_filter = ("achievement",)
    list_select_related = ("learner", "achievement")
    search_fields = (
        *learner_search_fields(),
        "achievement__name",
        "achievement__translations__name",
    )
    date_hierarchy = "awarded_at"
    ordering = ("-awarded_at",)


@admin.register(BadgeRevocation)
class BadgeRevocationAdmin(ReadOnlyAdmin):
    """Open Badges whose awards were withdrawn: their addresses answer "revoked"."""

    list_display = ("badge_id", "achievement", "reason", "revoked_at")
    list_filter = ("achievement",)
    list_select_related = ("achievement",)
    search_fields = ("badge_id",)
    date_hierarchy = "revoked_at"
    ordering = ("-revoked_at",)


@admin.register(XPEntry)
class XPEntryAdmin(ReadOnlyAdmin):
    list_display = ("learner", "key", "amount", "created_at")
    list_select_related = ("learner",)
    search_fields = (*learner_search_fields(), "key")
    ordering = ("-created_at",)


@admin.register(LearnerProfile)
class LearnerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "xp", "time_zone", "first_comment_at")
    list_select_related = ("user",)
    search_fields = learner_search_fields(prefix="user__")
    readonly_fields = ("user", "xp", "first_comment_at", "updated_at")
    fields = ("user", "xp", "time_zone", "first_comment_at", "updated_at")
    ordering = ("-xp",)

    def has_add_permission(self, request):
        return False


# --- Completion figures ------------------------------------------------------------------------

PUBLISHED_LESSON = Q(lesson__status=Status.PUBLISHED)


def _count(queryset, group_by):
    """A correlated ``COUNT(DISTINCT learner)`` subquery, 0 when there is no row."""
    return Coalesce(
        Subquery(
            queryset.values(group_by).annotate(n=Count("learner_id", distinct=True)).values("n")
        ),
        0,
    )


def _rate(completed, started):
    return Case(
        When(**{started: 0}, then=Value(0.0)),
        default=Cast(F(completed), FloatField()) * 100.0 / Cast(F(started), FloatField()),
        output_field=FloatField(),
    )


def course_figures(queryset):
    """Annotate courses with ``learners_started`` (a completion in the course),
    ``learners_completed`` (every published lesson) and ``completion_rate`` (percent)."""
    in_course = LessonCompletion.objects.filter(PUBLISHED_LESSON, lesson__course_id=OuterRef("pk"))
    lesson_missing = (
        Lesson.objects.filter(course_id=OuterRef("lesson__course_id"), status=Status.PUBLISHED)
        .annotate(
            done=Exists(
                LessonCompletion.objects.filter(
                    lesson_id=OuterRef("pk"), learner_id=OuterRef(OuterRef("learner_id"))
                )
            )
        )
        .filter(done=False)
    )
    finished = in_course.annotate(missing=Exists(lesson_missing)).filter(missing=False)
    return queryset.annotate(
        published_lessons=Count("lessons", filter=Q(lessons__status=Status.PUBLISHED)),
        learners_started=_count(in_course, "lesson__course_id"),
        learners_completed=_count(finished, "lesson__course_id"),
    ).annotate(completion_rate=_rate("learners_completed", "learners_started"))


def lesson_figures(queryset):
    """Annotate lessons with ``learners_started`` (a completion in the lesson's course),
    ``learners_completed`` (this lesson) and ``completion_rate`` (percent)."""
    in_course = LessonCompletion.objects.filter(
        PUBLISHED_LESSON, lesson__course_id=OuterRef("course_id")
    )
    this_lesson = LessonCompletion.objects.filter(lesson_id=OuterRef("pk"))
    return queryset.annotate(
        learners_started=_count(in_course, "lesson__course_id"),
        learners_completed=_count(this_lesson, "lesson_id"),
    ).annotate(completion_rate=_rate("learners_completed", "learners_started"))


class FiguresAdmin(StatusLabels, ReadOnlyAdmin):
    @admin.display(description=_("learners started"), ordering="learners_started")
    def started(self, obj):
        return obj.learners_started

    @admin.display(description=_("learners completed"), ordering="learners_completed")
    def completed(self, obj):
        return obj.learners_completed

    @admin.display(description=_("completion rate"), ordering="completion_rate")
    def rate(self, obj):
        return f"{obj.completion_rate:.0f}%" if obj.learners_started else "—"


@admin.register(CourseCompletionFigures)
class CourseCompletionFiguresAdmin(FiguresAdmin):
    """Started: learners with a completion in the course. Completed: learners who completed
    every published lesson of it. Rate: completed / started."""

    list_display = ("title", "status_label", "lessons_published", "started", "completed", "rate")
    # A row's page shows the same figures as the list (not the course's own fields).
    fields = readonly_fields = list_display
    list_filter = (StatusFilter,)
    search_fields = ("title", "slug")
    ordering = ("position", "id")

    def get_queryset(self, request):
        return course_figures(super().get_queryset(request))

    @admin.display(description=_("published lessons"), ordering="published_lessons")
    def lessons_published(self, obj):
        return obj.published_lessons


@admin.register(LessonCompletionFigures)
class LessonCompletionFiguresAdmin(FiguresAdmin):
    """Started: learners with a completion in the lesson's course. Completed: learners who
    completed this lesson. Rate: completed / started."""

    list_display = ("title", "course", "status_label", "started", "completed", "rate")
    fields = readonly_fields = list_display
    list_filter = ("course", StatusFilter)
    list_select_related = ("course",)
    search_fields = ("title", "slug", "course__title")
    ordering = ("course__position", "course_id", "position", "id")

    def get_queryset(self, request):
        return lesson_figures(super().get_queryset(request))
