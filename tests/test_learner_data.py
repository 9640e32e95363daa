"""A learner's own data across Stream's apps: the export holds every row of theirs and nothing of
anyone else's; erasing, or deleting the user, leaves no trace of them in any of Stream's tables
while the threads they took part in stay whole."""

import json
import re

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from comments.learner_data import comments_data_export
from comments.models import (
    Comment,
    CommentFlag,
    Notification,
    NotificationSettings,
    ProblemReport,
    ReplySubscription,
)
from lessons.learner_data import learner_data_erase, learner_data_export
from lessons.models import ContentVersion
from progress.learner_data import progress_data_export
from progress.models import (
    AchievementAward,
    CompletionEvent,
    LearnerProfile,
    LessonCompletion,
    XPEntry,
)
from tests.factories import UserFactory
from tests.learner_data_fixtures import identity, learners_with_data, stream_models, traces_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return learners_with_data()


def _ids(rows):
    return {row["id"] for row in rows}


def _pks(queryset):
    return set(queryset.values_list("pk", flat=True))


def _counts_of(user) -> dict:
    """How many rows of each Stream model refer to ``user`` (the other learner's, unchanged)."""
    return {
        "completions": LessonCompletion.objects.filter(learner=user).count(),
        "events": CompletionEvent.objects.filter(learner=user).count(),
        "ledger": XPEntry.objects.filter(learner=user).count(),
        "awards": AchievementAward.objects.filter(learner=user).count(),
        "profile": LearnerProfile.objects.filter(user=user).count(),
        "comments": Comment.objects.filter(author=user).count(),
        "flags": CommentFlag.objects.filter(user=user).count(),
        "subscriptions": ReplySubscription.objects.filter(user=user).count(),
        "settings": NotificationSettings.objects.filter(user=user).count(),
        "notifications": Notification.objects.filter(recipient=user).count(),
        "reports": ProblemReport.objects.filter(reporter=user).count(),
    }


def test_the_export_holds_every_row_of_the_learners_and_none_of_anyone_elses(people):
    ada, bob = people.ada, people.bob

    data = learner_data_export(user=ada)

    progress, comments = data["parts"]["progress"], data["parts"]["comments"]
    assert _ids(progress["completions"]) == _pks(LessonCompletion.objects.filter(learner=ada))
    assert _ids(progress["completion_events"]) == _pks(CompletionEvent.objects.filter(learner=ada))
    assert _ids(progress["xp_ledger"]) == _pks(XPEntry.objects.filter(learner=ada))
    assert _ids(progress["awards"]) == _pks(AchievementAward.objects.filter(learner=ada))
    assert progress["profile"]["time_zone"] == "Asia/Seoul"
    assert progress["profile"]["xp"] == LearnerProfile.objects.get(user=ada).xp
    assert _ids(comments["comments"]) == _pks(Comment.objects.filter(author=ada))
    assert _ids(comments["flags"]) == _pks(CommentFlag.objects.filter(user=ada))
    assert _ids(comments["subscriptions"]) == _pks(ReplySubscription.objects.filter(user=ada))
    assert comments["notification_settings"]["email_replies"] is False
    assert _ids(comments["notifications"]) == _pks(Notification.objects.filter(recipient=ada))
    # the report sent signed in, and the one sent signed out with Ada's address as contact
    assert _ids(comments["reports"]) == _pks(
        ProblemReport.objects.filter(contact_email__iexact=ada.email)
    )
    assert len(comments["reports"]) == 2
    # nothing of Bob's: no row of his, not his name, login or email address
    text = json.dumps(data, cls=DjangoJSONEncoder).lower()
    for word in (bob.get_username(), bob.email, "bobbyshafto", "bob answers"):
        assert word.lower() not in text
    assert not _ids(comments["comments"]) & _pks(Comment.objects.filter(author=bob))
    assert not _ids(progress["completions"]) & _pks(LessonCompletion.objects.filter(learner=bob))


def test_the_export_costs_the_same_queries_whatever_the_learner_holds(
    people, django_assert_num_queries
):
    newcomer = UserFactory()
    # profile, completions, log, ledger, awards
    with django_assert_num_queries(5):
        progress_data_export(people.ada)
    # comments, flags, subscriptions, notification settings, notifications, reports
    with django_assert_num_queries(6):
        comments_data_export(people.ada)
    # every part together (other parts of Stream add theirs): as many for a newcomer
    with CaptureQueriesContext(connection) as full:
        learner_data_export(user=people.ada)
    with CaptureQueriesContext(connection) as empty:
        data = learner_data_export(user=newcomer)
    assert len(full) == len(empty)
    assert data["parts"]["progress"] == {
        "profile": None,
        "completions": [],
        "completion_events": [],
        "xp_ledger": [],
        "awards": [],
    }


def test_erasing_leaves_no_trace_of_the_learner_in_any_stream_table(people):
    ada, bob = people.ada, people.bob
    ada_is = identity(ada)
    assert len(traces_of(**ada_is)) > 20  # the search finds them before
    bobs = _counts_of(bob)

    counts = learner_data_erase(user=ada)

    assert traces_of(**ada_is) == []
    assert _counts_of(bob) == bobs
    assert type(ada).objects.filter(pk=ada.pk).exists()  # the account stays
    assert counts["progress"] == {
        "awards": 1,
        "xp_ledger": 3,
        "completions": 2,
        "completion_events": 2,
        "profile": 1,
    }
    assert counts["comments"] == {
        "comments_anonymised": 3,
        "reports_anonymised": 2,
        "flags": 1,
        "subscriptions": 1,
        "notification_settings": 1,
        "notifications": 2,
    }


def test_deleting_the_user_leaves_no_trace_of_them_and_keeps_the_threads(people):
    ada, bob = people.ada, people.bob
    ada_is = identity(ada)
    bobs = _counts_of(bob)
    comments = Comment.objects.count()

    ada.delete()

    assert traces_of(**ada_is) == []
    assert _counts_of(bob) == bobs
    assert Comment.objects.count() == comments
    assert Comment.objects.get(pk=people.ada_comment.pk).body == ""


def test_a_deletion_rolled_back_rolls_the_erasure_back(people):
    ada = people.ada
    pk = ada.pk

    with pytest.raises(RuntimeError), transaction.atomic():
        ada.delete()
        raise RuntimeError("the host's own receiver failed")

    assert Comment.objects.get(pk=people.ada_comment.pk).author_id == pk
    assert LessonCompletion.objects.filter(learner_id=pk).count() == 2


def test_an_erased_comment_keeps_its_place_and_its_replies(client, people):
    # given: the lesson page as everyone sees it
    lesson = people.lessons[0]
    with translation.override("en"):
        url = lesson.get_absolute_url()
    before = client.get(url).content.decode()
    version = _version_of(lesson)

    # when
    learner_data_erase(user=people.ada)

    # then: the page was changed in the same transaction, so no cache serves the old one
    assert _version_of(lesson) != version
    after = client.get(url).content.decode()
    assert "adalovelace@example.com" in before and "adalovelace@example.com" not in after
    assert _article_ids(after) == _article_ids(before)
    assert after.count("Deleted learner") == 2  # Ada's comment and her reply to Bob
    assert "The text was removed with its author" in after
    assert "Bob answers the first." in after  # the reply under Ada's comment
    assert _count_heading(after) == _count_heading(before)


def _version_of(lesson):
    return ContentVersion.objects.filter(scope=lesson.pk).values_list("version", flat=True).first()


def _article_ids(html: str) -> list[str]:
    return re.findall(r'<article [^>]*id="(comment-\d+)"', html)


def _count_heading(html: str) -> str:
    return re.search(r'id="comments-title"[^>]*>(.*?)<', html, re.S).group(1)


def test_a_setting_keeps_the_text_of_erased_comments(people, settings):
    settings.STREAM = {**settings.STREAM, "COMMENTS_ERASE_KEEPS_TEXT": True}

    learner_data_erase(user=people.ada)

    comment = Comment.objects.get(pk=people.ada_reply.pk)
    assert comment.author_id is None and comment.body == "Ada's reply to Bob."


def test_reports_keep_the_lesson_and_the_message_without_the_person(people):
    report = ProblemReport.objects.get(reporter=people.ada)

    learner_data_erase(user=people.ada)

    report.refresh_from_db()
    assert (report.reporter_id, report.contact_email, report.user_agent) == (None, "", "")
    assert report.lesson_id == people.lessons[0].pk
    assert report.message == "The second paragraph is wrong."
    assert report.status == "resolved"


def test_every_stream_table_is_searched():
    names = {model._meta.db_table for model in stream_models()}
    assert {"stream_comments_comment", "stream_progress_lessoncompletion"} <= names
    assert "stream_lessons_lesson_tags" in names  # many-to-many tables too


def test_others_still_read_an_erased_comment_in_the_api_and_their_notifications(client, people):
    learner_data_erase(user=people.ada)

    with translation.override("en"):
        api = reverse("stream_comments_api:lesson-comments", args=[people.lessons[0].pk])
        notifications = reverse("stream_comments:notifications")
    threads = client.get(api).json()["results"]
    erased = next(t for t in threads if t["id"] == people.ada_comment.pk)
    assert (erased["author"], erased["body"], erased["placeholder"]) == (None, "", None)
    assert [reply["id"] for reply in erased["replies"]] == [people.bob_reply.pk]
    client.force_login(people.bob)
    html = client.get(notifications).content.decode()
    assert "A deleted learner replied in “Private lesson 1”" in html


def test_erasing_a_staff_member_clears_the_reports_they_resolved(people):
    # given the staff member who resolved both learners' reports
    staff = ProblemReport.objects.get(reporter=people.bob).resolved_by
    staff_is = identity(staff)

    learner_data_erase(user=staff)

    assert traces_of(**staff_is) == []
    assert ProblemReport.objects.filter(status="resolved", resolved_by=None).count() == 2
