"""The instructors' side of lessons: courses, lessons, tags, all in the Django admin.

Publishing goes through ``lessons.services`` so the admin does what commands and the API do.
"""

import json

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from .admin_translations import TranslationInline
from .forms import LessonAdminForm, LessonLinkAdminForm, LessonVariantForm, LessonVariantFormSet
from .ids import ids_parse
from .models import (
    Course,
    CourseRequirement,
    CourseTranslation,
    Lesson,
    LessonLink,
    LessonRequirement,
    LessonVariant,
    Status,
    Tag,
    TagTranslation,
    XapiStatement,
)
from .requirements import COURSE, LESSON, RequirementGraph, cycle_message
from .services import courses_set_status, lesson_set_tags, lessons_set_status
from .xapi import VERB_NAMES, statements_retry

# --- Labels of the admin's own -------------------------------------------------------------------

# The catalogue keeps the status words English for the lesson page's reference line ("Lesson 02
# of 05 · published"); staff read them in their own language.
STATUS_LABELS = {
    Status.PUBLISHED: pgettext_lazy("status in the admin", "published"),
    Status.DRAFT: pgettext_lazy("status in the admin", "draft"),
}


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    # Django's own name for a choice field's filter, so addresses staff kept still work.
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        return list(STATUS_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class StatusLabels:
    """A ``ModelAdmin`` or inline of a model with a lesson ``status``: show ``status_label``
    instead of ``status`` in ``list_display`` and read-only fields, filter with
    :class:`StatusFilter`; the form's choices are relabelled here."""

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":
            kwargs["choices"] = list(STATUS_LABELS.items())
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        return STATUS_LABELS.get(obj.status, obj.status)


class ViewOnlyTitle:
    """A list staff may only look at: Django titles it "Select %s to view", which its Korean
    catalogue renders as the ungrammatical "보기위한 … 를(을) 선택"; it is titled with what it
    holds instead."""

    def changelist_view(self, request, extra_context=None):
        title = capfirst(self.model._meta.verbose_name_plural)
        return super().changelist_view(request, {"title": title, **(extra_context or {})})


# --- Courses and lessons -------------------------------------------------------------------------


class LessonInline(StatusLabels, admin.TabularInline):
    """A course's lessons in one form: renumber ``position`` to reorder them.

    New lessons are written on the lesson page (they need a body), and deleting one is left to
    its own page, which lists what would go with it.
    """

    model = Lesson
    fields = ("title", "slug", "position", "status", "xp")
    ordering = ("position", "id")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class RequirementFormSet(BaseInlineFormSet):
    """Refuses requirements that would close a cycle, naming its path: checked against every
    lesson, course and requirement saved, with this form's lesson or course as it would be
    saved (a lesson moved to another course can close one too)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        needs = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            lesson, course = data.get("required_lesson"), data.get("required_course")
            needs.append((LESSON, lesson.pk) if lesson else (COURSE, course.pk))
        owner = self.instance
        pk = owner.pk or 0  # a new row: an id no saved row has
        graph = RequirementGraph.load()
        if isinstance(owner, Lesson):
            if owner.course_id is None:
                return  # the lesson form reports the missing course
            graph.lesson_set(pk, course_id=owner.course_id, title=owner.title, needs=needs)
            start = (LESSON, pk)
        else:
            graph.course_set(pk, title=owner.title, needs=needs)
            start = ("gate", pk)
        path = graph.cycle([start])
        if path:
            raise ValidationError(cycle_message(graph, path), code="requirement_cycle")


class RequirementInline(admin.TabularInline):
    formset = RequirementFormSet
    fields = ("required_lesson", "required_course", "position")
    autocomplete_fields = ("required_lesson", "required_course")
    ordering = ("position", "id")
    extra = 0


class CourseRequirementInline(RequirementInline):
    """What a course requires: every lesson of it is locked until these are completed."""

    model = CourseRequirement
    fk_name = "course"


class LessonRequirementInline(RequirementInline):
    """What a lesson requires (besides its course's requirements)."""

    model = LessonRequirement
    fk_name = "lesson"


class CourseTranslationInline(TranslationInline):
    """The course's title and summary in the site's other languages."""

    model = CourseTranslation
    fields = ("language", "title", "summary")


@admin.register(Course)
class CourseAdmin(StatusLabels, admin.ModelAdmin):
    list_display = ("title", "position", "status_label", "published_lesson_count", "lesson_count")
    list_display_links = ("title",)
    list_editable = ("position",)
    list_filter = (StatusFilter,)
    ordering = ("position", "id")  # Meta.ordering is dropped from the counting query
    search_fields = ("title", "slug", "summary")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("uuid", "created_at", "updated_at")
    fields = ("title", "slug", "summary", "position", "status", *readonly_fields)
    inlines = (CourseTranslationInline, CourseRequirementInline, LessonInline)
    actions = ("publish_courses", "unpublish_courses")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                lesson_total=Count("lessons"),
                published_lesson_total=Count("lessons", filter=Q(lessons__status=Status.PUBLISHED)),
            )
        )

    @admin.display(description=_("published lessons"), ordering="published_lesson_total")
    def published_lesson_count(self, course):
        return course.published_lesson_total

    @admin.display(description=_("lessons"), ordering="lesson_total")
    def lesson_count(self, course):
        return course.lesson_total

    @admin.action(description=_("Publish the selected courses"), permissions=["change"])
    def publish_courses(self, request, queryset):
        changed = courses_set_status(courses=queryset, status=Status.PUBLISHED)
        message = ngettext(
            "%(count)d course was published.", "%(count)d courses were published.", changed
        )
        self.message_user(request, message % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Unpublish the selected courses"), permissions=["change"])
    def unpublish_courses(self, request, queryset):
        changed = courses_set_status(courses=queryset, status=Status.DRAFT)
        message = ngettext(
            "%(count)d course was taken back to draft.",
            "%(count)d courses were taken back to draft.",
            changed,
        )
        self.message_user(request, message % {"count": changed}, messages.SUCCESS)


class LessonLinkInline(admin.TabularInline):
    """A lesson's links; a label per language of its variants beside each (empty: the title)."""

    model = LessonLink
    form = LessonLinkAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    ordering = ("position", "id")
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations")

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, form=LessonLinkAdminForm.for_site(), **kwargs)

    def get_fields(self, request, obj=None):
        return ("title", "url", "position", *LessonLinkAdminForm.label_field_names())


class LessonVariantInline(TranslationInline):
    """The lesson in other languages, each with the editor and its live preview, beside the
    original; a variant older than the original's last change says it may be out of date."""

    model = LessonVariant
    form = LessonVariantForm
    formset = LessonVariantFormSet
    template = "admin/edit_inline/stacked.html"
    fields = ("language", "title", "body", "exercise", "revision", "freshness")
    readonly_fields = ("revision", "freshness")

    def get_extra(self, request, obj=None, **kwargs):
        return max(super().get_extra(request, obj, **kwargs) - 1, 0)  # not the original's

    def get_max_num(self, request, obj=None, **kwargs):
        return max(super().get_max_num(request, obj, **kwargs) - 1, 0)

    @admin.display(description=_("state"))
    def freshness(self, variant):
        if variant.pk is None:
            return "-"
        if variant.out_of_date:
            return _("May be out of date: the original changed after this variant.")
        return _("Up to date with the original.")


@admin.register(Lesson)
class LessonAdmin(StatusLabels, admin.ModelAdmin):
    form = LessonAdminForm
    list_display = (
        "title",
        "course",
        "position",
        "status_label",
        "xp",
        "reading_time",
        "tag_names",
        "variant_languages",
        "updated_at",
    )
    list_display_links = ("title",)
    list_editable = ("position",)
    list_filter = (StatusFilter, "course", "tags")
    list_select_related = ("course",)
    search_fields = ("title", "body", "course__title", "tags__name")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("tags",)
    readonly_fields = (
        "uuid",
        "revision",
        "reading_estimate",
        "published_at",
        "content_updated_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "course",
                    "language",
                    "title",
                    "slug",
                    "position",
                    "status",
                    "xp",
                    "tags",
                )
            },
        ),
        (_("Content"), {"fields": ("body", "exercise")}),
        (_("Reading time"), {"fields": ("reading_estimate", "reading_minutes_override")}),
        (
            _("Record"),
            {
                "fields": ("uuid", "revision", "published_at", "content_updated_at", "updated_at"),
                "classes": ("collapse",),
            },
        ),
    )
    inlines = (LessonRequirementInline, LessonLinkInline, LessonVariantInline)
    actions = ("publish_lessons", "unpublish_lessons")

    class Media:
        css = {"all": ("stream/lessons/pygments.css", "stream/lessons/admin-preview.css")}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                reading_minutes_shown=Coalesce(
                    "reading_minutes_override", "reading_minutes_estimate"
                )
            )
            .prefetch_related(
                "tags",
                Prefetch(
                    "translations",
                    LessonVariant.objects.only("lesson_id", "language", "content_updated_at"),
                ),
            )
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The page lists tags in the order the instructor picked them; the form's cleaned
        # value is an unordered queryset, the posted ids keep the order.
        chosen = {tag.pk: tag for tag in form.cleaned_data.get("tags", [])}
        order = ids_parse(request.POST.getlist("tags"))
        ordered = [chosen[pk] for pk in order if pk in chosen]
        ordered += [tag for pk, tag in chosen.items() if pk not in order]
        lesson_set_tags(lesson=form.instance, tags=ordered)

    def view_on_site(self, lesson):
        # The lesson page shows drafts to staff, so this works before publishing too.
        return lesson.get_absolute_url()

    @admin.display(description=_("reading time"), ordering="reading_minutes_shown")
    def reading_time(self, lesson):
        return ngettext("%(minutes)d min", "%(minutes)d min", lesson.reading_minutes) % {
            "minutes": lesson.reading_minutes
        }

    # The model field has no label of its own (nothing else shows it).
    @admin.display(description=_("estimated reading time (minutes)"))
    def reading_estimate(self, lesson):
        return lesson.reading_minutes_estimate

    @admin.display(description=_("tags"))
    def tag_names(self, lesson):
        return ", ".join(tag.name for tag in lesson.tags.all())

    @admin.display(description=_("language variants"))
    def variant_languages(self, lesson):
        return ", ".join(
            str(_("%(language)s (may be out of date)") % {"language": variant.language})
            if variant.content_updated_at < lesson.content_updated_at
            else variant.language
            for variant in lesson.translations.all()
        )

    def set_status(self, request, queryset, status):
        # The changelist's queryset carries joins and prefetches the service has no use for.
        lessons = Lesson.objects.filter(pk__in=queryset.values("pk"))
        selected = lessons.count()
        changed = lessons_set_status(lessons=lessons, status=status)
        return changed, selected - changed

    @admin.action(description=_("Publish the selected lessons"), permissions=["change"])
    def publish_lessons(self, request, queryset):
        changed, unchanged = self.set_status(request, queryset, Status.PUBLISHED)
        message = ngettext(
            "%(count)d lesson was published.", "%(count)d lessons were published.", changed
        ) % {"count": changed}
        if unchanged:
            message += " " + ngettext(
                "%(count)d was published already.", "%(count)d were published already.", unchanged
            ) % {"count": unchanged}
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Unpublish the selected lessons"), permissions=["change"])
    def unpublish_lessons(self, request, queryset):
        changed, unchanged = self.set_status(request, queryset, Status.DRAFT)
        message = ngettext(
            "%(count)d lesson was taken back to draft.",
            "%(count)d lessons were taken back to draft.",
            changed,
        ) % {"count": changed}
        if unchanged:
            message += " " + ngettext(
                "%(count)d was a draft already.", "%(count)d were drafts already.", unchanged
            ) % {"count": unchanged}
        self.message_user(request, message, messages.SUCCESS)


class TagTranslationInline(TranslationInline):
    """The tag's label in the site's other languages."""

    model = TagTranslation
    fields = ("language", "name")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "lesson_count")
    ordering = ("name",)  # Meta.ordering is dropped from the counting (GROUP BY) query
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [TagTranslationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lesson_total=Count("lessons"))

    @admin.display(description=_("lessons"), ordering="lesson_total")
    def lesson_count(self, tag):
        return tag.lesson_total


class XapiVerbFilter(admin.SimpleListFilter):
    title = _("verb")
    parameter_name = "verb"

    def lookups(self, request, model_admin):
        return list(VERB_NAMES.items())

    def queryset(self, request, queryset):
        return queryset.filter(verb=self.value()) if self.value() else queryset


@admin.register(XapiStatement)
class XapiStatementAdmin(ViewOnlyTitle, admin.ModelAdmin):
    """The xAPI outbox: what waits for the learning record store, what it took, and what it
    refused or never answered (filter "failed"), with a "retry" action. Rows are written by
    the events they describe: staff read them, retry them or delete them, never edit them."""

    list_display = (
        "statement_id",
        "verb_name",
        "learner",
        "status",
        "attempts",
        "next_attempt",
        "error_summary",
    )
    list_filter = ("status", XapiVerbFilter)
    list_select_related = ("learner",)
    search_fields = ("=statement_id",)
    date_hierarchy = "created_at"
    actions = ("retry_statements",)
    fields = (
        "statement_id",
        "learner",
        "verb",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "statement_text",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("stream_lessons.change_xapistatement")

    @admin.display(description=_("verb"), ordering="verb")
    def verb_name(self, row):
        return VERB_NAMES.get(row.verb, row.verb)

    @admin.display(description=_("next attempt"), ordering="next_attempt_at")
    def next_attempt(self, row):
        return row.next_attempt_at if row.status == XapiStatement.Delivery.PENDING else "—"

    @admin.display(description=_("last error"))
    def error_summary(self, row):
        return Truncator(row.last_error).chars(80)

    @admin.display(description=_("statement"))
    def statement_text(self, row):
        return format_html("<pre>{}</pre>", json.dumps(row.statement, indent=2))

    @admin.action(
        description=_("Retry delivering the selected failed statements"), permissions=["retry"]
    )
    def retry_statements(self, request, queryset):
        count = statements_retry(queryset=queryset)
        message = ngettext(
            "%(count)d statement will be delivered again.",
            "%(count)d statements will be delivered again.",
            count,
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


# The "Learner data" page: export or erase one learner's data on request.
from . import learner_data_admin  # noqa: E402, F401
