"""Progress's part of a learner's own data (``lessons.learner_data``): everything this app keeps
about one learner — the profile, the completion log, completions, the XP ledger and awards — to
export, and to erase when the learner asks or the user is deleted.

Erasing deletes every row: XP, levels and awards are derived from completions, so nothing is
left to anonymise. Shared pages show no learner's progress, so no content version changes.
"""

from django.db import transaction
from django.utils.translation import pgettext_lazy

from lessons.learner_data import lesson_titles_annotate, row_lesson_summary
from lessons.translations import related_translations_annotate, related_translations_attach

from .models import AchievementAward, CompletionEvent, LearnerProfile, LessonCompletion, XPEntry


def progress_data_export(user) -> dict:
    """The learner's progress rows, oldest first. 5 queries."""
    profile = LearnerProfile.objects.filter(user_id=user.pk).first()
    completions = lesson_titles_annotate(
        LessonCompletion.objects.filter(learner_id=user.pk).select_related("lesson__course")
    )
    events = lesson_titles_annotate(
        CompletionEvent.objects.filter(learner_id=user.pk).select_related("lesson__course")
    )
    ledger = XPEntry.objects.filter(learner_id=user.pk)
    # the achievement's name in the active language, as /me/progress/ shows it (same query)
    awards = related_translations_annotate(
        AchievementAward.objects.filter(learner_id=user.pk).select_related("achievement"),
        "achievement",
        fields=("name",),
    )
    return {
        "profile": None
        if profile is None
        else {
            "xp": profile.xp,
            "time_zone": profile.time_zone,
            "first_comment_at": profile.first_comment_at,
            "updated_at": profile.updated_at,
        },
        "completions": [
            {
                "id": row.pk,
                "lesson": row_lesson_summary(row),
                "completed_at": row.completed_at,
                "xp": row.xp,
                "recorded_at": row.recorded_at,
            }
            for row in completions
        ],
        "completion_events": [
            {
                "id": row.pk,
                "event_id": row.event_id,
                "lesson": row_lesson_summary(row),
                "completed_at": row.completed_at,
                "processed_at": row.processed_at,
            }
            for row in events
        ],
        "xp_ledger": [
            {"id": row.pk, "key": row.key, "xp": row.amount, "created_at": row.created_at}
            for row in ledger
        ],
        "awards": [
            {
                "id": row.pk,
                "achievement": {
                    "slug": row.achievement.slug,
                    "name": related_translations_attach(row, "achievement").name_in(),
                },
                "awarded_at": row.awarded_at,
                "xp": row.xp,
                "recorded_at": row.recorded_at,
                # the award's Open Badge (progress.badges): its address's id and the salt its
                # recipient is hashed with
                "badge": {"id": row.badge_id, "salt": row.badge_salt},
            }
            for row in awards
        ],
    }


def progress_data_erase(user) -> dict:
    """Delete the learner's progress rows; answers how many of each went. The profile row is
    locked first, as every progress write does, so a sync running at the same moment finishes
    before or starts after."""
    with transaction.atomic():
        list(LearnerProfile.objects.select_for_update().filter(user_id=user.pk).values("pk"))
        counts = {}
        for name, model in (
            ("awards", AchievementAward),
            ("xp_ledger", XPEntry),
            ("completions", LessonCompletion),
            ("completion_events", CompletionEvent),
        ):
            _total, deleted = model.objects.filter(learner_id=user.pk).delete()
            counts[name] = deleted.get(model._meta.label, 0)
        _total, deleted = LearnerProfile.objects.filter(user_id=user.pk).delete()
        counts["profile"] = deleted.get(LearnerProfile._meta.label, 0)
    return counts


def register() -> None:
    """Progress's part (``ProgressConfig.ready``)."""
    from lessons.learner_data import learner_data_register

    learner_data_register(
        "progress",
        export=progress_data_export,
        erase=progress_data_erase,
        label=pgettext_lazy("learner data", "Progress"),
        template="stream/progress/learner_data.html",
        order=10,
    )
