"""Reads shared by Stream's pages and API. Each costs a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from .adapter import adapter_overrides, get_adapter
from .models import ContentVersion, Course, Lesson, LessonLink, Status, Tag
from .translations import (
    related_translations_annotate,
    related_translations_attach,
    translations_annotate,
)
from .variants import PAGE_FIELDS, links_show, variant_languages, variant_show, variants_annotate
from .versions import SITE, Version, read_version, sql_connection, sql_table


def user_is_staff(user) -> bool:
    return bool(user is not None and user.is_active and user.is_staff)


def courses_visible(*, user):
    """Courses ``user`` may open: published ones; staff see drafts too; then the adapter's
    ``courses_for_user`` (the host's enrolment rules)."""
    courses = Course.objects.all()
    courses = courses if user_is_staff(user) else courses.published()
    return get_adapter().courses_for_user(courses, user=user)


def lessons_visible(*, user):
    """Lessons ``user`` may open: published lessons of published courses; staff see all; then
    the adapter's ``lessons_for_user`` (the host's enrolment rules)."""
    lessons = Lesson.objects.select_related("course")
    lessons = lessons if user_is_staff(user) else lessons.published()
    return get_adapter().lessons_for_user(lessons, user=user)


def lesson_is_visible(*, lesson: Lesson, user) -> bool:
    """Whether ``user`` may open ``lesson`` (its ``course`` loaded). No query with the default
    adapter; 1 query when the adapter narrows ``lessons_for_user``."""
    if not user_is_staff(user) and not (
        lesson.status == Status.PUBLISHED and lesson.course.status == Status.PUBLISHED
    ):
        return False
    if not adapter_overrides("lessons_for_user"):
        return True
    return lessons_visible(user=user).filter(pk=lesson.pk).exists()


def catalogue_courses(*, user) -> list[Course]:
    """The catalogue: visible courses, each with ``lesson_count`` (published lessons). 1 query."""
    # Meta.ordering does not apply to a query with GROUP BY, so order explicitly.
    return list(
        translations_annotate(courses_visible(user=user))
        .annotate(lesson_count=Count("lessons", filter=Q(lessons__status=Status.PUBLISHED)))
        .order_by("position", "id")
    )


def course_with_lessons(*, course_slug: str, user) -> tuple[Course, list[Lesson]]:
    """A course and its lessons in order, as ``user`` may see them, or 404. 2 queries."""
    course = translations_annotate(courses_visible(user=user)).filter(slug=course_slug).first()
    if course is None:
        raise Http404("No such course.")
    lessons = course.lessons.order_by("position", "id")
    if not user_is_staff(user):
        lessons = lessons.filter(status=Status.PUBLISHED)
    lessons = list(variants_annotate(get_adapter().lessons_for_user(lessons, user=user)))
    for number, lesson in enumerate(lessons, start=1):
        lesson.number = number
        lesson.course = course
        variant_show(lesson)
    return course, lessons


def tag_with_lessons(*, tag_slug: str, user) -> tuple[Tag, list[Lesson]]:
    """A tag and the lessons ``user`` may see that carry it, in catalogue order. 2 queries."""
    tag = translations_annotate(Tag.objects.filter(slug=tag_slug)).first()
    if tag is None:
        raise Http404("No such tag.")
    lessons = lessons_visible(user=user).filter(tags=tag).in_order()
    lessons = list(variants_annotate(related_translations_annotate(lessons, "course")))
    for lesson in lessons:
        related_translations_attach(lesson, "course")
        variant_show(lesson)
    return tag, lessons


def tags_by_lesson(*, lesson_ids) -> dict[int, list[Tag]]:
    """Each lesson's tags in the order the instructor gave them (``dense, llama, families``).

    The order is the order the tags were attached in (see ``services.lesson_set_tags``). 1 query.
    """
    rows = (
        Lesson.tags.through.objects.filter(lesson_id__in=list(lesson_ids))
        .select_related("tag")
        .order_by("id")
    )
    found: dict[int, list[Tag]] = {lesson_id: [] for lesson_id in lesson_ids}
    for row in related_translations_annotate(rows, "tag"):
        found[row.lesson_id].append(related_translations_attach(row, "tag"))
    return found


def lesson_tags_in_order(*, lesson: Lesson) -> list[Tag]:
    """``lesson``'s tags in the instructor's order. 1 query."""
    return tags_by_lesson(lesson_ids=[lesson.pk])[lesson.pk]


@dataclass
class LessonPage:
    """Everything the lesson page shows about the lesson itself (slots add the rest)."""

    lesson: Lesson
    course: Course
    number: int
    total: int
    tags: list[Tag]
    links: list[LessonLink]
    previous: Lesson | None
    next: Lesson | None
    # Its prerequisites (``lessons.requirements.Need``, its own then its course's), and whether
    # its text is kept from this viewer (``REQUIREMENTS_HIDE_LOCKED``, prerequisites not met).
    requirements: tuple = ()
    content_hidden: bool = False

    @property
    def requirement_facts(self) -> list[dict]:
        return [need.fact() for need in self.requirements]


def _neighbour_fields():
    return ("id", "uuid", "title", "slug", "position", "status", "course_id", "language")


@dataclass(frozen=True)
class LessonHead:
    """What the lesson page decides with before rendering anything."""

    pk: int
    public: bool  # the lesson and its course are published
    versions: tuple[Version, Version]  # the site's and the lesson's (``lessons.versions``)


def lesson_head(*, course_slug: str, lesson_slug: str) -> LessonHead | None:
    """The lesson at ``/courses/<course>/<lesson>/`` with its content versions, or ``None``
    when there is no such lesson. 1 query, written as SQL (see ``lessons.versions``): every
    lesson page view runs it, cached or not."""
    connection = sql_connection(Lesson)
    lesson, course, version = (
        sql_table(connection, model) for model in (Lesson, Course, ContentVersion)
    )
    with connection.cursor() as cursor:
        # Only table names are formatted in; every value is a parameter.
        cursor.execute(
            f"SELECT l.id, l.status, c.status, s.version, s.changed_at, v.version, v.changed_at"  # noqa: S608
            f" FROM {lesson} l JOIN {course} c ON c.id = l.course_id"
            f" LEFT JOIN {version} s ON s.scope = %s"
            f" LEFT JOIN {version} v ON v.scope = l.id"
            f" WHERE c.slug = %s AND l.slug = %s",
            [SITE, course_slug, lesson_slug],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    pk, status, course_status, *versions = row
    return LessonHead(
        pk=pk,
        public=status == course_status == Status.PUBLISHED,
        versions=(read_version(*versions[:2]), read_version(*versions[2:])),
    )


def lesson_page(*, course_slug: str, lesson_slug: str, user) -> LessonPage:
    """The lesson at ``/courses/<course>/<lesson>/`` as ``user`` may see it, or 404.

    Drafts (of the lesson or of its course) are 404 for everyone but staff. ``number`` and
    ``total`` count the course's published lessons ("Lesson 02 of 05"); a draft that staff
    preview is counted where it would stand once published. Six queries, whatever the size of
    the course or the number of tags.

    The text is the page language's variant where there is one, else the original (see
    ``lessons.variants``); the lesson and its neighbours come with it in the same queries.
    """
    links = translations_annotate(LessonLink.objects.order_by("position", "id"))
    lesson = (
        variants_annotate(
            related_translations_annotate(
                lessons_visible(user=user).filter(course__slug=course_slug, slug=lesson_slug),
                "course",
            ),
            fields=PAGE_FIELDS,
            with_languages=True,
        )
        .prefetch_related(Prefetch("links", queryset=links))
        .first()
    )
    if lesson is None:
        raise Http404("No such lesson.")
    course = related_translations_attach(lesson, "course")
    variant_show(lesson)
    lesson.languages = variant_languages(lesson)

    siblings = Lesson.objects.filter(course=course)
    before = Q(position__lt=lesson.position) | Q(position=lesson.position, id__lt=lesson.id)
    counted = siblings.filter(Q(status=Status.PUBLISHED) | Q(pk=lesson.pk))
    figures = counted.aggregate(total=Count("id"), before=Count("id", filter=before))

    neighbours = siblings if user_is_staff(user) else siblings.filter(status=Status.PUBLISHED)
    neighbours = get_adapter().lessons_for_user(neighbours, user=user)
    neighbours = variants_annotate(neighbours.only(*_neighbour_fields()))
    previous = neighbours.filter(before).order_by("-position", "-id").first()
    after = Q(position__gt=lesson.position) | Q(position=lesson.position, id__gt=lesson.id)
    following = neighbours.filter(after).order_by("position", "id").first()
    for neighbour in (previous, following):
        if neighbour is not None:
            neighbour.course = course
            variant_show(neighbour)

    return LessonPage(
        lesson=lesson,
        course=course,
        number=figures["before"] + 1,
        total=figures["total"],
        tags=lesson_tags_in_order(lesson=lesson),
        links=links_show(list(lesson.links.all()), shown=lesson.shown_language),
        previous=previous,
        next=following,
    )
