"""The progress part of the viewer endpoint (``lessons.viewer``): the signed-in learner's
state, as ``GET progress/`` answers it (the status bar, the mark-complete button, course cards
and "continue" links are drawn from it), whether the page's lesson is locked for them
(``locked``: its unmet prerequisites, as ``rules.js`` reads them), and the header's link to
their progress page."""

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from lessons.models import Status
from lessons.requirements import requirement_facts
from lessons.viewer import nav_item, viewer_first, viewer_row

from .models import AchievementAward, LearnerProfile, LessonCompletion
from .rules import lesson_locked, requirements_unmet
from .selectors import learner_state_build, site_figures


def progress_rows(*, user, lesson):
    """The learner's XP, their completions of published lessons and their awards, as viewer
    rows."""
    completions = LessonCompletion.objects.filter(
        learner_id=user.pk,
        lesson__status=Status.PUBLISHED,
        lesson__course__status=Status.PUBLISHED,
    )
    return [
        viewer_row(LearnerProfile.objects.filter(user_id=user.pk), "progress:xp", F("xp")),
        viewer_row(completions, "progress:completion", F("lesson_id"), at=F("completed_at")),
        viewer_row(
            AchievementAward.objects.filter(learner_id=user.pk),
            "progress:award",
            F("achievement_id"),
            text=F("achievement__slug"),
            at=F("awarded_at"),
        ),
    ]


def progress_viewer_part(*, request, lesson, page, site_version, rows) -> dict:
    figures = site_figures(version=site_version)
    state = learner_state_build(
        xp=viewer_first(rows, "progress:xp", 0),
        levels=figures.levels,
        completions={ref: at for kind, ref, _, at in rows if kind == "progress:completion"},
        total_lessons=figures.lessons,
        active=figures.achievements,
        awards={text: at for kind, _, text, at in rows if kind == "progress:award"},
    )
    # The page's lesson, locked for this learner: what it still needs (``[]``: not locked).
    locked = []
    if lesson is not None:
        needs = requirement_facts(version=site_version).for_lesson(lesson.pk)
        facts = [need.fact() for need in needs]
        if lesson_locked(lesson_id=lesson.pk, requirements=facts, completed=state.completed):
            locked = requirements_unmet(facts, state.completed)
    return {
        **state.as_payload(),
        "locked": locked,
        "nav": [nav_item(url=reverse("stream_progress:overview"), label=_("My progress"))],
    }
