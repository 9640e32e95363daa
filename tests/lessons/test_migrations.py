"""Data migrations bring lessons stored by an earlier version up to date."""

from importlib import import_module

import pytest
from django.apps import apps

from lessons.models import Lesson
from tests.factories import LessonFactory

pytestmark = pytest.mark.django_db

tables_scroll = import_module("lessons.migrations.0004_tables_scroll")


def test_lessons_stored_before_tables_scrolled_are_rendered_again_at_the_same_revision():
    # given a lesson with a table, stored as an earlier version rendered it
    lesson = LessonFactory(body="| a | b |\n|---|---|\n| 1 | 2 |", exercise="| c |\n|---|\n| 3 |")
    Lesson.objects.filter(pk=lesson.pk).update(
        body_html="<table><tr><td>1</td></tr></table>",
        exercise_html="<table><tr><td>3</td></tr></table>",
    )
    untouched = LessonFactory(body="No table.")

    # when the migration runs
    tables_scroll.rerender_tables(apps, None)

    # then its tables scroll in their boxes, and nothing says the lesson changed
    lesson.refresh_from_db()
    assert lesson.body_html.startswith('<div class="table-scroll"')
    assert lesson.exercise_html.startswith('<div class="table-scroll"')
    assert lesson.revision == 1
    assert Lesson.objects.get(pk=untouched.pk).body_html == "<p>No table.</p>"
