"""The comments REST API (``/api/v1/``): comment trees, posting, moderation by the author,
flags, the 🔔 subscription, notifications and problem reports.

Views are thin: selectors read, services write, and every refusal is a JSON error from
``lessons.api_base.exception_handler``. Lists only ever hold what the requester may see (a draft
lesson's comments are a 404 to learners), and each write checks its object's permission.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.functional import LazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import (
    NotFound,
    PermissionDenied,
    Throttled,
    ValidationError,
)
from rest_framework.response import Response
from rest_framework.reverse import reverse

from lessons.api_base import (
    PAGE_PARAMETER,
    PAGE_SIZE_PARAMETER,
    SCHEMA_ENUM_NAMES,
    StreamAPIView,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
    stream_schema,
)
from lessons.ids import MAX_ID, id_parse

from . import rules, selectors, services
from .emails import request_site_url
from .exceptions import CommentsClosed, CommentsError, RateLimited
from .limits import client_ip
from .models import (
    CommentStatus,
    FlagReason,
    NotificationKind,
    ProblemReport,
    ReportKind,
    ReportStatus,
)

# --- Errors --------------------------------------------------------------------------------------


def _api_error(error):
    """A service's refusal as the DRF exception the JSON error handler shapes."""
    if isinstance(error, RateLimited):
        return Throttled(wait=error.wait, detail=error.message)
    if isinstance(error, CommentsClosed):
        return PermissionDenied(detail=error.message, code=error.code)
    if isinstance(error, CommentsError):
        return PermissionDenied(detail=error.message)
    if isinstance(error, DjangoValidationError):
        if hasattr(error, "error_dict"):
            return ValidationError(error.message_dict)
        return ValidationError({"body": error.messages})
    return error


def _call(operation, **kwargs):
    try:
        return operation(**kwargs)
    except (CommentsError, DjangoValidationError) as error:
        raise _api_error(error) from error


# --- Serialisers ---------------------------------------------------------------------------------


class CommentWriteSerializer(serializers.Serializer):
    body = StrictCharField(trim_whitespace=False, allow_blank=True)
    parent = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    # The page's language (the comment form sends it); the request's language when left out.
    language = StrictCharField(required=False, allow_blank=True, default="", max_length=15)


class CommentEditSerializer(serializers.Serializer):
    body = StrictCharField(trim_whitespace=False, allow_blank=True)


class FlagSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=FlagReason.choices)


class NotificationReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=1000
    )


class ReportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    message = StrictCharField(trim_whitespace=False)
    section = StrictCharField(required=False, allow_blank=True, default="", max_length=200)
    contact_email = StrictEmailField(required=False, allow_blank=True, default="")
    page_url = StrictCharField(required=False, allow_blank=True, default="", max_length=500)
    # The page's language (the report form sends it): which text of the lesson was read.
    language = StrictCharField(required=False, allow_blank=True, default="", max_length=15)
    website = StrictCharField(required=False, allow_blank=True, default="")  # honeypot


class ReportResolveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReportStatus.choices, default=ReportStatus.RESOLVED)
    note = StrictCharField(required=False, allow_blank=True)


# --- Responses ----------------------------------------------------------------------------------


class AuthorSerializer(serializers.Serializer):
    name = serializers.CharField(source="author_name")
    is_instructor = serializers.BooleanField()


class CommentAbilitiesSerializer(serializers.Serializer):
    reply = serializers.BooleanField(source="can_reply")
    edit = serializers.BooleanField(source="can_edit")
    delete = serializers.BooleanField(source="can_delete")
    flag = serializers.BooleanField(source="can_flag")


class CommentSerializer(serializers.Serializer):
    """A comment with its replies (a ``selectors.CommentNode``). A comment the requester may
    not read (deleted, hidden, awaiting moderation) that still has readable replies is a
    placeholder: ``placeholder`` names its status and ``author``, ``body``, ``body_html`` and
    ``edited_at`` are null."""

    id = serializers.IntegerField(source="comment.pk")
    parent = serializers.IntegerField(source="comment.parent_id", allow_null=True)
    depth = serializers.IntegerField(source="comment.depth", help_text="0 for a top-level comment.")
    status = serializers.ChoiceField(source="comment.status", choices=CommentStatus.choices)
    placeholder = serializers.ChoiceField(choices=CommentStatus.choices, allow_null=True)
    created_at = serializers.DateTimeField(source="comment.created_at")
    url = serializers.CharField(
        source="comment.get_absolute_url", help_text="The comment on the lesson page."
    )
    # replies: see get_fields
    author = AuthorSerializer(source="*", allow_null=True)
    body = serializers.CharField(
        source="comment.body", allow_null=True, help_text="Markdown source."
    )
    body_html = serializers.CharField(
        source="comment.body_html", allow_null=True, help_text="Rendered and sanitised."
    )
    language = serializers.CharField(
        source="comment.language", help_text="The language of the page it was written on."
    )
    edited_at = serializers.DateTimeField(source="comment.edited_at", allow_null=True)
    earlier_version = serializers.BooleanField(
        required=False, help_text="Posted before the lesson's latest content change."
    )
    is_mine = serializers.BooleanField(required=False)
    flagged_by_me = serializers.BooleanField(required=False)
    can = CommentAbilitiesSerializer(
        source="*", required=False, help_text="What the requester may do."
    )

    # What a placeholder leaves out, and what it shows as null.
    PLACEHOLDER_OMITS = ("earlier_version", "is_mine", "flagged_by_me", "can")
    PLACEHOLDER_NULLS = ("author", "body", "body_html", "edited_at")

    def get_fields(self):
        # A tree: each comment's replies are comments, listed after its address.
        fields = {}
        for name, field in super().get_fields().items():
            fields[name] = field
            if name == "url":
                fields["replies"] = CommentSerializer(many=True, source="children")
        return fields

    def to_representation(self, node):
        data = super().to_representation(node)
        data["placeholder"] = node.placeholder or None
        if node.placeholder:
            for name in self.PLACEHOLDER_OMITS:
                del data[name]
            data.update(dict.fromkeys(self.PLACEHOLDER_NULLS))
        elif not node.author_name:
            data["author"] = None
        return data


class CommentPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Comments shown, replies included.")
    threads = serializers.IntegerField(help_text="Top-level comments (threads).")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    comments_open = serializers.BooleanField()
    subscribed = serializers.BooleanField(allow_null=True, help_text="null when signed out.")
    results = CommentSerializer(many=True, help_text="This page's threads.")


def comment_page_payload(*, lesson, user, page: int) -> dict | None:
    """Page ``page`` of ``lesson``'s threads as ``user`` sees them, or ``None`` past the last
    page. 3 queries whatever the number of comments."""
    found = selectors.comment_tree_for_lesson(lesson=lesson, user=user, page=page)
    if found.number != page:
        return None
    return {
        "count": found.count,
        "threads": found.thread_total,
        "page": found.number,
        "pages": found.pages,
        "comments_open": found.comments_open,
        "subscribed": found.subscribed,
        "results": CommentSerializer(found.threads, many=True).data,
    }


class FlagResultSerializer(serializers.Serializer):
    comment = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=FlagReason.choices)
    created = serializers.BooleanField()


class SubscriptionStateSerializer(serializers.Serializer):
    lesson = serializers.IntegerField()
    subscribed = serializers.BooleanField()


class NotificationLessonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()


class NotificationReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    author = serializers.CharField(allow_null=True)
    body_html = serializers.CharField()


class NotificationReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReportStatus.choices)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    lesson = NotificationLessonSerializer()
    reply = NotificationReplySerializer(required=False, help_text="When kind is reply.")
    report = NotificationReportSerializer(required=False, help_text="When kind is report_resolved.")


class NotificationPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    unread = serializers.IntegerField()
    results = NotificationSerializer(many=True)


class NotificationReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


class ReportCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=ReportStatus.choices)


SCHEMA_ENUM_NAMES.update(
    {
        "CommentStatusEnum": CommentStatus.choices,
        "ReportStatusEnum": ReportStatus.choices,
        "FlagReasonEnum": FlagReason.choices,
    }
)


def _lesson_id(description="The lesson's id."):
    return OpenApiParameter("lesson_id", int, OpenApiParameter.PATH, description=description)


def _comment_id():
    return OpenApiParameter("id", int, OpenApiParameter.PATH, description="The comment's id.")


# --- Permissions ---------------------------------------------------------------------------------


class IsSignedIn(permissions.BasePermission):
    message = gettext_lazy("Please sign in first.")

    def has_permission(self, request, view):
        return rules.user_is_learner(request.user)


class CommentPermission(permissions.BasePermission):
    """PATCH: the author. DELETE: the author or staff. POST flag: anyone signed in but the
    author. Checked on the object, after it was found among what the requester may see."""

    def has_object_permission(self, request, view, comment):
        if getattr(view, "action_name", "") == "flag":
            return rules.comment_can_flag(comment, request.user)
        if request.method == "PATCH":
            return rules.comment_can_edit(comment, request.user)
        if request.method == "DELETE":
            return rules.comment_can_delete(comment, request.user)
        return False


# --- Views ---------------------------------------------------------------------------------------


class LessonCommentsView(StreamAPIView):
    """``GET``: the lesson's comment tree, one page of top-level comments (``?page=``) with
    all their replies. ``POST``: a comment, or a reply with ``parent``."""

    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @stream_schema(
        operation_id="lesson_comments_list",
        tags=["comments"],
        parameters=[_lesson_id(), PAGE_PARAMETER],
        responses=CommentPageSerializer,
        errors=(404,),
    )
    def get(self, request, lesson_id):
        lesson = selectors.lesson_or_404(pk=lesson_id, user=request.user)
        # Like the other paginated lists: a page that is not a number, or past the last one,
        # is a 404 (the lesson page itself shows the nearest page instead).
        page = id_parse(request.query_params.get("page", "1"))  # a number, parsed like an id
        if page is None:
            raise NotFound(_("No such page."))
        found = comment_page_payload(lesson=lesson, user=request.user, page=page)
        if found is None:
            raise NotFound(_("No such page."))
        url = reverse("stream_comments_api:lesson-comments", args=[lesson.pk], request=request)
        number, pages = found["page"], found["pages"]
        return Response(
            {
                "count": found["count"],
                "threads": found["threads"],
                "page": number,
                "pages": pages,
                "next": f"{url}?page={number + 1}" if number < pages else None,
                "previous": f"{url}?page={number - 1}" if number > 1 else None,
                "comments_open": found["comments_open"],
                "subscribed": found["subscribed"],
                "results": found["results"],
            }
        )

    @stream_schema(
        operation_id="lesson_comments_create",
        tags=["comments"],
        parameters=[_lesson_id()],
        request=CommentWriteSerializer,
        responses={201: CommentSerializer},
        errors=(400, 403, 404),
    )
    def post(self, request, lesson_id):
        lesson = selectors.lesson_or_404(pk=lesson_id, user=request.user)
        serializer = CommentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        parent = None
        parent_id = serializer.validated_data.get("parent")
        if parent_id:
            parent = selectors.comment_for_user(pk=parent_id, user=request.user)
            if parent is None or parent.lesson_id != lesson.pk:
                raise ValidationError({"parent": [_("No such comment on this lesson.")]})
        comment = _call(
            services.comment_post,
            lesson=lesson,
            author=request.user,
            body=serializer.validated_data["body"],
            parent=parent,
            site_url=request_site_url(request),
            language=serializer.validated_data["language"],
        )
        # The service posts only while comments are open.
        data = _single(comment, request, lesson, comments_open=True)
        return Response(data, status=status.HTTP_201_CREATED)


def _single(comment, request, lesson, *, comments_open: bool | None = None) -> dict:
    if comment.author_id == request.user.pk:
        # The user object itself, not the session's lazy proxy of it (type() of the proxy is
        # not the user model, which the adapter's display-name rule looks at).
        user = request.user
        comment.author = getattr(user, "_wrapped", user) if isinstance(user, LazyObject) else user
    node = selectors.comment_node(
        comment,
        user=request.user,
        lesson=lesson,
        comments_open=(
            selectors.comments_open_for_lesson(lesson=lesson)
            if comments_open is None
            else comments_open
        ),
    )
    return CommentSerializer(node).data


class CommentObjectView(StreamAPIView):
    permission_classes = [IsSignedIn, CommentPermission]
    action_name = ""

    def get_object(self, pk):
        comment = selectors.comment_for_user(pk=pk, user=self.request.user)
        if comment is None:
            raise NotFound(_("No such comment."))
        self.check_object_permissions(self.request, comment)
        return comment


class CommentDetailView(CommentObjectView):
    """``PATCH``: the author edits. ``DELETE``: the author, or staff, deletes (soft)."""

    @stream_schema(
        operation_id="comment_update",
        tags=["comments"],
        parameters=[_comment_id()],
        request=CommentEditSerializer,
        responses=CommentSerializer,
        errors=(400, 403, 404),
    )
    def patch(self, request, pk):
        comment = self.get_object(pk)
        serializer = CommentEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _call(
            services.comment_edit,
            comment=comment,
            user=request.user,
            body=serializer.validated_data["body"],
        )
        return Response(_single(comment, request, comment.lesson))

    @stream_schema(
        operation_id="comment_destroy",
        tags=["comments"],
        parameters=[_comment_id()],
        responses={204: None},
        errors=(403, 404),
    )
    def delete(self, request, pk):
        comment = self.get_object(pk)
        _call(services.comment_delete, comment=comment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentFlagView(CommentObjectView):
    """``POST``: flag for moderation. 201 the first time; 200 (unchanged) when this user
    already flagged the comment: flagging is idempotent."""

    action_name = "flag"

    @stream_schema(
        operation_id="comment_flag",
        tags=["comments"],
        parameters=[_comment_id()],
        request=FlagSerializer,
        responses={200: FlagResultSerializer, 201: FlagResultSerializer},
        errors=(400, 403, 404),
    )
    def post(self, request, pk):
        comment = self.get_object(pk)
        serializer = FlagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag, created = _call(
            services.comment_flag,
            comment=comment,
            user=request.user,
            reason=serializer.validated_data["reason"],
        )
        return Response(
            {"comment": comment.pk, "reason": flag.reason, "created": created},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class LessonSubscriptionView(StreamAPIView):
    """``GET``/``PUT``/``DELETE``: the requester's reply notifications on this lesson."""

    permission_classes = [IsSignedIn]

    def _state(self, lesson):
        state = selectors.comment_section_state(lesson=lesson, user=self.request.user)
        return Response({"lesson": lesson.pk, "subscribed": bool(state.subscribed)})

    @stream_schema(
        operation_id="lesson_subscription_retrieve",
        tags=["notifications"],
        parameters=[_lesson_id()],
        responses=SubscriptionStateSerializer,
        errors=(403, 404),
    )
    def get(self, request, lesson_id):
        return self._state(selectors.lesson_or_404(pk=lesson_id, user=request.user))

    @stream_schema(
        operation_id="lesson_subscription_update",
        tags=["notifications"],
        parameters=[_lesson_id()],
        request=None,
        responses=SubscriptionStateSerializer,
        errors=(403, 404),
    )
    def put(self, request, lesson_id):
        lesson = selectors.lesson_or_404(pk=lesson_id, user=request.user)
        _call(services.subscription_set, user=request.user, lesson=lesson, active=True)
        return self._state(lesson)

    @stream_schema(
        operation_id="lesson_subscription_destroy",
        tags=["notifications"],
        parameters=[_lesson_id()],
        responses=SubscriptionStateSerializer,
        errors=(403, 404),
    )
    def delete(self, request, lesson_id):
        lesson = selectors.lesson_or_404(pk=lesson_id, user=request.user)
        _call(services.subscription_set, user=request.user, lesson=lesson, active=False)
        return self._state(lesson)


class NotificationListView(StreamAPIView):
    """``GET``: the requester's notifications, newest first, paginated (``?page=``,
    ``?page_size=``), with the number still unread."""

    permission_classes = [IsSignedIn]

    @stream_schema(
        operation_id="notifications_list",
        tags=["notifications"],
        parameters=[PAGE_PARAMETER, PAGE_SIZE_PARAMETER],
        responses=NotificationPageSerializer,
        errors=(400, 403, 404),
    )
    def get(self, request):
        # Queries: 1 count, 2 the page (with lessons, replies, authors, reports), 3 unread.
        paginator = self.pagination_class()
        page = selectors.notifications_attach(
            paginator.paginate_queryset(
                selectors.notifications_for_user(user=request.user), request, view=self
            )
        )
        response = paginator.get_paginated_response([self._data(n) for n in page])
        response.data["unread"] = selectors.unread_count(user=request.user)
        return response

    def _data(self, notification):
        data = {
            "id": notification.pk,
            "kind": notification.kind,
            "created_at": serializers.DateTimeField().to_representation(notification.created_at),
            "read_at": serializers.DateTimeField().to_representation(notification.read_at)
            if notification.read_at
            else None,
            "lesson": {
                "id": notification.lesson_id,
                "title": notification.lesson.title_in(),
                "url": notification.lesson.get_absolute_url(),
            },
        }
        if notification.kind == NotificationKind.REPLY:
            reply = notification.comment
            data["reply"] = {
                "id": reply.pk,
                "url": reply.get_absolute_url(),
                "author": selectors.author_display_name(reply.author) or None,
                "body_html": reply.body_html,
            }
        else:
            data["report"] = {"id": notification.report_id, "status": notification.report.status}
        return data


class NotificationReadView(StreamAPIView):
    """``POST {"ids": [...]}``: mark those (or, without ``ids``, all) read. Ids that are not the
    requester's are ignored."""

    permission_classes = [IsSignedIn]

    @stream_schema(
        operation_id="notifications_read",
        tags=["notifications"],
        request=NotificationReadSerializer,
        responses=NotificationReadResultSerializer,
        errors=(400, 403),
    )
    def post(self, request):
        serializer = NotificationReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = _call(
            services.notifications_mark_read,
            user=request.user,
            ids=serializer.validated_data.get("ids"),
        )
        return Response({"marked": marked, "unread": selectors.unread_count(user=request.user)})


class LessonReportsView(StreamAPIView):
    """``POST``: report a problem with the lesson; anyone who can open it, rate-limited."""

    permission_classes = [permissions.AllowAny]

    @stream_schema(
        operation_id="lesson_reports_create",
        tags=["reports"],
        parameters=[_lesson_id()],
        request=ReportSerializer,
        responses={201: ReportCreatedSerializer},
        errors=(400, 404),
    )
    def post(self, request, lesson_id):
        lesson = selectors.lesson_or_404(pk=lesson_id, user=request.user)
        serializer = ReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["website"]:  # honeypot: accepted, not kept
            return Response({"id": None, "status": ReportStatus.OPEN}, status=201)
        report = _call(
            services.report_file,
            lesson=lesson,
            reporter=request.user,
            kind=data["kind"],
            message=data["message"],
            section=data["section"],
            contact_email=data["contact_email"],
            page_url=data["page_url"] or lesson.get_absolute_url(),
            user_agent=request.headers.get("User-Agent", ""),
            ip=client_ip(request),
            language=data["language"],
        )
        return Response({"id": report.pk, "status": report.status}, status=201)


class ReportResolveView(StreamAPIView):
    """``POST {"status": "resolved" | "wont_fix" | "open", "note": ...}``: staff only."""

    permission_classes = [permissions.IsAdminUser]

    @stream_schema(
        operation_id="report_resolve",
        tags=["reports"],
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="The report's id.")
        ],
        request=ReportResolveSerializer,
        responses=ReportCreatedSerializer,
        errors=(400, 403, 404),
    )
    def post(self, request, pk):
        report = ProblemReport.objects.select_related("reporter").filter(pk=pk).first()
        if report is None:
            raise Http404
        serializer = ReportResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _call(
            services.report_resolve,
            report=report,
            user=request.user,
            status=serializer.validated_data["status"],
            note=serializer.validated_data.get("note"),
        )
        return Response({"id": report.pk, "status": report.status})
