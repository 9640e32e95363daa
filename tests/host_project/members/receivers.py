"""Acme Academy's analytics: receivers of Stream's signals, connected in ``MembersConfig.ready``."""

from comments.signals import comment_posted, report_filed
from progress.signals import achievement_awarded, course_completed, lesson_completed, level_up


def _record(member, kind, detail=""):
    from .models import Activity

    Activity.objects.create(member=member, kind=kind, detail=str(detail)[:200])


def on_lesson_completed(sender, *, user, lesson, completed_at, **kwargs):
    _record(user, "lesson_completed", lesson.slug)


def on_achievement_awarded(sender, *, user, award, achievement, **kwargs):
    _record(user, "achievement_awarded", achievement.slug)


def on_level_up(sender, *, user, level, previous_level, xp, **kwargs):
    before = previous_level.number if previous_level is not None else "-"
    _record(user, "level_up", f"{before}->{level.number} at {xp}")


def on_course_completed(sender, *, user, course, **kwargs):
    _record(user, "course_completed", course.slug)


def on_comment_posted(sender, *, comment, lesson, user, parent, **kwargs):
    _record(user, "comment_posted", f"{lesson.slug} reply={parent is not None}")


def on_report_filed(sender, *, report, lesson, user, **kwargs):
    _record(user, "report_filed", f"{lesson.slug} {report.kind}")


def connect():
    lesson_completed.connect(on_lesson_completed, dispatch_uid="acme.lesson_completed")
    achievement_awarded.connect(on_achievement_awarded, dispatch_uid="acme.achievement_awarded")
    level_up.connect(on_level_up, dispatch_uid="acme.level_up")
    course_completed.connect(on_course_completed, dispatch_uid="acme.course_completed")
    comment_posted.connect(on_comment_posted, dispatch_uid="acme.comment_posted")
    report_filed.connect(on_report_filed, dispatch_uid="acme.report_filed")
