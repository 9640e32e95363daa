"""Acme Academy's own models: members who sign in with their email, enrolments in Stream's
courses, and what the academy records when Stream tells it something happened."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


class MemberManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        member = self.model(email=self.normalize_email(email), **fields)
        member.set_password(password)
        member.save(using=self._db)
        return member

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class Member(AbstractBaseUser, PermissionsMixin):
    """No username: members sign in with their email and are shown by their nickname."""

    email = models.EmailField(unique=True)
    nickname = models.CharField(max_length=40, blank=True)
    avatar_url = models.URLField(blank=True)
    may_post = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)

    objects = MemberManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    def get_short_name(self):
        return self.nickname

    def get_full_name(self):
        return self.nickname


class MembersOnlyCourse(models.Model):
    """A Stream course only enrolled members may open."""

    course = models.OneToOneField("stream_lessons.Course", on_delete=models.CASCADE)


class Enrolment(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE)
    course = models.ForeignKey("stream_lessons.Course", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "course"], name="one_enrolment_per_course")
        ]


class Certificate(models.Model):
    """Issued by the adapter when a member completes a course."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE)
    course = models.ForeignKey("stream_lessons.Course", on_delete=models.CASCADE)
    issued_at = models.DateTimeField(default=timezone.now)


class Activity(models.Model):
    """What the academy's signal receivers saw (its analytics)."""

    member = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=40)
    detail = models.CharField(max_length=200, blank=True)
