"""Stream's pages: the same HTML for every viewer (see ``lessons.caching``). Views stay thin:
selectors read, templates show, ``caching`` answers with HTTP caching and the page cache."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.views.decorators.http import require_safe

from . import selectors
from .adapter import adapter_overrides
from .caching import page_address, page_param, private_response, render_page, shared_response
from .conf import lessons_settings
from .layout import base_template
from .requirements import requirement_facts, requirements_unmet
from .search import SearchQueryError, search_lessons
from .versions import site_version


def page_context(**context):
    """The context every Stream page gets: the base template to extend (see ``lessons.layout``),
    then the page's own. Shared pages also carry ``site_version`` (``lessons.versions``), which
    slots pass on to what they keep under it instead of reading it again."""
    return {"stream_base_template": base_template(), **context}


def done_page(
    request, *, title: str, back_url: str, back_label: str = "", status: int = 200
) -> HttpResponse:
    """What a form posted without JavaScript answers: the outcome (its messages, which the
    shared lesson page cannot show) and a link back (``back_label``, by default "Back to the
    lesson"); ``status`` 403 or 409 when it was refused. Private: it is this viewer's."""
    response = render(
        request,
        "stream/lessons/done_page.html",
        page_context(title=title, back_url=back_url, back_label=back_label),
        status=status,
    )
    return private_response(response)


def _viewer(request):
    """Who a page is rendered for when it is not shared: the signed-in user, asked only when
    the browser has a session (so a cookie-less visitor's answer never varies by cookie)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return AnonymousUser()
    return request.user


def _lists_shared(request) -> bool:
    """Whether the catalogue, course and tag pages are the same for this viewer as for anyone:
    not staff (who see drafts), and no adapter narrowing what each viewer may see."""
    if adapter_overrides("courses_for_user") or adapter_overrides("lessons_for_user"):
        return False
    return not selectors.user_is_staff(_viewer(request))


def _list_page(request, template_name: str, read, *, kind: str) -> HttpResponse:
    shared = _lists_shared(request)
    user = AnonymousUser() if shared else _viewer(request)
    version = site_version()

    def render():
        context = page_context(site_version=version, **read(user, version))
        return render_page(request, template_name, context, page_path=request.path, shared=shared)

    if not shared:
        return private_response(render())
    return shared_response(request, parts=(kind, request.path), versions=(version,), render=render)


@require_safe
def catalogue(request):
    return _list_page(
        request,
        "stream/lessons/catalogue.html",
        lambda user, version: {"courses": selectors.catalogue_courses(user=user)},
        kind="catalogue",
    )


@require_safe
def course_detail(request, course):
    def read(user, version):
        found, lessons = selectors.course_with_lessons(course_slug=course, user=user)
        # The path: what the course requires, and what each lesson requires besides.
        facts = requirement_facts(version=version)
        course_needs = facts.for_course(found.pk)
        for lesson in lessons:
            lesson.needs = [n for n in facts.for_lesson(lesson.pk) if n not in course_needs]
        return {"course": found, "lessons": lessons, "course_needs": course_needs}

    return _list_page(request, "stream/lessons/course_detail.html", read, kind="course")


@require_safe
def tag_detail(request, tag):
    def read(user, version):
        found, lessons = selectors.tag_with_lessons(tag_slug=tag, user=user)
        return {"tag": found, "lessons": lessons}

    return _list_page(request, "stream/lessons/tag_detail.html", read, kind="tag")


@require_safe
def lesson_detail(request, course, lesson):
    head = selectors.lesson_head(course_slug=course, lesson_slug=lesson)
    if head is None:
        raise Http404("No such lesson.")
    found = page_param(request, lesson_id=head.pk)
    if isinstance(found, HttpResponse):
        return found  # a page parameter written another way: its canonical address
    param, number = found
    versions = head.versions
    shared = head.public and not adapter_overrides("lessons_for_user")
    hide_locked = lessons_settings.REQUIREMENTS_HIDE_LOCKED
    needs = requirement_facts(version=versions[0]).for_lesson(head.pk) if hide_locked else None
    if needs:
        shared = False  # whether its text shows depends on who asks
    user = AnonymousUser() if shared else _viewer(request)

    def render():
        page = selectors.lesson_page(course_slug=course, lesson_slug=lesson, user=user)
        page.requirements = requirement_facts(version=versions[0]).for_lesson(head.pk)
        if page.requirements and hide_locked:
            page.content_hidden = bool(
                requirements_unmet(user=user, lesson_id=page.lesson.pk, needs=page.requirements)
            )
        context = page_context(
            page=page,
            lesson=page.lesson,
            course=page.course,
            comments_page=number,
            site_version=versions[0],
        )
        return render_page(
            request,
            "stream/lessons/lesson_detail.html",
            context,
            page_path=page_address(request.path, param, number),
            shared=shared,
        )

    if not shared:
        return private_response(render())
    return shared_response(
        request, parts=("lesson", request.path, number), versions=versions, render=render
    )


@require_safe
def search(request):
    """``/search/?q=``: the lessons the viewer may open that contain the words, a page at a time
    (``lessons.search``). Never kept in the page cache (every query would be a key of its own)
    and sent ``private``: what it finds depends on who asks (drafts for staff, the adapter)."""
    user = _viewer(request)
    query = request.GET.get("q", "")
    context = page_context(query=query, max_length=lessons_settings.SEARCH_QUERY_MAX_LENGTH)
    status = 200
    if "q" in request.GET:
        try:
            found = search_lessons(query=query, user=user)
        except SearchQueryError as problem:
            context["problem"] = problem.message
            status = 400 if problem.code == "too_long" else 200
        else:
            paginator = Paginator(found, lessons_settings.SEARCH_RESULTS_PER_PAGE)
            page = paginator.get_page(request.GET.get("page"))
            context.update(
                terms=found.terms,
                page=page,
                more=found.more,
                count_limit=number_format(found.count_limit, force_grouping=True),
            )
    response = render_page(
        request,
        "stream/lessons/search.html",
        context,
        page_path=_search_address(request, context),
        shared=False,
    )
    response.status_code = status
    return private_response(response)


def _search_address(request, context) -> str:
    """This search's own address, for the language switch and the sign-in link to come back
    to: the query and the page of results when the page answered it (not one it refused, an
    over-long one say), nothing else."""
    page = context.get("page")
    if page is None:
        return request.path
    params = {"q": context["query"], **({"page": page.number} if page.number > 1 else {})}
    return f"{request.path}?{urlencode(params)}"
