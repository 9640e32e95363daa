"""Named places on Stream's pages that other apps fill without ``lessons`` knowing them.

``lessons`` renders ``{% stream_slot "lesson_progress" %}`` where the reference page has the
progress section; the progress app, in its ``AppConfig.ready()``, calls
``slot_register("lesson_progress", "stream/progress/lesson_progress.html")``. A slot renders every
template registered for it, in ``order``, with the page's context. A host project can register
its own templates the same way, or override any of them by template name.

Every page has ``site_nav`` (links in the header, e.g. unread notifications). Slots on the
lesson page, top to bottom: ``page_head`` (inside ``<head>``, for stylesheets),
``lesson_status_bar``, ``lesson_progress``, ``lesson_report``, ``lesson_comments``,
``page_scripts`` (end of ``<body>``, for ``<script type="module">`` tags). On the catalogue and
course pages: ``catalogue_top``, ``course_top``, and per item ``course_card`` (with ``course`` in
the context) and ``lesson_list_item`` (with ``lesson``). A per-item slot runs once per item:
compute what it shows once per request (cache it on ``request``), never a query per item.
"""

from dataclasses import dataclass

SLOT_NAMES = frozenset(
    {
        "page_head",
        "page_scripts",
        "site_nav",
        "lesson_status_bar",
        "lesson_progress",
        "lesson_report",
        "lesson_comments",
        "catalogue_top",
        "course_top",
        "course_card",
        "lesson_list_item",
    }
)


@dataclass(frozen=True, order=True)
class SlotEntry:
    order: int
    template_name: str


_slots: dict[str, list[SlotEntry]] = {}


def slot_register(name: str, template_name: str, *, order: int = 100) -> None:
    """Render ``template_name`` in slot ``name``. Registering the same pair twice is a no-op."""
    if name not in SLOT_NAMES:
        raise ValueError(f"Unknown Stream slot {name!r}; choose one of {sorted(SLOT_NAMES)}.")
    entries = _slots.setdefault(name, [])
    entry = SlotEntry(order, template_name)
    if entry not in entries:
        entries.append(entry)
        entries.sort()


def slot_unregister(name: str, template_name: str) -> None:
    """Take ``template_name`` out of slot ``name`` (a host replacing one of our sections)."""
    _slots[name] = [entry for entry in _slots.get(name, []) if entry.template_name != template_name]


def slot_templates(name: str) -> list[str]:
    """The template names registered for slot ``name``, in rendering order."""
    return [entry.template_name for entry in _slots.get(name, [])]
