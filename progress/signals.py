"""Signals the progress app sends, so a host can hook its own LMS (grades, certificates,
analytics). Each is sent once per event, after the transaction that recorded it commits (never
for a rolled-back write), from the process that made the change. ``sender`` is the model class
named below. Receivers run in the request; a receiver that raises is logged and the learner's
request still succeeds (send_robust). Stream itself listens to none of them.
"""

from django.dispatch import Signal

# A learner completed a lesson for the first time (from the page, the API or a sync).
# sender: LessonCompletion; arguments: user, lesson (Lesson, its course loaded),
# completed_at (datetime, the recorded completion time, possibly earlier than now).
lesson_completed = Signal()

# An achievement was awarded.
# sender: AchievementAward; arguments: user, award (AchievementAward),
# achievement (Achievement).
achievement_awarded = Signal()

# A learner's XP crossed into a higher level (sent once, for the highest level reached).
# sender: Level; arguments: user, level (Level reached), previous_level (Level or None),
# xp (int, the learner's XP now).
level_up = Signal()

# A learner has completed every published lesson of a course.
# sender: Course; arguments: user, course (Course).
course_completed = Signal()
