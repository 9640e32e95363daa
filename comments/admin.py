"""Moderation and the problem-report queue in the Django admin.

Every action goes through ``comments.services``, so hiding a comment or resolving a report
from the admin does what the page and the API do (notifications included).
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lessons.admin import ViewOnlyTitle
from lessons.ids import id_parse
from lessons.models import Lesson

from . import services
from .emails import request_site_url
from .models import (
    Comment,
    CommentFlag,
    CommentSettings,
    CommentStatus,
    LessonReportSummary,
    ProblemReport,
    ReplySubscription,
    ReportStatus,
)

# Enough of a report to know what it is about without opening it: about three lines.
REPORT_EXCERPT_CHARS = 160

ADMIN_CSS = {"all": ("stream/comments/admin.css",)}


def user_search_fields(prefix):
    """Search a user by the login field and the email of whatever ``AUTH_USER_MODEL`` is."""
    user_model = get_user_model()
    names = [user_model.USERNAME_FIELD, user_model.get_email_field_name()]
    return tuple(f"{prefix}{name}" for name in dict.fromkeys(names))


class FlaggedFilter(admin.SimpleListFilter):
    title = _("flags")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("open", _("flags to review")), ("any", _("ever flagged")), ("no", _("never"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(open_flag_total__gt=0)
        if self.value() == "any":
            return queryset.filter(flag_total__gt=0)
        if self.value() == "no":
            return queryset.filter(flag_total=0)
        return queryset


class LessonFilter(admin.ListFilter):
    """Narrow the list to lessons whose title holds every word typed, or to one lesson.

    A text box rather than Django's list of every lesson, which grows with the site. The
    per-lesson links of the report summary (``lesson__id__exact``) land here too, so the chosen
    lesson shows as the active filter.
    """

    title = _("lesson")
    template = "admin/stream_comments/lesson_filter.html"
    search_parameter = "lesson_title"
    id_parameter = "lesson__id__exact"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.expected_parameters():
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]

    def expected_parameters(self):
        return [self.search_parameter, self.id_parameter]

    def has_output(self):
        return True

    def queryset(self, request, queryset):
        for word in self.used_parameters.get(self.search_parameter, "").split():
            queryset = queryset.filter(lesson__title__icontains=word)
        asked = self.used_parameters.get(self.id_parameter)
        if asked is not None:
            lesson_id = id_parse(asked)
            if lesson_id is None:
                raise IncorrectLookupParameters(asked)
            queryset = queryset.filter(lesson_id=lesson_id)
        return queryset

    def choices(self, changelist):
        expected = self.expected_parameters()
        lesson_id = id_parse(self.used_parameters.get(self.id_parameter, ""))
        lesson = Lesson.objects.filter(pk=lesson_id).first() if lesson_id else None
        yield {
            "parameter": self.search_parameter,
            "value": self.used_parameters.get(self.search_parameter, ""),
            "lesson": lesson,
            "kept": [
                (name, value)
                for name, values in changelist.filter_params.items()
                if name not in expected
                for value in values
            ],
            "clear_query_string": changelist.get_query_string(remove=expected),
            "is_active": bool(self.used_parameters),
        }


class CommentFlagInline(admin.TabularInline):
    model = CommentFlag
    fields = ("user", "reason", "created_at", "reviewed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Flagged comments first (flags not yet reviewed), then the newest."""

    list_display = (
        "excerpt",
        "author",
        "lesson",
        "status",
        "open_flags",
        "flags",
        "depth",
        "created_at",
        "view_on_page",
    )
    list_filter = ("status", FlaggedFilter, "lesson__course", LessonFilter)
    list_select_related = ("author", "lesson__course")
    search_fields = ("body", *user_search_fields("author__"), "lesson__title")
    readonly_fields = (
        "lesson",
        "author",
        "parent",
        "root",
        "depth",
        "rendered",
        "created_at",
        "edited_at",
        "moderated_at",
    )
    fields = ("status", "body", *readonly_fields)
    inlines = (CommentFlagInline,)
    actions = ("hide_comments", "unhide_comments", "dismiss_flags")
    date_hierarchy = "created_at"

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        # Annotate before ordering: the default ordering sorts by these counts.
        return self.model._default_manager.annotate(
            flag_total=Count("flags", distinct=True),
            open_flag_total=Count(
                "flags", filter=Q(flags__reviewed_at__isnull=True), distinct=True
            ),
        ).order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ("-open_flag_total", "-created_at", "-id")

    def has_add_permission(self, request):
        return False  # comments are written on the lesson page

    @admin.display(description=_("comment"))
    def excerpt(self, comment):
        return str(comment)

    @admin.display(description=_("flags to review"), ordering="open_flag_total")
    def open_flags(self, comment):
        return comment.open_flag_total

    @admin.display(description=_("flags"), ordering="flag_total")
    def flags(self, comment):
        return comment.flag_total

    @admin.display(description=_("rendered"))
    def rendered(self, comment):
        # body_html was sanitised (nh3, the comment allow-list) when the comment was saved.
        html = mark_safe(comment.body_html)  # noqa: S308
        return format_html('<div class="stream-admin-comment">{}</div>', html)

    @admin.display(description=_("on the page"))
    def view_on_page(self, comment):
        return format_html('<a href="{}">{}</a>', comment.get_absolute_url(), _("view"))

    @admin.action(description=_("Hide the selected comments"), permissions=["change"])
    def hide_comments(self, request, queryset):
        changed = 0
        for comment in queryset.exclude(status=CommentStatus.HIDDEN):
            services.comment_hide(comment=comment, user=request.user)
            changed += 1
        self.message_user(
            request,
            ngettext("%(count)d comment hidden.", "%(count)d comments hidden.", changed)
            % {"count": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unhide or approve the selected comments"), permissions=["change"])
    def unhide_comments(self, request, queryset):
        changed = 0
        waiting = queryset.filter(status__in=[CommentStatus.HIDDEN, CommentStatus.PENDING])
        for comment in waiting.select_related("lesson__course"):
            services.comment_unhide(
                comment=comment, user=request.user, site_url=request_site_url(request)
            )
            changed += 1
        self.message_user(
            request,
            ngettext("%(count)d comment published.", "%(count)d comments published.", changed)
            % {"count": changed},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Dismiss the flags of the selected comments"), permissions=["change"]
    )
    def dismiss_flags(self, request, queryset):
        changed = sum(
            services.comment_flags_dismiss(comment=comment, user=request.user)
            for comment in queryset
        )
        self.message_user(
            request,
            ngettext("%(count)d flag dismissed.", "%(count)d flags dismissed.", changed)
            % {"count": changed},
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change):
        # Status changes from the form go through the services like the actions do.
        if change and "status" in form.changed_data:
            wanted = obj.status
            obj.status = form.initial["status"]
            if wanted == CommentStatus.HIDDEN:
                services.comment_hide(comment=obj, user=request.user)
            elif wanted == CommentStatus.PUBLISHED:
                services.comment_unhide(
                    comment=obj, user=request.user, site_url=request_site_url(request)
                )
            else:
                obj.status = wanted
        super().save_model(request, obj, form, change)


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    list_display = (
        "excerpt",
        "kind",
        "status",
        "lesson",
        "section_link",
        "reported_by",
        "created_at",
    )
    list_filter = ("status", "kind", "lesson__course", LessonFilter)
    list_select_related = ("lesson__course", "reporter")
    search_fields = ("message", "lesson__title", "contact_email", "reporter__email")
    readonly_fields = (
        "lesson",
        "section_link",
        "kind",
        "message",
        "reporter",
        "contact_email",
        "language",
        "lesson_revision",
        "lesson_updated_at",
        "page_url",
        "user_agent",
        "created_at",
        "resolved_at",
        "resolved_by",
    )
    fields = ("status", "staff_note", *readonly_fields)
    actions = ("mark_resolved", "mark_wont_fix", "reopen")
    date_hierarchy = "created_at"

    class Media:
        css = ADMIN_CSS

    def has_add_permission(self, request):
        return False  # reports come from the lesson page

    @admin.display(description=_("report"))
    def excerpt(self, report):
        return Truncator(" ".join(report.message.split())).chars(REPORT_EXCERPT_CHARS)

    @admin.display(description=_("reported by"))
    def reported_by(self, report):
        if report.reporter is not None:
            return report.reporter.get_username()
        return report.contact_email or _("anonymous")

    @admin.display(description=_("section"))
    def section_link(self, report):
        label = f"#{report.section}" if report.section else _("the page")
        return format_html('<a href="{}">{}</a>', report.get_lesson_url(), label)

    def _close(self, request, queryset, status, message):
        changed = 0
        for report in queryset.exclude(status=status).select_related("reporter"):
            services.report_resolve(report=report, user=request.user, status=status)
            changed += 1
        self.message_user(request, message(changed) % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Mark the selected reports resolved"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        self._close(
            request,
            queryset,
            ReportStatus.RESOLVED,
            lambda n: ngettext("%(count)d report resolved.", "%(count)d reports resolved.", n),
        )

    @admin.action(description=_("Mark the selected reports won't fix"), permissions=["change"])
    def mark_wont_fix(self, request, queryset):
        self._close(
            request,
            queryset,
            ReportStatus.WONT_FIX,
            lambda n: ngettext(
                "%(count)d report closed as won't fix.", "%(count)d reports closed as won't fix.", n
            ),
        )

    @admin.action(description=_("Reopen the selected reports"), permissions=["change"])
    def reopen(self, request, queryset):
        self._close(
            request,
            queryset,
            ReportStatus.OPEN,
            lambda n: ngettext("%(count)d report reopened.", "%(count)d reports reopened.", n),
        )

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            wanted, obj.status = obj.status, form.initial["status"]
            services.report_resolve(
                report=obj, user=request.user, status=wanted, note=obj.staff_note
            )
            return
        super().save_model(request, obj, form, change)


@admin.register(LessonReportSummary)
class LessonReportSummaryAdmin(ViewOnlyTitle, admin.ModelAdmin):
    """Lessons by open problem reports, most first; each count links to the filtered queue."""

    list_display = ("title", "course", "open_reports", "all_reports", "open_on_site")
    # A row's page shows the same counts and links as the list (not the lesson's own fields).
    fields = readonly_fields = list_display
    list_filter = ("course",)
    list_select_related = ("course",)
    search_fields = ("title", "course__title")

    def get_queryset(self, request):
        return self.model._default_manager.annotate(
            open_report_total=Count(
                "stream_reports", filter=Q(stream_reports__status=ReportStatus.OPEN)
            ),
            report_total=Count("stream_reports"),
        ).order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ("-open_report_total", "course__position", "position", "id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("stream_comments.view_problemreport")

    def _queue_link(self, lesson, count, **filters):
        query = urlencode({"lesson__id__exact": lesson.pk, **filters})
        url = reverse("admin:stream_comments_problemreport_changelist")
        return format_html('<a href="{}?{}">{}</a>', url, query, count)

    @admin.display(description=_("open reports"), ordering="open_report_total")
    def open_reports(self, lesson):
        return self._queue_link(lesson, lesson.open_report_total, status__exact=ReportStatus.OPEN)

    @admin.display(description=_("all reports"), ordering="report_total")
    def all_reports(self, lesson):
        return self._queue_link(lesson, lesson.report_total)

    @admin.display(description=_("on the site"))
    def open_on_site(self, lesson):
        return format_html('<a href="{}">{}</a>', lesson.get_absolute_url(), _("view"))


@admin.register(CommentSettings)
class CommentSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "course", "lesson", "comments_open")
    list_filter = ("comments_open",)
    list_editable = ("comments_open",)
    autocomplete_fields = ()
    raw_id_fields = ("course", "lesson")


@admin.register(ReplySubscription)
class ReplySubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "lesson", "active", "updated_at")
    list_filter = ("active",)
    list_select_related = ("user", "lesson")
    search_fields = (*user_search_fields("user__"), "lesson__title")
    raw_id_fields = ("user", "lesson")


# The lessons admin list gets an "open reports" column. lessons knows nothing of comments, so
# this app extends the registered lesson admin rather than the other way round.
_LessonAdminBase = (
    type(admin.site.get_model_admin(Lesson)) if admin.site.is_registered(Lesson) else None
)

if _LessonAdminBase is not None:

    class LessonWithReportsAdmin(_LessonAdminBase):
        list_display = (*_LessonAdminBase.list_display, "open_report_count")

        def get_queryset(self, request):
            return (
                super()
                .get_queryset(request)
                .annotate(
                    open_report_total=Count(
                        "stream_reports",
                        filter=Q(stream_reports__status=ReportStatus.OPEN),
                        distinct=True,
                    )
                )
            )

        @admin.display(description=_("open reports"), ordering="open_report_total")
        def open_report_count(self, lesson):
            if not lesson.open_report_total:
                return "0"
            url = reverse("admin:stream_comments_problemreport_changelist")
            query = urlencode({"lesson__id__exact": lesson.pk, "status__exact": ReportStatus.OPEN})
            return format_html('<a href="{}?{}">{}</a>', url, query, lesson.open_report_total)

    admin.site.unregister(Lesson)
    admin.site.register(Lesson, LessonWithReportsAdmin)
