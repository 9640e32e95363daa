"""xAPI statements about learners' activity, sent to a learning record store (LRS).

Off unless ``STREAM["XAPI"]`` names an LRS. Then the apps describe what a learner did
(``progress``: a lesson or a course completed, an achievement earned; ``comments``: a comment
posted) with the builders below and hand the statements to :func:`statements_record`, inside
the transaction that records the event. The statements wait in an outbox table
(:class:`~lessons.models.XapiStatement`), rolled back with the event if it is, and a task
(:data:`xapi_deliver`, enqueued after commit) sends them with retries and backoff.

A statement's id is a UUIDv5 of what it says (verb, object, learner and, for a comment, the
comment): the same event always makes the same id, so the outbox keeps one row per event and
an LRS stores it once however often it is sent (the xAPI spec has an LRS keep the first
statement with an id and accept the same statement again without storing it twice).

``lessons`` knows neither ``progress`` nor ``comments``: they build their statements with
these functions and register their past activity for ``manage.py xapi_backfill`` with
:func:`xapi_backfill_register` in their ``AppConfig.ready()``.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.constants import LOOKUP_SEP
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from .background import enqueue_on_commit, task
from .conf import lessons_settings
from .models import Course, Lesson, XapiStatement
from .translations import content_languages

logger = logging.getLogger(__name__)

# Every key ``STREAM["XAPI"]`` may hold, with its default (None: required).
XAPI_DEFAULTS = {
    # The LRS's xAPI base address; statements go to <ENDPOINT>statements.
    "ENDPOINT": None,
    # HTTP Basic credentials for the LRS ("" and "": no Authorization header).
    "USERNAME": "",
    "PASSWORD": "",
    # The X-Experience-API-Version header every request carries.
    "VERSION": "1.0.3",
    # The site's public address: the actor's account homePage and the base of activity ids.
    "SITE_URL": None,
    # "account": the learner is an opaque id on SITE_URL. "mbox": their email address
    # (only when the school and its learners have agreed to share it with the LRS).
    "ACTOR": "account",
    # Send a comment's text as the statement's result.response.
    "COMMENT_TEXT": False,
    # Seconds to wait for the LRS's answer.
    "TIMEOUT": 10,
    # Statements per request.
    "BATCH_SIZE": 50,
    # Delivery attempts before a statement is marked failed (the admin can retry it).
    "MAX_ATTEMPTS": 10,
    # The wait after the n-th failed attempt: RETRY_SECONDS * 2 ** (n - 1), at most
    # RETRY_MAX_SECONDS.
    "RETRY_SECONDS": 60,
    "RETRY_MAX_SECONDS": 6 * 60 * 60,
}

# ADL's vocabulary (the xAPI verbs and activity types registry).
VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_EARNED = "http://id.tincanapi.com/verb/earned"
VERB_COMMENTED = "http://adlnet.gov/expapi/verbs/commented"
VERB_NAMES = {VERB_COMPLETED: "completed", VERB_EARNED: "earned", VERB_COMMENTED: "commented"}
ACTIVITY_LESSON = "http://adlnet.gov/expapi/activities/lesson"
ACTIVITY_COURSE = "http://adlnet.gov/expapi/activities/course"
ACTIVITY_BADGE = "http://activitystrea.ms/schema/1.0/badge"

# The namespace of statement ids (UUIDv5). Never change it: every id derives from it.
STATEMENT_NAMESPACE = uuid.UUID("e25cee80-06bf-4a8d-81e9-533a9581fd13")

# LRS answers that say the statement itself is refused: retrying it cannot help.
REFUSED = frozenset({400, 409, 413, 422})


# --- Settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class XapiConfig:
    endpoint: str
    username: str
    password: str
    version: str
    site_url: str
    actor: str
    comment_text: bool
    timeout: float
    batch_size: int
    max_attempts: int
    retry_seconds: int
    retry_max_seconds: int

    @property
    def statements_url(self) -> str:
        return self.endpoint + "statements"


def xapi_config() -> XapiConfig | None:
    """``STREAM["XAPI"]`` read and checked; None when xAPI is off. Raises
    ``ImproperlyConfigured`` with what to change (system check ``stream_lessons.E008``)."""
    value = lessons_settings.XAPI
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ImproperlyConfigured('STREAM["XAPI"] must be None or a dict naming an LRS.')
    unknown = sorted(set(value) - set(XAPI_DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(f'STREAM["XAPI"] has unknown keys: {", ".join(unknown)}.')
    merged = {**XAPI_DEFAULTS, **value}
    for key in ("ENDPOINT", "SITE_URL"):
        url = merged[key]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ImproperlyConfigured(
                f'STREAM["XAPI"]["{key}"] must be an http(s) address; it is {url!r}.'
            )
    if merged["ACTOR"] not in ("account", "mbox"):
        raise ImproperlyConfigured('STREAM["XAPI"]["ACTOR"] must be "account" or "mbox".')
    for key in ("BATCH_SIZE", "MAX_ATTEMPTS", "RETRY_SECONDS", "RETRY_MAX_SECONDS", "TIMEOUT"):
        number = merged[key]
        if isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
            raise ImproperlyConfigured(f'STREAM["XAPI"]["{key}"] must be a positive number.')
    return XapiConfig(
        endpoint=merged["ENDPOINT"].rstrip("/") + "/",
        username=str(merged["USERNAME"]),
        password=str(merged["PASSWORD"]),
        version=str(merged["VERSION"]),
        site_url=merged["SITE_URL"].rstrip("/"),
        actor=merged["ACTOR"],
        comment_text=bool(merged["COMMENT_TEXT"]),
        timeout=merged["TIMEOUT"],
        batch_size=int(merged["BATCH_SIZE"]),
        max_attempts=int(merged["MAX_ATTEMPTS"]),
        retry_seconds=int(merged["RETRY_SECONDS"]),
        retry_max_seconds=int(merged["RETRY_MAX_SECONDS"]),
    )


def xapi_enabled() -> bool:
    """Whether statements are recorded: check it before loading what they describe."""
    return lessons_settings.XAPI is not None


# --- Statements ----------------------------------------------------------------------------------


def actor_key(user) -> str:
    """An opaque id for ``user`` that never changes while ``SECRET_KEY`` does not: an HMAC of
    the primary key, so the LRS can follow a learner without learning who they are."""
    return salted_hmac("lessons.xapi.actor", str(user.pk), algorithm="sha256").hexdigest()


def actor_for(user, config: XapiConfig) -> dict:
    if config.actor == "mbox":
        email = getattr(user, user.get_email_field_name(), "") or ""
        if email:
            return {"objectType": "Agent", "mbox": f"mailto:{email}"}
    return {
        "objectType": "Agent",
        "account": {"homePage": config.site_url + "/", "name": actor_key(user)},
    }


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _absolute(config: XapiConfig, path: str) -> str:
    return config.site_url + path


def lesson_activity_id(lesson: Lesson, config: XapiConfig) -> str:
    return f"{config.site_url}/xapi/lessons/{lesson.uuid}"


def course_activity_id(course: Course, config: XapiConfig) -> str:
    return f"{config.site_url}/xapi/courses/{course.uuid}"


def achievement_activity_id(slug: str, config: XapiConfig) -> str:
    return f"{config.site_url}/xapi/achievements/{slug}"


# --- Names in every language --------------------------------------------------------------------
#
# An activity's name and description are language maps, {language tag: text}, which the xAPI
# specification asks to be filled as fully as possible: an LRS keeps them per activity, and one
# asked for the canonical format answers with the language its reader asks for. So an activity is
# named in every language it has text in, each text under its own language: a lesson's original
# under the lesson's language and each variant's title under the variant's; a course's or an
# achievement's own text under the site's LANGUAGE_CODE (they have no language field: their text
# is the site's default one) and each translation under its language. Never under the language
# of the request that made the statement: that mislabels the original whenever they differ.

TEXTS = "xapi_text"  # the columns texts_annotate adds: xapi_text_<field>_<language's index>


def texts_annotate(queryset, *, fields=("title",), through: str = ""):
    """``queryset`` with ``fields`` of its rows' translations in each of the site's languages
    (:mod:`lessons.translations`; a lesson's variants) as columns of the same query, one
    subquery per language and field on the translation's unique (parent, language) key. With
    ``through`` (foreign keys, ``lesson__course``) they are the texts of the row it leads to;
    hand each row read to :func:`texts_attach`. :func:`language_map` reads them."""
    model = queryset.model
    for name in filter(None, through.split(LOOKUP_SEP)):
        model = model._meta.get_field(name).related_model
    relation = model._meta.get_field("translations")
    parent = OuterRef(f"{through}{LOOKUP_SEP}pk" if through else "pk")
    rows = relation.related_model.objects
    return queryset.annotate(
        **{
            f"{_prefix(through)}{TEXTS}_{field}_{index}": Subquery(
                rows.filter(**{relation.field.name: parent, "language": code}).values(field)[:1]
            )
            for field in fields
            for index, (code, _name) in enumerate(content_languages())
        }
    )


def _prefix(through: str) -> str:
    # Annotation names cannot hold "__": lesson__course's texts are lesson_course_xapi_text_...
    return through.replace(LOOKUP_SEP, "_") + "_" if through else ""


def texts_attach(row, through: str):
    """Move what :func:`texts_annotate` read with ``through`` onto ``row.<through>``."""
    related = row
    for name in through.split(LOOKUP_SEP):
        related = getattr(related, name)
    prefix = _prefix(through)
    for key in [key for key in row.__dict__ if key.startswith(prefix + TEXTS)]:
        related.__dict__[key.removeprefix(prefix)] = row.__dict__.pop(key)
    return related


def language_map(obj, field: str, *, original_language: str) -> dict[str, str]:
    """``obj``'s ``field`` as an xAPI language map: its own text under ``original_language``,
    each translation's under its language, as a page in that language shows them (a translation
    in the original's language wins, as on pages); empty texts are left out. No query when
    ``obj`` was read through :func:`texts_annotate`; else its translations are read (1 query,
    none with a prefetch)."""
    codes = [code for code, _name in content_languages()]
    keys = [f"{TEXTS}_{field}_{index}" for index in range(len(codes))]
    if all(key in obj.__dict__ for key in keys):
        translated = {code: obj.__dict__[key] for code, key in zip(codes, keys, strict=True)}
    else:
        rows = obj.translations_by_language()
        translated = {code: getattr(rows[code], field) for code in codes if code in rows}
    translated = {code: text for code, text in translated.items() if text}
    names = {original_language: getattr(obj, field), **translated}
    return {code: text for code, text in names.items() if text}


def lesson_names(lesson: Lesson) -> dict[str, str]:
    return language_map(lesson, "title", original_language=lesson.language)


def course_names(course: Course) -> dict[str, str]:
    return language_map(course, "title", original_language=settings.LANGUAGE_CODE)


def lesson_titles_annotate(queryset, *, through: str = ""):
    """``queryset`` with the titles in every language of its lessons (or of the lesson the
    foreign keys ``through`` lead to) and of their courses, for :func:`language_map`; hand each
    row read to :func:`lesson_titles_attach`. Still one query."""
    course = f"{through}{LOOKUP_SEP}course" if through else "course"
    return texts_annotate(texts_annotate(queryset, through=through), through=course)


def lesson_titles_attach(row, *, through: str = ""):
    """Move what :func:`lesson_titles_annotate` read onto the lesson and its course."""
    if through:
        texts_attach(row, through)
    texts_attach(row, f"{through}{LOOKUP_SEP}course" if through else "course")


def lessons_with_names(ids: Iterable[int]) -> dict[int, Lesson]:
    """The lessons ``ids`` by id, with their courses and both's titles in every language, for
    statements about them. 1 query."""
    lessons = lesson_titles_annotate(Lesson.objects.select_related("course")).in_bulk(list(ids))
    for lesson in lessons.values():
        lesson_titles_attach(lesson)
    return lessons


# --- Activities ----------------------------------------------------------------------------------


def _activity(activity_id: str, kind: str, name: dict, *, more_info: str = "", description=None):
    """An activity named by the language maps ``name`` and ``description``."""
    definition = {"type": kind, "name": name}
    if description:
        definition["description"] = description
    if more_info:
        definition["moreInfo"] = more_info
    return {"objectType": "Activity", "id": activity_id, "definition": definition}


def lesson_activity(lesson: Lesson, config: XapiConfig) -> dict:
    return _activity(
        lesson_activity_id(lesson, config),
        ACTIVITY_LESSON,
        lesson_names(lesson),
        more_info=_absolute(config, lesson.get_absolute_url()),
    )


def course_activity(course: Course, config: XapiConfig) -> dict:
    return _activity(
        course_activity_id(course, config),
        ACTIVITY_COURSE,
        course_names(course),
        more_info=_absolute(config, course.get_absolute_url()),
    )


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _statement(*, user, verb: str, activity: dict, at: datetime, config, context=None, **extra):
    parts = [verb, activity["id"], actor_key(user), *extra.pop("id_parts", ())]
    statement = {
        "id": str(uuid.uuid5(STATEMENT_NAMESPACE, " ".join(parts))),
        "actor": actor_for(user, config),
        "verb": {"id": verb, "display": {"en-US": VERB_NAMES[verb]}},
        "object": activity,
        "timestamp": _timestamp(at),
        "context": {"platform": "Stream", "language": _language(), **(context or {})},
    }
    statement.update(extra)
    return statement


def _lesson_context(lesson: Lesson, config: XapiConfig) -> dict:
    return {
        "revision": str(lesson.revision),
        "contextActivities": {"parent": [course_activity(lesson.course, config)]},
    }


def statement_lesson_completed(*, user, lesson: Lesson, at: datetime, config) -> dict:
    """``user`` completed ``lesson`` at ``at`` (its course and revision in the context)."""
    return _statement(
        user=user,
        verb=VERB_COMPLETED,
        activity=lesson_activity(lesson, config),
        at=at,
        context=_lesson_context(lesson, config),
        config=config,
        result={"completion": True},
    )


def statement_course_completed(*, user, course: Course, at: datetime, config) -> dict:
    """``user`` completed every published lesson of ``course``, the last at ``at``."""
    return _statement(
        user=user,
        verb=VERB_COMPLETED,
        activity=course_activity(course, config),
        at=at,
        config=config,
        result={"completion": True},
    )


def statement_achievement_earned(
    *, user, slug: str, name: dict, description: dict, at: datetime, config
) -> dict:
    """``user`` earned the achievement ``slug`` at ``at``; ``name`` and ``description`` are
    language maps (:func:`language_map`; an empty description map leaves it out)."""
    return _statement(
        user=user,
        verb=VERB_EARNED,
        activity=_activity(
            achievement_activity_id(slug, config), ACTIVITY_BADGE, name, description=description
        ),
        at=at,
        config=config,
    )


def statement_comment_posted(
    *, user, lesson: Lesson, comment_id: int, text: str, at: datetime, config
) -> dict:
    """``user`` commented on ``lesson`` (the comment's text only with ``COMMENT_TEXT``)."""
    extra = {"result": {"response": text}} if config.comment_text else {}
    return _statement(
        user=user,
        verb=VERB_COMMENTED,
        activity=lesson_activity(lesson, config),
        at=at,
        context=_lesson_context(lesson, config),
        config=config,
        id_parts=[f"comment:{comment_id}"],
        **extra,
    )


# --- The outbox ----------------------------------------------------------------------------------


def statements_record(*, user, statements: Iterable[dict]) -> None:
    """Queue ``statements`` about ``user`` for the LRS, in the caller's transaction.

    Call it inside the transaction that records the event: if that rolls back, the rows go
    with it and nothing is sent. A statement already queued or sent (same id) is left as it is.
    Delivery is enqueued for after the commit.
    """
    rows = [
        XapiStatement(
            statement_id=statement["id"],
            learner_id=user.pk,
            verb=statement["verb"]["id"],
            statement=statement,
        )
        for statement in statements
    ]
    if not rows:
        return
    XapiStatement.objects.bulk_create(rows, ignore_conflicts=True)
    enqueue_on_commit(xapi_deliver)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    # When the earliest statement still waiting is due (None: nothing waits).
    next_attempt_at: datetime | None = None


class _Transient(Exception):
    """The LRS could not take the statements now (down, overloaded, refusing our credentials):
    try again later."""


class _Refused(Exception):
    """The LRS refused the statements themselves."""


def _post(config: XapiConfig, statements: list[dict]) -> None:
    body = json.dumps(statements, separators=(",", ":")).encode()
    request = urllib.request.Request(  # noqa: S310 (the URL is checked to be http(s))
        config.statements_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Experience-API-Version": config.version,
        },
    )
    if config.username or config.password:
        credentials = f"{config.username}:{config.password}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(credentials).decode())
    try:
        with urllib.request.urlopen(request, timeout=config.timeout) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as error:
        detail = f"HTTP {error.code}: {error.read()[:500].decode(errors='replace')}"
        raise (_Refused if error.code in REFUSED else _Transient)(detail) from error
    except (OSError, ValueError) as error:  # refused connection, timeout, DNS, bad URL
        reason = getattr(error, "reason", error)  # URLError wraps the socket's error
        raise _Transient(f"{type(reason).__name__}: {reason}") from error


def _retry_at(config: XapiConfig, attempts: int, now: datetime) -> datetime:
    wait = min(config.retry_seconds * 2 ** (attempts - 1), config.retry_max_seconds)
    return now + timedelta(seconds=wait)


def _send(config, rows: list[XapiStatement], report: DeliveryReport, now: datetime) -> bool:
    """Send ``rows`` and record the outcome on each; False if the LRS could not be reached
    (the round stops: the rest waits for the next attempt)."""
    try:
        _post(config, [row.statement for row in rows])
    except _Refused as error:
        if len(rows) > 1:  # find the statement it refuses: send them one by one
            return all(_send(config, [row], report, now) for row in rows)
        rows[0].status, rows[0].last_error = XapiStatement.Delivery.FAILED, str(error)
        rows[0].attempts += 1
        rows[0].save(update_fields=["status", "last_error", "attempts"])
        report.failed += 1
        logger.warning("The LRS refused xAPI statement %s: %s", rows[0].statement_id, error)
        return True
    except _Transient as error:
        for row in rows:
            row.attempts += 1
            row.last_error = str(error)
            if row.attempts >= config.max_attempts:
                row.status = XapiStatement.Delivery.FAILED
                report.failed += 1
            else:
                row.next_attempt_at = _retry_at(config, row.attempts, now)
                report.retrying += 1
        XapiStatement.objects.bulk_update(
            rows, ["attempts", "last_error", "status", "next_attempt_at"]
        )
        logger.warning("Could not deliver %d xAPI statements: %s", len(rows), error)
        return False
    XapiStatement.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=XapiStatement.Delivery.SENT, sent_at=now, last_error=""
    )
    report.sent += len(rows)
    return True


def deliver_pending(*, now: datetime | None = None) -> DeliveryReport:
    """Send every statement that is due, in batches; record what happened to each.

    Statements the LRS stores are marked sent; one it refuses (a 400 or 409: retrying cannot
    help) is marked failed with its answer; when the LRS cannot be reached, the batch waits
    ``RETRY_SECONDS * 2 ** (attempts - 1)`` (at most ``RETRY_MAX_SECONDS``) and is marked failed
    after ``MAX_ATTEMPTS``. Safe to run twice at once: the LRS keeps one statement per id.
    ``now`` (default: the clock) is the time statements are due by and attempts are dated.
    """
    report = DeliveryReport()
    config = xapi_config()
    if config is None:
        return report
    now = now or timezone.now()
    reachable = True
    while reachable:
        due = list(
            XapiStatement.objects.filter(
                status=XapiStatement.Delivery.PENDING, next_attempt_at__lte=now
            ).order_by("id")[: config.batch_size]
        )
        if not due:
            break
        reachable = _send(config, due, report, now)
    report.next_attempt_at = (
        XapiStatement.objects.filter(status=XapiStatement.Delivery.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return report


@task()
def xapi_deliver() -> dict:
    """Deliver the statements that are due (:func:`deliver_pending`). If some must wait and
    the task backend can run a task later, the task enqueues itself for when they are due;
    otherwise they go with the next event, an admin "retry" or ``manage.py xapi_deliver``."""
    report = deliver_pending()
    deferrable = xapi_deliver.get_backend().supports_defer
    if report.retrying and report.next_attempt_at is not None and deferrable:
        xapi_deliver.using(run_after=report.next_attempt_at).enqueue()
    return {"sent": report.sent, "failed": report.failed, "retrying": report.retrying}


@transaction.atomic
def statements_retry(*, queryset) -> int:
    """Queue the statements of ``queryset`` that failed again, due now with a fresh count of
    attempts; returns how many. Delivery is enqueued after commit."""
    count = queryset.filter(status=XapiStatement.Delivery.FAILED).update(
        status=XapiStatement.Delivery.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if count:
        enqueue_on_commit(xapi_deliver)
    return count


# --- Past activity -------------------------------------------------------------------------------

# name -> a callable (config) yielding (user, statements) per learner, for manage.py xapi_backfill
_backfill_sources: dict[str, Callable] = {}


def xapi_backfill_register(name: str, source: Callable) -> None:
    """Add ``source(config)`` to what ``manage.py xapi_backfill`` writes: it yields
    ``(user, statements)`` for each learner with past activity of its kind."""
    _backfill_sources[name] = source


@dataclass
class BackfillReport:
    queued: int = 0
    existing: int = 0


def xapi_backfill() -> dict[str, BackfillReport]:
    """Queue a statement for every past event every registered source knows of. Events
    already queued or sent (the same statement id) are counted and left as they are, so
    running it again queues nothing new."""
    config = xapi_config()
    if config is None:
        raise ImproperlyConfigured('xAPI is off: STREAM["XAPI"] names no LRS.')
    reports = {}
    for name, source in sorted(_backfill_sources.items()):
        report = reports[name] = BackfillReport()
        for user, statements in source(config):
            ids = [statement["id"] for statement in statements]
            with transaction.atomic():
                known = {
                    str(value)
                    for value in XapiStatement.objects.filter(statement_id__in=ids).values_list(
                        "statement_id", flat=True
                    )
                }
                statements_record(
                    user=user, statements=[s for s in statements if s["id"] not in known]
                )
            report.existing += len(known)
            report.queued += len(ids) - len(known)
    return reports


# --- A learner's own data ------------------------------------------------------------------------


def learner_statements_export(user) -> list[dict]:
    return [
        {
            "statement": row.statement,
            "delivery": row.status,
            "created_at": row.created_at,
            "sent_at": row.sent_at,
        }
        for row in XapiStatement.objects.filter(learner_id=user.pk).order_by("id")
    ]


def learner_statements_erase(user) -> dict:
    deleted, _ = XapiStatement.objects.filter(learner_id=user.pk).delete()
    return {"statements": deleted}
