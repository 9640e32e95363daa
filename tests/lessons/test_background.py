"""lessons.background: tasks enqueued after the transaction commits, on whichever backend the
site's ``TASKS`` names (the demo's immediate one, django-tasks-db's queue and worker)."""

import logging

import pytest
from django.core.management import call_command
from django.db import transaction

from lessons.background import enqueue_on_commit, task, task_backends

ran = []


@task()
def note_ran(word: str, *, times: int = 1) -> int:
    ran.extend([word] * times)
    return len(ran)


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def nothing_ran_yet():
    ran.clear()
    yield
    ran.clear()


def test_a_task_runs_once_the_transaction_commits(db, django_capture_on_commit_callbacks):
    # given a transaction that enqueues a task
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_on_commit(note_ran, "hello", times=2)
        # then nothing ran while the transaction was open
        assert ran == []
    # when it commits, then the task ran with its arguments
    assert len(callbacks) == 1
    assert ran == ["hello", "hello"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_enqueues_nothing():
    # given a transaction that enqueues a task and then fails
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(note_ran, "never")
        raise RuntimeError("the write failed")
    # then the task never ran
    assert ran == []


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_task_is_enqueued_at_once():
    enqueue_on_commit(note_ran, "now")
    assert ran == ["now"]


@pytest.mark.django_db(transaction=True)
def test_a_backend_that_refuses_the_task_is_logged_and_the_caller_goes_on(settings, caplog):
    # given a site whose task queue only takes another queue's tasks
    settings.TASKS = {
        "default": {**settings.TASKS["default"], "QUEUES": ["elsewhere"]},
    }
    # when a task is enqueued
    with caplog.at_level(logging.ERROR, logger="lessons.background"):
        enqueue_on_commit(note_ran, "refused")
    # then the caller is not interrupted, nothing ran, and the log names the task
    assert ran == []
    assert "tests.lessons.test_background.note_ran" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_with_the_database_backend_the_worker_runs_what_was_enqueued(settings):
    # given the database backend production uses
    settings.TASKS = DATABASE_TASKS
    from django_tasks_db.models import DBTaskResult

    # when a committed transaction enqueues a task
    with transaction.atomic():
        enqueue_on_commit(note_ran, "queued")
    # then it waits in the queue and has not run
    assert ran == []
    assert DBTaskResult.objects.count() == 1
    # when the worker runs
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    # then the task ran once, and its result is stored
    assert ran == ["queued"]
    result = task_backends["default"].get_result(str(DBTaskResult.objects.get().id))
    assert result.return_value == 1
