"""System checks: a bad comments setting fails at start-up with a clear message."""

from django.core.checks import Error, register

from .conf import MODERATION_MODES, ORDERS, comments_settings


@register()
def comments_settings_check(app_configs, **kwargs):
    errors = []
    if comments_settings.COMMENTS_MODERATION not in MODERATION_MODES:
        errors.append(
            Error(
                f"STREAM['COMMENTS_MODERATION'] is {comments_settings.COMMENTS_MODERATION!r}.",
                hint=f"Use one of {', '.join(MODERATION_MODES)}.",
                id="stream_comments.E001",
            )
        )
    if comments_settings.COMMENTS_ORDER not in ORDERS:
        errors.append(
            Error(
                f"STREAM['COMMENTS_ORDER'] is {comments_settings.COMMENTS_ORDER!r}.",
                hint=f"Use one of {', '.join(ORDERS)}.",
                id="stream_comments.E002",
            )
        )
    for name in ("COMMENTS_MAX_DEPTH", "COMMENTS_PER_PAGE", "COMMENTS_MAX_LENGTH"):
        value = getattr(comments_settings, name)
        if not isinstance(value, int) or value < (0 if name == "COMMENTS_MAX_DEPTH" else 1):
            errors.append(
                Error(
                    f"STREAM[{name!r}] must be a positive whole number, not {value!r}.",
                    id="stream_comments.E003",
                )
            )
    return errors
