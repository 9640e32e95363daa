"""Operations that change lessons and courses. Views, the admin and commands call these."""

from django.db import transaction

from .models import Course, Lesson, Status, Tag
from .selectors import lesson_tags_in_order


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


@transaction.atomic
def lesson_set_tags(*, lesson: Lesson, tags: list[Tag]) -> None:
    """Give ``lesson`` exactly ``tags``, in this order (pages list tags in the order given).

    Django's ``lesson.tags.set()`` keeps no order, so when the order changes the rows are
    written again, one per tag, in order.
    """
    unique = list(dict.fromkeys(tags))
    if [tag.pk for tag in lesson_tags_in_order(lesson=lesson)] == [tag.pk for tag in unique]:
        return
    through = Lesson.tags.through
    through.objects.filter(lesson_id=lesson.pk).delete()
    through.objects.bulk_create(through(lesson_id=lesson.pk, tag_id=tag.pk) for tag in unique)
