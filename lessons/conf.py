"""Stream's settings, read from the one ``STREAM`` dict in the host's settings.

Each app declares its own defaults and reads them through an :class:`AppSettings` object, the
way DRF's ``api_settings`` works. Values are looked up on access and the cache is dropped when
``setting_changed`` fires, so ``override_settings`` and pytest's ``settings`` fixture just work.
"""

from django.conf import settings
from django.core.signals import setting_changed

LESSONS_DEFAULTS = {
    # Brand shown in the site header, and the name of the learning area beside it.
    "SITE_NAME": "Stream",
    "SECTION_NAME": "Stream",
    # The template every Stream page extends. Point it at your site's own base template; it
    # must define the blocks "title", "extra_head", "content" and "scripts".
    "BASE_TEMPLATE": "stream/base.html",
    # Reading-time estimate: Latin-script words per minute, CJK characters per minute, and
    # lines of code per minute inside fenced code blocks.
    "READING_WORDS_PER_MINUTE": 220,
    "READING_CJK_CHARS_PER_MINUTE": 500,
    "READING_CODE_LINES_PER_MINUTE": 12,
    # XP a new lesson is worth unless the instructor sets another value.
    "LESSON_DEFAULT_XP": 10,
}


class AppSettings:
    """Attribute access to ``settings.STREAM[...]`` with per-app defaults."""

    def __init__(self, defaults):
        self.defaults = defaults
        self._cache = {}

    def __getattr__(self, name):
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"Unknown Stream setting: {name!r}")
        if name not in self._cache:
            user_settings = getattr(settings, "STREAM", None) or {}
            self._cache[name] = user_settings.get(name, self.defaults[name])
        return self._cache[name]

    def reload(self):
        self._cache.clear()


_registry = []


def app_settings(defaults):
    """Create an :class:`AppSettings` that reloads whenever ``STREAM`` changes."""
    instance = AppSettings(defaults)
    _registry.append(instance)
    return instance


def _reload_on_change(*, setting, **kwargs):
    if setting == "STREAM":
        for instance in _registry:
            instance.reload()


setting_changed.connect(_reload_on_change)

lessons_settings = app_settings(LESSONS_DEFAULTS)
