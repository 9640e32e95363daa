"""Content versions: what a shared page's cache key and ``ETag`` are made of.

Every write that changes what a shared page shows bumps a counter in the database, in the
writing transaction: the site's (scope ``0``: courses, lessons, tags, links, levels,
achievements, author names) or one lesson's (its comments). Whoever writes — the admin in another
worker, ``import_lessons`` in another process, a shell — the next request reads the new number
(:func:`read_versions`: one indexed query) and so misses every copy made
before, in Django's cache or in a proxy. Nothing is invalidated by hand and nothing depends on
which cache backend a host runs.

Saves and deletes bump through the receivers :func:`bump_on_save` connects (the admin, inlines,
``loaddata`` and the shell included). Writes that send no signal (``QuerySet.update()``,
``bulk_create``) call :func:`content_changed` themselves; every Stream service does.

:func:`release` is the part of every key that changes with the code: Stream's version, the
``STREAM`` settings and the templates' files, so a release invalidates by itself.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connections, router, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal
from django.utils import timezone

SITE = 0

# Sent after the transaction that changed pages commits, with ``site`` (bool) and
# ``lesson_ids`` (a frozenset): the hook a proxy purge listens to (see ``lessons.purge``).
content_committed = Signal()


def content_changed(*, site: bool = False, lesson_ids=()) -> None:
    """Bump the site's version (``site``) and each of ``lesson_ids``' in the current
    transaction. Call it after a write that sends no ``post_save`` (``update()``,
    ``bulk_create``); saves and deletes of Stream's models call it through their receivers."""
    from .models import ContentVersion

    scopes = {SITE} if site else set()
    scopes |= {int(pk) for pk in lesson_ids if pk is not None}
    if not scopes:
        return
    now = timezone.now()
    # Inside the writer's transaction no savepoint is needed (two statements fewer per write):
    # a failure here fails that transaction anyway.
    with transaction.atomic(savepoint=False):
        updated = ContentVersion.objects.filter(scope__in=scopes).update(
            version=F("version") + 1, changed_at=now
        )
        if updated < len(scopes):
            ContentVersion.objects.bulk_create(
                [ContentVersion(scope=scope, version=1, changed_at=now) for scope in scopes],
                ignore_conflicts=True,
            )
    lesson_set = frozenset(scopes - {SITE})
    transaction.on_commit(
        lambda: content_committed.send(sender=None, site=site, lesson_ids=lesson_set),
        robust=True,
    )


@dataclass(frozen=True)
class Version:
    number: int
    changed_at: datetime | None

    def __str__(self):
        """The version as a key part: the number and when it was reached, so that a database
        restored or rebuilt to the same numbers never meets pages cached before."""
        moment = int(self.changed_at.timestamp() * 1_000_000) if self.changed_at else 0
        return f"{self.number}.{moment}"


NO_VERSION = Version(0, None)


def read_version(number, changed_at) -> Version:
    """A version from a row's number and time (missing: 0, never)."""
    if changed_at is not None and timezone.is_naive(changed_at):
        changed_at = timezone.make_aware(changed_at, UTC)  # SQLite's raw rows
    return Version(number or 0, changed_at)


# Every page view reads versions, so these reads are plain SQL through Django's cursor: the ORM
# spends about forty times the database's own time building them (see docs/benchmarks.md).


def sql_connection(model):
    """The database connection ``model`` is read from (the project's routers decide)."""
    return connections[router.db_for_read(model)]


def sql_table(connection, model) -> str:
    """``model``'s table name, quoted for ``connection``'s SQL."""
    return connection.ops.quote_name(model._meta.db_table)


def read_versions(*scopes: int) -> tuple[Version, ...]:
    """The versions of ``scopes`` (``SITE`` and/or lesson ids), in that order. 1 query."""
    from .models import ContentVersion

    if not scopes:
        return ()
    connection = sql_connection(ContentVersion)
    table = sql_table(connection, ContentVersion)
    marks = ", ".join(["%s"] * len(scopes))
    with connection.cursor() as cursor:
        cursor.execute(
            # Only the model's table name is formatted in; every value is a parameter.
            f"SELECT scope, version, changed_at FROM {table} WHERE scope IN ({marks})",  # noqa: S608
            [int(scope) for scope in scopes],
        )
        found = {scope: read_version(number, at) for scope, number, at in cursor.fetchall()}
    return tuple(found.get(int(scope), NO_VERSION) for scope in scopes)


def site_version() -> Version:
    """The site's version. 1 query."""
    return read_versions(SITE)[0]


# --- The release ---------------------------------------------------------------------------


def _template_files() -> list[tuple[Path, Path]]:
    """(directory, file) for every template file of every template engine."""
    from django.template import engines

    found = []
    for engine in engines.all():
        for directory in getattr(engine, "template_dirs", ()):
            root = Path(directory)
            if root.is_dir():
                found.extend((root, path) for path in root.rglob("*") if path.is_file())
    return sorted(found)


@functools.cache
def release() -> str:
    """A short digest of what a page is rendered with besides the data: Stream's package
    version, the ``STREAM`` settings, the languages and the content of every template file
    (Django's template directories and each app's), so that every server of one release agrees
    and a new release starts new keys. Computed once per process, again when a setting
    changes."""
    from . import __version__

    digest = hashlib.blake2b(digest_size=8)
    digest.update(__version__.encode())
    digest.update(repr(sorted((getattr(settings, "STREAM", None) or {}).items())).encode())
    digest.update(repr(settings.LANGUAGES).encode())
    for root, path in _template_files():
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _forget_release(**kwargs):
    release.cache_clear()


setting_changed.connect(_forget_release, dispatch_uid="stream-release")


# --- Receivers -----------------------------------------------------------------------------


def bump_on_save(model, *, lesson_of=None) -> None:
    """Bump versions whenever a ``model`` row is saved or deleted: the lesson that
    ``lesson_of(instance)`` names, or the whole site when ``lesson_of`` is ``None`` or
    answers ``None``. Apps call this in ``ready()`` for the models their pages show."""

    def changed(sender, instance, **kwargs):
        lesson_id = lesson_of(instance) if lesson_of is not None else None
        if lesson_id is None:
            content_changed(site=True)
        else:
            content_changed(lesson_ids=[lesson_id])

    uid = f"stream-versions-{model._meta.label}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid)


# A sign-in writes last_login (and an upgraded hash writes password): nothing a page shows.
_USER_FIELDS_NOT_SHOWN = frozenset({"last_login", "password"})


def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or (update_fields is not None and set(update_fields) <= _USER_FIELDS_NOT_SHOWN):
        return
    content_changed(site=True)  # comment authors' names come from the user row


def _user_deleted(sender, **kwargs):
    content_changed(site=True)


def _tags_changed(sender, action, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"}:
        content_changed(site=True)


def connect_receivers() -> None:
    """The lessons app's own models and the user model (``LessonsConfig.ready``)."""
    from django.contrib.auth import get_user_model

    from .models import (
        Course,
        CourseRequirement,
        CourseTranslation,
        Lesson,
        LessonLink,
        LessonLinkTranslation,
        LessonRequirement,
        LessonVariant,
        Tag,
        TagTranslation,
    )

    # Variants and link labels bump the site: a lesson's title shows on lists and neighbours.
    for model in (
        Course,
        Lesson,
        Tag,
        LessonLink,
        LessonRequirement,
        CourseRequirement,
        LessonVariant,
        LessonLinkTranslation,
        CourseTranslation,
        TagTranslation,
    ):
        bump_on_save(model)
    m2m_changed.connect(_tags_changed, sender=Lesson.tags.through, dispatch_uid="stream-tags")
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="stream-versions-user")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="stream-versions-user-del")


def site_memo(*, name: str, compute, parts=(), version: Version | None = None):
    """``compute()``, kept in the page cache under the site's version (read here, 1 query,
    unless given) and the release: for values derived from the catalogue alone (progress's
    levels and counts, the browser's facts). Any write that bumps the site's version makes
    the next call compute it again."""
    from .caching import page_cache
    from .conf import lessons_settings

    seconds = lessons_settings.PAGE_CACHE_SECONDS
    if not seconds:
        return compute()
    token = str(version or site_version())
    digest = hashlib.blake2b(repr((release(), token, parts)).encode(), digest_size=16)
    key = f"stream:site:{name}:{digest.hexdigest()}"
    value = page_cache().get(key)
    if value is None:
        value = compute()
        page_cache().set(key, value, seconds)
    return value
