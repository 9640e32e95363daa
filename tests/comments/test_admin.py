"""Moderation and the report queue in the Django admin."""

import html as html_module
import re

import pytest
from django.urls import reverse

from comments.models import Comment, CommentStatus, Notification, ProblemReport
from tests.factories import (
    CommentFactory,
    CommentFlagFactory,
    LessonFactory,
    ProblemReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

COMMENTS = reverse("admin:stream_comments_comment_changelist")
REPORTS = reverse("admin:stream_comments_problemreport_changelist")
SUMMARY = reverse("admin:stream_comments_lessonreportsummary_changelist")


def listed_ids(html):
    return [int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', html)]


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def test_flagged_comments_come_first_with_their_flag_counts(admin_client, lesson):
    # given a quiet new comment, an older one flagged twice and one whose flag was reviewed
    twice = CommentFactory(lesson=lesson, body="flagged twice")
    CommentFlagFactory.create_batch(2, comment=twice)
    reviewed = CommentFactory(lesson=lesson)
    CommentFlagFactory(comment=reviewed, reviewed_at="2026-01-01T00:00Z")
    quiet = CommentFactory(lesson=lesson)

    html = admin_client.get(COMMENTS).content.decode()

    assert listed_ids(html) == [twice.pk, quiet.pk, reviewed.pk]
    assert '<td class="field-open_flags">2</td>' in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"flagged": "open"}, ["flagged"]),
        ({"flagged": "no"}, ["quiet", "hidden"]),
        ({"status__exact": "hidden"}, ["hidden"]),
        ({"q": "quiet"}, ["quiet"]),
    ],
)
def test_filters_and_search(admin_client, lesson, query, expected):
    made = {
        "flagged": CommentFactory(lesson=lesson, body="flagged one"),
        "quiet": CommentFactory(lesson=lesson, body="quiet one"),
        "hidden": CommentFactory(lesson=lesson, body="hidden one", status=CommentStatus.HIDDEN),
    }
    CommentFlagFactory(comment=made["flagged"])

    html = admin_client.get(COMMENTS, query).content.decode()

    assert sorted(listed_ids(html)) == sorted(made[name].pk for name in expected)


def test_search_by_author_and_filter_by_lesson(admin_client, lesson):
    author = UserFactory(username="zebra")
    by_zebra = CommentFactory(lesson=lesson, author=author)
    elsewhere = CommentFactory(lesson=LessonFactory())

    by_author = admin_client.get(COMMENTS, {"q": "zebra"}).content.decode()
    by_lesson = admin_client.get(COMMENTS, {"lesson__id__exact": elsewhere.lesson_id})

    assert listed_ids(by_author) == [by_zebra.pk]
    assert listed_ids(by_lesson.content.decode()) == [elsewhere.pk]


def test_bulk_hide_and_unhide(admin_client, lesson):
    comments = CommentFactory.create_batch(3, lesson=lesson)
    CommentFlagFactory(comment=comments[0])
    ids = [c.pk for c in comments[:2]]

    admin_client.post(COMMENTS, {"action": "hide_comments", "_selected_action": ids})
    assert set(
        Comment.objects.filter(status=CommentStatus.HIDDEN).values_list("pk", flat=True)
    ) == (set(ids))
    html = admin_client.get(COMMENTS, {"flagged": "open"}).content.decode()
    assert listed_ids(html) == []  # hiding reviewed the flag
    admin_client.post(COMMENTS, {"action": "unhide_comments", "_selected_action": ids})

    assert not Comment.objects.filter(status=CommentStatus.HIDDEN).exists()


def test_changing_the_status_on_the_form_goes_through_the_services(
    admin_client, lesson, learner, django_capture_on_commit_callbacks
):
    parent = CommentFactory(lesson=lesson, author=learner)
    from comments.services import subscription_set

    subscription_set(user=learner, lesson=lesson, active=True)
    pending = CommentFactory(parent=parent, status=CommentStatus.PENDING)
    url = reverse("admin:stream_comments_comment_change", args=[pending.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {
                "status": "published",
                "body": pending.body,
                "flags-TOTAL_FORMS": "0",
                "flags-INITIAL_FORMS": "0",
            },
        )

    assert response.status_code == 302, response.content.decode()[-2000:]
    pending.refresh_from_db()
    assert pending.status == CommentStatus.PUBLISHED
    assert Notification.objects.filter(recipient=learner, comment=pending).count() == 1


def test_learners_cannot_reach_the_queues(client, learner):
    client.force_login(learner)

    for url in (COMMENTS, REPORTS, SUMMARY):
        assert client.get(url).status_code == 302


# --- Reports -----------------------------------------------------------------------------------


def test_report_queue_filters_and_links_to_the_section(admin_client, lesson):
    bug = ProblemReportFactory(lesson=lesson, kind="bug", section="details")
    idea = ProblemReportFactory(lesson=lesson, kind="suggestion", status="resolved")
    other = ProblemReportFactory(kind="bug")

    by_kind = admin_client.get(REPORTS, {"kind__exact": "bug"}).content.decode()
    by_status = admin_client.get(REPORTS, {"status__exact": "resolved"}).content.decode()
    by_lesson = admin_client.get(REPORTS, {"lesson__id__exact": lesson.pk}).content.decode()

    assert sorted(listed_ids(by_kind)) == sorted([bug.pk, other.pk])
    assert listed_ids(by_status) == [idea.pk]
    assert sorted(listed_ids(by_lesson)) == sorted([bug.pk, idea.pk])
    assert f'<a href="{lesson.get_absolute_url()}#details">#details</a>' in by_kind


def test_bulk_resolve_notifies_signed_in_reporters(admin_client, lesson, learner):
    signed_in = ProblemReportFactory(lesson=lesson, reporter=learner)
    anonymous = ProblemReportFactory(lesson=lesson, reporter=None, contact_email="a@example.com")

    admin_client.post(
        REPORTS, {"action": "mark_resolved", "_selected_action": [signed_in.pk, anonymous.pk]}
    )

    assert set(ProblemReport.objects.values_list("status", flat=True)) == {"resolved"}
    notification = Notification.objects.get()
    assert notification.recipient == learner and notification.report == signed_in
    page = admin_client.get(reverse("stream_comments:notifications"))
    assert page.status_code == 200


def test_reporter_sees_the_resolution_on_the_notifications_page(client, lesson, learner, staff):
    from comments.services import report_resolve

    report = ProblemReportFactory(lesson=lesson, reporter=learner)
    report_resolve(report=report, user=staff, note="Thanks, the table is fixed.")
    client.force_login(learner)

    html = client.get(reverse("stream_comments:notifications")).content.decode()

    assert f"“{lesson.title}”에 대한 신고가 반영됐어요. 고마워요!" in html
    assert "Thanks, the table is fixed." in html


def test_open_reports_per_lesson(admin_client, lesson):
    LessonFactory(title="Quiet lesson")
    busy = LessonFactory(title="Busy lesson")
    ProblemReportFactory.create_batch(3, lesson=busy)
    ProblemReportFactory(lesson=busy, status="resolved")
    ProblemReportFactory(lesson=lesson)

    html = admin_client.get(SUMMARY).content.decode()

    assert html.index("Busy lesson") < html.index(lesson.title) < html.index("Quiet lesson")
    open_link = f"lesson__id__exact={busy.pk}&amp;status__exact=open"
    assert f'<a href="{REPORTS}?{open_link}">3</a>' in html
    assert f'<a href="{REPORTS}?lesson__id__exact={busy.pk}">4</a>' in html


def test_changelists_query_counts_do_not_grow(admin_client, lesson):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts():
        found = {}
        for url in (COMMENTS, REPORTS, SUMMARY):
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(url).status_code == 200
            found[url] = len(queries)
        return found

    def add(size):
        for comment in CommentFactory.create_batch(size, lesson=lesson):
            CommentFlagFactory(comment=comment)
        ProblemReportFactory.create_batch(size, lesson=lesson)

    add(3)
    few = counts()
    add(40)

    assert counts() == few


def test_the_lesson_list_shows_each_lessons_open_reports(admin_client, lesson):
    # given two open reports and one resolved on the lesson
    ProblemReportFactory.create_batch(2, lesson=lesson)
    ProblemReportFactory(lesson=lesson, status="resolved")

    # when staff open the lessons admin list
    html = admin_client.get(reverse("admin:stream_lessons_lesson_changelist")).content.decode()

    # then the lesson's row links its 2 open reports to the queue
    assert f"lesson__id__exact={lesson.pk}&amp;status__exact=open" in html
    assert ">2</a>" in html


# --- The lesson filter and the report column ---------------------------------------------------


def test_the_lesson_filter_is_a_search_box_however_many_lessons_there_are(admin_client, lesson):
    # given comments on lessons among fifty
    lessons = LessonFactory.create_batch(49, title="Filler lesson")
    attention = CommentFactory(lesson=LessonFactory(title="Attention is all you need"))
    CommentFactory(lesson=lessons[0])
    hidden = CommentFactory(
        lesson=LessonFactory(title="Attention sinks"), status=CommentStatus.HIDDEN
    )

    # when a moderator opens the queue, then types title words into the lesson filter
    queue = admin_client.get(COMMENTS).content.decode()
    found = admin_client.get(COMMENTS, {"lesson_title": "attention NEED"}).content.decode()
    with_status = admin_client.get(
        COMMENTS, {"lesson_title": "attention", "status__exact": "hidden"}
    ).content.decode()

    # then the filter is one search box, not a link per lesson, and it narrows by every word,
    # together with the other filters, which its form keeps
    assert queue.count("Filler lesson") == 1  # the one commented row, not the filter
    assert '<input type="search" id="stream-lesson-filter" name="lesson_title" value="">' in queue
    assert listed_ids(found) == [attention.pk]
    assert 'value="attention NEED"' in found
    assert listed_ids(with_status) == [hidden.pk]
    assert '<input type="hidden" name="status__exact" value="hidden">' in with_status


def test_a_lesson_chosen_from_the_report_summary_shows_as_the_active_filter(admin_client, lesson):
    report = ProblemReportFactory(lesson=lesson)
    ProblemReportFactory()

    html = admin_client.get(REPORTS, {"lesson__id__exact": lesson.pk}).content.decode()
    wrong = admin_client.get(REPORTS, {"lesson__id__exact": "x"})

    assert listed_ids(html) == [report.pk]
    assert f'<li class="selected">{lesson.title}</li>' in html
    assert wrong.status_code == 302 and wrong["Location"].endswith("?e=1")


def test_the_report_queue_shows_enough_of_each_message_to_read(admin_client, lesson):
    message = "The second table's header says 'Tokenizer' but the rows describe the context " * 3
    ProblemReportFactory(lesson=lesson, message=message)

    html = admin_client.get(REPORTS).content.decode()

    excerpt = html_module.unescape(
        re.search(r'<th class="field-excerpt"><a [^>]*>([^<]*)</a>', html)[1]
    )
    assert 150 <= len(excerpt) <= 160 and excerpt.endswith("…")
    assert "stream/comments/admin.css" in html
