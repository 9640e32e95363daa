"""Operations that change lessons and courses. Views, the admin and commands call these."""

from django.db import transaction
from django.utils import timezone

from .models import Lesson, Status, Tag
from .selectors import lesson_tags_in_order
from .versions import content_changed


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


def courses_set_status(*, courses, status: str) -> int:
    """Publish or unpublish many courses (the admin's bulk actions); returns how many changed.

    A course's lessons keep their own status: unpublishing a course hides them all from
    learners, and publishing it again brings back exactly the ones that were published.
    """
    changed = courses.exclude(status=status).update(status=status, updated_at=timezone.now())
    if changed:
        content_changed(site=True)  # update() sends no signal
    return changed


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
    content_changed(site=True)  # bulk_create sends no signal
