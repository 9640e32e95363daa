"""Prerequisites in the lessons app: the model, cycles refused in the admin, the facts pages
and progress read, and the site's version."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from lessons.models import CourseRequirement, LessonRequirement, Status
from lessons.requirements import COURSE, LESSON, RequirementGraph, requirement_facts
from lessons.versions import site_version
from tests.factories import CourseFactory, LessonFactory, two_courses_three_lessons

from .test_admin import course_form_data, lesson_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def path():
    """Course "Basics" (a, b) and course "Next" (c), published."""
    return two_courses_three_lessons()


# --- The model ---------------------------------------------------------------------------------


def test_a_requirement_names_exactly_one_lesson_or_course(path):
    basics, _, a, b, _ = path
    with pytest.raises(IntegrityError), transaction.atomic():
        LessonRequirement.objects.create(lesson=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        LessonRequirement.objects.create(lesson=b, required_lesson=a, required_course=basics)


def test_a_lesson_cannot_require_itself_in_the_database(path):
    _, _, a, _, _ = path
    with pytest.raises(IntegrityError), transaction.atomic():
        LessonRequirement.objects.create(lesson=a, required_lesson=a)


def test_requirement_writes_change_the_sites_version(path):
    _, following, a, b, _ = path
    before = site_version()

    row = LessonRequirement.objects.create(lesson=b, required_lesson=a)
    added = site_version()
    row.delete()
    removed = site_version()
    CourseRequirement.objects.create(course=following, required_lesson=a)

    assert before.number < added.number < removed.number < site_version().number


# --- Cycles ------------------------------------------------------------------------------------


def test_the_graph_finds_a_cycle_through_a_course_with_its_path(path):
    basics, _, a, b, _ = path
    LessonRequirement.objects.create(lesson=a, required_lesson=b)
    graph = RequirementGraph.load()

    # b requiring the course Basics would need b itself completed first
    graph.lesson_set(b.pk, course_id=basics.pk, title="B", needs=[(COURSE, basics.pk)])
    cycle = graph.cycle([(LESSON, b.pk)])

    # (through a, which requires b, the first lesson the course's completion leads to)
    assert cycle == [(LESSON, b.pk), (COURSE, basics.pk), (LESSON, a.pk), (LESSON, b.pk)]
    assert graph.describe(cycle) == "lesson “B” → course “Basics” → lesson “A” → lesson “B”"


def test_a_course_requiring_its_own_lesson_is_a_cycle(path):
    basics, _, a, _, _ = path
    graph = RequirementGraph.load()
    graph.course_set(basics.pk, title="Basics", needs=[(LESSON, a.pk)])

    cycle = graph.cycle([("gate", basics.pk)])

    assert cycle is not None
    assert "the requirements of course “Basics”" in graph.describe(cycle)


def test_a_chain_is_no_cycle_however_long(path):
    basics, *_ = path
    graph = RequirementGraph()
    for number in range(1, 5001):  # deeper than Python's recursion limit
        graph.lesson_set(
            number, course_id=basics.pk, title=str(number), needs=[(LESSON, number - 1)]
        )
    graph.lesson_set(0, course_id=basics.pk, title="0", needs=[])

    assert graph.cycle() is None
    graph.lesson_set(0, course_id=basics.pk, title="0", needs=[(LESSON, 5000)])
    assert len(graph.cycle()) == 5002


def requirement_rows(prefix="requirements", *rows, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, (lesson, course) in enumerate(rows):
        data[f"{prefix}-{index}-required_lesson"] = lesson.pk if lesson else ""
        data[f"{prefix}-{index}-required_course"] = course.pk if course else ""
        data[f"{prefix}-{index}-position"] = str(index)
    return data


def lesson_change(lesson, *rows):
    data = lesson_form_data(
        lesson.course,
        title=lesson.title,
        slug=lesson.slug,
        position=lesson.position,
        status=lesson.status,
        **{"links-TOTAL_FORMS": "0"},
    )
    data.update(requirement_rows("requirements", *rows))
    return data


def test_the_admin_saves_a_lessons_requirements_in_order(staff_client, path):
    basics, following, a, b, c = path

    response = staff_client.post(
        reverse("admin:stream_lessons_lesson_change", args=[c.pk]),
        lesson_change(c, (b, None), (None, basics)),
    )

    assert response.status_code == 302
    rows = list(LessonRequirement.objects.filter(lesson=c))
    assert [(row.required_lesson, row.required_course) for row in rows] == [
        (b, None),
        (None, basics),
    ]


def test_the_admin_refuses_a_cycle_with_its_path(staff_client, path):
    # given a requires c
    basics, following, a, b, c = path
    LessonRequirement.objects.create(lesson=a, required_lesson=c)
    before = site_version()

    # when staff make c require the course Basics (which holds a)
    response = staff_client.post(
        reverse("admin:stream_lessons_lesson_change", args=[c.pk]),
        lesson_change(c, (None, basics)),
    )

    # then the form says why, with the path, and nothing is saved
    assert response.status_code == 200
    text = response.content.decode()
    assert "would make a cycle" in text
    assert "lesson “C” → course “Basics” → lesson “A” → lesson “C”" in text
    assert not LessonRequirement.objects.filter(lesson=c).exists()
    assert site_version() == before


def test_the_admin_refuses_a_lesson_requiring_itself(staff_client, path):
    *_, c = path
    response = staff_client.post(
        reverse("admin:stream_lessons_lesson_change", args=[c.pk]), lesson_change(c, (c, None))
    )

    # (Django 5.2 leaves the inline's own constraint to the cycle check, 6.x checks it first)
    assert response.status_code == 200
    text = response.content.decode()
    assert "lesson “C” → lesson “C”" in text or "A lesson cannot require itself." in text
    assert not LessonRequirement.objects.exists()


def test_the_admin_refuses_moving_a_lesson_into_a_course_it_requires(staff_client, path):
    # given c (in Next) requires the course Basics
    basics, following, a, b, c = path
    LessonRequirement.objects.create(lesson=c, required_course=basics)

    # when staff move c into Basics, keeping its requirement
    data = lesson_change(c, (None, basics))
    data.update({"course": basics.pk, "requirements-INITIAL_FORMS": "1"})
    data["requirements-0-id"] = LessonRequirement.objects.get(lesson=c).pk
    data["requirements-0-lesson"] = c.pk
    response = staff_client.post(reverse("admin:stream_lessons_lesson_change", args=[c.pk]), data)

    # then it is refused and c stays where it was
    assert response.status_code == 200
    assert "would make a cycle" in response.content.decode()
    c.refresh_from_db()
    assert c.course == following


def course_change(course, *rows):
    return course_form_data(course, **requirement_rows("requirements", *rows))


def test_the_admin_refuses_a_course_cycle_and_saves_a_good_one(staff_client, path):
    # given the course Basics requires the course Next
    basics, following, a, b, c = path
    CourseRequirement.objects.create(course=basics, required_course=following)

    # when staff make Next require lesson a (in Basics): refused
    url = reverse("admin:stream_lessons_course_change", args=[following.pk])
    refused = staff_client.post(url, course_change(following, (a, None)))
    # and when they add lesson c to what Basics requires: saved
    data = course_change(basics, (None, following), (c, None))
    data["requirements-INITIAL_FORMS"] = "1"
    data["requirements-0-id"] = CourseRequirement.objects.get(course=basics).pk
    data["requirements-0-course"] = basics.pk
    accepted = staff_client.post(
        reverse("admin:stream_lessons_course_change", args=[basics.pk]), data
    )

    assert "would make a cycle" in refused.content.decode()
    assert not CourseRequirement.objects.filter(course=following).exists()
    assert accepted.status_code == 302
    assert CourseRequirement.objects.filter(course=basics).count() == 2


def test_the_admin_refuses_a_requirement_given_twice_with_a_form_error(staff_client, path):
    # given Basics requires Next (saved in another tab, say)
    basics, following, *_ = path
    CourseRequirement.objects.create(course=basics, required_course=following)

    # when a form that does not know it adds Next again
    response = staff_client.post(
        reverse("admin:stream_lessons_course_change", args=[basics.pk]),
        course_change(basics, (None, following)),
    )

    # then the form says so (no server error) and one row stays
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert CourseRequirement.objects.filter(course=basics).count() == 1


# --- The facts learners meet -------------------------------------------------------------------


def test_facts_give_each_lesson_its_own_and_its_courses_requirements(path):
    basics, following, a, b, c = path
    LessonRequirement.objects.create(lesson=b, required_lesson=a)
    CourseRequirement.objects.create(course=following, required_course=basics)
    LessonRequirement.objects.create(lesson=c, required_lesson=b, position=1)

    facts = requirement_facts()

    assert [(n.kind, n.id) for n in facts.for_lesson(b.pk)] == [(LESSON, a.pk)]
    assert [(n.kind, n.id) for n in facts.for_lesson(c.pk)] == [(LESSON, b.pk), (COURSE, basics.pk)]
    assert facts.for_lesson(c.pk)[1].lessons == (a.pk, b.pk)
    assert facts.for_lesson(a.pk) == ()
    assert [n.fact() for n in facts.for_course(following.pk)] == [
        {"course": basics.pk, "lessons": [a.pk, b.pk]}
    ]
    assert facts.for_lesson(b.pk)[0].url == a.get_absolute_url()


def test_requirements_nobody_can_meet_are_left_out(path):
    # given c requires a draft lesson and a course without published lessons
    basics, following, a, b, c = path
    draft = LessonFactory(course=basics, status=Status.DRAFT)
    empty = CourseFactory()
    LessonFactory(course=empty, status=Status.DRAFT)
    LessonRequirement.objects.create(lesson=c, required_lesson=draft)
    LessonRequirement.objects.create(lesson=c, required_course=empty)

    assert requirement_facts().for_lesson(c.pk) == ()


def test_facts_cost_no_query_once_kept(path, django_assert_num_queries):
    basics, following, a, b, c = path
    LessonRequirement.objects.create(lesson=b, required_lesson=a)
    version = site_version()

    # the published lessons, each kind of requirement
    with django_assert_num_queries(3):
        requirement_facts(version=version)
    with django_assert_num_queries(0):
        facts = requirement_facts(version=version)
    assert facts.for_lesson(b.pk)
