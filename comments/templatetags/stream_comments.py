"""Template tags for the comment section, the report form and the header's notification link."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from .. import selectors
from ..conf import comments_settings
from ..forms import ReportForm
from ..models import CommentStatus, FlagReason, NotificationKind, ReportStatus
from ..threads import thread_list_html

register = template.Library()


def _user(context):
    request = context.get("request")
    return context.get("user") or getattr(request, "user", None)


@register.simple_tag(takes_context=True)
def stream_comment_section(context):
    """The lesson's comment section as the context's ``user`` sees it (on shared pages, any
    visitor), on the page of threads the view chose (``comments_page``; see
    ``selectors.comment_section``). 1 query; ``{% stream_comment_threads %}`` adds 1 or 2."""
    lesson, user = context["lesson"], _user(context)
    return selectors.comment_section(
        lesson=lesson, user=user, page=context.get("comments_page") or 1
    )


@register.simple_tag(takes_context=True)
def stream_comment_threads(context, section):
    """The section's threads as ``<li>`` items, as the shared page shows them, each thread kept
    rendered (see ``comments.threads``). 1 query when every thread is kept, 2 otherwise (and 1
    more without the page's ``site_version`` in the context)."""
    return thread_list_html(
        section, request=context.get("request"), version=context.get("site_version")
    )


@register.simple_tag(takes_context=True)
def stream_report_form(context):
    """An empty problem-report form for the lesson, its sections taken from the lesson's
    headings. No queries."""
    return ReportForm(lesson=context["lesson"], auto_id="report-%s")


@register.simple_tag(takes_context=True)
def stream_unread_count(context):
    """The current user's unread notifications (0 for visitors). 1 query when signed in."""
    return selectors.unread_count(user=_user(context))


@register.simple_tag
def stream_comments_setting(name):
    """A comments setting a template needs, such as ``COMMENTS_MAX_LENGTH``."""
    if name not in {"COMMENTS_MAX_LENGTH", "REPORTS_MAX_LENGTH", "COMMENTS_ORDER"}:
        raise template.TemplateSyntaxError(f"stream_comments_setting cannot show {name!r}.")
    return getattr(comments_settings, name)


@register.filter
def relative_time(value):
    """``3 minutes ago`` (the exact time goes in the ``<time>`` element's title)."""
    if not value:
        return ""
    now = timezone.now()
    if now - value < timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(value, now, depth=1)}


# What the learner-data page's codes mean (comments.learner_data exports the codes).
_CHOICES = {
    "comment_status": CommentStatus,
    "flag_reason": FlagReason,
    "notification_kind": NotificationKind,
    "report_status": ReportStatus,
}


@register.filter
def choice_label(value, kind):
    """The label of the code ``value`` among the choices ``kind`` names (the code if unknown)."""
    return dict(_CHOICES[kind].choices).get(value, value)


@register.filter
def author_name(user):
    """A comment author's display name (see ``selectors.author_display_name``)."""
    return selectors.author_display_name(user)
