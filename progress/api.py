"""The progress API: ``GET progress/`` and ``POST progress/sync/`` (payloads in DESIGN.md).

Views stay thin: check the request's shape, call a service, shape the answer. Both endpoints
answer only for the signed-in learner themselves; there is no way to name another learner.
"""

from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .selectors import learner_state


class SyncRequestSerializer(serializers.Serializer):
    # Each event is checked by the service, which answers per event (rejected + reason).
    events = serializers.ListField(child=serializers.JSONField(allow_null=True), allow_empty=True)
    time_zone = serializers.CharField(required=False, allow_blank=True, max_length=64)


class BatchTooLarge(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "batch_too_large"


def award_payload(award) -> dict:
    return {"slug": award.achievement.slug, "name": award.achievement.name, "xp": award.xp}


class ProgressStateView(APIView):
    """The signed-in learner's state: XP, level, next level, completions, achievements, totals."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response(learner_state(user=request.user).as_payload())


class ProgressSyncView(APIView):
    """Apply a batch of the learner's events; per-event results, the state, the new awards."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        serializer = SyncRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = services.progress_sync(
                user=request.user,
                events=serializer.validated_data["events"],
                time_zone=serializer.validated_data.get("time_zone"),
            )
        except services.SyncBatchTooLarge as exc:
            raise BatchTooLarge(
                _("A sync batch holds at most %(limit)s events; this one has %(size)s.")
                % {"limit": exc.limit, "size": exc.size}
            ) from exc
        except services.SyncConflict as exc:
            return Response(
                {
                    "detail": _(
                        "An event id was already used with a different payload; nothing in "
                        "this batch was applied."
                    ),
                    "code": "event_conflict",
                    "conflicts": exc.event_ids,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            {
                "results": [item.as_payload() for item in result.results],
                "state": result.state.as_payload(),
                "awarded": [award_payload(award) for award in result.awarded],
            }
        )
