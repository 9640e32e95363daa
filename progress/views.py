"""The progress pages: ``/me/progress/`` and the mark-complete form that works without JS."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from lessons.selectors import lessons_visible
from lessons.views import page_context

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


@require_POST
def lesson_complete(request, lesson_id):
    """Mark a lesson complete from the page's plain form, then go back to its Progress section.

    Anonymous visitors (whose browser keeps progress only with JavaScript) are sent to sign in.
    """
    lesson = get_object_or_404(lessons_visible(user=request.user), pk=lesson_id)
    back = f"{lesson.get_absolute_url()}#progress"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    try:
        result = services.completion_record(user=request.user, lesson=lesson)
    except services.CompletionRefused:
        messages.error(request, _("Only published lessons can be marked as complete."))
        return redirect(back)
    if result.awarded:
        names = ", ".join(award.achievement.name for award in result.awarded)
        xp = sum(award.xp for award in result.awarded)
        if len(result.awarded) == 1:
            notice = text("award_one", names=names, xp=xp)
        else:
            notice = text("award_many", count=len(result.awarded), names=names, xp=xp)
        messages.success(request, notice)
    if result.course_completed:
        messages.success(request, text("course_complete", course=lesson.course.title))
    return redirect(back)
