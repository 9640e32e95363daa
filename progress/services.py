"""Operations that write progress. Views, the API, the admin, commands and other apps call these.

Every write for a learner runs in one transaction that first locks the learner's profile row, so
two requests for the same learner (two tabs syncing the same events, a double-clicked button)
run one after the other and award once; learners never wait for each other. Within it the
services read what they need in a fixed number of queries, decide in memory, and write in bulk:
the cost of a sync does not grow with the number of events.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import logging
import operator
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    Q,
    Sum,
    UUIDField,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from lessons.adapter import adapter_overrides, get_adapter
from lessons.models import Course, Lesson
from lessons.requirements import Need, requirement_facts
from lessons.translations import content_languages
from lessons.xapi import xapi_enabled

from . import signals
from .conf import progress_settings
from .inserts import insert_rows
from .models import (
    Achievement,
    AchievementAward,
    BadgeRevocation,
    CompletionEvent,
    LearnerProfile,
    LessonCompletion,
    Level,
    XPEntry,
    time_zone_names,
)
from .rules import (
    History,
    award_times,
    lesson_locked,
    lessons_still_required,
    local_date,
    requirements_unmet,
)
from .selectors import (
    LearnerState,
    LessonFact,
    achievements_with_award,
    course_lesson_ids,
    learner_lesson_facts,
    learner_state_build,
    learner_time_zone,
    levels_all,
    rules_cached,
    site_figures,
)
from .xapi import progress_statements_record

logger = logging.getLogger(__name__)

EVENT_LESSON_COMPLETED = "lesson_completed"

APPLIED, DUPLICATE, REJECTED = "applied", "duplicate", "rejected"
# Why an event was rejected (the "reason" of a sync result).
INVALID_EVENT = "invalid_event"  # not an object, or id, lesson or at missing or malformed
UNSUPPORTED_TYPE = "unsupported_type"  # a type this server does not know
UNKNOWN_LESSON = "unknown_lesson"  # no lesson has this id
UNPUBLISHED_LESSON = "unpublished_lesson"  # a draft, or a lesson of a draft course
LOCKED = "locked"  # the lesson's prerequisites are not met (lessons.requirements)

_MAX_ID = 2**63 - 1


def lesson_xp_key(lesson_id: int) -> str:
    return f"lesson:{lesson_id}"


def achievement_xp_key(slug: str) -> str:
    return f"achievement:{slug}"


# --- Errors ------------------------------------------------------------------------------------


class SyncBatchTooLarge(ValueError):
    def __init__(self, *, limit: int, size: int):
        self.limit, self.size = limit, size
        super().__init__(f"A sync batch holds at most {limit} events; this one has {size}.")


class SyncConflict(Exception):
    """Event ids already applied (or repeated in the batch) with a different payload."""

    def __init__(self, event_ids: list[str]):
        self.event_ids = event_ids
        super().__init__(f"Event ids reused with another payload: {', '.join(event_ids)}")


class CompletionRefused(ValueError):
    """The lesson cannot be completed: it is a draft or belongs to a draft course."""


class CompletionLocked(CompletionRefused):
    """The lesson cannot be completed yet: ``unmet`` are its prerequisites the learner has not
    completed (``lessons.requirements.Need``), in order."""

    def __init__(self, message: str, *, unmet):
        super().__init__(message)
        self.unmet = list(unmet)


# --- Client events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientEvent:
    """A well-formed ``lesson_completed`` event from a browser or another client."""

    raw_id: str
    id: uuid.UUID
    lesson_id: int
    at: datetime
    payload_hash: str


def event_parse(raw) -> ClientEvent | str:
    """``raw`` (decoded JSON) as a :class:`ClientEvent`, or the reason it is rejected.

    ``at`` must carry a UTC offset. The payload hash covers the type, the lesson and the instant
    (so ``+09:00`` and the same moment in ``Z`` are the same payload).
    """
    if not isinstance(raw, Mapping):
        return INVALID_EVENT
    raw_id, kind, lesson, at_text = (raw.get(key) for key in ("id", "type", "lesson", "at"))
    if not isinstance(raw_id, str) or not isinstance(kind, str):
        return INVALID_EVENT
    try:
        event_id = uuid.UUID(raw_id)
    except ValueError:
        return INVALID_EVENT
    if kind != EVENT_LESSON_COMPLETED:
        return UNSUPPORTED_TYPE
    if isinstance(lesson, bool) or not isinstance(lesson, int) or not 0 < lesson <= _MAX_ID:
        return INVALID_EVENT
    if not isinstance(at_text, str):
        return INVALID_EVENT
    try:
        at = parse_datetime(at_text.strip())
        if at is None or timezone.is_naive(at):
            return INVALID_EVENT
        instant = at.astimezone(UTC)
    except (ValueError, OverflowError):
        return INVALID_EVENT
    return ClientEvent(
        raw_id=raw_id,
        id=event_id,
        lesson_id=lesson,
        at=instant,
        payload_hash=payload_hash(kind=kind, lesson_id=lesson, at=instant),
    )


def completion_time_bound(at: datetime, *, lesson: LessonFact, now: datetime) -> datetime:
    """``at`` moved within what can be true: not after ``now`` (a clock running fast), not
    before the lesson was first published (a clock running slow, or a made-up time)."""
    at = min(at, now)
    if lesson.available_from is not None:
        at = max(at, lesson.available_from)
    return at


def requirements_in_force(
    needs: Sequence[Need], *, at: datetime, lesson: LessonFact, now: datetime
) -> list[Need]:
    """The prerequisites a completion at ``at`` is judged by: those added by then. Progress made
    before a requirement existed (a visitor's, synced after sign-in) keeps counting, as a
    signed-in learner's earlier completion does. A time that cannot be true (before the lesson's
    first publication, or in the future) is judged by every requirement, as now."""
    plausible = at <= now and (lesson.available_from is None or at >= lesson.available_from)
    if not plausible:
        return list(needs)
    return [need for need in needs if need.since is None or need.since <= at]


def completion_unmet(progress, *, lesson: LessonFact, at: datetime, needs, now) -> list[Need]:
    """Which of ``lesson``'s prerequisites (``needs``) keep ``progress``'s learner from
    completing it at ``at``: ``[]`` when it is not locked for them."""
    in_force = requirements_in_force(needs, at=at, lesson=lesson, now=now)
    facts = [need.fact() for need in in_force]
    if not lesson_locked(lesson_id=lesson.id, requirements=facts, completed=progress.completions):
        return []
    unmet = requirements_unmet(facts, progress.completions)
    return [need for need, fact in zip(in_force, facts, strict=True) if fact in unmet]


def payload_hash(*, kind: str, lesson_id: int, at: datetime) -> str:
    payload = f"{kind}\n{lesson_id}\n{at.astimezone(UTC).isoformat()}"
    return hashlib.sha256(payload.encode()).hexdigest()


# --- One learner's progress, under a lock ------------------------------------------------------


def _profile_lock(user) -> LearnerProfile:
    """The learner's profile row, created if missing, locked until the transaction ends.

    Always two queries: INSERT … ON CONFLICT DO NOTHING (so two first requests at once are
    safe), then SELECT … FOR UPDATE. Every progress write for a learner takes this lock first.
    """
    LearnerProfile.objects.bulk_create([LearnerProfile(user_id=user.pk)], ignore_conflicts=True)
    return LearnerProfile.objects.select_for_update().get(user_id=user.pk)


def _log_rows(user, event_ids):
    """``(event_id, payload_hash, None, None)`` for each of ``event_ids`` already in ``user``'s
    completion log, then ``(None, None, lesson_id, completed_at)`` for each distinct completion
    in it. 1 query."""
    log = CompletionEvent.objects.filter(learner_id=user.pk).order_by()
    activity = log.annotate(
        no_id=Cast(Value(None), UUIDField()),
        no_hash=Cast(Value(None), CharField()),
    ).values_list("no_id", "no_hash", "lesson_id", "completed_at")
    if not event_ids:
        return activity.distinct()
    seen = (
        log.filter(event_id__in=list(event_ids))
        .annotate(
            no_lesson=Cast(Value(None), BigIntegerField()),
            no_time=Cast(Value(None), DateTimeField()),
        )
        .values_list("event_id", "payload_hash", "no_lesson", "no_time")
    )
    return seen.union(activity.distinct(), all=True).order_by()


class _LearnerProgress:
    """A learner's completions and awards, loaded under the profile lock, changed in memory and
    written in bulk by :meth:`save`. Loading costs 5 queries: the profile (2), the achievements
    with the learner's awards, the learner's completed lessons and the ones asked about, and
    the learner's completion log. The catalogue's part (rule lesson sets, each course's lessons,
    levels and the lessons' count) comes from the page cache (see ``selectors.site_figures``)."""

    def __init__(self, user, *, lesson_ids=(), event_ids=None, now: datetime):
        self.user, self.now = user, now
        self.profile = _profile_lock(user)
        self.profile_changes: set[str] = set()
        self.achievements = achievements_with_award(user=user)
        self.by_slug = {achievement.slug: achievement for achievement in self.achievements}
        self.active = [achievement for achievement in self.achievements if achievement.active]
        # Only the learner's own lessons and the ones asked about: the rest of the catalogue
        # (rule lesson sets, course lists, the count) comes from the page cache, so a sync's
        # cost no longer grows with the number of lessons (4,200 lessons: 75% of a sync).
        self.lessons = learner_lesson_facts(user=user, include_ids=lesson_ids)
        self.completions: dict[int, datetime] = {}
        self.completion_xp: dict[int, int] = {}
        self.completion_ids: dict[int, int] = {}
        for lesson in self.lessons.values():
            if lesson.completion_id is not None:
                self.completions[lesson.id] = lesson.completed_at
                self.completion_xp[lesson.id] = lesson.completion_xp
                self.completion_ids[lesson.id] = lesson.completion_id
        # The log grows with every device's report of every lesson, so it is never loaded
        # whole: the ids asked about (a sync's batch) and the distinct (lesson, time) pairs the
        # day-based rules read, in one query. A sync of 100 events by a learner with a
        # 3,000-event log cost 95 ms of CPU; now it no longer grows with the log.
        self.seen: dict[uuid.UUID, str] = {}
        self.activity: list[tuple[int, datetime]] = []
        for event_id, hashed, lesson_id, moment in _log_rows(user, event_ids or ()):
            if event_id is None:
                self.activity.append((lesson_id, moment))
            else:
                self.seen[event_id] = hashed
        self.held = {
            a.slug: (a.awarded_at, a.award_xp) for a in self.achievements if a.award_id is not None
        }
        self.new_events: list[dict] = []  # rows of the log, written by save()
        # (lesson, day in the learner's zone) → the earliest report that day: as the log holds
        # it (day_stored), and with this write's reports (day_reports; read on first report)
        self.day_reports: dict[tuple[int, date], datetime] | None = None
        self.day_stored: dict[tuple[int, date], datetime] = {}
        self.day_rows: dict[tuple[int, date], dict] = {}  # this write's new rows, by day
        self.days_lowered: set[tuple[int, date]] = set()  # stored days reported earlier now
        self.new_completions: dict[int, datetime] = {}
        self.lowered_completions: dict[int, datetime] = {}
        self.new_awards: dict[str, datetime] = {}
        self.lowered_awards: dict[str, datetime] = {}

    def report(self, *, event_id: uuid.UUID, hashed: str, lesson_id: int, at: datetime) -> bool:
        """Record that ``lesson_id`` was reported completed at ``at`` (already bounded, see
        :func:`completion_time_bound`); False if that changes nothing.

        The log keeps one report per lesson and day (in the learner's time zone), with the
        earliest time reported that day: the first report of a day is a new row; an earlier
        one that day moves that row's time (written by :meth:`save`); a later one changes
        nothing. So however many reports arrive, a lesson has at most one row per day since
        its publication, and what the rules read does not depend on the order they came in.
        """
        earlier = lesson_id not in self.completions or at < self.completions[lesson_id]
        self.complete(lesson_id, at)
        days = self._day_reports()
        day = (lesson_id, local_date(at, self.day_zone))
        held = days.get(day)
        if held is not None and at >= held:
            return earlier
        days[day] = at
        self.activity.append((lesson_id, at))
        row = self.day_rows.get(day)
        if row is not None:  # reported earlier in this write: its row is not written yet
            row["completed_at"] = at
        elif held is not None:
            self.days_lowered.add(day)
        else:
            self.seen[event_id] = hashed
            row = {
                "learner_id": self.user.pk,
                "event_id": event_id,
                "payload_hash": hashed,
                "lesson_id": lesson_id,
                "completed_at": at,
            }
            self.new_events.append(row)
            self.day_rows[day] = row
        return True

    def _day_reports(self) -> dict[tuple[int, date], datetime]:
        if self.day_reports is None:
            self.day_zone = learner_time_zone(self.profile)
            self.day_reports = {}
            for lesson_id, moment in self.activity:
                day = (lesson_id, local_date(moment, self.day_zone))
                self.day_reports[day] = min(self.day_reports.get(day, moment), moment)
            self.day_stored = dict(self.day_reports)
        return self.day_reports

    def complete(self, lesson_id: int, at: datetime) -> bool:
        """Record a completion at ``at`` (kept if earlier than the one held); True if new."""
        current = self.completions.get(lesson_id)
        if current is None:
            self.completions[lesson_id] = self.new_completions[lesson_id] = at
            self.completion_xp[lesson_id] = self.lessons[lesson_id].xp
            return True
        if at < current:
            self.completions[lesson_id] = at
            if lesson_id in self.new_completions:
                self.new_completions[lesson_id] = at
            else:
                self.lowered_completions[lesson_id] = at
        return False

    def evaluate(self) -> None:
        history = History(
            completions=self.completions,
            completion_xp=self.completion_xp,
            time_zone=learner_time_zone(self.profile),
            first_comment_at=self.profile.first_comment_at,
            held=self.held,
            activity=self.activity,
        )
        met = award_times(rules=rules_cached(self.active), history=history)
        for slug, moment in met.items():
            if slug not in self.held:
                self.new_awards[slug] = moment
            elif moment < self.held[slug][0]:
                self.lowered_awards[slug] = moment

    def save(self) -> list[AchievementAward]:
        """Write what changed (a query per kind of change) and return the new awards.

        Once the transaction commits, announces what happened (see :func:`_announce`)."""
        xp_before = self.profile.xp
        ledger = self._completions_save()
        awarded, award_ledger = self._awards_save()
        self._xp_save([*ledger, *award_ledger])
        self._events_save()
        awarded.sort(key=lambda award: (award.awarded_at, award.achievement.position))
        if self.new_completions or awarded:
            course_ids = self.courses_completed()
            if xapi_enabled():
                progress_statements_record(
                    user=self.user,
                    completions=self.new_completions,
                    all_completions=self.completions,
                    awards=awarded,
                    course_ids=course_ids,
                )
            announcement = _Announcement(
                user=self.user,
                completions=dict(self.new_completions),
                awarded=list(awarded),
                course_ids=course_ids,
                xp_before=xp_before,
                xp_after=self.profile.xp,
            )
            transaction.on_commit(announcement.send, robust=True)
        return awarded

    def _completions_save(self) -> list[dict]:
        """Insert the new completions, move the lowered ones; their XP ledger rows to write."""
        user_id = self.user.pk
        if self.new_completions:
            # Plain rows, not model instances: a sync writes hundreds (see progress.inserts).
            insert_rows(
                LessonCompletion,
                (
                    {
                        "learner_id": user_id,
                        "lesson_id": lesson_id,
                        "completed_at": moment,
                        "xp": self.completion_xp[lesson_id],
                    }
                    for lesson_id, moment in self.new_completions.items()
                ),
            )
        if self.lowered_completions:
            LessonCompletion.objects.bulk_update(
                [
                    LessonCompletion(pk=self.completion_ids[lesson_id], completed_at=moment)
                    for lesson_id, moment in self.lowered_completions.items()
                ],
                ["completed_at"],
            )
        return [
            {"learner_id": user_id, "key": lesson_xp_key(lesson_id), "amount": xp}
            for lesson_id in self.new_completions
            for xp in [self.completion_xp[lesson_id]]
        ]

    def _awards_save(self) -> tuple[list[AchievementAward], list[dict]]:
        """Create the new awards, move the lowered ones; the new awards and their ledger rows."""
        user_id = self.user.pk
        awarded = []
        if self.new_awards:
            awarded = [
                AchievementAward(
                    learner_id=user_id,
                    achievement=self.by_slug[slug],
                    awarded_at=moment,
                    xp=self.by_slug[slug].xp,
                )
                for slug, moment in self.new_awards.items()
            ]
            AchievementAward.objects.bulk_create(awarded)
        if self.lowered_awards:
            AchievementAward.objects.bulk_update(
                [
                    AchievementAward(pk=self.by_slug[slug].award_id, awarded_at=moment)
                    for slug, moment in self.lowered_awards.items()
                ],
                ["awarded_at"],
            )
        ledger = [
            {
                "learner_id": user_id,
                "key": achievement_xp_key(award.achievement.slug),
                "amount": award.xp,
            }
            for award in awarded
        ]
        return awarded, ledger

    def _xp_save(self, ledger: list[dict]) -> None:
        """Write the ledger rows and the profile's new total (and its other changes)."""
        if ledger:
            insert_rows(XPEntry, ledger)
            self.profile.xp += sum(entry["amount"] for entry in ledger)
            self.profile_changes.add("xp")
        if self.profile_changes:
            self.profile.save(update_fields=[*self.profile_changes, "updated_at"])

    def _events_save(self) -> None:
        """Write the new completion events and move the days reported earlier than held."""
        if self.new_events:
            insert_rows(CompletionEvent, self.new_events)
        if self.days_lowered:
            # One UPDATE moves each day's row to the day's earlier time.
            moves = [
                (Q(lesson_id=day[0], completed_at=self.day_stored[day]), self.day_reports[day])
                for day in sorted(self.days_lowered)
            ]
            CompletionEvent.objects.filter(learner_id=self.user.pk).filter(
                functools.reduce(operator.or_, (where for where, _ in moves))
            ).update(completed_at=Case(*(When(where, then=Value(new)) for where, new in moves)))

    def courses_completed(self) -> list[int]:
        """Courses whose last missing published lesson this change completed (in memory)."""
        touched = {self.lessons[lesson_id].course_id for lesson_id in self.new_completions}
        return [course_id for course_id in sorted(touched) if self.course_complete(course_id)]

    @cached_property
    def course_lessons(self) -> dict[int, tuple[int, ...]]:
        return course_lesson_ids()  # one cache read per write, not one per course

    def course_complete(self, course_id) -> bool:
        course_lessons = self.course_lessons.get(course_id, ())
        return bool(course_lessons) and all(lesson in self.completions for lesson in course_lessons)

    def award_times(self) -> dict[str, datetime]:
        times = {slug: moment for slug, (moment, _) in self.held.items()}
        times.update(self.lowered_awards)
        times.update(self.new_awards)
        return times

    def state(self) -> LearnerState:
        figures = site_figures()
        return learner_state_build(
            xp=self.profile.xp,
            levels=figures.levels,
            completions={
                lesson_id: moment
                for lesson_id, moment in self.completions.items()
                if self.lessons[lesson_id].published
            },
            total_lessons=figures.lessons,
            active=[a.slug for a in self.achievements if a.active],
            awards=self.award_times(),
        )


# --- Announcing what happened to the host -------------------------------------------------------


@dataclass
class _Announcement:
    """What one write did, told to the adapter and the receivers of ``progress.signals`` after
    commit. Queries only for what someone listens to: with the default adapter and no receivers
    it costs nothing."""

    user: object
    completions: dict[int, datetime]
    awarded: list[AchievementAward]
    course_ids: list[int]
    xp_before: int
    xp_after: int

    def send(self) -> None:
        adapter = get_adapter()
        user = self.user
        if self.completions and signals.lesson_completed.has_listeners(LessonCompletion):
            lessons = Lesson.objects.select_related("course").in_bulk(list(self.completions))
            for lesson_id, moment in self.completions.items():
                if lesson_id in lessons:
                    signals.lesson_completed.send_robust(
                        LessonCompletion, user=user, lesson=lessons[lesson_id], completed_at=moment
                    )
        for award in self.awarded:
            _call(adapter.achievement_awarded, user=user, award=award)
            signals.achievement_awarded.send_robust(
                AchievementAward, user=user, award=award, achievement=award.achievement
            )
        if self.xp_after > self.xp_before and signals.level_up.has_listeners(Level):
            levels = levels_all()
            reached = _level_for(levels, self.xp_after)
            before = _level_for(levels, self.xp_before)
            if reached is not None and (before is None or reached.number > before.number):
                signals.level_up.send_robust(
                    Level, user=user, level=reached, previous_level=before, xp=self.xp_after
                )
        if self.course_ids and (
            signals.course_completed.has_listeners(Course) or adapter_overrides("course_completed")
        ):
            for course in Course.objects.filter(pk__in=self.course_ids).order_by("pk"):
                _call(adapter.course_completed, user=user, course=course)
                signals.course_completed.send_robust(Course, user=user, course=course)


def _level_for(levels, xp: int):
    reached = [level for level in levels if level.min_xp <= xp]
    return max(reached, key=lambda level: (level.min_xp, level.number)) if reached else None


def _call(method, **kwargs) -> None:
    try:
        method(**kwargs)
    except Exception:
        logger.exception("Stream adapter %s failed; the learner's progress is kept.", method)


# --- Completions and sync ----------------------------------------------------------------------


@dataclass
class CompletionResult:
    created: bool
    completed_at: datetime
    awarded: list[AchievementAward]
    course_completed: bool
    state: LearnerState


@transaction.atomic
def completion_record(*, user, lesson: Lesson, at: datetime | None = None) -> CompletionResult:
    """Record that ``user`` completed ``lesson`` (now, or at ``at``, bounded by
    :func:`completion_time_bound`).

    Completing again is a no-op (an earlier ``at`` lowers the recorded time). Awards what the
    completion earns. ``course_completed`` is true when this completion finished the course.
    Raises :class:`CompletionRefused` for a draft lesson or a lesson of a draft course, and
    :class:`CompletionLocked` when its prerequisites are not met.
    """
    now = timezone.now()
    progress = _LearnerProgress(user, lesson_ids=[lesson.pk], now=now)
    fact = progress.lessons.get(lesson.pk)
    if fact is None or not fact.published:
        raise CompletionRefused(f"Lesson {lesson.pk} is not published.")
    needs = requirement_facts().for_lesson(lesson.pk)
    unmet = completion_unmet(progress, lesson=fact, at=at or now, needs=needs, now=now)
    if unmet:
        raise CompletionLocked(f"Lesson {lesson.pk} is locked.", unmet=unmet)
    at = completion_time_bound(at or now, lesson=fact, now=now)
    before = progress.completions.get(lesson.pk)
    created = before is None
    if created or at < before:
        progress.report(
            event_id=uuid.uuid4(),  # made here: this completion came from the page, not a client
            hashed=payload_hash(kind=EVENT_LESSON_COMPLETED, lesson_id=lesson.pk, at=at),
            lesson_id=lesson.pk,
            at=at,
        )
    progress.evaluate()
    awarded = progress.save()
    course_completed = created and progress.course_complete(fact.course_id)
    return CompletionResult(
        created=created,
        completed_at=progress.completions[lesson.pk],
        awarded=awarded,
        course_completed=course_completed,
        state=progress.state(),
    )


@dataclass(frozen=True)
class EventResult:
    id: object
    status: str
    reason: str = ""

    def as_payload(self) -> dict:
        payload = {"id": self.id, "status": self.status}
        if self.reason:
            payload["reason"] = self.reason
        return payload


@dataclass
class SyncResult:
    results: list[EventResult]
    state: LearnerState
    awarded: list[AchievementAward] = field(default_factory=list)


def _lessons_hidden_by_adapter(*, user, lesson_ids) -> set[int]:
    """Lessons among ``lesson_ids`` the adapter's ``lessons_for_user`` keeps from ``user`` (the
    host's enrolment rules): a sync treats them as unknown. No query with the default adapter."""
    if not lesson_ids or not adapter_overrides("lessons_for_user"):
        return set()
    allowed = get_adapter().lessons_for_user(Lesson.objects.filter(pk__in=lesson_ids), user=user)
    return set(lesson_ids) - set(allowed.values_list("pk", flat=True))


def _valid_time_zone(name) -> str:
    return name if isinstance(name, str) and name in time_zone_names() else ""


def progress_sync(
    *, user, events: Sequence, time_zone: str | None = None, now: datetime | None = None
) -> SyncResult:
    """Apply a batch of client events for ``user``; answer per event, with the new state.

    Each event is applied at most once per learner: an id seen before answers ``duplicate`` and
    changes nothing; an id seen before with another payload raises :class:`SyncConflict` and
    nothing in the batch is applied. An event that would change nothing (its lesson already
    reported that day at that time or earlier, see ``_LearnerProgress.report``) answers
    ``duplicate`` too and is not kept. Malformed events, unknown lessons and drafts are
    ``rejected`` with a reason while the rest apply. An event for a lesson whose prerequisites
    are not met (by the learner's completions and the batch's other events, whatever their
    order; see :func:`requirements_in_force` for what a past time is judged by) is
    ``rejected`` as ``locked``. Times are bounded by
    :func:`completion_time_bound` (not after now, not before the lesson's first publication);
    a lesson keeps its earliest completion time. ``time_zone`` (an IANA name from the browser)
    is saved on the profile if it has none yet. Raises :class:`SyncBatchTooLarge` beyond the
    limit.

    Costs a fixed number of queries whatever the number of events (see the tests).
    """
    limit = progress_settings.PROGRESS_SYNC_BATCH_LIMIT
    if len(events) > limit:
        raise SyncBatchTooLarge(limit=limit, size=len(events))
    # Parsed before the transaction: on SQLite it holds the one write lock from its start.
    parsed = [event_parse(raw) for raw in events]
    valid = [event for event in parsed if isinstance(event, ClientEvent)]
    with transaction.atomic():
        now = now or timezone.now()
        progress = _LearnerProgress(
            user,
            lesson_ids={e.lesson_id for e in valid},
            event_ids={e.id for e in valid},
            now=now,
        )
        hidden = _lessons_hidden_by_adapter(user=user, lesson_ids={e.lesson_id for e in valid})
        # First: the learner's days, which the log is kept by, are counted in this zone.
        zone = _valid_time_zone(time_zone)
        if zone and not progress.profile.time_zone:
            progress.profile.time_zone = zone
            progress.profile_changes.add("time_zone")
        conflicts = []
        results = _events_apply(
            events, parsed, progress=progress, hidden=hidden, now=now, conflicts=conflicts
        )
        if conflicts:
            raise SyncConflict(conflicts)
        progress.evaluate()
        awarded = progress.save()
        return SyncResult(results=results, state=progress.state(), awarded=awarded)


def _events_apply(events, parsed, *, progress, hidden, now, conflicts) -> list[EventResult]:
    """Each event's answer, in order. Events for locked lessons wait until the batch's other
    events have unlocked them (so the batch's order does not matter); what stays locked is
    ``rejected`` as ``locked``.

    The batch is read in order, again and again until a reading applies nothing, and an event
    is applied when a reading reaches it unlocked: that order decides which of a lesson's
    reports on a day is kept, and the order completions are written in. Reading the whole batch
    again costs O(n²) for a path of n lessons reported last first (each reading unlocks one
    more), so a locked event is set aside with what it waits for (:class:`_Waiting`) and read
    again once that is done, where the readings would reach it: later in this reading if it
    comes after the event that unlocked it, in the next one if before."""
    needs_of = requirement_facts().by_lesson if parsed else {}
    results: list[EventResult | None] = [None] * len(events)
    waiting = _Waiting()
    unlocked: list[tuple[int, int]] = []  # (reading, index): a heap, in the readings' order

    def read(reading: int, index: int) -> None:
        event = parsed[index]
        lacks = _event_lacks(event, progress=progress, hidden=hidden, now=now, needs_of=needs_of)
        if lacks:
            waiting.add(index, event, lacks)
            return
        results[index] = _event_apply(
            events[index], event, progress=progress, hidden=hidden, now=now, conflicts=conflicts
        )
        for woken in waiting.unlocked_by(event, progress=progress):
            heapq.heappush(unlocked, (reading if woken > index else reading + 1, woken))

    for index in range(len(events)):
        read(1, index)
    while unlocked:
        read(*heapq.heappop(unlocked))
    for index in waiting.left():
        results[index] = EventResult(parsed[index].raw_id, REJECTED, LOCKED)
    return results


class _Waiting:
    """A batch's locked events, each with what unlocks it: every lesson it lacks completed, or
    else its own lesson completed or its id recorded by another of the batch's events (it is
    then a duplicate or a conflict, answered as such)."""

    def __init__(self):
        self.lacks: dict[int, set[tuple]] = {}  # an event's index → the keys it lacks
        self.own: dict[int, tuple[tuple, tuple]] = {}  # → the keys of its lesson and its id
        self.watchers: dict[tuple, list[int]] = defaultdict(list)  # a key → indices on it

    def add(self, index: int, event: ClientEvent, lessons) -> None:
        self.lacks[index] = {("lesson", lesson) for lesson in lessons}
        self.own[index] = (("lesson", event.lesson_id), ("event", event.id))
        for key in (*self.lacks[index], *self.own[index]):
            self.watchers[key].append(index)

    def unlocked_by(self, event, *, progress) -> list[int]:
        """The waiting events that ``event``, just answered, unlocked: by completing its lesson
        or recording its id."""
        if not isinstance(event, ClientEvent):
            return []
        keys = []
        if event.lesson_id in progress.completions:
            keys.append(("lesson", event.lesson_id))
        if event.id in progress.seen:
            keys.append(("event", event.id))
        woken = []
        for key in keys:
            for index in self.watchers.pop(key, ()):
                lacks = self.lacks.get(index)
                if lacks is None:
                    continue  # unlocked already
                lacks.discard(key)
                if not lacks or key in self.own[index]:
                    del self.lacks[index]
                    woken.append(index)
        return woken

    def left(self) -> list[int]:
        return sorted(self.lacks)


def _event_lacks(event, *, progress, hidden, now, needs_of) -> set[int]:
    """The lessons ``event``'s lesson still requires, if it would apply but for them; empty
    when it is not locked."""
    if not isinstance(event, ClientEvent) or event.id in progress.seen:
        return set()
    needs = needs_of.get(event.lesson_id)
    lesson = progress.lessons.get(event.lesson_id)
    if not needs or lesson is None or not lesson.published or event.lesson_id in hidden:
        return set()
    in_force = requirements_in_force(needs, at=event.at, lesson=lesson, now=now)
    return lessons_still_required(
        lesson_id=lesson.id,
        requirements=[need.fact() for need in in_force],
        completed=progress.completions,
    )


def _event_apply(raw, event, *, progress, hidden, now, conflicts: list) -> EventResult:
    """One event's answer, applied to ``progress`` when it is valid and new. An id seen before
    with another payload is added to ``conflicts``."""
    if not isinstance(event, ClientEvent):
        raw_id = raw.get("id") if isinstance(raw, Mapping) else None
        return EventResult(raw_id if isinstance(raw_id, str) else None, REJECTED, event)
    known = progress.seen.get(event.id)
    if known is not None:
        if known != event.payload_hash:
            conflicts.append(event.raw_id)
        return EventResult(event.raw_id, DUPLICATE)
    lesson = progress.lessons.get(event.lesson_id)
    if lesson is None or event.lesson_id in hidden:
        return EventResult(event.raw_id, REJECTED, UNKNOWN_LESSON)
    if not lesson.published:
        return EventResult(event.raw_id, REJECTED, UNPUBLISHED_LESSON)
    changed = progress.report(
        event_id=event.id,
        hashed=event.payload_hash,
        lesson_id=event.lesson_id,
        at=completion_time_bound(event.at, lesson=lesson, now=now),
    )
    return EventResult(event.raw_id, APPLIED if changed else DUPLICATE)


# --- Achievements ------------------------------------------------------------------------------


@transaction.atomic
def achievements_evaluate(*, user) -> list[AchievementAward]:
    """Evaluate every active rule for ``user`` now; return the awards this made.

    Services that change a learner's history call the rules themselves; call this after
    changing the rules (the backfill command does, for everyone).
    """
    progress = _LearnerProgress(user, now=timezone.now())
    progress.evaluate()
    return progress.save()


def comment_posted_record(*, user) -> list[AchievementAward]:
    """Record that ``user`` posted a comment; return the achievements this newly awarded.

    The comments app calls this after a learner's comment is saved (guarded, so comments works
    without progress installed). Idempotent: only the first call counts, as "first comment";
    later calls change nothing and return ``[]``.
    """
    if user is None or not user.is_authenticated:
        return []
    with transaction.atomic():
        progress = _LearnerProgress(user, now=timezone.now())
        if progress.profile.first_comment_at is None:
            progress.profile.first_comment_at = progress.now
            progress.profile_changes.add("first_comment_at")
        progress.evaluate()
        return progress.save()


def badge_revocations_record(*, awards: Sequence[AchievementAward], reason: str = "") -> None:
    """Record that ``awards``' Open Badges are withdrawn, so their hosted assertions answer
    "revoked" (with ``reason``) instead of not found. Safe to run twice.

    Called for every award row that is deleted (``apps.py`` connects it to ``post_delete``): the
    learner's account deleted, their learning data erased, a host's own clean-up. 1 query.
    """
    if not awards:
        return
    if not reason:
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("The award was withdrawn: the learner's data was deleted.")
    rows = [
        BadgeRevocation(badge_id=award.badge_id, achievement_id=award.achievement_id, reason=reason)
        for award in awards
    ]
    BadgeRevocation.objects.bulk_create(rows, ignore_conflicts=True)


def badge_revoke_on_delete(sender, instance, **kwargs):
    # A receiver, not a service call: awards also go when a host deletes a user (the database's
    # cascade through Django's collector), which no Stream service sees.
    badge_revocations_record(awards=[instance])


@dataclass
class BackfillReport:
    learners: int = 0
    awards: int = 0
    ledger_repaired: int = 0
    totals_repaired: int = 0


def awards_backfill(*, users=None) -> BackfillReport:
    """Re-evaluate every learner (or ``users``) against the active rules, and repair the ledger.

    For each learner, in a transaction of their own: adds a missing XP row for any completion or
    award without one, makes the cached total equal the ledger's sum, then awards what the
    rules now grant (dated when each rule was first met). Safe to run again at any time.
    """
    report = BackfillReport()
    if users is None:
        user_model = get_user_model()
        users = user_model._default_manager.filter(
            Q(stream_progress_profile__isnull=False) | Q(stream_completions__isnull=False)
        ).distinct()
    for user in users.iterator() if hasattr(users, "iterator") else users:
        with transaction.atomic():
            progress = _LearnerProgress(user, now=timezone.now())
            repaired = _ledger_repair(progress)
            report.ledger_repaired += repaired
            total = XPEntry.objects.filter(learner_id=user.pk).aggregate(total=Sum("amount"))
            if progress.profile.xp != (total["total"] or 0):
                progress.profile.xp = total["total"] or 0
                progress.profile_changes.add("xp")
                report.totals_repaired += 1
            progress.evaluate()
            report.awards += len(progress.save())
        report.learners += 1
    return report


def _ledger_repair(progress: _LearnerProgress) -> int:
    keys = set(XPEntry.objects.filter(learner_id=progress.user.pk).values_list("key", flat=True))
    missing = [
        XPEntry(learner_id=progress.user.pk, key=key, amount=amount)
        for key, amount in [
            *((lesson_xp_key(i), xp) for i, xp in progress.completion_xp.items()),
            *((achievement_xp_key(slug), xp) for slug, (_, xp) in progress.held.items()),
        ]
        if key not in keys
    ]
    XPEntry.objects.bulk_create(missing)
    return len(missing)


# --- Levels and achievements from a definitions file -------------------------------------------


@dataclass
class DefinitionsReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        return _(
            "Levels and achievements: %(created)s created, %(updated)s updated, "
            "%(unchanged)s unchanged."
        ) % {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


LEVEL_KEYS = ("number", "name", "min_xp")
ACHIEVEMENT_KEYS = (
    "slug",
    "name",
    "description",
    "icon",
    "rule_kind",
    "rule_params",
    "xp",
    "active",
    "position",
)


@transaction.atomic
def definitions_load(*, levels: Sequence[Mapping], achievements: Sequence[Mapping]):
    """Create or update levels (by number) and achievements (by slug) from plain data.

    What a site's setup or the demo loads from a YAML file. Each item is validated as the admin
    would validate it; the first invalid one raises ValidationError and nothing is written.
    Running it again with the same data changes nothing. An item's ``translations`` maps a
    language code to its text in that language (``{"ko": {"name": ..., "description": ...}}``);
    languages the site does not offer (``lessons.translations.content_languages``) are left
    out, and translations the data does not name are kept.
    """
    report = DefinitionsReport()
    for data in levels:
        _definition_apply(Level, "number", LEVEL_KEYS, data, report)
    for position, data in enumerate(achievements):
        data = {"position": position, "active": True, "description": "", "icon": "", **data}
        _definition_apply(Achievement, "slug", ACHIEVEMENT_KEYS, data, report)
    return report


def _definition_apply(model, identity, keys, data, report):
    data = dict(data)
    translations = data.pop("translations", None) or {}
    unknown = set(data) - set(keys)
    if unknown:
        raise ValidationError(f"{model.__name__} {data.get(identity)!r}: unknown keys {unknown}")
    instance = model.objects.filter(**{identity: data.get(identity)}).first()
    created = instance is None
    instance = instance or model()
    before = {key: getattr(instance, key, None) for key in keys}
    for key, value in data.items():
        setattr(instance, key, value)
    instance.full_clean()
    changed = created or {key: getattr(instance, key) for key in keys} != before
    if changed:
        instance.save()
    changed |= _translations_apply(instance, translations)
    if created:
        report.created += 1
    elif changed:
        report.updated += 1
    else:
        report.unchanged += 1


def _translations_apply(instance, translations: Mapping) -> bool:
    """Write ``instance``'s texts per language; whether any row was created or changed."""
    relation = instance._meta.get_field("translations")
    fields = instance.translated_fields
    offered = {code for code, _name in content_languages()}
    held = instance.translations_by_language()
    changed = False
    for language, texts in translations.items():
        if language not in offered:
            continue
        unknown = set(texts) - set(fields)
        if unknown:
            raise ValidationError(f"{instance} ({language}): unknown keys {unknown}")
        row = held.get(language) or relation.related_model(
            language=language, **{relation.field.name: instance}
        )
        before = {name: getattr(row, name) for name in fields}
        for name in fields:
            setattr(row, name, texts.get(name, ""))
        row.full_clean()
        if row.pk is None or {name: getattr(row, name) for name in fields} != before:
            row.save()
            changed = True
    return changed
