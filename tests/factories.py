"""factory-boy factories for every Stream model.

User factories are built on ``get_user_model()`` so a host project's custom user model works.
"""

import itertools
from datetime import UTC, datetime

import factory
from django.contrib.auth import get_user_model

from lessons.models import Course, Lesson, LessonLink, LessonVariant, Status, Tag
from lessons.services import lesson_set_tags

_User = get_user_model()
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
_USERNAME_FIELD = _User.USERNAME_FIELD
_EMAIL_FIELD = _User.get_email_field_name()
_FIELDS = {field.name for field in _User._meta.get_fields()}


class UserFactory(factory.django.DjangoModelFactory):
    """A learner of whatever ``AUTH_USER_MODEL`` the settings name.

    ``UserFactory(username="ada")`` works with any user model: where the model has no
    ``username`` field, "ada" becomes the local part of the email (the login field of an
    email-only model). ``user.username`` is only there when the model has it.
    """

    class Meta:
        model = _User
        django_get_or_create = ()

    password = factory.django.Password("correct horse battery staple")
    is_active = True

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        number = next(_numbers)
        name = kwargs.pop("username", None) if "username" not in _FIELDS else None
        name = name or kwargs.get("username") or f"{cls._name_prefix}{number}"
        if "username" in _FIELDS:
            kwargs.setdefault("username", name)
        if _EMAIL_FIELD in _FIELDS:
            kwargs.setdefault(_EMAIL_FIELD, f"{name}@example.com")
        if _USERNAME_FIELD not in kwargs:
            kwargs[_USERNAME_FIELD] = name
        return kwargs

    _name_prefix = "learner"


_numbers = itertools.count()


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True
    _name_prefix = "staff"


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    summary = "A course for tests."
    position = factory.Sequence(lambda n: n)
    status = Status.PUBLISHED


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag{n}")
    slug = factory.LazyAttribute(lambda tag: tag.name)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson
        skip_postgeneration_save = True

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    position = factory.Sequence(lambda n: n)
    status = Status.PUBLISHED
    # Published long before the fixed times tests report completions at (a completion cannot
    # be dated before its lesson's first publication).
    published_at = factory.LazyAttribute(
        lambda lesson: LONG_AGO if lesson.status == Status.PUBLISHED else None
    )
    body = "## Section\n\nSome text with a [link](https://example.com/).\n"
    exercise = ""
    xp = 10

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            lesson_set_tags(lesson=self, tags=list(extracted))


class LessonVariantFactory(factory.django.DjangoModelFactory):
    """A lesson's text in English (the demo's and the tests' original language is Korean)."""

    class Meta:
        model = LessonVariant

    lesson = factory.SubFactory(LessonFactory)
    language = "en"
    title = factory.LazyAttribute(lambda variant: f"{variant.lesson.title} (English)")
    body = "## Part\n\nThe English text.\n"
    exercise = ""


class LessonLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonLink

    lesson = factory.SubFactory(LessonFactory)
    title = factory.Sequence(lambda n: f"Reference {n}")
    url = factory.Sequence(lambda n: f"https://example.com/ref/{n}")
    position = factory.Sequence(lambda n: n)


# --- comments ---------------------------------------------------------------------------------


class CommentFactory(factory.django.DjangoModelFactory):
    """A published comment; pass ``parent=`` for a reply (lesson, root and depth follow it)."""

    class Meta:
        model = "stream_comments.Comment"

    parent = None
    lesson = factory.LazyAttribute(
        lambda c: c.parent.lesson if c.parent is not None else LessonFactory()
    )
    author = factory.SubFactory(UserFactory)
    root = factory.LazyAttribute(
        lambda c: (c.parent.root or c.parent) if c.parent is not None else None
    )
    depth = factory.LazyAttribute(lambda c: c.parent.depth + 1 if c.parent is not None else 0)
    body = factory.Sequence(lambda n: f"Comment number {n} with `code`.")
    status = "published"


class CommentFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "stream_comments.CommentFlag"

    comment = factory.SubFactory(CommentFactory)
    user = factory.SubFactory(UserFactory)
    reason = "spam"


class ReplySubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "stream_comments.ReplySubscription"

    user = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)
    active = True


class ProblemReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "stream_comments.ProblemReport"

    lesson = factory.SubFactory(LessonFactory)
    lesson_revision = factory.LazyAttribute(lambda r: r.lesson.revision)
    lesson_updated_at = factory.LazyAttribute(lambda r: r.lesson.content_updated_at)
    kind = "bug"
    message = factory.Sequence(lambda n: f"Problem number {n}")
    reporter = factory.SubFactory(UserFactory)


# --- progress ----------------------------------------------------------------------------------
# Completions and awards are written by progress.services (they keep the XP ledger); tests
# create them through those services, not through factories.


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "stream_progress.Level"
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Level name {n}")
    min_xp = factory.LazyAttribute(lambda level: level.number * 100)


class AchievementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "stream_progress.Achievement"

    slug = factory.Sequence(lambda n: f"achievement-{n}")
    name = factory.Sequence(lambda n: f"Achievement {n}")
    rule_kind = "lessons_completed"
    rule_params = factory.LazyFunction(lambda: {"count": 1})
    xp = 0
    active = True
    position = factory.Sequence(lambda n: n)


def two_courses_three_lessons():
    """Course "Basics" (lessons A, B) and course "Next" (lesson C), published: the catalogue
    the prerequisite tests build their paths on. Returns (basics, next, a, b, c)."""
    basics = CourseFactory(title="Basics", slug="basics")
    following = CourseFactory(title="Next", slug="next")
    a = LessonFactory(course=basics, title="A", slug="a", position=1)
    b = LessonFactory(course=basics, title="B", slug="b", position=2)
    c = LessonFactory(course=following, title="C", slug="c", position=1)
    return basics, following, a, b, c
