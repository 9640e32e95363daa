import pytest
from django.utils import translation

from lessons.models import Status
from lessons.selectors import lesson_tags_in_order
from lessons.services import lesson_publish, lesson_set_tags, lesson_unpublish, lessons_set_status
from tests.factories import LessonFactory, TagFactory

pytestmark = pytest.mark.django_db


def names(lesson):
    return [tag.name for tag in lesson_tags_in_order(lesson=lesson)]


def test_lesson_set_tags_keeps_the_order_given():
    lesson = LessonFactory()
    dense, llama, families = (TagFactory(name=n, slug=n) for n in ("dense", "llama", "families"))

    lesson_set_tags(lesson=lesson, tags=[dense, llama, families])
    assert names(lesson) == ["dense", "llama", "families"]

    lesson_set_tags(lesson=lesson, tags=[families, dense])
    assert names(lesson) == ["families", "dense"]


def test_lesson_set_tags_with_the_same_order_writes_nothing(django_assert_num_queries):
    lesson = LessonFactory()
    tags = [TagFactory(), TagFactory()]
    lesson_set_tags(lesson=lesson, tags=tags)

    # one read to compare, inside a savepoint pair
    with django_assert_num_queries(3):
        lesson_set_tags(lesson=lesson, tags=tags)


def test_publishing_stamps_the_first_publication_time_once():
    lesson = LessonFactory(status=Status.DRAFT)
    assert lesson.published_at is None

    lesson_publish(lesson=lesson)
    first = lesson.published_at
    lesson_unpublish(lesson=lesson)
    lesson_publish(lesson=lesson)

    lesson.refresh_from_db()
    assert lesson.status == Status.PUBLISHED
    assert first is not None and lesson.published_at == first


def test_bulk_status_change_counts_only_lessons_that_changed():
    LessonFactory.create_batch(2, status=Status.DRAFT)
    LessonFactory(status=Status.PUBLISHED)

    from lessons.models import Lesson

    changed = lessons_set_status(lessons=Lesson.objects.all(), status=Status.PUBLISHED)

    assert changed == 2
    assert set(Lesson.objects.values_list("status", flat=True)) == {Status.PUBLISHED}


def test_editing_the_body_bumps_the_revision_but_other_edits_do_not():
    lesson = LessonFactory(body="First text.")
    assert lesson.revision == 1

    lesson.title = "Renamed"
    lesson.save()
    assert lesson.revision == 1

    lesson.body = "Second text."
    lesson.save()
    lesson.refresh_from_db()
    assert lesson.revision == 2
    assert "Second text." in lesson.body_html


def test_unpublishing_a_course_hides_its_lessons_and_republishing_restores_them(client):
    from lessons.models import Course
    from lessons.services import courses_set_status

    published = LessonFactory(slug="shown")
    course = published.course
    LessonFactory(course=course, slug="draft", status=Status.DRAFT)

    assert courses_set_status(courses=Course.objects.all(), status=Status.DRAFT) == 1
    assert client.get(published.get_absolute_url()).status_code == 404

    assert courses_set_status(courses=Course.objects.all(), status=Status.PUBLISHED) == 1
    assert client.get(published.get_absolute_url()).status_code == 200
    assert client.get(f"/courses/{course.slug}/draft/").status_code == 404


def test_text_with_a_nul_character_is_refused_with_a_clear_error():
    from django.core.exceptions import ValidationError

    lesson = LessonFactory.build(body="fine\x00", title="ok\x00")

    with translation.override("en"):
        with pytest.raises(ValidationError) as raised:
            lesson.full_clean(exclude=["course"])
        message = str(raised.value)

    assert set(raised.value.message_dict) >= {"body", "title"}
    assert "Null characters are not allowed." in message
