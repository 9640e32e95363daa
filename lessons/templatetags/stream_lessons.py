"""Template tags for Stream's pages and for host templates that place Stream's pieces."""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.shortcuts import resolve_url
from django.template.loader import get_template
from django.urls import translate_url
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info

from ..conf import lessons_settings
from ..slots import slot_templates
from ..variants import language_name

register = template.Library()


@register.simple_tag(takes_context=True)
def stream_slot(context, name):
    """Render every template registered for slot ``name`` (see ``lessons.slots``) in the
    page's own context, as ``{% include %}`` does: what a slot template sets stays inside it,
    and the context processors are not run again for each slot (nor for each item of a
    per-item slot)."""
    rendered = []
    for template_name in slot_templates(name):
        template = get_template(template_name)
        engine_template = getattr(template, "template", None)  # Django's template language
        if engine_template is None:
            rendered.append(template.render(context.flatten(), context.get("request")))
            continue
        with context.push():
            rendered.append(engine_template.render(context))
    return mark_safe("".join(rendered))  # noqa: S308 (templates rendered it, autoescaping)


@register.simple_tag
def stream_setting(name):
    """A display setting: ``SITE_NAME``, ``SECTION_NAME`` or ``SEARCH_QUERY_MAX_LENGTH``."""
    if name not in {"SITE_NAME", "SECTION_NAME", "SEARCH_QUERY_MAX_LENGTH"}:
        raise template.TemplateSyntaxError(f"stream_setting cannot show {name!r}.")
    return getattr(lessons_settings, name)


@register.filter
def two_digits(number):
    """``2`` → ``02``: lesson numbers in "Lesson 02 of 05"."""
    try:
        return f"{int(number):02d}"
    except (TypeError, ValueError):
        return number


@register.simple_tag
def tag_links(tags):
    """Comma-separated links to each tag's lesson list."""
    return format_html_join(
        ", ",
        '<a class="tag-link" href="{}">{}</a>',
        ((t.get_absolute_url(), t.name_in()) for t in tags),
    )


@register.simple_tag(takes_context=True)
def stream_login_url(context, next_url="", fragment=""):
    """``settings.LOGIN_URL`` with ``?next=`` back to this page (or ``next_url``), plus an anchor.

    On a shared page (``lessons.caching``) "this page" is its canonical ``page_path``, never
    what the request's query string says.

    Works with allauth, Django's own login view or a host's sign-in page alike. On a page that
    is itself part of signing in (it carries a ``?next=``, like the sign-up page), the link
    passes that ``next`` on instead of pointing back at the sign-in pages.
    """
    request = context.get("request")
    login_url = resolve_url(settings.LOGIN_URL)
    target = next_url or context.get("page_path", "")
    if not target and request is not None:
        target = request.GET.get("next") or (
            "/" if request.path == login_url else request.get_full_path()
        )
    target = target or "/"
    if fragment:
        target = f"{target.split('#')[0]}#{fragment.lstrip('#')}"
    return f"{login_url}?{urlencode({'next': target})}"


@register.simple_tag
def stream_home_url():
    """Where the brand in Stream's header links to: ``STREAM["HOME_URL"]`` (a path, URL or URL
    name), resolved."""
    return resolve_url(lessons_settings.HOME_URL)


@register.simple_tag(takes_context=True)
def stream_viewer_config(context):
    """What the page's script needs to ask the viewer endpoint (``lessons.viewer``) for this
    viewer's part of a shared page: its address, the signed-in hint cookie's name, the CSRF
    header and the lesson and comment page shown. The same for every viewer."""
    from ..viewer import viewer_config

    lesson = context.get("lesson")
    return viewer_config(
        lesson_id=getattr(lesson, "pk", None), comments_page=context.get("comments_page") or 1
    )


@register.simple_tag(takes_context=True)
def stream_language_links(context, alternates=False):
    """The same page in each other language, for the header's language switch: a list of
    ``{"code", "name", "url"}`` where the language is in the URL (``i18n_patterns``), empty where
    it is not (a host keeping it in a cookie switches with ``set_language`` instead).

    With ``alternates`` (the ``hreflang`` links in ``<head>``), a lesson page lists only the
    languages its text exists in (its original and its variants, ``lesson.languages``)."""
    path = context.get("page_path") or _request_path(context)
    current = get_language()
    lesson = context.get("lesson")
    written = getattr(lesson, "languages", None) if alternates else None
    links = []
    for code, _name in settings.LANGUAGES:
        if code == current or (written is not None and code not in written):
            continue
        url = translate_url(path, code)
        if url != path:
            links.append({"code": code, "name": get_language_info(code)["name_local"], "url": url})
    return links


@register.simple_tag(takes_context=True)
def stream_lesson_variant_links(context, lesson):
    """The other languages ``lesson`` is written in (``lesson.languages``, read through
    ``lessons.variants``), each ``{"code", "name", "url", "original"}``; ``url`` is empty where
    the language is not in the address."""
    path = context.get("page_path") or _request_path(context)
    links = []
    for code in getattr(lesson, "languages", ()):
        if code == lesson.shown_language:
            continue
        url = translate_url(path, code)
        links.append(
            {
                "code": code,
                "name": language_name(code),
                "url": url if url != path else "",
                "original": code == lesson.original_language,
            }
        )
    return links


def _request_path(context) -> str:
    request = context.get("request")
    return request.get_full_path() if request is not None else "/"


@register.filter(name="language_name")
def language_name_filter(code):
    """A language code's name in itself: ``"ko"|language_name`` is ``한국어``."""
    return language_name(code)
