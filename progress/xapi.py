"""Progress's xAPI statements: a lesson completed, a course completed, an achievement earned.

The services call :func:`progress_statements_record` in the transaction that writes the
completions and awards (nothing, not even a query, while ``STREAM["XAPI"]`` is off);
:func:`progress_statements_past` gives ``manage.py xapi_backfill`` the same statements for what
learners did before xAPI was turned on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, prefetch_related_objects

from lessons import xapi

from .models import AchievementAward, LessonCompletion
from .selectors import course_lesson_ids


def _statements(*, user, config, completions, lessons, awards, course_ends) -> list[dict]:
    statements = [
        xapi.statement_lesson_completed(user=user, lesson=lessons[lesson_id], at=at, config=config)
        for lesson_id, at in completions.items()
    ]
    statements += [
        xapi.statement_course_completed(user=user, course=course, at=at, config=config)
        for course, at in course_ends
    ]
    statements += [
        xapi.statement_achievement_earned(
            user=user,
            slug=award.achievement.slug,
            name=achievement_names(award.achievement, "name"),
            description=achievement_names(award.achievement, "description"),
            at=award.awarded_at,
            config=config,
        )
        for award in awards
    ]
    return statements


def achievement_names(achievement, field: str) -> dict[str, str]:
    """An achievement's name or description as an xAPI language map: its own text is in the
    site's default language, each translation in its own."""
    return xapi.language_map(achievement, field, original_language=settings.LANGUAGE_CODE)


def progress_statements_record(
    *,
    user,
    completions: dict[int, datetime],
    all_completions: dict[int, datetime],
    awards: list[AchievementAward],
    course_ids: list[int],
) -> None:
    """Queue the statements for one write: the lessons it completed (``completions``, by
    lesson id), the courses it finished (``course_ids``; each finished when its last lesson
    was, read from ``all_completions``) and the awards it made. One query for the lessons and
    their courses (with their titles in every language), one for the awards' achievements'
    names in every language when there are awards, one insert; none while xAPI is off."""
    config = xapi.xapi_config()
    if config is None or not (completions or awards):
        return
    course_lessons = course_lesson_ids() if course_ids else {}
    lessons = xapi.lessons_with_names(list(completions))
    prefetch_related_objects([award.achievement for award in awards], "translations")
    courses = {lesson.course_id: lesson.course for lesson in lessons.values()}
    course_ends = [
        (courses[course_id], max(all_completions[i] for i in course_lessons[course_id]))
        for course_id in course_ids
        if course_id in courses
    ]
    xapi.statements_record(
        user=user,
        statements=_statements(
            user=user,
            config=config,
            completions=completions,
            lessons=lessons,
            awards=awards,
            course_ends=course_ends,
        ),
    )


def progress_statements_past(config) -> Iterator[tuple[object, list[dict]]]:
    """Every learner's completions, finished courses and awards so far, as statements
    (``manage.py xapi_backfill``), named in every language. Two queries per learner."""
    course_lessons = course_lesson_ids()
    learners = get_user_model()._default_manager.filter(
        Q(pk__in=LessonCompletion.objects.values("learner_id"))
        | Q(pk__in=AchievementAward.objects.values("learner_id"))
    )
    for user in learners.order_by("pk").iterator():
        rows = LessonCompletion.objects.filter(learner_id=user.pk).select_related("lesson__course")
        rows = list(xapi.lesson_titles_annotate(rows, through="lesson"))
        for row in rows:
            xapi.lesson_titles_attach(row, through="lesson")
        completions = {row.lesson_id: row.completed_at for row in rows}
        lessons = {row.lesson_id: row.lesson for row in rows}
        courses = {lesson.course_id: lesson.course for lesson in lessons.values()}
        course_ends = [
            (courses[course_id], max(completions[i] for i in ids))
            for course_id, ids in sorted(course_lessons.items())
            if ids and all(i in completions for i in ids)
        ]
        awards = AchievementAward.objects.filter(learner_id=user.pk).select_related("achievement")
        awards = list(
            xapi.texts_annotate(awards, fields=("name", "description"), through="achievement")
        )
        for award in awards:
            xapi.texts_attach(award, "achievement")
        yield (
            user,
            _statements(
                user=user,
                config=config,
                completions=completions,
                lessons=lessons,
                awards=awards,
                course_ends=course_ends,
            ),
        )
