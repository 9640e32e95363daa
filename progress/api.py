"""The progress API: ``GET progress/`` and ``POST progress/sync/`` (payloads in docs/api.md).

Views stay thin: check the request's shape, call a service, shape the answer. Both endpoints
answer only for the signed-in learner themselves; there is no way to name another learner.
"""

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from lessons.api_base import (
    LANGUAGE_PARAMETER,
    ErrorSerializer,
    StreamAPIView,
    StrictCharField,
    requested_language,
    stream_schema,
)

from . import services
from .selectors import learner_state


class SyncRequestSerializer(serializers.Serializer):
    # Each event is checked by the service, which answers per event (rejected + reason), so the
    # schema does not constrain an event's shape: a malformed one is a result, not a 400.
    events = serializers.ListField(
        child=serializers.JSONField(allow_null=True),
        allow_empty=True,
        help_text=(
            'Client events: {"id": "<uuid>", "type": "lesson_completed", "lesson": <lesson id>, '
            '"at": "<ISO 8601 time>"}. Each is answered in results; malformed or unknown ones '
            "are rejected with a reason while the rest apply."
        ),
    )
    time_zone = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="The browser's IANA time zone, for day-based achievements.",
    )


class LevelSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    min_xp = serializers.IntegerField()


class CompletedSerializer(serializers.Serializer):
    lesson = serializers.IntegerField()
    at = serializers.DateTimeField()


class AchievedSerializer(serializers.Serializer):
    slug = serializers.CharField()
    at = serializers.DateTimeField()


class TotalsSerializer(serializers.Serializer):
    lessons = serializers.IntegerField(help_text="Published lessons.")
    achievements = serializers.IntegerField(help_text="Active achievements.")


class ProgressStateSerializer(serializers.Serializer):
    xp = serializers.IntegerField()
    level = LevelSerializer(allow_null=True)
    next_level = LevelSerializer(allow_null=True)
    completed = CompletedSerializer(many=True)
    achievements = AchievedSerializer(many=True)
    totals = TotalsSerializer()


class SyncEventResultSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True, help_text="The event's id; null if it had none.")
    status = serializers.ChoiceField(choices=["applied", "duplicate", "rejected"])
    reason = serializers.CharField(required=False, help_text="Why, when rejected.")


class AwardSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    xp = serializers.IntegerField()


class SyncResponseSerializer(serializers.Serializer):
    results = SyncEventResultSerializer(many=True)
    state = ProgressStateSerializer()
    awarded = AwardSerializer(many=True)


class SyncConflictSerializer(ErrorSerializer):
    conflicts = serializers.ListField(child=serializers.CharField())


class BatchTooLarge(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "batch_too_large"


def award_payload(award) -> dict:
    """An award as the API and the page's notices show it: the name in the active language."""
    return {"slug": award.achievement.slug, "name": award.achievement.name_in(), "xp": award.xp}


class ProgressStateView(StreamAPIView):
    """The signed-in learner's state: XP, level, next level, completions, achievements, totals."""

    permission_classes = [IsAuthenticated]

    @stream_schema(
        operation_id="progress_retrieve",
        tags=["progress"],
        parameters=[LANGUAGE_PARAMETER],
        responses=ProgressStateSerializer,
        errors=(403,),
    )
    def get(self, request):
        with translation.override(requested_language(request)):
            return Response(learner_state(user=request.user).as_payload())


class ProgressSyncView(StreamAPIView):
    """Apply a batch of the learner's events; per-event results, the state, the new awards."""

    permission_classes = [IsAuthenticated]

    @stream_schema(
        operation_id="progress_sync",
        tags=["progress"],
        request=SyncRequestSerializer,
        parameters=[LANGUAGE_PARAMETER],
        responses={200: SyncResponseSerializer, 409: SyncConflictSerializer},
        examples=[
            OpenApiExample(
                "One completion",
                request_only=True,
                value={
                    "events": [
                        {
                            "id": "5f0c8a9e-1c1e-4a43-9a57-3f1d2b7c9e10",
                            "type": "lesson_completed",
                            "lesson": 1,
                            "at": "2026-11-28T09:30:00+09:00",
                        }
                    ],
                    "time_zone": "Asia/Seoul",
                },
            )
        ],
        errors=(400, 403),
    )
    def post(self, request):
        with translation.override(requested_language(request)):
            return self.sync(request)

    def sync(self, request):
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
