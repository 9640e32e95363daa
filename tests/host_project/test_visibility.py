"""Whatever names a lesson follows the adapter's ``lessons_for_user``: pages, API lists,
notifications, reply emails and the progress facts. Acme's members-only courses, and the
integration guide's adapter example, which is Acme's code."""

import inspect
import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from comments import services as comment_services
from comments.models import Notification
from lessons.models import Status
from progress.selectors import progress_facts
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ProblemReportFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
)
from tests.host_project.members.adapter import AcademyAdapter
from tests.host_project.members.models import Enrolment, MembersOnlyCourse

pytestmark = pytest.mark.django_db

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integration.md"


@pytest.fixture
def closed(db):
    """A members-only course with one lesson, tagged, and not a single enrolment yet."""
    course = CourseFactory(slug="forging", title="Forging for members")
    LessonFactory(course=course, slug="f1", title="Forge 1", tags=[TagFactory(slug="heat")])
    MembersOnlyCourse.objects.create(course=course)
    return course


def lesson_page(lesson):
    return reverse(
        "stream_lessons:lesson", kwargs={"course": lesson.course.slug, "lesson": lesson.slug}
    )


def api_rows(response):
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


# --- A members-only course with no enrolments -----------------------------------------------------


@pytest.mark.parametrize("who", ["visitor", "member who is not enrolled"])
def test_a_members_only_course_without_enrolments_stays_closed(client, course, closed, who):
    viewer = None if who == "visitor" else UserFactory()
    if viewer is not None:
        client.force_login(viewer)
    lesson = closed.lessons.get()
    # when they look for it on every page
    assert client.get(reverse("stream_lessons:course", args=[closed.slug])).status_code == 404
    assert client.get(lesson_page(lesson)).status_code == 404
    assert (
        "Forge 1" not in client.get(reverse("stream_lessons:tag", args=["heat"])).content.decode()
    )
    assert (
        "Forging for members"
        not in client.get(reverse("stream_lessons:catalogue")).content.decode()
    )
    # and through the API
    courses = client.get(reverse("stream_lessons_api:courses"))
    assert [row["slug"] for row in api_rows(courses)] == ["welding"]
    assert client.get(reverse("stream_lessons_api:course", args=[closed.slug])).status_code == 404
    assert client.get(reverse("stream_lessons_api:lesson", args=[lesson.pk])).status_code == 404
    comments = reverse("stream_comments_api:lesson-comments", args=[lesson.pk])
    assert client.get(comments).status_code == 404
    # and in the progress facts built for them
    titles = [row["title"] for row in progress_facts(user=viewer)["lessons"]]
    assert "Forge 1" not in titles and "Weld 1" in titles


def test_an_enrolled_member_and_staff_see_it(client, course, closed):
    member = UserFactory()
    Enrolment.objects.create(member=member, course=closed)
    lesson = closed.lessons.get()
    for user in (member, StaffFactory()):
        client.force_login(user)
        assert client.get(lesson_page(lesson)).status_code == 200
        courses = client.get(reverse("stream_lessons_api:courses"))
        assert "forging" in [row["slug"] for row in api_rows(courses)]
        assert "Forge 1" in [row["title"] for row in progress_facts(user=user)["lessons"]]


def test_the_guides_adapter_example_is_acmes_code():
    # the example in docs/integration.md is the code these tests run, method for method
    guide = GUIDE.read_text()
    for method in ("_open_courses_q", "courses_for_user", "lessons_for_user"):
        assert inspect.getsource(getattr(AcademyAdapter, method)) in guide, method
    # and the foreign keys it shows are the ones Acme adds to Stream's course
    models = (Path(__file__).parent / "members" / "models.py").read_text()
    for line in re.findall(r'^\s+course = models\.\w+\("stream_lessons\.Course".*$', guide, re.M):
        assert line in models


# --- Notifications and emails ----------------------------------------------------------------


def notification_texts(client):
    page = client.get(reverse("stream_comments:notifications")).content.decode()
    api = client.get(reverse("stream_comments_api:notifications")).json()
    return page, api


def test_a_resolved_report_on_a_lesson_hidden_since_names_nothing(client, course):
    # given a member's report on a lesson, which is then unpublished and renamed
    member = UserFactory()
    lesson = course.lessons.order_by("position").first()
    report = ProblemReportFactory(lesson=lesson, reporter=member)
    lesson.status, lesson.title, lesson.slug = Status.DRAFT, "Secret plans", "secret-plans"
    lesson.save()
    # when staff resolve the report
    comment_services.report_resolve(report=report, user=StaffFactory())
    # then the member's notifications name neither the new title nor the new address
    client.force_login(member)
    page, api = notification_texts(client)
    assert "Secret plans" not in page and "secret-plans" not in page
    assert api["count"] == 0 and api["unread"] == 0
    # and once the lesson is published again, the notification is there
    lesson.status = Status.PUBLISHED
    lesson.save()
    page, api = notification_texts(client)
    assert [row["lesson"]["title"] for row in api["results"]] == ["Secret plans"]


def test_a_resolved_report_in_a_course_the_member_left_names_nothing(client, closed):
    # given an enrolled member's report, and their enrolment ended afterwards
    member = UserFactory()
    enrolment = Enrolment.objects.create(member=member, course=closed)
    report = ProblemReportFactory(lesson=closed.lessons.get(), reporter=member)
    enrolment.delete()
    # when staff resolve it
    comment_services.report_resolve(report=report, user=StaffFactory())
    # then the member is not told about a lesson they may no longer open
    client.force_login(member)
    page, api = notification_texts(client)
    assert "Forge 1" not in page
    assert api["count"] == 0 and api["unread"] == 0


def test_a_reply_in_a_course_the_subscriber_left_is_neither_notified_nor_emailed(
    closed, django_capture_on_commit_callbacks
):
    # given three enrolled members in a thread, Ada and Cleo following replies
    ada, bora, cleo = UserFactory(), UserFactory(), UserFactory()
    for member in (ada, bora, cleo):
        Enrolment.objects.create(member=member, course=closed)
    lesson = closed.lessons.get()
    first = comment_services.comment_post(lesson=lesson, author=ada, body="How hot?")
    comment_services.comment_post(lesson=lesson, author=cleo, body="Same question.", parent=first)
    for member in (ada, cleo):
        comment_services.subscription_set(user=member, lesson=lesson, active=True)
    # when Ada's enrolment ends and Bora replies
    Enrolment.objects.filter(member=ada).delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        comment_services.comment_post(lesson=lesson, author=bora, body="Very.", parent=first)
    # then Cleo hears of it, and Ada gets neither a notification nor an email naming the lesson
    notified = Notification.objects.filter(comment__author=bora).values_list(
        "recipient_id", flat=True
    )
    assert list(notified) == [cleo.pk]
    assert [message.to for message in mail.outbox] == [[cleo.email]]
