"""The progress pages: ``/me/progress/`` and the mark-complete form that works without JS."""

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_safe

from lessons.adapter import adapter_overrides
from lessons.selectors import lessons_visible
from lessons.versions import site_memo, site_version
from lessons.views import done_page, page_context

from . import selectors, services
from .texts import text


@require_safe
@login_required
def progress_overview(request):
    view = selectors.progress_view(request=request)
    courses = [course for course in view.courses.values() if course.done]
    return render(
        request,
        "stream/progress/overview.html",
        page_context(
            progress=view,
            achievement_cards=selectors.achievement_cards(view=view),
            courses_done=courses,
            streak=view.streak(),
        ),
    )


# A versioned address never changes content: browsers and shared caches may keep it for good.
_FOREVER = "public, max-age=31536000, immutable"


@require_safe
def progress_facts(request):
    """``progress/facts.json?v=<facts version>``: what the browser module needs from the whole
    catalogue to compute progress on its own (``selectors.progress_facts``).

    Pages link it with the site's content version and the release (``facts_version``), so the
    same address never changes content and is cached for good (``Cache-Control: immutable``,
    an ``ETag``); a new lesson, level or achievement gives pages a new address. Asked with
    another (or no) version, it answers the current facts but lets nobody keep them. 1 query
    once kept (the version). With an adapter that narrows what each viewer may open, the facts
    are the requester's own and private."""
    if adapter_overrides("lessons_for_user") or adapter_overrides("courses_for_user"):
        body = _facts_body(selectors.progress_facts(user=request.user))
        response = HttpResponse(body, content_type="application/json")
        response["Cache-Control"] = "private, no-cache"
        return response

    version = site_version()
    body = site_memo(
        name="progress:facts",
        parts=(translation.get_language(), get_script_prefix()),
        compute=lambda: _facts_body(selectors.progress_facts()),
        version=version,
    )
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    current = request.GET.get("v") == selectors.facts_version(version)
    response["Cache-Control"] = _FOREVER if current else "public, no-cache"
    return response


def _facts_body(facts) -> bytes:
    return json.dumps(facts, separators=(",", ":"), ensure_ascii=False).encode()


@cache_control(private=True)
@require_http_methods(["GET", "HEAD", "POST"])
def lesson_complete(request, lesson_id):
    """Mark a lesson complete without JavaScript: GET asks (the lesson page's button leads
    here, the page being the same for every viewer and carrying no token), POST does it and goes
    back to the lesson's Progress section.

    Anonymous visitors (whose browser keeps progress only with JavaScript) are sent to sign in.
    """
    lesson = get_object_or_404(lessons_visible(user=request.user), pk=lesson_id)
    back = f"{lesson.get_absolute_url()}#progress"
    if not request.user.is_authenticated:
        return redirect_to_login(request.path if request.method != "POST" else back)
    if request.method != "POST":
        done = lesson.pk in selectors.progress_view(request=request).completions
        return render(
            request,
            "stream/progress/complete_page.html",
            page_context(lesson=lesson, course=lesson.course, done=done),
        )
    try:
        result = services.completion_record(user=request.user, lesson=lesson)
    except services.CompletionRefused:
        messages.error(request, _("Only published lessons can be marked as complete."))
        return redirect(back)
    if result.awarded:
        names = ", ".join(award.achievement.name_in() for award in result.awarded)
        xp = sum(award.xp for award in result.awarded)
        if len(result.awarded) == 1:
            notice = text("award_one", names=names, xp=xp)
        else:
            notice = text("award_many", count=len(result.awarded), names=names, xp=xp)
        messages.success(request, notice)
    if result.course_completed:
        messages.success(request, text("course_complete", course=lesson.course.title))
    return done_page(request, title=_("You completed this lesson."), back_url=back)
