"""Two learners with something in every table of Stream that keeps rows about a person, for the
tests of a learner's own data (export, erase, user deletion). Works with any user model."""

import json
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from comments.models import Notification, NotificationKind, ReportStatus
from comments.services import email_replies_set
from progress.models import LearnerProfile
from progress.services import comment_posted_record, completion_record
from tests.factories import (
    AchievementFactory,
    CommentFactory,
    CommentFlagFactory,
    CourseFactory,
    LessonFactory,
    ProblemReportFactory,
    ReplySubscriptionFactory,
    StaffFactory,
    UserFactory,
)

STREAM_APPS = ("stream_lessons", "stream_progress", "stream_comments")


def _user(pk: int, name: str):
    fields = {field.name for field in get_user_model()._meta.get_fields()}
    extra = {"first_name": name.title()} if "first_name" in fields else {}
    if "nickname" in fields:
        extra["nickname"] = name.title()
    return UserFactory(pk=pk, username=name, **extra)


@dataclass
class Learners:
    ada: object
    bob: object
    lessons: list
    ada_comment: object  # Ada's top-level comment, with Bob's reply under it
    bob_reply: object
    bob_comment: object  # Bob's top-level comment, with Ada's reply under it
    ada_reply: object


def learners_with_data() -> Learners:
    """Ada and Bob, each with progress, comments, replies to each other, flags, subscriptions,
    notification settings, notifications and problem reports (one sent signed out, with Ada's
    email address as the contact). Their ids are large and unusual, so a search for them in
    integer columns finds them only where they are."""
    course = CourseFactory(slug="privacy", title="Privacy course")
    lessons = [
        LessonFactory(course=course, slug=f"p{n}", title=f"Private lesson {n}", position=n)
        for n in (1, 2)
    ]
    AchievementFactory(slug="first-steps", name="First steps", rule_params={"count": 1}, xp=5)
    ada = _user(730_000_001, "adalovelace")
    bob = _user(730_000_002, "bobbyshafto")
    for learner in (ada, bob):
        for lesson in lessons:
            completion_record(user=learner, lesson=lesson)
        comment_posted_record(user=learner)
        LearnerProfile.objects.filter(user=learner).update(time_zone="Asia/Seoul")
        email_replies_set(user=learner, enabled=False)
        ReplySubscriptionFactory(user=learner, lesson=lessons[0])
    ada_comment = CommentFactory(
        lesson=lessons[0], author=ada, body="Ada Adalovelace here: adalovelace@example.com"
    )
    bob_reply = CommentFactory(parent=ada_comment, author=bob, body="Bob answers the first.")
    bob_comment = CommentFactory(lesson=lessons[0], author=bob, body="Bob's own question.")
    ada_reply = CommentFactory(parent=bob_comment, author=ada, body="Ada's reply to Bob.")
    CommentFactory(lesson=lessons[1], author=ada, body="Ada waiting.", status="pending")
    CommentFlagFactory(comment=bob_comment, user=ada)
    CommentFlagFactory(comment=ada_comment, user=bob)
    Notification.objects.create(
        recipient=ada, kind=NotificationKind.REPLY, lesson=lessons[0], comment=bob_reply
    )
    Notification.objects.create(
        recipient=bob, kind=NotificationKind.REPLY, lesson=lessons[0], comment=ada_reply
    )
    staff = StaffFactory(pk=730_000_009)
    for learner in (ada, bob):
        report = ProblemReportFactory(
            lesson=lessons[0],
            reporter=learner,
            contact_email=learner.email,
            user_agent=f"Mozilla/5.0 ({learner.pk})",
            message="The second paragraph is wrong.",
            status=ReportStatus.RESOLVED,
            resolved_by=staff,
        )
        Notification.objects.create(
            recipient=learner,
            kind=NotificationKind.REPORT_RESOLVED,
            lesson=lessons[0],
            report=report,
        )
    ProblemReportFactory(
        lesson=lessons[1], reporter=None, contact_email=ada.email.upper(), message="Typo."
    )
    return Learners(ada, bob, lessons, ada_comment, bob_reply, bob_comment, ada_reply)


def english_url(name, *args) -> str:
    """``reverse(name, args)`` in English (the demo puts the language in the address)."""
    from django.urls import reverse
    from django.utils import translation

    with translation.override("en"):
        return reverse(name, args=args)


def stream_models() -> list:
    """Every model with a table of its own in Stream's three apps, those other parts of Stream
    add later included (and many-to-many tables)."""
    found = []
    for label in STREAM_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                found.append(model)
    return found


def identity(user) -> dict:
    """What to search for once ``user`` is gone: their id, login, email address and name."""
    from lessons.adapter import get_adapter

    email = getattr(user, user.get_email_field_name(), "") or ""
    words = [user.get_username(), email, get_adapter().user_display_name(user)]
    return {"pk": user.pk, "words": [word for word in words if len(word) >= 4]}


def traces_of(*, pk, words) -> list[str]:
    """Where the id ``pk`` (in integer and foreign-key columns, and inside text and JSON) or any
    of ``words`` (a login, an email address, a name) still appear in Stream's tables, as
    ``table.column = value``."""
    words = {word.lower() for word in (*words, str(pk))}
    hits = []
    for model in stream_models():
        fields = model._meta.concrete_fields
        for row in model._base_manager.values_list(*[field.attname for field in fields]):
            for field, value in zip(fields, row, strict=True):
                if isinstance(value, bool) or value is None:
                    continue
                if isinstance(value, int):
                    found = value == pk
                elif isinstance(value, str):
                    found = any(word in value.lower() for word in words)
                elif isinstance(field, models.JSONField) or isinstance(value, dict | list):
                    text = json.dumps(value, default=str).lower()
                    found = any(word in text for word in words)
                else:
                    continue
                if found:
                    hits.append(f"{model._meta.db_table}.{field.column} = {value!r}")
    return hits
