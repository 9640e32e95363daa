"""Prerequisites: a lesson or a course may require other lessons or courses completed.

What a requirement means to a learner:

- A lesson's requirements are its own (``LessonRequirement``) and its course's
  (``CourseRequirement``): a course's requirement locks every lesson of it.
- A required lesson is met when the learner completed it; a required course when they
  completed every published lesson of it (as progress counts a course completed).
- Only what learners can complete counts: a requirement naming a draft lesson, a lesson of a
  draft course, or a course with no published lesson is left out (it would lock for good).
- A lesson the learner completed is never locked for them, whatever was added since.

The lessons app knows requirements; whether a viewer met them is progress's business, which
fills :func:`requirements_unmet_register` (``lessons`` imports neither other app).

Cycles are refused wherever requirements are written (the admin and ``import_lessons``):
:class:`RequirementGraph` holds every lesson, course and requirement, drafts included (a draft
published later must not close a cycle), and finds one with its path for the error message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .models import Course, CourseRequirement, Lesson, LessonRequirement, Status
from .translations import (
    active_language,
    related_translations_annotate,
    related_translations_attach,
)
from .versions import Version, site_memo

LESSON, COURSE = "lesson", "course"
# A node of the graph: (LESSON, id) is "complete the lesson", (COURSE, id) "complete every
# lesson of the course", (_GATE, id) "the course's requirements", which its lessons inherit.
_GATE = "gate"
Node = tuple[str, int]


# --- Cycles ------------------------------------------------------------------------------------


@dataclass
class RequirementGraph:
    """Every lesson (with its course) and course, and what each requires, in memory."""

    lesson_course: dict[int, int] = field(default_factory=dict)
    lesson_titles: dict[int, str] = field(default_factory=dict)
    course_titles: dict[int, str] = field(default_factory=dict)
    lesson_needs: dict[int, list[Node]] = field(default_factory=lambda: defaultdict(list))
    course_needs: dict[int, list[Node]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls) -> RequirementGraph:
        """The graph as the database holds it. 4 queries, on writes only."""
        graph = cls()
        for pk, course_id, title in Lesson.objects.values_list("id", "course_id", "title"):
            graph.lesson_course[pk] = course_id
            graph.lesson_titles[pk] = title
        graph.course_titles.update(Course.objects.values_list("id", "title"))
        for model, needs, owner in (
            (LessonRequirement, graph.lesson_needs, "lesson_id"),
            (CourseRequirement, graph.course_needs, "course_id"),
        ):
            rows = model.objects.order_by("position", "id").values_list(
                owner, "required_lesson_id", "required_course_id"
            )
            for pk, lesson_id, course_id in rows:
                needs[pk].append((LESSON, lesson_id) if lesson_id else (COURSE, course_id))
        return graph

    def lesson_set(self, lesson_id: int, *, course_id: int, title: str, needs: Iterable[Node]):
        """Put (or move) a lesson and replace its requirements, as a form or a file would."""
        self.lesson_course[lesson_id] = course_id
        self.lesson_titles[lesson_id] = title
        self.lesson_needs[lesson_id] = list(needs)

    def course_set(self, course_id: int, *, title: str, needs: Iterable[Node]):
        self.course_titles[course_id] = title
        self.course_needs[course_id] = list(needs)

    def _edges(self) -> dict[Node, list[Node]]:
        edges: dict[Node, list[Node]] = defaultdict(list)
        for lesson_id, course_id in self.lesson_course.items():
            edges[(COURSE, course_id)].append((LESSON, lesson_id))
            edges[(LESSON, lesson_id)].extend(self.lesson_needs.get(lesson_id, ()))
            if self.course_needs.get(course_id):
                edges[(LESSON, lesson_id)].append((_GATE, course_id))
        for course_id, needs in self.course_needs.items():
            edges[(_GATE, course_id)].extend(needs)
        return edges

    def cycle(self, start: Iterable[Node] = ()) -> list[Node] | None:
        """A cycle reachable from ``start`` (every node when empty), as the path that closes
        on its first node, or ``None``. Depth-first, without recursion (a long chain of
        requirements must not hit Python's recursion limit)."""
        edges = self._edges()
        roots = list(start) or sorted(edges)
        done: set[Node] = set()
        for root in roots:
            if root in done:
                continue
            path: list[Node] = [root]
            on_path = {root}
            stack = [iter(edges.get(root, ()))]
            while stack:
                following = next(stack[-1], None)
                if following is None:
                    stack.pop()
                    finished = path.pop()
                    on_path.discard(finished)
                    done.add(finished)
                    continue
                if following in on_path:
                    return [*path[path.index(following) :], following]
                if following not in done:
                    path.append(following)
                    on_path.add(following)
                    stack.append(iter(edges.get(following, ())))
        return None

    def describe(self, path: Sequence[Node]) -> str:
        """The cycle as staff read it: “Llama” → course “Basics” → “Llama”."""
        names = []
        for kind, pk in path:
            if kind == LESSON:
                names.append(_("lesson “%(title)s”") % {"title": self.lesson_titles.get(pk, pk)})
            elif kind == COURSE:
                names.append(_("course “%(title)s”") % {"title": self.course_titles.get(pk, pk)})
            else:
                names.append(
                    _("the requirements of course “%(title)s”")
                    % {"title": self.course_titles.get(pk, pk)}
                )
        return " → ".join(names)


def cycle_message(graph: RequirementGraph, path: Sequence[Node]) -> str:
    return _(
        "These requirements would make a cycle, so nobody could ever complete them: %(path)s. "
        "A lesson or course cannot require, directly or through courses, something that "
        "requires it."
    ) % {"path": graph.describe(path)}


# --- What learners see --------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """One requirement as learners meet it: a published lesson, or a published course with
    ``lessons`` (its published lessons, in order), named for the page's links."""

    kind: str  # LESSON or COURSE
    id: int
    title: str
    slug: str
    course_slug: str = ""  # a lesson's course
    lessons: tuple[int, ...] = ()
    since: datetime | None = None  # when the requirement was added

    @property
    def url(self) -> str:
        try:
            if self.kind == LESSON:
                return reverse(
                    "stream_lessons:lesson",
                    kwargs={"course": self.course_slug, "lesson": self.slug},
                )
            return reverse("stream_lessons:course", kwargs={"course": self.slug})
        except NoReverseMatch:
            return ""

    def fact(self) -> dict:
        """As pages and the browser's facts carry it (see ``progress/static/.../rules.js``)."""
        if self.kind == LESSON:
            return {"lesson": self.id}
        return {"course": self.id, "lessons": list(self.lessons)}


@dataclass(frozen=True)
class RequirementFacts:
    """Each published lesson's requirements (its own, then its course's) and each published
    course's own, as learners meet them."""

    by_lesson: Mapping[int, tuple[Need, ...]]
    by_course: Mapping[int, tuple[Need, ...]]

    def for_lesson(self, lesson_id: int) -> tuple[Need, ...]:
        return self.by_lesson.get(lesson_id, ())

    def for_course(self, course_id: int) -> tuple[Need, ...]:
        return self.by_course.get(course_id, ())


def _facts_compute() -> RequirementFacts:
    published = (
        Lesson.objects.filter(status=Status.PUBLISHED, course__status=Status.PUBLISHED)
        .order_by("course_id", "position", "id")
        .values_list("id", "course_id")
    )
    course_lessons: dict[int, list[int]] = defaultdict(list)
    lesson_course: dict[int, int] = {}
    for lesson_id, course_id in published:
        course_lessons[course_id].append(lesson_id)
        lesson_course[lesson_id] = course_id

    def need(row) -> Need | None:
        lesson, course = row.required_lesson, row.required_course
        if lesson is not None:
            if lesson.pk not in lesson_course:
                return None
            return Need(
                LESSON,
                lesson.pk,
                lesson.title_in(),
                lesson.slug,
                course_slug=lesson.course.slug,
                since=row.created_at,
            )
        if not course_lessons.get(course.pk):
            return None
        return Need(
            COURSE,
            course.pk,
            course.title_in(),
            course.slug,
            lessons=tuple(course_lessons[course.pk]),
            since=row.created_at,
        )

    def needs_of(model, owner: str) -> dict[int, list[Need]]:
        found: dict[int, list[Need]] = defaultdict(list)
        rows = model.objects.select_related("required_lesson__course", "required_course").order_by(
            owner, "position", "id"
        )
        # What is required is named in the active language, in the same query.
        for through in ("required_lesson", "required_course"):
            rows = related_translations_annotate(rows, through, fields=("title",))
        for row in rows:
            related_translations_attach(
                row, "required_lesson" if row.required_lesson_id else "required_course"
            )
            item = need(row)
            if item is not None:
                found[getattr(row, owner)].append(item)
        return found

    own = needs_of(LessonRequirement, "lesson_id")
    of_course = needs_of(CourseRequirement, "course_id")
    by_lesson = {}
    for lesson_id, course_id in lesson_course.items():
        items, seen = [], set()
        for item in [*own.get(lesson_id, ()), *of_course.get(course_id, ())]:
            if (item.kind, item.id) not in seen:
                seen.add((item.kind, item.id))
                items.append(item)
        if items:
            by_lesson[lesson_id] = tuple(items)
    by_course = {
        course_id: tuple(items)
        for course_id, items in of_course.items()
        if course_id in course_lessons
    }
    return RequirementFacts(by_lesson=by_lesson, by_course=by_course)


def requirement_facts(*, version: Version | None = None) -> RequirementFacts:
    """Every published lesson's and course's requirements, what they require named in the
    active language (a lesson's variant's title, a course's translated title), kept under the
    site's content version and that language (``versions.site_memo``; requirement rows bump
    it): no query on a hit when ``version`` is given (1 without), 3 on a miss, whatever the
    catalogue's size."""
    return site_memo(
        name="lessons:requirements",
        parts=(active_language(),),
        compute=_facts_compute,
        version=version,
    )


# --- Whether a viewer met them (progress fills this) ------------------------------------------

# (user, needs) -> the needs that user has not met; (user, facts) -> the lessons locked for
# that user. Without progress installed nobody completes anything, and requirements lock
# nothing.
_unmet_reader: list[Callable[..., list[Need]]] = []
_locked_reader: list[Callable[..., set[int]]] = []


def requirements_unmet_register(
    reader: Callable[..., list[Need]], *, locked: Callable[..., set[int]] | None = None
) -> None:
    """Name the function that says which of a lesson's needs a user has not met, called as
    ``reader(user=..., lesson_id=..., needs=...)``, and the one that says which lessons are
    locked for a user, ``locked(user=..., facts=...)`` (a :class:`RequirementFacts`), in a
    constant number of queries. Progress registers its own in ``ready()``."""
    _unmet_reader[:] = [reader]
    _locked_reader[:] = [locked] if locked is not None else []


def requirements_unmet(*, user, lesson_id: int, needs: Sequence[Need]) -> list[Need]:
    """Which of ``needs`` (lesson ``lesson_id``'s) ``user`` has not met; ``[]`` when nothing
    reads progress."""
    if not needs or not _unmet_reader:
        return []
    return _unmet_reader[0](user=user, lesson_id=lesson_id, needs=needs)


def lessons_locked(*, user, facts: RequirementFacts) -> set[int]:
    """The published lessons ``user`` has not met the requirements of (``facts``); none when
    nothing reads progress."""
    if not facts.by_lesson or not _locked_reader:
        return set()
    return _locked_reader[0](user=user, facts=facts)
