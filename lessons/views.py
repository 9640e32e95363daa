"""Stream's lesson pages. Views stay thin: selectors read, templates show."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import selectors
from .layout import base_template
from .page_cache import CachedLessonPage, lesson_page_shared


def page_context(**context):
    """The context every Stream page gets: the base template to extend (see ``lessons.layout``),
    then the page's own."""
    return {"stream_base_template": base_template(), **context}


@require_safe
def catalogue(request):
    courses = selectors.catalogue_courses(user=request.user)
    return render(request, "stream/lessons/catalogue.html", page_context(courses=courses))


@require_safe
def course_detail(request, course):
    course, lessons = selectors.course_with_lessons(course_slug=course, user=request.user)
    return render(
        request, "stream/lessons/course_detail.html", page_context(course=course, lessons=lessons)
    )


@require_safe
def tag_detail(request, tag):
    tag, lessons = selectors.tag_with_lessons(tag_slug=tag, user=request.user)
    return render(request, "stream/lessons/tag_detail.html", page_context(tag=tag, lessons=lessons))


@require_safe
def lesson_detail(request, course, lesson):
    # Anonymous visitors share one cached page per lesson and language; everyone but staff
    # shares the lesson's own part of it (see page_cache).
    def visible():
        return selectors.lessons_visible(user=request.user).filter(course__slug=course, slug=lesson)

    cached = CachedLessonPage.for_request(
        request, lessons=visible, course_slug=course, lesson_slug=lesson
    )
    if cached is not None and cached.hit:
        return cached.respond()
    if cached is not None:
        page = cached.lesson_page(course_slug=course, lesson_slug=lesson)
    else:
        page = lesson_page_shared(
            request=request, lessons=visible, course_slug=course, lesson_slug=lesson
        )
    context = page_context(page=page, lesson=page.lesson, course=page.course)
    if cached is None:
        return render(request, "stream/lessons/lesson_detail.html", context)
    response = render(
        request, "stream/lessons/lesson_detail.html", {**context, **cached.render_context()}
    )
    return cached.store(response)
