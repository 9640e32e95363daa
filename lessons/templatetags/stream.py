"""Tags that place Stream's pieces inside a host's own templates: ``{% load stream %}``.

::

    {% load stream %}
    <head>… {% stream_head %}</head>          Stream's stylesheets and the page_head slot
    <nav>… {% stream_nav %}</nav>             header links (notifications, my progress)
    {% stream_search %}                       the search box (a GET form to the search page)
    {% stream_status_bar %}                   the learner's level, XP and counts
    {% stream_lesson_progress lesson %}       the lesson's "mark as complete" section
    {% stream_report_link lesson %}           "Found a bug…? Report a problem" and its form
    {% stream_lesson_comments lesson %}       the lesson's comment section
    … {% stream_scripts %}</body>             the slots' ES modules and their JSON data

Each tag renders the templates other apps registered for the matching slot (see
``lessons.slots``), so a piece whose app is not installed renders nothing; override a piece by
overriding its template (``stream/progress/status_bar.html``, …). Every tag needs ``request`` in
the context (the ``request`` context processor). ``lesson`` is a ``lessons.models.Lesson``.
"""

from django import template
from django.template.loader import get_template, render_to_string
from django.utils.safestring import mark_safe

from ..slots import slot_templates

register = template.Library()


def _render_slot(context, name, **extra):
    names = slot_templates(name)
    if not names:
        return ""
    flat = context.flatten()
    flat.update(extra)
    request = context.get("request")
    return mark_safe("".join(get_template(n).render(flat, request) for n in names))  # noqa: S308


def _lesson_context(lesson):
    if lesson is None or not hasattr(lesson, "course"):
        raise template.TemplateSyntaxError("This Stream tag needs a lesson: {% tag lesson %}.")
    return {"lesson": lesson, "course": lesson.course}


@register.simple_tag(takes_context=True)
def stream_head(context):
    """Stream's stylesheets and whatever the installed apps put in ``<head>``."""
    assets = render_to_string(
        "stream/includes/page_assets.html",
        {"lesson": context.get("lesson"), "page_path": context.get("page_path")},
        request=context.get("request"),
    )
    return mark_safe(assets + _render_slot(context, "page_head"))  # noqa: S308


@register.simple_tag(takes_context=True)
def stream_scripts(context):
    """The installed apps' scripts (ES modules) and their page data; put it before ``</body>``."""
    return _render_slot(context, "page_scripts")


@register.simple_tag(takes_context=True)
def stream_nav(context):
    """The installed apps' header links (unread notifications, my progress)."""
    return _render_slot(context, "site_nav")


@register.simple_tag(takes_context=True)
def stream_search(context):
    """The search box, as Stream's own header has it: the same for every viewer."""
    return render_to_string("stream/includes/search_form.html", request=context.get("request"))


@register.simple_tag(takes_context=True)
def stream_status_bar(context):
    """The learner's status bar: level, XP, lessons, achievements, XP to the next level."""
    return _render_slot(context, "lesson_status_bar")


@register.simple_tag(takes_context=True)
def stream_lesson_progress(context, lesson):
    """``lesson``'s progress section with its mark-complete button."""
    return _render_slot(context, "lesson_progress", **_lesson_context(lesson))


@register.simple_tag(takes_context=True)
def stream_report_link(context, lesson):
    """ "Found a bug on this page or have feedback? Report a problem" with its form."""
    return _render_slot(context, "lesson_report", **_lesson_context(lesson))


@register.simple_tag(takes_context=True)
def stream_lesson_comments(context, lesson):
    """``lesson``'s comment section: count, 🔔 toggle, form (or sign-in link) and threads."""
    return _render_slot(context, "lesson_comments", **_lesson_context(lesson))
