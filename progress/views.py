"""The progress pages: ``/me/progress/`` and the mark-complete form that works without JS."""

import hashlib
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_safe

from lessons.adapter import adapter_overrides
from lessons.selectors import lessons_visible
from lessons.translations import (
    related_translations_annotate,
    related_translations_attach,
    translations_annotate,
)
from lessons.versions import site_memo, site_version
from lessons.views import done_page, page_context

from . import badges, selectors, services
from .conf import progress_settings
from .models import Achievement, AchievementAward, BadgeRevocation
from .texts import text


@require_safe
@login_required
def progress_overview(request):
    view = selectors.progress_view(request=request)
    courses = [course for course in view.courses.values() if course.done]
    cards = badges.cards_with_badges(request, cards=selectors.achievement_cards(view=view))
    return render(
        request,
        "stream/progress/overview.html",
        page_context(
            progress=view,
            achievement_cards=cards,
            badges_need_email=any(card.awarded_at for card in cards)
            and not badges.learner_email(request.user),
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
    # The lesson's and its course's titles in the page's language (the page names the lesson,
    # its completion notice the course) come in the same query.
    visible = related_translations_annotate(lessons_visible(user=request.user), "course")
    visible = translations_annotate(visible, fields=("title",))
    lesson = get_object_or_404(visible, pk=lesson_id)
    related_translations_attach(lesson, "course")
    back = f"{lesson.get_absolute_url()}#progress"
    if not request.user.is_authenticated:
        return redirect_to_login(request.path if request.method != "POST" else back)
    if request.method != "POST":
        done = lesson.pk in selectors.progress_view(request=request).completions
        unmet = (
            [] if done else selectors.requirements_unmet_for(user=request.user, lesson_id=lesson.pk)
        )
        return _complete_page(request, lesson, done=done, unmet=unmet)
    try:
        result = services.completion_record(user=request.user, lesson=lesson)
    except services.CompletionLocked as locked:
        return _complete_page(request, lesson, unmet=locked.unmet, status=409)
    except services.CompletionRefused:
        # Said here: the lesson page is everyone's and shows no messages.
        return done_page(
            request,
            title=_("Only published lessons can be marked as complete."),
            back_url=back,
            status=409,
        )
    if result.awarded:
        names = ", ".join(award.achievement.name_in() for award in result.awarded)
        xp = sum(award.xp for award in result.awarded)
        if len(result.awarded) == 1:
            notice = text("award_one", names=names, xp=xp)
        else:
            notice = text("award_many", count=len(result.awarded), names=names, xp=xp)
        messages.success(request, notice)
    if result.course_completed:
        messages.success(request, text("course_complete", course=lesson.course.title_in()))
    return done_page(request, title=_("You completed this lesson."), back_url=back)


def _complete_page(request, lesson, *, done=False, unmet=(), status=200):
    """The no-JavaScript "Mark as complete" page: the form, or that it is done, or what unlocks
    the lesson (its prerequisites not met, with links)."""
    return render(
        request,
        "stream/progress/complete_page.html",
        page_context(lesson=lesson, course=lesson.course, done=done, unmet=unmet),
        status=status,
    )


# --- Open Badges (see progress.badges): public documents, no session -----------------------------


def _badge_response(request, body: bytes, content_type: str, *, status: int = 200):
    """``body`` for anyone: public and cacheable for ``BADGE_MAX_AGE`` seconds, with an ETag
    (a 304 to a client that has it), readable by scripts on other sites (displayers)."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    response = get_conditional_response(request, etag=etag) if status == 200 else None
    if response is None:
        response = HttpResponse(body, content_type=content_type, status=status)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={progress_settings.BADGE_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _badge_not_found():
    return JsonResponse({"detail": _("There is no badge here."), "code": "not_found"}, status=404)


def _document(request, document: dict, *, status: int = 200):
    return _badge_response(
        request, badges.document_bytes(document), badges.DOCUMENT_CONTENT_TYPE, status=status
    )


@require_safe
def badge_issuer(request):
    """The Issuer profile every badge names. No query."""
    with translation.override(settings.LANGUAGE_CODE):
        return _document(request, badges.issuer_document(request))


@require_safe
def badge_class(request, achievement_id):
    """An achievement as an Open Badges BadgeClass, named in the site's default language. 1
    query (2 for a course or tag rule)."""
    with translation.override(settings.LANGUAGE_CODE):
        achievement = translations_annotate(Achievement.objects.filter(pk=achievement_id)).first()
        if achievement is None:
            return _badge_not_found()
        return _document(request, badges.badge_class_document(request, achievement))


@require_safe
def badge_class_image(request, achievement_id):
    """An achievement's badge image (PNG). 1 query; drawn once, then kept in the cache."""
    achievement = Achievement.objects.filter(pk=achievement_id).first()
    if achievement is None:
        return _badge_not_found()
    return _badge_response(request, badges.achievement_image(achievement), "image/png")


def _badge_award(request, badge_id):
    """``(award, None)`` for the award whose badge this is, with its learner and achievement
    (1 query); else ``(None, answer)``: 410 Gone saying "revoked" for a withdrawn award (1 more
    query), 404 for an unknown id or a learner with no email to issue it to."""
    award = (
        AchievementAward.objects.select_related("learner", "achievement")
        .filter(badge_id=badge_id)
        .first()
    )
    if award is not None and badges.learner_email(award.learner):
        return award, None
    revocation = None if award else BadgeRevocation.objects.filter(badge_id=badge_id).first()
    if revocation is None:
        return None, _badge_not_found()
    return None, _document(request, badges.revoked_document(request, revocation), status=410)


@require_safe
def badge_assertion(request, badge_id):
    """An award as a hosted Open Badges Assertion; 410 Gone with ``"revoked": true`` once the
    award is withdrawn. 1 query (2 when revoked or unknown)."""
    with translation.override(settings.LANGUAGE_CODE):
        award, refusal = _badge_award(request, badge_id)
        return refusal or _document(request, badges.assertion_document(request, award))


@require_safe
def badge_image(request, badge_id):
    """The award's baked badge: the achievement's PNG carrying the hosted assertion, offered as
    a download. 1 query (2 when revoked or unknown)."""
    with translation.override(settings.LANGUAGE_CODE):
        award, refusal = _badge_award(request, badge_id)
        if refusal:
            return refusal
        response = _badge_response(request, badges.baked_image(request, award), "image/png")
    response["Content-Disposition"] = f'inline; filename="{award.achievement.slug}-badge.png"'
    return response
