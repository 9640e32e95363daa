"""Acme Academy's policy for Stream (``STREAM["ADAPTER"]``)."""

from django.db.models import Q

from lessons.adapter import StreamAdapter
from lessons.selectors import user_is_staff

from .models import Activity, Certificate, Enrolment, MembersOnlyCourse


class AcademyAdapter(StreamAdapter):
    def _open_courses_q(self, user, prefix=""):
        # Open: every course nobody restricted, and for a signed-in member the ones they are
        # enrolled in. Never filter enrolments by user.pk alone: a visitor's is None, and
        # "member_id IS NULL" matches every course without enrolments, members-only ones too.
        restricted = MembersOnlyCourse.objects.values("course")
        allowed = ~Q(**{f"{prefix}pk__in": restricted})
        if user is not None and user.is_authenticated:
            enrolled = Enrolment.objects.filter(member_id=user.pk).values("course")
            allowed |= Q(**{f"{prefix}pk__in": enrolled})
        return allowed

    def courses_for_user(self, courses, *, user):
        if user_is_staff(user):
            return courses
        return courses.filter(self._open_courses_q(user))

    def lessons_for_user(self, lessons, *, user):
        if user_is_staff(user):
            return lessons
        return lessons.filter(self._open_courses_q(user, prefix="course__"))

    def can_comment(self, *, user, lesson):
        return user.may_post

    def user_display_name(self, user):
        return user.nickname or f"Member {user.pk}"

    def user_avatar_url(self, user):
        return user.avatar_url

    def achievement_awarded(self, *, user, award):
        Activity.objects.create(member=user, kind="adapter:award", detail=award.achievement.slug)

    def course_completed(self, *, user, course):
        Certificate.objects.create(member=user, course=course)
