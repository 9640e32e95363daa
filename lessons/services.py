"""Operations that change lessons and courses. Views, the admin and commands call these."""

from django.db import transaction

from .models import Course, Lesson, Status


def lesson_publish(*, lesson: Lesson) -> Lesson:
    """Publish ``lesson``; the first publication stamps ``published_at``."""
    if lesson.status != Status.PUBLISHED:
        lesson.status = Status.PUBLISHED
        lesson.save()
    return lesson


def lesson_unpublish(*, lesson: Lesson) -> Lesson:
    """Take ``lesson`` back to draft: learners get a 404, staff still see it."""
    if lesson.status != Status.DRAFT:
        lesson.status = Status.DRAFT
        lesson.save()
    return lesson


@transaction.atomic
def lessons_set_status(*, lessons, status: str) -> int:
    """Publish or unpublish many lessons (the admin's bulk actions); returns how many changed."""
    changed = 0
    for lesson in lessons.select_for_update().exclude(status=status):
        lesson.status = status
        lesson.save()
        changed += 1
    return changed


def course_publish(*, course: Course) -> Course:
    if course.status != Status.PUBLISHED:
        course.status = Status.PUBLISHED
        course.save(update_fields=["status", "updated_at"])
    return course


def course_unpublish(*, course: Course) -> Course:
    if course.status != Status.DRAFT:
        course.status = Status.DRAFT
        course.save(update_fields=["status", "updated_at"])
    return course
