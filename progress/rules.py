"""Achievement rules: the kinds, their parameters, "how to earn it", and when a learner met one.

Everything here is pure: it works on a learner's history held in memory, so the services, the
admin's dry run and the tests share one definition. ``static/stream/progress/rules.js`` mirrors
:func:`award_times` for anonymous visitors, whose history lives in their browser.

A rule is met at the first moment its condition held, so an award keeps that date even when it
is granted later (after a sync, a backfill or a new rule). XP rules count the XP of awards too,
which may in turn meet other XP rules: :func:`award_times` iterates to a fixed point.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import RuleKind

# The parameters each kind takes. Numbers are whole numbers of at least 1.
RULE_PARAMS: dict[str, tuple[str, ...]] = {
    RuleKind.LESSONS_COMPLETED: ("count",),
    RuleKind.COURSE_COMPLETED: ("course",),
    RuleKind.TAG_COMPLETED: ("tag",),
    RuleKind.LESSONS_IN_ONE_DAY: ("count",),
    RuleKind.STREAK_DAYS: ("days",),
    RuleKind.XP_AT_LEAST: ("xp",),
    RuleKind.FIRST_COMMENT: (),
}
NUMBER_PARAMS = frozenset({"count", "days", "xp"})
# Kinds whose rule names a set of lessons to complete (resolved from the catalogue).
LESSON_SET_KINDS = frozenset({RuleKind.COURSE_COMPLETED, RuleKind.TAG_COMPLETED})


def course_reference_q(reference: str, prefix: str = "") -> Q:
    """Match a course by UUID (survives re-slugging) or by slug."""
    try:
        return Q(**{f"{prefix}uuid": uuid.UUID(str(reference))})
    except ValueError:
        return Q(**{f"{prefix}slug": reference})


def tag_reference_q(reference: str, prefix: str = "") -> Q:
    return Q(**{f"{prefix}slug": reference}) | Q(**{f"{prefix}name": reference})


def rule_params_clean(*, kind: str, params) -> dict:
    """``params`` checked for ``kind``: the cleaned dict, or a ValidationError saying what's wrong.

    Courses and tags must exist (by slug or UUID for a course, by slug or name for a tag).
    """
    from lessons.models import Course, Tag

    if kind not in RULE_PARAMS:
        raise ValidationError({"rule_kind": _("Unknown rule “%(kind)s”.") % {"kind": kind}})
    params = {} if params in (None, "") else params
    if not isinstance(params, dict):
        raise ValidationError({"rule_params": _("Rule parameters must be a JSON object.")})
    expected = RULE_PARAMS[kind]
    label = RuleKind(kind).label
    problems = []
    for name in sorted(set(params) - set(expected)):
        problems.append(
            _("The rule “%(rule)s” takes no “%(name)s”.") % {"rule": label, "name": name}
        )
    cleaned = {}
    for name in expected:
        value = params.get(name)
        if value is None or value == "":
            problems.append(
                _("The rule “%(rule)s” needs “%(name)s”.") % {"rule": label, "name": name}
            )
        elif name in NUMBER_PARAMS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(
                    _("“%(name)s” must be a whole number of at least 1.") % {"name": name}
                )
            else:
                cleaned[name] = value
        elif not isinstance(value, str):
            problems.append(_("“%(name)s” must be text.") % {"name": name})
        elif name == "course" and not Course.objects.filter(course_reference_q(value)).exists():
            problems.append(_("No course has the slug or UUID “%(value)s”.") % {"value": value})
        elif name == "tag" and not Tag.objects.filter(tag_reference_q(value)).exists():
            problems.append(_("No tag has the slug or name “%(value)s”.") % {"value": value})
        else:
            cleaned[name] = value
    if problems:
        raise ValidationError({"rule_params": problems})
    return cleaned


def rule_describe(*, kind: str, params: Mapping, subject: str = "") -> str:
    """How to earn it, for learners: "Complete 5 lessons." ``subject`` names the course or tag."""
    count = params.get("count") or 0
    if kind == RuleKind.LESSONS_COMPLETED:
        return ngettext("Complete %(count)s lesson.", "Complete %(count)s lessons.", count) % {
            "count": count
        }
    if kind == RuleKind.COURSE_COMPLETED:
        return _("Complete every lesson of the course “%(course)s”.") % {
            "course": subject or params.get("course", "")
        }
    if kind == RuleKind.TAG_COMPLETED:
        return _("Complete every lesson tagged “%(tag)s”.") % {
            "tag": subject or params.get("tag", "")
        }
    if kind == RuleKind.LESSONS_IN_ONE_DAY:
        return ngettext(
            "Complete %(count)s lesson in one day.", "Complete %(count)s lessons in one day.", count
        ) % {"count": count}
    if kind == RuleKind.STREAK_DAYS:
        days = params.get("days") or 0
        return ngettext(
            "Complete a lesson on %(days)s day in a row.",
            "Complete a lesson on each of %(days)s days in a row.",
            days,
        ) % {"days": days}
    if kind == RuleKind.XP_AT_LEAST:
        return _("Reach %(xp)s XP.") % {"xp": params.get("xp") or 0}
    if kind == RuleKind.FIRST_COMMENT:
        return _("Post your first comment on a lesson.")
    return ""


# --- Evaluation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """An active achievement, ready to evaluate. ``lessons``: a course or tag rule's lessons."""

    slug: str
    kind: str
    params: Mapping
    xp: int
    lessons: frozenset[int] = frozenset()

    def client_spec(self) -> dict:
        """The rule as the browser module evaluates it (see ``rules.js``)."""
        spec = {"kind": self.kind}
        if self.kind in LESSON_SET_KINDS:
            spec["lessons"] = sorted(self.lessons)
        else:
            spec.update({name: self.params[name] for name in RULE_PARAMS.get(self.kind, ())})
        return spec


@dataclass
class History:
    """What a learner did, as the rules see it.

    ``completions`` holds each lesson's earliest completion; ``activity`` every completion
    reported, as (lesson id, time) pairs, from every device (``None``: the completions alone).
    Day-based rules count days in ``activity``, so no later, earlier report can unmake a day.
    """

    completions: Mapping[int, datetime]
    completion_xp: Mapping[int, int]
    time_zone: tzinfo
    first_comment_at: datetime | None = None
    # Awards already held: slug → (awarded at, XP it gave).
    held: Mapping[str, tuple[datetime, int]] = field(default_factory=dict)
    activity: Sequence[tuple[int, datetime]] | None = None

    def days(self) -> dict[date, list[datetime]]:
        activity = self.activity if self.activity is not None else self.completions.items()
        return activity_days(activity, self.time_zone)


def local_date(moment: datetime, time_zone: tzinfo) -> date:
    """The date of ``moment`` in ``time_zone``; its UTC date within a day of the ends of
    ``datetime``'s range, where the local date does not exist (year 1 west of UTC)."""
    try:
        return moment.astimezone(time_zone).date()
    except OverflowError:
        return moment.date()


def activity_days(activity, time_zone: tzinfo) -> dict[date, list[datetime]]:
    """Local dates in ``time_zone`` with completions on them, in order: for each date, the
    earliest time each distinct lesson was completed that day, sorted."""
    firsts: dict[date, dict[int, datetime]] = defaultdict(dict)
    for lesson, moment in activity:
        day = firsts[local_date(moment, time_zone)]
        day[lesson] = min(day.get(lesson, moment), moment)
    return {day: sorted(lessons.values()) for day, lessons in sorted(firsts.items())}


def _lessons_completed_at(completions, count) -> datetime | None:
    times = sorted(completions.values())
    return times[count - 1] if len(times) >= count else None


def _lesson_set_at(completions, lessons) -> datetime | None:
    if not lessons or not all(lesson in completions for lesson in lessons):
        return None
    return max(completions[lesson] for lesson in lessons)


def _one_day_at(days, count) -> datetime | None:
    for times in days.values():
        if len(times) >= count:
            return times[count - 1]
    return None


def _streak_at(days, length) -> datetime | None:
    run, previous = 0, None
    for day, times in days.items():
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        previous = day
        if run >= length:
            return times[0]
    return None


def _xp_reached_at(entries, threshold, own_slug) -> datetime | None:
    total = 0
    for moment, amount, slug in entries:
        if slug == own_slug:
            continue  # an XP rule is never met thanks to its own reward
        total += amount
        if total >= threshold:
            return moment
    return None


def rule_met_at(rule: Rule, history: History, days=None) -> datetime | None:
    """When ``history`` first met ``rule`` (not for XP rules, see :func:`award_times`)."""
    completions = history.completions
    if rule.kind == RuleKind.LESSONS_COMPLETED:
        return _lessons_completed_at(completions, rule.params["count"])
    if rule.kind in LESSON_SET_KINDS:
        return _lesson_set_at(completions, rule.lessons)
    if rule.kind in (RuleKind.LESSONS_IN_ONE_DAY, RuleKind.STREAK_DAYS):
        days = days if days is not None else history.days()
        if rule.kind == RuleKind.LESSONS_IN_ONE_DAY:
            return _one_day_at(days, rule.params["count"])
        return _streak_at(days, rule.params["days"])
    if rule.kind == RuleKind.FIRST_COMMENT:
        return history.first_comment_at
    return None


def award_times(*, rules: list[Rule], history: History) -> dict[str, datetime]:
    """Every rule ``history`` meets, with the time it was first met: ``{slug: time}``.

    A held award's time is lowered when the history shows the rule was met earlier (a sync can
    bring older completions). XP rules count lesson XP and award XP, awards counting from their
    time; the loop ends because times only ever move earlier among finitely many candidates.
    """
    days = history.days()
    times: dict[str, datetime] = {}
    for rule in rules:
        if rule.kind != RuleKind.XP_AT_LEAST:
            met = rule_met_at(rule, history, days)
            if met is not None:
                times[rule.slug] = met
    xp_rules = [rule for rule in rules if rule.kind == RuleKind.XP_AT_LEAST]
    if not xp_rules:
        return times
    rule_xp = {rule.slug: rule.xp for rule in rules}
    lesson_entries = [
        (moment, history.completion_xp.get(lesson, 0), None)
        for lesson, moment in history.completions.items()
    ]
    while True:
        award_entries = []
        for slug, (held_at, held_xp) in history.held.items():
            award_entries.append((min(held_at, times.get(slug, held_at)), held_xp, slug))
        for slug, moment in times.items():
            if slug not in history.held:
                award_entries.append((moment, rule_xp.get(slug, 0), slug))
        entries = sorted(lesson_entries + award_entries, key=lambda entry: entry[0])
        changed = False
        for rule in xp_rules:
            met = _xp_reached_at(entries, rule.params["xp"], rule.slug)
            if met is not None and (rule.slug not in times or met < times[rule.slug]):
                times[rule.slug] = met
                changed = True
        if not changed:
            return times


def streak_current(*, activity, time_zone: tzinfo, now: datetime) -> int:
    """Days in a row with a completion, ending today or yesterday (0 when the run is broken).

    ``activity``: (lesson id, time) pairs, as in :class:`History`."""
    days = sorted(activity_days(activity, time_zone))
    if not days:
        return 0
    today = local_date(now, time_zone)
    if today - days[-1] > timedelta(days=1):
        return 0
    run = 1
    for later, earlier in zip(reversed(days), reversed(days[:-1]), strict=False):
        if later - earlier != timedelta(days=1):
            break
        run += 1
    return run


# --- Prerequisites -----------------------------------------------------------------------------
# A lesson's requirements as pages and the browser's facts carry them (``lessons.requirements``,
# ``Need.fact``): {"lesson": id}, or {"course": id, "lessons": [its published lesson ids]}.
# ``rules.js`` (unmetRequirements, isLocked) mirrors the first two; a test runs both on the
# same graphs. The third serves the sync's batches only: the browser never reads one.


def requirements_unmet(requirements: Sequence[Mapping], completed) -> list[Mapping]:
    """The requirements ``completed`` (lesson ids) does not meet, in order: a lesson not
    completed, a course with a lesson not completed."""
    unmet = []
    for requirement in requirements:
        if "lesson" in requirement:
            met = requirement["lesson"] in completed
        else:
            met = all(lesson in completed for lesson in requirement.get("lessons", ()))
        if not met:
            unmet.append(requirement)
    return unmet


def lesson_locked(*, lesson_id: int, requirements: Sequence[Mapping], completed) -> bool:
    """Whether a learner who completed ``completed`` may not complete ``lesson_id`` yet. A
    lesson already completed is never locked: requirements added later take nothing back."""
    return lesson_id not in completed and bool(requirements_unmet(requirements, completed))


def lessons_still_required(*, lesson_id: int, requirements: Sequence[Mapping], completed) -> set:
    """The lessons, not in ``completed``, that a learner must complete for ``lesson_id`` to
    unlock (completing ``lesson_id`` itself would unlock it too): empty when it is not locked.
    A sync batch looks at a locked lesson again only once these are done, so a path of n
    lessons reported last first costs 2n lock judgements, not n²/2 (``services._events_apply``).
    """
    if not lesson_locked(lesson_id=lesson_id, requirements=requirements, completed=completed):
        return set()
    return {
        lesson
        for requirement in requirements_unmet(requirements, completed)
        for lesson in (
            [requirement["lesson"]] if "lesson" in requirement else requirement.get("lessons", ())
        )
        if lesson not in completed
    }
