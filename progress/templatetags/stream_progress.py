"""Template tags for the progress slots and pages: ``{% load stream_progress %}``."""

from urllib.parse import urlencode

from django import template
from django.conf import settings

from lessons.api_base import language_param
from lessons.viewer import reverse_or_none as _reverse_or_none

from ..conf import progress_settings
from ..selectors import facts_version
from ..selectors import progress_view as request_progress_view
from ..texts import status_bar, text_templates

register = template.Library()


@register.simple_tag(takes_context=True)
def progress_view(context):
    """This request's :class:`~progress.selectors.ProgressView` (made once per request)."""
    return request_progress_view(
        request=context.get("request"),
        user=context.get("user"),
        site_version=context.get("site_version"),
    )


@register.simple_tag
def progress_status(state):
    """The status bar's texts for a ``LearnerState``."""
    return status_bar(state)


@register.simple_tag
def progress_completed_at(view, lesson_id):
    """When the learner completed the lesson, or ``None``."""
    return view.completions.get(lesson_id)


@register.simple_tag
def progress_course(view, course_id):
    return view.course(course_id)


@register.simple_tag
def progress_next(view, course=None):
    return view.next_lesson(course_id=course.pk if course is not None else None)


@register.simple_tag(takes_context=True)
def progress_signup_url(context, fragment=""):
    """allauth's sign-up page with ``?next=`` back to this page, or "" without allauth. On a
    shared page "this page" is its canonical ``page_path``, never the request's query string."""
    signup = _reverse_or_none("account_signup")
    request = context.get("request")
    if signup is None or request is None:
        return ""
    target = (context.get("page_path") or request.get_full_path()).split("#")[0]
    if fragment:
        target = f"{target}#{fragment}"
    return f"{signup}?{urlencode({'next': target})}"


def csrf_header_name() -> str:
    """``CSRF_HEADER_NAME`` as a browser sends it: ``HTTP_X_CSRFTOKEN`` → ``X-CSRFTOKEN``."""
    return settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-")


@register.simple_tag(takes_context=True)
def progress_page_data(context):
    """The JSON block the browser module reads: where to sync, the texts and the address of the
    catalogue's facts (``progress/facts.json``, versioned by the site's content version). The
    same for every viewer: a signed-in learner's state and token come from the viewer endpoint
    (``window.streamViewer``). Its size does not grow with the catalogue. No query on Stream's
    pages (they carry the version), 1 elsewhere."""
    facts_url = _reverse_or_none("stream_progress:facts")
    version = context.get("site_version")
    return {
        "storageKey": progress_settings.PROGRESS_STORAGE_KEY,
        "batchLimit": progress_settings.PROGRESS_SYNC_BATCH_LIMIT,
        # Names in the answers (levels, awards) in the page's language, not the browser's.
        "stateUrl": language_param(_reverse_or_none("stream_progress_api:state")),
        "syncUrl": language_param(_reverse_or_none("stream_progress_api:sync")),
        "factsUrl": f"{facts_url}?{urlencode({'v': facts_version(version)})}"
        if facts_url
        else None,
        "csrfHeader": csrf_header_name(),
        "text": text_templates(),
    }
