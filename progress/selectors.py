"""Reads shared by the progress pages, the slots on lesson pages and the API.

Each function costs a fixed number of queries, whatever the number of lessons, courses or
achievements. Pages use :func:`progress_view`, which computes each part once per request and
caches it on the request, so per-item slots (course cards, lesson rows) never query per item.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.conf import settings
from django.db.models import F, FilteredRelation, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lessons.adapter import adapter_overrides
from lessons.models import Lesson, Status
from lessons.requirements import requirement_facts
from lessons.selectors import lessons_visible
from lessons.translations import (
    active_language,
    related_translations_annotate,
    translations_annotate,
)
from lessons.versions import release, site_memo, site_version

from .conf import progress_settings
from .models import (
    Achievement,
    AchievementAward,
    CompletionEvent,
    LearnerProfile,
    LessonCompletion,
    Level,
    RuleKind,
)
from .rules import (
    History,
    Rule,
    award_times,
    lesson_locked,
    requirements_unmet,
    rule_describe,
    streak_current,
)

PUBLISHED = Q(status=Status.PUBLISHED, course__status=Status.PUBLISHED)


def is_learner(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def learner_time_zone(profile: LearnerProfile | None) -> zoneinfo.ZoneInfo:
    """The zone a learner's days are counted in: theirs, the app's setting, or the site's."""
    name = (profile.time_zone if profile else "") or progress_settings.PROGRESS_TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# --- The catalogue as progress sees it ---------------------------------------------------------


@dataclass
class LessonFact:
    id: int
    xp: int
    title: str
    slug: str
    course_id: int
    course_uuid: str
    course_slug: str
    course_title: str
    published: bool = True
    tags: set[str] = field(default_factory=set)
    completed_at: datetime | None = None
    completion_id: int | None = None
    completion_xp: int = 0
    # The earliest a completion can be: the lesson's first publication (its creation when that
    # is unknown). Loaded for writes only (learner_lesson_facts).
    available_from: datetime | None = None

    @property
    def url(self) -> str:
        return lesson_url(self.course_slug, self.slug)


_COURSE_MARK, _LESSON_MARK = "stream-course-mark", "stream-lesson-mark"


@functools.lru_cache(maxsize=8)
def _lesson_url_parts(urlconf_key) -> tuple[str, str, str] | None:
    try:
        template = reverse(
            "stream_lessons:lesson", kwargs={"course": _COURSE_MARK, "lesson": _LESSON_MARK}
        )
    except NoReverseMatch:
        return None
    prefix, rest = template.split(_COURSE_MARK, 1)
    middle, suffix = rest.split(_LESSON_MARK, 1)
    return prefix, middle, suffix


def lesson_url(course_slug: str, lesson_slug: str) -> str:
    """A lesson's address without a ``reverse()`` per lesson (pages list every lesson), in the
    active language (with ``i18n_patterns`` the address carries it)."""
    from django.urls import get_script_prefix, get_urlconf
    from django.utils.translation import get_language

    parts = _lesson_url_parts((get_urlconf(), get_script_prefix(), get_language()))
    if parts is None:
        return ""
    prefix, middle, suffix = parts
    return f"{prefix}{course_slug}{middle}{lesson_slug}{suffix}"


_EVERYONE = object()  # lesson_facts(user=...) not given: no viewer's visibility applies

_LESSON_FIELDS = (
    "id",
    "xp",
    "title",
    "slug",
    "status",
    "course_id",
    "course__status",
    "course__uuid",
    "course__slug",
    "course__title",
)


# What _titles_annotate adds to a values() row: the variant's and the course's titles.
_TITLE_FIELDS = ("translated_title", "course_translated_title")


def _titles_annotate(lessons):
    """``lessons`` with their variant's title (``lessons.variants``) and their course's title in
    the active language joined in: pages and ``facts.json`` (kept per language) name them as the
    lesson page does."""
    lessons = translations_annotate(lessons, fields=("title",))
    return related_translations_annotate(lessons, "course")


def _lesson_fact(row: dict) -> LessonFact:
    """A :class:`LessonFact` from a ``values()`` row of ``_LESSON_FIELDS`` (and the learner's
    completion as ``mine__*`` when the query joined it)."""
    return LessonFact(
        id=row["id"],
        xp=row["xp"],
        title=row.get("translated_title") or row["title"],
        slug=row["slug"],
        course_id=row["course_id"],
        course_uuid=str(row["course__uuid"]),
        course_slug=row["course__slug"],
        course_title=row.get("course_translated_title") or row["course__title"],
        published=(row["status"], row["course__status"]) == (Status.PUBLISHED, Status.PUBLISHED),
        completed_at=row.get("mine__completed_at"),
        completion_id=row.get("mine__id"),
        completion_xp=row.get("mine__xp") or 0,
        available_from=row.get("published_at") or row.get("created_at"),
    )


def lesson_facts(
    *,
    include_ids=(),
    with_tags: bool = False,
    learner=None,
    include_completed: bool = False,
    user=_EVERYONE,
) -> tuple[list[LessonFact], dict[int, LessonFact]]:
    """Every published lesson in catalogue order, plus the lessons ``include_ids`` names. 1 query.

    Returns ``(published, by_id)``; ``by_id`` also holds the unpublished lessons asked for (with
    ``published=False``), so a caller can tell an unknown lesson from a draft. ``with_tags``
    fills each lesson's tag slugs and names (for tag rules). ``learner`` fills each lesson's
    ``completed_at``, ``completion_id`` and ``completion_xp`` from that learner's completion;
    ``include_completed`` also brings every other lesson the learner completed (a draft now).
    ``user`` (a user, anonymous or ``None`` for a visitor) keeps only the lessons that user may
    open (``lessons.selectors.lessons_visible``, the adapter's ``lessons_for_user`` included:
    a subquery of the same query, and nothing at all with the default adapter); without it,
    every lesson counts, as the rules and the learner's own history need.
    """
    lessons = Lesson.objects.order_by("course__position", "course_id", "position", "id")
    # The lesson's and its course's titles in the active language (else the originals), in the
    # same query.
    lessons = _titles_annotate(lessons)
    fields = [*_LESSON_FIELDS, *_TITLE_FIELDS]
    query = PUBLISHED
    if include_ids:
        query |= Q(pk__in=list(include_ids))
    if user is not _EVERYONE and adapter_overrides("lessons_for_user"):
        lessons = lessons.filter(pk__in=lessons_visible(user=user).values("pk"))
    if learner is not None:
        lessons = lessons.annotate(
            mine=FilteredRelation("completions", condition=Q(completions__learner_id=learner.pk))
        )
        fields += ["mine__id", "mine__completed_at", "mine__xp"]
        if include_completed:
            query |= Q(mine__id__isnull=False)
    if with_tags:
        fields += ["tags__slug", "tags__name"]
    published: list[LessonFact] = []
    by_id: dict[int, LessonFact] = {}
    for row in lessons.filter(query).values(*fields):
        fact = by_id.get(row["id"])
        if fact is None:
            fact = _lesson_fact(row)
            by_id[fact.id] = fact
            if fact.published:
                published.append(fact)
        if row.get("tags__slug"):
            fact.tags.update((row["tags__slug"], row["tags__name"]))
    return published, by_id


def learner_lesson_facts(*, user, include_ids=()) -> dict[int, LessonFact]:
    """The lessons ``include_ids`` names and every lesson ``user`` completed (published or
    not), by id, with the learner's completion. 1 query, whatever the catalogue's size: what a
    write for one learner needs, with :func:`course_lesson_ids`, :func:`rules_cached` and
    :func:`site_figures` for the rest of the catalogue."""
    lessons = Lesson.objects.annotate(
        mine=FilteredRelation("completions", condition=Q(completions__learner_id=user.pk))
    )
    lessons = _titles_annotate(lessons)
    fields = [*_LESSON_FIELDS, *_TITLE_FIELDS, "published_at", "created_at"]
    fields += ["mine__id", "mine__completed_at", "mine__xp"]
    query = Q(mine__id__isnull=False)
    if include_ids:
        query |= Q(pk__in=list(include_ids))
    found = {}
    for row in lessons.filter(query).values(*fields):
        found[row["id"]] = _lesson_fact(row)
    return found


def published_completions(*, user) -> dict[int, datetime]:
    """When ``user`` completed each published lesson they completed. 1 query; its cost grows
    with the learner's completions, never with the catalogue."""
    rows = LessonCompletion.objects.filter(
        learner_id=user.pk,
        lesson__status=Status.PUBLISHED,
        lesson__course__status=Status.PUBLISHED,
    ).values_list("lesson_id", "completed_at")
    return dict(rows)


@dataclass(frozen=True)
class SiteFigures:
    """What every status bar needs from the catalogue: the levels, the published lessons'
    count and the active achievements' slugs."""

    levels: list[Level]
    lessons: int
    achievements: tuple[str, ...] = ()


def site_figures(*, version=None) -> SiteFigures:
    """The levels (named in the active language), the number of published lessons and the
    active achievements, kept in the page cache under the site's content version and the
    language (``lessons.versions.site_memo``: every lesson, course, level or achievement
    write, their names in any language included, changes it): 1 query on a hit (none when
    ``version`` is given), 4 on a miss."""

    def compute():
        return SiteFigures(
            levels=levels_all(),
            lessons=Lesson.objects.filter(PUBLISHED).count(),
            achievements=tuple(
                Achievement.objects.filter(active=True).values_list("slug", flat=True)
            ),
        )

    return site_memo(
        name="progress:figures", parts=(active_language(),), compute=compute, version=version
    )


@dataclass(frozen=True)
class LearnerFigures:
    """A learner's own part of the status bar: XP, completions of published lessons, awards."""

    xp: int
    completions: dict[int, datetime]
    awards: dict[str, datetime]


def learner_figures(*, user) -> LearnerFigures:
    """``user``'s XP total, completions of published lessons and awards (every achievement),
    read from their rows. 3 queries."""
    xp = LearnerProfile.objects.filter(user_id=user.pk).values_list("xp", flat=True).first()
    awards = AchievementAward.objects.filter(learner_id=user.pk).values_list(
        "achievement__slug", "awarded_at"
    )
    return LearnerFigures(
        xp=xp or 0, completions=published_completions(user=user), awards=dict(awards)
    )


def course_lesson_ids() -> dict[int, tuple[int, ...]]:
    """Each published course's published lesson ids, in order, kept under the site's content
    version (1 query on a hit, 2 on a miss): whether a completion finished its course, without
    reading the catalogue."""

    def compute():
        found: dict[int, list[int]] = defaultdict(list)
        rows = (
            Lesson.objects.filter(PUBLISHED)
            .order_by("course_id", "position", "id")
            .values_list("course_id", "id")
        )
        for course_id, lesson_id in rows:
            found[course_id].append(lesson_id)
        return {course_id: tuple(ids) for course_id, ids in found.items()}

    return site_memo(name="progress:course-lessons", compute=compute)


def rules_cached(achievements) -> list[Rule]:
    """:func:`rules_build` for ``achievements`` (the active ones), the course and tag rules'
    lesson sets kept under the site's content version: 1 query on a hit, 2
    (the published lessons, with tags when a tag rule is active) on a miss."""
    achievements = list(achievements)
    parts = tuple(
        (a.slug, a.rule_kind, repr(sorted((a.rule_params or {}).items())), a.xp)
        for a in achievements
    )

    def compute():
        published, _ = lesson_facts(with_tags=needs_tags(achievements))
        return rules_build(achievements, published)

    return site_memo(name="progress:rules", parts=parts, compute=compute)


def rules_build(achievements, published: list[LessonFact]) -> list[Rule]:
    """Active achievements as :class:`~progress.rules.Rule`, course and tag rules resolved."""
    rules = []
    for achievement in achievements:
        lessons: frozenset[int] = frozenset()
        params = achievement.rule_params or {}
        if achievement.rule_kind == RuleKind.COURSE_COMPLETED:
            reference = str(params.get("course", ""))
            lessons = frozenset(
                lesson.id
                for lesson in published
                if reference in (lesson.course_uuid, lesson.course_slug)
            )
        elif achievement.rule_kind == RuleKind.TAG_COMPLETED:
            reference = str(params.get("tag", ""))
            lessons = frozenset(lesson.id for lesson in published if reference in lesson.tags)
        rules.append(
            Rule(
                slug=achievement.slug,
                kind=achievement.rule_kind,
                params=params,
                xp=achievement.xp,
                lessons=lessons,
            )
        )
    return rules


def needs_tags(achievements) -> bool:
    return any(a.rule_kind == RuleKind.TAG_COMPLETED for a in achievements)


def achievements_with_award(*, user=None) -> list[Achievement]:
    """Every achievement (active or not) in order, with its name and description in the
    active language (``name_in()``, ``description_in()``) and ``award_id``, ``awarded_at`` and
    ``award_xp`` and ``award_badge_id`` from ``user``'s award (``None`` when not held). 1 query."""
    achievements = translations_annotate(Achievement.objects.order_by("position", "id"))
    if not is_learner(user):
        found = list(achievements)
        for achievement in found:
            achievement.award_id = achievement.awarded_at = achievement.award_xp = None
            achievement.award_badge_id = None
        return found
    return list(
        achievements.annotate(
            held=FilteredRelation("awards", condition=Q(awards__learner_id=user.pk))
        ).annotate(
            award_id=F("held__id"),
            awarded_at=F("held__awarded_at"),
            award_xp=F("held__xp"),
            award_badge_id=F("held__badge_id"),
        )
    )


def levels_all() -> list[Level]:
    """Levels, lowest first, named in the active language (``name_in()``). 1 query."""
    return list(translations_annotate(Level.objects.order_by("min_xp")))


# --- The learner's state -----------------------------------------------------------------------


@dataclass
class LearnerState:
    """A learner's numbers: what ``GET progress/`` answers and the status bar shows."""

    xp: int
    levels: list[Level]
    completed: dict[int, datetime]
    achievements: dict[str, datetime]
    total_lessons: int
    total_achievements: int

    @cached_property
    def level(self) -> Level | None:
        reached = [level for level in self.levels if level.min_xp <= self.xp]
        return reached[-1] if reached else None

    @cached_property
    def next_level(self) -> Level | None:
        return next((level for level in self.levels if level.min_xp > self.xp), None)

    @property
    def level_floor(self) -> int:
        return self.level.min_xp if self.level else 0

    @property
    def xp_into_level(self) -> int:
        return self.xp - self.level_floor

    @property
    def level_span(self) -> int:
        return self.next_level.min_xp - self.level_floor if self.next_level else 0

    @property
    def xp_to_go(self) -> int:
        return self.next_level.min_xp - self.xp if self.next_level else 0

    @property
    def level_percent(self) -> int:
        if not self.next_level:
            return 100
        return self.xp_into_level * 100 // self.level_span if self.level_span else 0

    @property
    def lessons_done(self) -> int:
        return len(self.completed)

    @property
    def achievements_done(self) -> int:
        return len(self.achievements)

    @property
    def percent_complete(self) -> int:
        """Completed / published lessons, rounded down: 100 only when every lesson is done."""
        if not self.total_lessons:
            return 0
        return self.lessons_done * 100 // self.total_lessons

    def as_payload(self) -> dict:
        """The JSON shape of ``GET progress/`` (docs/api.md and docs/progress.md)."""

        def level_payload(level):
            if level is None:
                return None
            return {"number": level.number, "name": level.name_in(), "min_xp": level.min_xp}

        return {
            "xp": self.xp,
            "level": level_payload(self.level),
            "next_level": level_payload(self.next_level),
            "completed": [
                {"lesson": lesson, "at": moment.isoformat()}
                for lesson, moment in sorted(self.completed.items(), key=lambda item: item[::-1])
            ],
            "achievements": [
                {"slug": slug, "at": moment.isoformat()}
                for slug, moment in sorted(self.achievements.items(), key=lambda item: item[::-1])
            ],
            "totals": {"lessons": self.total_lessons, "achievements": self.total_achievements},
        }


def learner_state_build(
    *, xp: int, levels, completions, total_lessons: int, active, awards
) -> LearnerState:
    """A :class:`LearnerState` from parts already in memory (``completions``: published lesson
    id → time, ``total_lessons``: published lessons, ``active``: the active achievements'
    slugs, ``awards``: slug → time); counts active achievements only."""
    active = set(active)
    return LearnerState(
        xp=xp,
        levels=list(levels),
        completed=dict(completions),
        achievements={slug: moment for slug, moment in awards.items() if slug in active},
        total_lessons=total_lessons,
        total_achievements=len(active),
    )


def learner_state(*, user) -> LearnerState:
    """``user``'s state; an anonymous user gets the zero state. No query once cached (see
    :func:`site_figures` and :func:`learner_figures`), whatever the catalogue's size."""
    return progress_view(request=None, user=user).state


# --- One request's view of progress ------------------------------------------------------------


class ProgressView:
    """What the progress slots on one page need, each part loaded once, on first use.

    Parts and their cost: ``lessons`` (1 query: every published lesson, with the learner's
    completion times; only pages that list the catalogue load it), ``achievements`` (1: with
    the learner's awards, for pages that list them), ``profile`` (1, signed in only), the
    site's figures (:func:`site_figures`, kept under the site's content version) and the
    learner's (:func:`learner_figures`, 3). The status bar's cost does not grow with the
    catalogue.
    """

    def __init__(self, user, *, site_version=None):
        self.user = user
        self.signed_in = is_learner(user)
        # The site's content version when the page has read it already (lessons' views put it
        # in the context as ``site_version``), so the site's figures cost no query of their own.
        self.site_version = site_version

    @cached_property
    def profile(self) -> LearnerProfile | None:
        if not self.signed_in:
            return None
        return LearnerProfile.objects.filter(user_id=self.user.pk).first()

    @cached_property
    def lessons(self) -> list[LessonFact]:
        # Only what the viewer may open: pages name these lessons ("continue with …").
        published, _ = lesson_facts(learner=self.user if self.signed_in else None, user=self.user)
        return published

    @cached_property
    def achievements(self) -> list[Achievement]:
        return achievements_with_award(user=self.user)

    @cached_property
    def active_achievements(self) -> list[Achievement]:
        return [achievement for achievement in self.achievements if achievement.active]

    @cached_property
    def figures(self) -> SiteFigures:
        return site_figures(version=self.site_version)

    @cached_property
    def levels(self) -> list[Level]:
        return self.figures.levels

    @cached_property
    def completions(self) -> dict[int, datetime]:
        if "lessons" in self.__dict__:
            return {
                lesson.id: lesson.completed_at for lesson in self.lessons if lesson.completed_at
            }
        if not self.signed_in:
            return {}
        return self.learner.completions

    @cached_property
    def learner(self) -> LearnerFigures:
        if not self.signed_in:
            return LearnerFigures(xp=0, completions={}, awards={})
        return learner_figures(user=self.user)

    @cached_property
    def total_lessons(self) -> int:
        if "lessons" in self.__dict__:
            return len(self.lessons)
        return self.figures.lessons

    @cached_property
    def state(self) -> LearnerState:
        return learner_state_build(
            xp=self.learner.xp,
            levels=self.levels,
            completions=self.completions,
            total_lessons=self.total_lessons,
            active=self.figures.achievements,
            awards=self.learner.awards,
        )

    @cached_property
    def courses(self) -> dict[int, CourseProgress]:
        """Per published course: lessons done and total."""
        found: dict[int, CourseProgress] = {}
        for lesson in self.lessons:
            course = found.setdefault(
                lesson.course_id,
                CourseProgress(course_id=lesson.course_id, title=lesson.course_title),
            )
            course.lessons.append(lesson)
        return found

    def course(self, course_id) -> CourseProgress:
        return self.courses.get(course_id) or CourseProgress(course_id=course_id, title="")

    def next_lesson(self, *, course_id=None) -> LessonFact | None:
        """Where to continue: see :func:`next_lesson_to_continue`."""
        return next_lesson_to_continue(lessons=self.lessons, course_id=course_id)

    def rules(self) -> list[Rule]:
        return rules_cached(self.active_achievements)

    @cached_property
    def time_zone(self):
        return learner_time_zone(self.profile)

    def streak(self, *, now=None) -> int:
        """Days in a row with a completion, up to today. 1 query (the learner's log)."""
        if not self.signed_in:
            return 0
        activity = CompletionEvent.objects.filter(learner_id=self.user.pk).values_list(
            "lesson_id", "completed_at"
        )
        return streak_current(
            activity=list(activity), time_zone=self.time_zone, now=now or timezone.now()
        )


@dataclass
class CourseProgress:
    course_id: int
    title: str
    lessons: list[LessonFact] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.completed_at)

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def complete(self) -> bool:
        return bool(self.lessons) and self.done == self.total


def next_lesson_to_continue(*, lessons: list[LessonFact], course_id=None) -> LessonFact | None:
    """The lesson to continue with, or ``None`` when nothing was completed or all was.

    The first unfinished lesson after the one completed most recently, in catalogue order,
    wrapping to the start; within one course when ``course_id`` is given.
    """
    if course_id is not None:
        lessons = [lesson for lesson in lessons if lesson.course_id == course_id]
    done = [lesson for lesson in lessons if lesson.completed_at]
    if not done or len(done) == len(lessons):
        return None
    latest = max(done, key=lambda lesson: lesson.completed_at)
    start = lessons.index(latest)
    ordered = lessons[start + 1 :] + lessons[: start + 1]
    return next(lesson for lesson in ordered if not lesson.completed_at)


_REQUEST_ATTRIBUTE = "_stream_progress_view"


def progress_view(*, request, user=None, site_version=None) -> ProgressView:
    """The :class:`ProgressView` for this request (made once, cached on ``request``)."""
    if request is None:
        return ProgressView(user, site_version=site_version)
    view = getattr(request, _REQUEST_ATTRIBUTE, None)
    if view is None:
        user = user if user is not None else getattr(request, "user", None)
        view = ProgressView(user, site_version=site_version)
        setattr(request, _REQUEST_ATTRIBUTE, view)
    return view


def progress_view_if_used(request) -> ProgressView | None:
    """The request's view if a slot already made one (the page shows progress), else ``None``."""
    return getattr(request, _REQUEST_ATTRIBUTE, None)


def facts_version(version=None) -> str:
    """What ``progress/facts.json?v=`` names: the site's content version, the release (a
    new release may change the facts' shape) and the language the names are in (a host that
    chooses the language by cookie serves every language at one address, and browsers keep
    each version for good)."""
    return f"{version or site_version()}.{release()}.{active_language()}"


def progress_facts(*, user=_EVERYONE) -> dict:
    """The catalogue as the browser module computes progress from it: every published lesson
    (id, XP, course, title, address) in catalogue order, the levels, and the active
    achievements with their rules as ``rules.js`` evaluates them, and each lesson's
    prerequisites (``lessons.requirements``) as ``rules.js`` locks them. Served, versioned, by
    ``progress/facts.json`` rather than embedded in each page, so a page's size does not grow
    with the catalogue. 3 queries (4 with a tag rule), and for the prerequisites (kept under
    the site version) 1 more, 4 when they are not kept yet.

    With ``user`` (a user, anonymous or ``None`` for a visitor), only the lessons that user may
    open are listed (see :func:`lesson_facts`): with an adapter that narrows
    ``lessons_for_user``, the facts differ from viewer to viewer."""
    published, _ = lesson_facts(user=user)
    achievements = [a for a in achievements_with_award() if a.active]
    return {
        "lessons": [
            {
                "id": lesson.id,
                "xp": lesson.xp,
                "course": lesson.course_id,
                "title": lesson.title,
                "url": lesson.url,
            }
            for lesson in published
        ],
        "levels": [
            {"number": level.number, "name": level.name_in(), "min_xp": level.min_xp}
            for level in levels_all()
        ],
        "achievements": [
            {"slug": a.slug, "name": a.name_in(), "xp": a.xp, "rule": rule.client_spec()}
            for a, rule in zip(achievements, rules_cached(achievements), strict=True)
        ],
        # Each lesson's prerequisites, for the browser's locks (rules.js isLocked).
        "requirements": {
            lesson_id: [need.fact() for need in needs]
            for lesson_id, needs in requirement_facts().by_lesson.items()
        },
    }


def requirements_unmet_for(*, user, lesson_id: int, needs=None) -> list:
    """Which of lesson ``lesson_id``'s prerequisites (``needs``, or the site's for it) ``user``
    has not met now, in order (``lessons.requirements.Need``); ``[]`` when the lesson is not
    locked for them (they completed it, or met them all). A visitor's progress lives in their
    browser, so to the server a visitor has met nothing. 1 query for a learner (their
    completions), plus the site version when ``needs`` is not given."""
    if needs is None:
        needs = requirement_facts().for_lesson(lesson_id)
    if not needs:
        return []
    completed = published_completions(user=user) if is_learner(user) else {}
    facts = [need.fact() for need in needs]
    if not lesson_locked(lesson_id=lesson_id, requirements=facts, completed=completed):
        return []
    unmet = requirements_unmet(facts, completed)
    return [need for need, fact in zip(needs, facts, strict=True) if fact in unmet]


def lessons_locked_for(*, user, facts) -> set[int]:
    """The lessons of ``facts`` (``lessons.requirements.RequirementFacts``) locked for ``user``
    now, as :func:`requirements_unmet_for` judges each. 1 query for a learner (their
    completions), none for a visitor, whatever the number of lessons."""
    completed = published_completions(user=user) if is_learner(user) else {}
    return {
        lesson_id
        for lesson_id, needs in facts.by_lesson.items()
        if lesson_locked(
            lesson_id=lesson_id, requirements=[need.fact() for need in needs], completed=completed
        )
    }


# --- Learner pages and the admin ---------------------------------------------------------------


@dataclass
class AchievementCard:
    achievement: Achievement
    how_to_earn: str
    awarded_at: datetime | None
    # The award's Open Badge (progress.badges.BadgeLinks), added by the page that offers it.
    badge: object = None

    @property
    def name(self) -> str:
        return self.achievement.name_in()

    @property
    def description(self) -> str:
        return self.achievement.description_in()


def achievement_cards(*, view: ProgressView) -> list[AchievementCard]:
    """Active achievements for ``/me/progress/``, each with a "how to earn it" line. The names of
    courses come from the lessons already loaded; tags cost 1 query when a tag rule is active."""
    course_titles = {}
    for lesson in view.lessons:
        course_titles[lesson.course_uuid] = lesson.course_title
        course_titles[lesson.course_slug] = lesson.course_title
    tag_names = {}
    if needs_tags(view.active_achievements):
        from lessons.models import Tag

        references = [a.rule_params.get("tag", "") for a in view.active_achievements]
        tags = Tag.objects.filter(Q(slug__in=references) | Q(name__in=references))
        for tag in translations_annotate(tags):  # labels in the page's language, same query
            tag_names[tag.slug] = tag_names[tag.name] = tag.name_in()
    cards = []
    for achievement in view.active_achievements:
        params = achievement.rule_params or {}
        subject = ""
        if achievement.rule_kind == RuleKind.COURSE_COMPLETED:
            subject = course_titles.get(str(params.get("course", "")), "")
        elif achievement.rule_kind == RuleKind.TAG_COMPLETED:
            subject = tag_names.get(str(params.get("tag", "")), "")
        cards.append(
            AchievementCard(
                achievement=achievement,
                how_to_earn=rule_describe(
                    kind=achievement.rule_kind, params=params, subject=subject
                ),
                awarded_at=achievement.awarded_at,
            )
        )
    return cards


@dataclass
class DryRun:
    """What saving a rule would do now: learners it would award, and of those already awarded."""

    would_award: int
    already_awarded: int

    @property
    def new_awards(self) -> int:
        return self.would_award - self.already_awarded


def achievement_dry_run(*, achievement: Achievement) -> DryRun:
    """How many learners ``achievement`` (saved or not) would award if evaluated now.

    Evaluates every learner with a completion or a comment against the active rules, with this
    achievement in place of its saved version. 6 queries, whatever the number of learners.
    """
    from .models import AchievementAward

    others = [
        a
        for a in Achievement.objects.filter(active=True).exclude(slug=achievement.slug)
        if a.pk != achievement.pk
    ]
    candidates = [*others, achievement]
    published, _ = lesson_facts(with_tags=needs_tags(candidates))
    rules = rules_build(candidates, published)
    xp_by_lesson = {lesson.id: lesson.xp for lesson in published}

    histories: dict[int, dict] = defaultdict(lambda: {"completions": {}, "xp": {}, "log": []})
    for learner_id, lesson_id, moment, xp in LessonCompletion.objects.values_list(
        "learner_id", "lesson_id", "completed_at", "xp"
    ):
        histories[learner_id]["completions"][lesson_id] = moment
        histories[learner_id]["xp"][lesson_id] = xp or xp_by_lesson.get(lesson_id, 0)
    for learner_id, lesson_id, moment in CompletionEvent.objects.values_list(
        "learner_id", "lesson_id", "completed_at"
    ):
        histories[learner_id]["log"].append((lesson_id, moment))
    profiles = {
        profile.user_id: profile
        for profile in LearnerProfile.objects.filter(
            Q(user_id__in=list(histories)) | Q(first_comment_at__isnull=False)
        )
    }
    held: dict[int, dict] = defaultdict(dict)
    for learner_id, slug, moment, xp in AchievementAward.objects.values_list(
        "learner_id", "achievement__slug", "awarded_at", "xp"
    ):
        held[learner_id][slug] = (moment, xp)

    would, already = 0, 0
    for learner_id in set(histories) | set(profiles):
        profile = profiles.get(learner_id)
        history = History(
            completions=histories[learner_id]["completions"],
            completion_xp=histories[learner_id]["xp"],
            time_zone=learner_time_zone(profile),
            first_comment_at=profile.first_comment_at if profile else None,
            held=dict(held[learner_id]),
            activity=histories[learner_id]["log"],
        )
        if achievement.slug in award_times(rules=rules, history=history):
            would += 1
            if achievement.slug in held[learner_id]:
                already += 1
    return DryRun(would_award=would, already_awarded=already)
