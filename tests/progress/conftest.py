import pytest

from tests.factories import CourseFactory, LessonFactory, LevelFactory


@pytest.fixture
def levels(db):
    return [
        LevelFactory(number=0, name="Scout", min_xp=0),
        LevelFactory(number=1, name="Explorer", min_xp=100),
        LevelFactory(number=2, name="Builder", min_xp=250),
    ]


@pytest.fixture
def course(db):
    """A published course of three published lessons worth 10, 20 and 30 XP."""
    course = CourseFactory(slug="basics", title="Basics")
    for position, xp in enumerate((10, 20, 30), start=1):
        LessonFactory(course=course, position=position, slug=f"b{position}", xp=xp)
    return course


@pytest.fixture
def lessons(course):
    return list(course.lessons.order_by("position"))


@pytest.fixture
def progress_slots_only():
    """Only progress's templates in Stream's slots, so query counts pin progress's own cost
    (the comments app pins its own); restored afterwards."""
    from lessons import slots

    saved = {name: list(entries) for name, entries in slots._slots.items()}
    for entries in slots._slots.values():
        entries[:] = [e for e in entries if e.template_name.startswith("stream/progress/")]
    yield
    for name, entries in saved.items():
        slots._slots[name] = entries
