"""Stream's one door to Django's Tasks framework: ``django.tasks`` on Django 6, the
``django-tasks`` backport (``django_tasks``) on Django 5.2. Every app defines its background
work with :func:`task` and enqueues it with :func:`enqueue_on_commit`; nothing else in Stream
imports either package, so the difference between the two lives here once.

Stream only enqueues. Which backend runs the work is the host's choice, made in Django's own
``TASKS`` setting (the demo runs tasks at once in the request; production settings store them
in the database for ``manage.py db_worker``). A task takes ids and plain values, never model
instances (a queue stores JSON), and is safe to run twice: a backend may retry it.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction

try:
    from django.tasks import (
        DEFAULT_TASK_BACKEND_ALIAS,
        TaskResultStatus,
        default_task_backend,
        task,
        task_backends,
    )
except ImportError:  # Django 5.2: the backport, a dependency of Stream's
    from django_tasks import (
        DEFAULT_TASK_BACKEND_ALIAS,
        TaskResultStatus,
        default_task_backend,
        task,
        task_backends,
    )

__all__ = [
    "DEFAULT_TASK_BACKEND_ALIAS",
    "TaskResultStatus",
    "default_task_backend",
    "enqueue_on_commit",
    "task",
    "task_backends",
]

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_, /, *args, **kwargs) -> None:
    """Enqueue ``task_(*args, **kwargs)`` once the current transaction commits.

    Outside a transaction it is enqueued at once; if the transaction rolls back, never. Use it
    for any work that reads what the transaction writes: a worker that started earlier would
    not find the rows, and work for a write that was undone must not happen at all.

    A backend that cannot take the task (its queue down, say) is logged with the task's path
    and arguments, and the request that committed its data still succeeds.
    """
    transaction.on_commit(partial(_enqueue, task_, args, kwargs))


def _enqueue(task_, args, kwargs) -> None:
    try:
        task_.enqueue(*args, **kwargs)
    except Exception:
        logger.exception(
            "Could not enqueue %s (args %r, kwargs %r); the work it does did not happen.",
            task_.module_path,
            args,
            kwargs,
        )
