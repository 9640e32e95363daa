"""The progress part of the viewer endpoint (``lessons.viewer``)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from lessons.viewer import nav_item

from .selectors import learner_state


def progress_viewer_part(*, request, lesson, page) -> dict:
    """The signed-in learner's state, as ``GET progress/`` answers it (the status bar, the
    mark-complete button, course cards and "continue" links are drawn from it), and the
    header's link to their progress page."""
    state = learner_state(user=request.user).as_payload()
    return {
        **state,
        "nav": [nav_item(url=reverse("stream_progress:overview"), label=_("My progress"))],
    }
