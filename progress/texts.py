"""The status bar's words, one source for the server's HTML and the browser module.

The server formats them with numbers; the page hands the same translated templates to the
browser with ``{name}`` placeholders (``Level {number}``), so both print exactly the same text in
every language. The Korean catalogue keeps the reference page's English status bar wording.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# key: (message, its placeholders)
TEXTS = {
    "level": (_("Level %(number)s"), ("number",)),
    "xp": (_("%(xp)s XP"), ("xp",)),
    "lessons": (_("%(done)s/%(total)s lessons"), ("done", "total")),
    "achievements": (_("%(done)s/%(total)s achievements"), ("done", "total")),
    "to_next": (_("%(into)s/%(span)s XP to next level"), ("into", "span")),
    "to_go": (_("%(remaining)s XP to go"), ("remaining",)),
    "percent": (_("%(percent)s%% complete"), ("percent",)),
    "top_level": (_("Top level reached"), ()),
    "completed": (pgettext_lazy("lesson state", "Completed"), ()),
    "mark_complete": (_("Mark as complete"), ()),
    "done_note": (_("You completed this lesson."), ()),
    "saving": (_("Saving…"), ()),
    "locked": (_("This lesson is locked: complete what it builds on first."), ()),
    "saved_here": (
        _("Saved on this device; it will be synced to your account when the connection is back."),
        (),
    ),
    "award_one": (_("Achievement unlocked: %(names)s (+%(xp)s XP)"), ("names", "xp")),
    "award_many": (
        _("%(count)s achievements unlocked: %(names)s (+%(xp)s XP)"),
        ("count", "names", "xp"),
    ),
    "course_complete": (_("Course complete: you finished “%(course)s”."), ("course",)),
    "dismiss": (_("Dismiss"), ()),
    "synced": (
        _("Your progress from this device is now saved to your account."),
        (),
    ),
    "merge_title": (_("Add this device's progress to this account?"), ()),
    "merge_question": (
        _(
            "The progress kept in this browser was already added to another account. Add what "
            "was done here since then to the account you are signed in with now?"
        ),
        (),
    ),
    "merge_yes": (_("Add to this account"), ()),
    "merge_no": (_("Not now"), ()),
    "continue": (_("Continue where you left off: %(title)s"), ("title",)),
}


def text(key: str, **values) -> str:
    """The translated text ``key`` with its numbers filled in."""
    message, names = TEXTS[key]
    return str(message) % values if names else str(message)


def text_templates() -> dict[str, str]:
    """Every text as a template for the browser: placeholders become ``{name}``."""
    templates = {}
    for key, (_message, names) in TEXTS.items():
        templates[key] = text(key, **{name: "{%s}" % name for name in names})  # noqa: UP031
    return templates


def status_bar(state) -> dict:
    """The status bar's texts and bar figures for ``state`` (a ``LearnerState``).

    A site without levels shows no level, no "Top level reached" and no XP bar (``has_levels``
    false); without active achievements, no "0/0 achievements" (an empty text). render.js
    makes the same choices in the browser."""
    level, upcoming = state.level, state.next_level
    has_levels = bool(level or upcoming)
    if upcoming:
        to_next = text("to_next", into=state.xp_into_level, span=state.level_span)
    else:
        to_next = text("top_level") if has_levels else ""
    return {
        "has_levels": has_levels,
        "level": text("level", number=level.number) if level else "",
        "level_name": level.name_in() if level else "",
        "xp": text("xp", xp=state.xp),
        "lessons": text("lessons", done=state.lessons_done, total=state.total_lessons),
        "achievements": (
            text("achievements", done=state.achievements_done, total=state.total_achievements)
            if state.total_achievements
            else ""
        ),
        "to_next": to_next,
        "to_go": text("to_go", remaining=state.xp_to_go) if upcoming else "",
        "bar_value": state.xp_into_level if upcoming else 1,
        "bar_max": state.level_span if upcoming else 1,
        "percent": text("percent", percent=state.percent_complete),
    }
