"""Reply notifications and emails as background work (comments.tasks): enqueued after the
reply's transaction commits, nothing lost and nothing doubled when a task runs twice, and a
reply's request costing the same whatever the thread's number of subscribers."""

import os
import smtplib
import threading
from functools import partial

import django
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from comments import services, tasks
from comments.models import Comment, Notification, ReplySubscription
from comments.selectors import comment_count_for_lesson
from lessons.models import Status
from tests.factories import CommentFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class RefusingEmailBackend(EmailBackend):
    """Django's test outbox, refusing the addresses in ``refuse`` as a mail server would."""

    refuse: set[str] = set()

    def send_messages(self, messages):
        for message in messages:
            refused = set(message.to) & self.refuse
            if refused:
                raise smtplib.SMTPRecipientsRefused({to: (550, b"mailbox full") for to in refused})
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(settings):
    path = f"{__name__}.RefusingEmailBackend"
    if django.VERSION >= (6, 1):
        settings.MAILERS = {"default": {"BACKEND": path}}
    else:
        settings.EMAIL_BACKEND = path
    RefusingEmailBackend.refuse = set()
    yield RefusingEmailBackend
    RefusingEmailBackend.refuse = set()


def queued_tasks():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.order_by("enqueued_at")


def run_worker():
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


def thread_with_subscribers(lesson, count):
    """A thread on ``lesson`` whose ``count`` repliers are all subscribed to it (with
    addresses), built in bulk."""
    user_model = get_user_model()
    login, email = user_model.USERNAME_FIELD, user_model.get_email_field_name()
    top = CommentFactory(lesson=lesson)
    users = user_model.objects.bulk_create(
        user_model(**{login: f"s{i}@example.com", email: f"s{i}@example.com"}, password="!")
        for i in range(count)
    )
    Comment.objects.bulk_create(
        Comment(lesson=lesson, author=user, parent=top, root=top, depth=1, body="me too")
        for user in users
    )
    ReplySubscription.objects.bulk_create(
        ReplySubscription(user=user, lesson=lesson, active=True) for user in users
    )
    return top, users


# --- What a reply sets off ---------------------------------------------------------------------


def test_a_reply_notifies_and_emails_every_subscriber_once_even_when_run_twice(lesson, learner):
    # given a thread with five subscribed participants
    top, users = thread_with_subscribers(lesson, 5)
    reply = CommentFactory(parent=top, author=learner)

    # when its task runs, and then runs again (a retry, a duplicate delivery)
    first = tasks.reply_notify.call(reply_id=reply.pk, site_url="https://learn.test")
    second = tasks.reply_notify.call(reply_id=reply.pk, site_url="https://learn.test")

    # then each participant has one notification and one email, all from the first run
    assert first == {"notified": 5, "emailed": 5}
    assert second == {"notified": 0, "emailed": 0}
    notified = Notification.objects.filter(comment=reply).values_list("recipient", flat=True)
    assert sorted(notified) == sorted(user.pk for user in users)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(u.email for u in users)


def test_a_retry_sends_only_the_emails_the_first_run_could_not(
    lesson, learner, settings, flaky_mail
):
    # given a thread of three subscribers, and a mail server that refuses one address
    top, users = thread_with_subscribers(lesson, 3)
    reply = CommentFactory(parent=top, author=learner)
    flaky_mail.refuse.add(users[1].email)

    # when the task runs, then it fails for that address but keeps what it did
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        tasks.reply_notify.call(reply_id=reply.pk)
    assert Notification.objects.filter(comment=reply).count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted([users[0].email, users[2].email])

    # when the mail server takes it again and the task is retried
    flaky_mail.refuse.clear()
    result = tasks.reply_notify.call(reply_id=reply.pk)

    # then only the missing email goes, and nobody has two notifications
    assert result == {"notified": 0, "emailed": 1}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert Notification.objects.filter(comment=reply).count() == 3


def test_a_reply_hidden_before_its_task_runs_notifies_and_emails_nobody(
    lesson, learner, other_learner, staff
):
    parent = services.comment_post(lesson=lesson, author=learner, body="Question")
    reply = services.comment_post(lesson=lesson, author=other_learner, body="x", parent=parent)
    services.comment_hide(comment=reply, user=staff)

    assert tasks.reply_notify.call(reply_id=reply.pk) == {"notified": 0, "emailed": 0}
    assert not Notification.objects.exists() and not mail.outbox


def test_a_deleted_reply_notifies_nobody(lesson, learner):
    top, _users = thread_with_subscribers(lesson, 2)
    reply = CommentFactory(parent=top, author=learner)
    reply_id = reply.pk
    reply.delete()

    assert tasks.reply_notify.call(reply_id=reply_id) == {"notified": 0, "emailed": 0}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL's row locks (SQLite runs one writer at a time): set DATABASE_URL",
)
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_reply_at_the_same_moment_notify_and_email_everybody_once(learner):
    # given a reply in a thread of 40 subscribers
    top, users = thread_with_subscribers(LessonFactory(), 40)
    reply = CommentFactory(parent=top, author=learner)
    start = threading.Barrier(4)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(tasks.reply_notify.call(reply_id=reply.pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    # when four workers run its task at once (a duplicate delivery, a retry racing the first)
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then between them they notified and emailed each subscriber exactly once
    assert errors == [] and len(results) == 4
    assert sum(r["emailed"] for r in results) == 40
    assert Notification.objects.filter(comment=reply).count() == 40
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)


# --- With a queue: the database backend and its worker -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_reply_is_queued_after_commit_and_the_worker_notifies(settings, learner, other_learner):
    # given the database queue production uses
    settings.TASKS = DATABASE_TASKS
    lesson = LessonFactory()
    parent = services.comment_post(lesson=lesson, author=learner, body="Question")

    # when a reply is posted, then the request notified nobody yet: one task waits
    reply = services.comment_post(lesson=lesson, author=other_learner, body="Answer", parent=parent)
    assert not Notification.objects.exists() and not mail.outbox
    (queued,) = queued_tasks()
    assert queued.task_path == "comments.tasks.reply_notify"
    assert queued.args_kwargs["kwargs"]["reply_id"] == reply.pk

    # when the worker runs (twice: the second finds nothing left to do)
    run_worker()
    run_worker()

    # then the parent's author has one notification and one email
    assert list(Notification.objects.values_list("recipient", "comment")) == [
        (learner.pk, reply.pk)
    ]
    assert [message.to for message in mail.outbox] == [[learner.email]]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_reply_queues_nothing(settings, learner, other_learner):
    settings.TASKS = DATABASE_TASKS
    lesson = LessonFactory()
    parent = services.comment_post(lesson=lesson, author=learner, body="Question")

    with pytest.raises(RuntimeError), transaction.atomic():
        services.comment_post(lesson=lesson, author=other_learner, body="x", parent=parent)
        raise RuntimeError("the request failed after the reply was saved")
    run_worker()

    assert not queued_tasks().exists()
    assert not Notification.objects.exists() and not mail.outbox


@pytest.mark.django_db(transaction=True)
def test_replies_in_a_lesson_learners_cannot_open_still_notify_staff_only_from_the_worker(
    settings, learner
):
    settings.TASKS = DATABASE_TASKS
    staff_member = UserFactory(is_staff=True)
    lesson = LessonFactory()
    parent = services.comment_post(lesson=lesson, author=learner, body="Question")
    services.comment_post(lesson=lesson, author=staff_member, body="Answer", parent=parent)
    run_worker()  # learner hears of the staff answer while the lesson is open
    lesson.status = Status.DRAFT
    lesson.save()

    reply = services.comment_post(
        lesson=lesson, author=UserFactory(is_staff=True), body="x", parent=parent
    )
    run_worker()

    assert list(Notification.objects.filter(comment=reply).values_list("recipient", flat=True)) == [
        staff_member.pk
    ]


# --- The request's cost ------------------------------------------------------------------------


# What a reply's request costs, with production's queue (storing the task is part of it), a
# replier who has commented on the lesson before (subscribed, published before), and a thread of
# 0 or 500 subscribed participants:
#   1-2 the session and the user
#   3   the lesson (may the user open it)
#   4   the parent comment
#   5   the post's state: comments open, the hourly cap, the 🔔, published before, the count
#   6   SAVEPOINT (the transaction's start: the test's own transaction is around it)
#   7   INSERT the comment
#   8   UPDATE the lesson's content version (the pages' caches)
#   9   RELEASE SAVEPOINT (the commit)
#   10  INSERT the queued task, after the commit
REPLY_QUERIES = 10


def reply_queries():
    """The same in the host project (``make test-host``) with three of its own: its adapter's
    enrolment rule asked whether the member may open the lesson (the parent's, the post's), and
    its ``comment_posted`` receiver's activity row."""
    host = os.environ.get("DJANGO_SETTINGS_MODULE") == "tests.host_project.settings"
    return REPLY_QUERIES + 3 if host else REPLY_QUERIES


@pytest.fixture
def reply_setup(settings, lesson, learner):
    def setup(subscribers):
        settings.TASKS = DATABASE_TASKS
        top, _users = thread_with_subscribers(lesson, subscribers)
        services.comment_post(lesson=lesson, author=learner, body="An earlier comment")
        return top

    return setup


@pytest.mark.parametrize("subscribers", [0, 500])
@pytest.mark.parametrize("via", ["api", "page"])
def test_posting_a_reply_costs_the_same_whatever_the_subscribers(
    reply_setup,
    lesson,
    learner,
    via,
    subscribers,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    # given a reply to post through the API, or as the page's script posts it (which answers
    # the count and the 🔔 too, from the post's state)
    top = reply_setup(subscribers)
    client = APIClient()
    client.force_login(learner)
    if via == "api":
        url = reverse("stream_comments_api:lesson-comments", args=[lesson.pk])
        post = partial(client.post, url, {"body": "Answer", "parent": top.pk}, format="json")
    else:
        url = reverse("stream_comments:post", args=[lesson.pk])
        post = partial(
            client.post, url, {"body": "Answer", "parent": top.pk}, HTTP_X_STREAM_FRAGMENT="1"
        )

    with (
        django_assert_num_queries(reply_queries()),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post()

    assert response.status_code == 201
    assert queued_tasks().count() == 1
    assert not Notification.objects.exists()
    if via == "page":
        # the earlier comment, the thread's and this one
        assert response.json()["count_label"].endswith(f" {subscribers + 3}")
        assert comment_count_for_lesson(lesson=lesson) == subscribers + 3
        assert response.json()["subscribed"] is True


def test_the_queued_reply_notifies_all_500_subscribers_once(reply_setup, lesson, learner):
    # given a reply queued in a thread of 500 subscribers
    top = reply_setup(500)
    reply = services.comment_post(lesson=lesson, author=learner, body="Answer", parent=top)

    # when the task runs twice
    tasks.reply_notify.call(reply_id=reply.pk)
    tasks.reply_notify.call(reply_id=reply.pk)

    # then every subscriber has one notification and one email
    assert Notification.objects.filter(comment=reply).count() == 500
    assert len(mail.outbox) == 500
    assert len({message.to[0] for message in mail.outbox}) == 500
