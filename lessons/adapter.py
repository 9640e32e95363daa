"""The host's policy, in one class: ``STREAM["ADAPTER"]`` names it (like allauth's adapters).

Subclass :class:`StreamAdapter`, override what your site decides differently, and point the
setting at your class::

    # myschool/stream_adapter.py
    from lessons.adapter import StreamAdapter

    class SchoolAdapter(StreamAdapter):
        def lessons_for_user(self, lessons, *, user):
            return lessons.filter(course__in=Enrolment.objects.filter(...).values("course"))

    STREAM = {"ADAPTER": "myschool.stream_adapter.SchoolAdapter"}

Stream calls the adapter through :func:`get_adapter`; the methods below are the whole contract.
The default adapter adds no database query anywhere: a page costs the same with it as without.
"""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .conf import lessons_settings


class StreamAdapter:
    """Stream's default policy. Every method may be overridden; keep the keyword arguments."""

    # --- Who may see what -------------------------------------------------------------------

    def courses_for_user(self, courses, *, user):
        """Narrow ``courses`` (a ``Course`` queryset) to those ``user`` may open.

        Called on top of Stream's own rule (published courses; staff see drafts) by every page
        and API endpoint that lists or opens a course. Return a queryset filtered by your
        enrolment rules; keep it a filter (no slicing, no ordering) so Stream can add its own.
        ``user`` may be anonymous. The default returns ``courses`` unchanged.
        """
        return courses

    def lessons_for_user(self, lessons, *, user):
        """Narrow ``lessons`` (a ``Lesson`` queryset) to those ``user`` may open.

        Called on top of Stream's own rule (published lessons of published courses; staff see
        everything) by the lesson, course and tag pages, the comment section, the report form
        and the API. A lesson filtered out is a 404. Filter through ``course`` to apply course
        enrolment to its lessons. The default returns ``lessons`` unchanged.
        """
        return lessons

    # --- Comments -----------------------------------------------------------------------------

    def can_comment(self, *, user, lesson) -> bool:
        """Whether ``user`` (signed in and active, Stream checks that first) may post a comment or
        reply on ``lesson``. Return False to make a course read-only for some learners, e.g.
        those whose enrolment has ended. The default allows every signed-in learner."""
        return True

    def user_display_name(self, user) -> str:
        """How ``user`` is named beside their comments, in notifications and in reply emails.

        The default is the user's short name, else their ``USERNAME_FIELD`` value; where that
        field is the email address (a custom user model without ``username``), only the part
        before the "@" is shown, so addresses are never published. Override to show a
        profile's nickname.
        """
        short = getattr(user, "get_short_name", None)
        name = (short() if callable(short) else "") or ""
        if name:
            return name
        login = user.get_username()
        model = user.__class__  # the real class, also through a lazy request.user
        if model.get_email_field_name() == model.USERNAME_FIELD:
            login = login.partition("@")[0]
        return login

    def user_avatar_url(self, user) -> str:
        """The address of ``user``'s picture beside their comments, or "" for none.

        Called once per comment author shown, so read it from the user row (or a relation the
        host prefetches), never with a query of its own. The default shows no picture.
        """
        return ""

    # --- What happens on progress --------------------------------------------------------------

    def achievement_awarded(self, *, user, award) -> None:
        """Called once per new award (``progress.models.AchievementAward``, its ``achievement``
        loaded) after the transaction that made it commits. Hook grades, badges or emails here.
        The ``progress.signals.achievement_awarded`` signal is sent at the same moment."""

    def course_completed(self, *, user, course) -> None:
        """Called when ``user`` has completed every published lesson of ``course`` (a
        ``lessons.models.Course``), after the transaction commits. Issue a certificate or
        tell your LMS here. ``progress.signals.course_completed`` is sent at the same moment."""


@lru_cache(maxsize=4)
def _adapter_for(path: str) -> StreamAdapter:
    try:
        adapter_class = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(f"STREAM['ADAPTER'] = {path!r} cannot be imported.") from error
    if not (isinstance(adapter_class, type) and issubclass(adapter_class, StreamAdapter)):
        raise ImproperlyConfigured(
            f"STREAM['ADAPTER'] = {path!r} is not a subclass of lessons.adapter.StreamAdapter."
        )
    return adapter_class()


def get_adapter() -> StreamAdapter:
    """The adapter ``STREAM["ADAPTER"]`` names (one instance per class)."""
    return _adapter_for(lessons_settings.ADAPTER)


def adapter_overrides(name: str) -> bool:
    """Whether the configured adapter overrides method ``name`` (so a check can be skipped, and
    its query saved, while the default applies)."""
    adapter = get_adapter()
    return getattr(type(adapter), name) is not getattr(StreamAdapter, name)
