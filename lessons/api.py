"""The endpoints the lessons app mounts: the catalogue (courses and lessons), API tokens, and
the schema of every Stream endpoint with its docs page.

What every app's endpoints share (the base view, errors, throttles, pagination, strict fields,
schema helpers) is in ``lessons.api_base``; the names that used to live here still resolve,
with a ``DeprecationWarning`` (see ``__getattr__`` below).
"""

import warnings

from django.apps import apps
from django.contrib.auth import authenticate
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from . import api_base, selectors
from .conf import lessons_settings
from .learner_data import learner_data_export
from .models import LessonLink, Status
from .requirements import requirement_facts, requirements_unmet
from .search import SearchQueryError, search_lessons
from .signin import SignInLocked, signin_check, signin_success_record
from .translations import (
    related_translations_annotate,
    related_translations_attach,
    translations_annotate,
)
from .variants import PAGE_FIELDS, links_show, variant_languages, variant_show, variants_annotate

# --- Courses and lessons -------------------------------------------------------------------------


class TagSerializer(serializers.Serializer):
    name = serializers.CharField(
        source="name_in", help_text="In the request's language where given, else the original."
    )
    slug = serializers.SlugField()
    url = serializers.CharField(source="get_absolute_url", help_text="The tag's page.")


class LinkSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.URLField()


class LessonSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    number = serializers.IntegerField(help_text="Place in the course as the requester sees it.")
    status = serializers.ChoiceField(
        choices=Status.choices, help_text="Drafts are listed to staff only."
    )
    xp = serializers.IntegerField()
    reading_minutes = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url", help_text="The lesson's page.")


class CourseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField(
        source="title_in", help_text="In the request's language where given, else the original."
    )
    summary = serializers.CharField(source="summary_in")
    status = serializers.ChoiceField(
        choices=Status.choices, help_text="Drafts are listed to staff only."
    )
    url = serializers.CharField(source="get_absolute_url", help_text="The course's page.")
    lessons = LessonSummarySerializer(
        many=True, source="visible_lessons", help_text="In course order."
    )


class CourseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField(
        source="title_in", help_text="In the request's language where given, else the original."
    )
    url = serializers.CharField(source="get_absolute_url")


class LessonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    course = CourseRefSerializer()
    xp = serializers.IntegerField()
    reading_minutes = serializers.IntegerField()
    tags = TagSerializer(many=True, source="tags_in_order", help_text="In the instructor's order.")
    links = LinkSerializer(many=True, source="links_in_order")
    body_html = serializers.CharField(help_text="The lesson rendered and sanitised.")
    exercise_html = serializers.CharField(help_text="The exercise, or an empty string.")
    revision = serializers.IntegerField(help_text="Goes up by one on every content change.")
    content_updated_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(source="get_absolute_url", help_text="The lesson's page.")
    language = serializers.CharField(
        source="shown_language",
        help_text="The language of the title, HTML and labels: the variant in the request's "
        "language, else the lesson's original language.",
    )
    original_language = serializers.CharField()
    languages = serializers.ListField(
        child=serializers.CharField(), help_text="The languages it is written in, original first."
    )
    variant_revision = serializers.IntegerField(
        allow_null=True, help_text="The variant's own revision; null when the original is shown."
    )
    variant_out_of_date = serializers.BooleanField(
        allow_null=True,
        help_text="Whether the original changed after the variant; null for the original.",
    )


ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The lesson's id.")


class CourseListView(api_base.StreamAPIView):
    """Courses the requester may open, in catalogue order, each with its lessons in order."""

    @api_base.stream_schema(
        operation_id="courses_list",
        responses=CourseSerializer(many=True),
        errors=(400, 404),
        tags=["lessons"],
    )
    def get(self, request):
        # Queries: 1 the courses, 2 the page's visible lessons (whatever the page's size).
        courses = selectors.catalogue_courses(user=request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(courses, request, view=self)
        by_course = {course.pk: [] for course in page}
        lessons = selectors.lessons_visible(user=request.user).filter(course__in=list(by_course))
        for lesson in variants_annotate(lessons.order_by("position", "id")):
            variant_show(lesson)  # its title in the request's language
            by_course[lesson.course_id].append(lesson)
        for course in page:
            course.visible_lessons = by_course[course.pk]
            for number, lesson in enumerate(course.visible_lessons, start=1):
                lesson.number, lesson.course = number, course
        return paginator.get_paginated_response(CourseSerializer(page, many=True).data)


class CourseDetailView(api_base.StreamAPIView):
    """A course the requester may open, with its lessons in order (drafts for staff only)."""

    @api_base.stream_schema(
        operation_id="courses_retrieve",
        responses=CourseSerializer,
        errors=(404,),
        tags=["lessons"],
        parameters=[
            OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The course's slug.")
        ],
    )
    def get(self, request, slug):
        try:
            course, lessons = selectors.course_with_lessons(course_slug=slug, user=request.user)
        except Http404 as missing:
            raise exceptions.NotFound(_("No such course.")) from missing
        course.visible_lessons = lessons
        return Response(CourseSerializer(course).data)


class LessonDetailView(api_base.StreamAPIView):
    """A lesson the requester may open, with its rendered HTML, tags and links."""

    @api_base.stream_schema(
        operation_id="lessons_retrieve",
        responses=LessonSerializer,
        errors=(404,),
        tags=["lessons"],
        parameters=[ID_PARAMETER],
    )
    def get(self, request, lesson_id):
        # Queries: 1 the lesson with its course and its variant in the request's language,
        # 2 its links with their labels, 3 its tags.
        lesson = (
            variants_annotate(
                related_translations_annotate(
                    selectors.lessons_visible(user=request.user).filter(pk=lesson_id), "course"
                ),
                fields=PAGE_FIELDS,
                with_languages=True,
            )
            .prefetch_related(Prefetch("links", queryset=translations_annotate(LessonLink.objects)))
            .first()
        )
        if lesson is None:
            raise exceptions.NotFound(_("No such lesson."))
        related_translations_attach(lesson, "course")
        variant_show(lesson)
        lesson.languages = variant_languages(lesson)
        lesson.tags_in_order = selectors.lesson_tags_in_order(lesson=lesson)
        lesson.links_in_order = links_show(
            sorted(lesson.links.all(), key=lambda link: (link.position, link.pk)),
            shown=lesson.shown_language,
        )
        if lessons_settings.REQUIREMENTS_HIDE_LOCKED:
            # As the lesson page: no text for whom the server does not know met its
            # prerequisites (docs/lessons.md, "Prerequisites").
            needs = requirement_facts().for_lesson(lesson.pk)
            if requirements_unmet(user=request.user, lesson_id=lesson.pk, needs=needs):
                lesson.body_html = lesson.exercise_html = ""
                lesson.links_in_order = []
        return Response(LessonSerializer(lesson).data)


# --- Search --------------------------------------------------------------------------------------


class SearchLessonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    status = serializers.ChoiceField(
        choices=Status.choices, help_text="Drafts are found by staff only."
    )
    reading_minutes = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url", help_text="The lesson's page.")


class SearchHitSerializer(serializers.Serializer):
    lesson = SearchLessonSerializer()
    course = CourseRefSerializer()
    title_html = serializers.CharField(
        help_text="The lesson's title, escaped, with the words found in <mark>."
    )
    snippet_html = serializers.CharField(
        help_text="A piece of the lesson's text around the first word found, escaped, with the "
        "words in <mark>; “…” where it was cut. For a locked lesson, a note saying so."
    )
    language = serializers.CharField(
        help_text="The language of the title and snippet when it is not the answer's (a "
        "variant in another language, or the original, had the words); empty otherwise."
    )
    locked = serializers.BooleanField(
        help_text="The lesson's text is kept from the requester until they complete what it "
        "requires (REQUIREMENTS_HIDE_LOCKED): found by its titles only, no snippet of it."
    )


SEARCH_QUERY_PARAMETER = OpenApiParameter(
    "q",
    str,
    required=True,
    description="Words to find, separated by spaces: a lesson is found when its title or text "
    "contains every one (parts of words too). At most STREAM SEARCH_QUERY_MAX_LENGTH "
    "characters.",
)


class SearchView(api_base.StreamAPIView):
    """Lessons the requester may open whose title or text contains every word of ``q``, best
    first (title matches before text-only ones), with highlighted snippets and their course."""

    @api_base.stream_schema(
        operation_id="search_list",
        responses=SearchHitSerializer(many=True),
        errors=(400, 404),
        tags=["lessons"],
        parameters=[SEARCH_QUERY_PARAMETER],
    )
    def get(self, request):
        # Queries: 1 the count, 2 the page of hits (with their courses), whatever the terms.
        try:
            found = search_lessons(query=request.query_params.get("q", ""), user=request.user)
        except SearchQueryError as problem:
            raise exceptions.ValidationError({"q": [problem.message]}) from None
        paginator = self.pagination_class()
        hits = paginator.paginate_queryset(found, request, view=self)
        response = paginator.get_paginated_response(SearchHitSerializer(hits, many=True).data)
        patch_cache_control(response, private=True, no_cache=True)
        return response


# --- Tokens --------------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    login = api_base.StrictCharField(
        max_length=254,
        help_text="What the learner signs in with: their email address on most sites.",
    )
    password = api_base.StrictCharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send it as the header "Authorization: Token <token>".')


def _login_user(request, login, password):
    """The active user ``login`` and ``password`` name, through the site's backends.

    Tried as the email address (allauth's backend and email-as-username user models read
    ``email``) and as the user model's own login field, so both kinds of site work.
    """
    user = authenticate(request, email=login, password=password)
    if user is None:
        user = authenticate(request, username=login, password=password)
    return user if user is not None and user.is_active else None


def _email_unverified(user) -> bool:
    """With allauth's mandatory email verification, a token needs a verified address too."""
    if not apps.is_installed("allauth.account"):
        return False
    from allauth.account import app_settings as account_settings
    from allauth.account.models import EmailAddress

    if account_settings.EMAIL_VERIFICATION != account_settings.EmailVerificationMethod.MANDATORY:
        return False
    return not EmailAddress.objects.filter(user=user, verified=True).exists()


class InvalidCredentials(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_credentials"


class AuthTokenView(api_base.StreamAPIView):
    """``POST``: exchange a login and password for the learner's API token (the same token on
    every call until it is revoked). ``DELETE``: revoke the token the request was made with.

    Mounted only when ``rest_framework.authtoken`` is installed. ``POST`` checks passwords, so
    it follows the sign-in policy (``lessons.signin``: a locked account or address is a 429
    with ``Retry-After``, checking no password) and is throttled per client address by the
    ``auth_token`` rate.
    """

    throttle_scope = "auth_token"

    def get_permissions(self):
        if self.request is not None and self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request is not None and self.request.method == "DELETE":
            return [t for t in throttles if not isinstance(t, api_base.StreamScopedRateThrottle)]
        return throttles

    @api_base.stream_schema(
        operation_id="auth_token_create",
        request=TokenRequestSerializer,
        responses=TokenSerializer,
        errors=(400, 403),
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        from rest_framework.authtoken.models import Token

        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            signin_check(request=request, login=serializer.validated_data["login"])
        except SignInLocked as locked:
            raise exceptions.Throttled(wait=locked.wait) from None
        user = _login_user(request, **serializer.validated_data)
        if user is None:
            raise InvalidCredentials(_("Unable to sign in with that login and password."))
        signin_success_record(request=request, user=user)
        if _email_unverified(user):
            raise exceptions.PermissionDenied(
                _("Please verify your email address first."), code="email_unverified"
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @api_base.stream_schema(
        operation_id="auth_token_destroy",
        request=None,
        responses={204: None},
        errors=(403,),
        tags=["auth"],
    )
    def delete(self, request):
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema of Stream's endpoints only, wherever the host mounted them (YAML;
    ``?format=json`` for JSON)."""

    permission_classes = [AllowAny]
    throttle_classes = []
    versioning_class = None
    content_negotiation_class = DefaultContentNegotiation
    # Pinned rather than read from the host's SPECTACULAR_SETTINGS at import.
    generator_class = SchemaGenerator
    serve_public = True
    urlconf = None
    api_version = None

    custom_settings = api_base.SCHEMA_SETTINGS

    @api_base.exclude_from_schema
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_authenticators(self):
        return [auth() for auth in api_base.authentication_classes()]

    def get_exception_handler(self):
        return api_base.exception_handler


def docs_missing_apps() -> list[str]:
    """The apps the docs page needs that the site has not installed."""
    needed = ("drf_spectacular", "drf_spectacular_sidecar")
    return [f'"{name}"' for name in needed if not apps.is_installed(name)]


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI over the schema, from local static files (drf-spectacular-sidecar) and with
    its start-up script served as a separate file, so a strict CSP without inline scripts or
    styles holds."""

    template_name = "stream/lessons/api_docs.html"
    url_name = "stream_lessons_api:schema"
    title = "Stream API"
    permission_classes = [AllowAny]
    throttle_classes = []
    versioning_class = None
    content_negotiation_class = DefaultContentNegotiation

    def get_authenticators(self):
        return [auth() for auth in api_base.authentication_classes()]

    @property
    def authentication_classes(self):
        return api_base.authentication_classes()

    @api_base.exclude_from_schema
    def get(self, request, *args, **kwargs):
        missing = docs_missing_apps()
        if missing:
            # Without them the page has no templates or no Swagger UI files: say so instead
            # of failing on a missing template or static file.
            detail = f"The API docs page needs {' and '.join(missing)} in INSTALLED_APPS."
            return JsonResponse({"detail": detail, "code": "docs_unavailable"}, status=404)
        return super().get(request, *args, **kwargs)

    @staticmethod
    def _swagger_ui_resource(filename):
        from django.templatetags.static import static

        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon():
        from django.templatetags.static import static

        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")


# --- Names that moved to lessons.api_base --------------------------------------------------------

# A host's settings may name them here (STREAM["API_THROTTLE_CLASSES"],
# REST_FRAMEWORK["EXCEPTION_HANDLER"], spectacular's --custom-settings) and its code may import
# them from here: both keep working, with a warning that names the new place.
MOVED_TO_API_BASE = frozenset(
    {
        "BODY_ERRORS",
        "COMMON_ERRORS",
        "ErrorSerializer",
        "IdConverter",
        "MAX_JSON_DEPTH",
        "PAGE_PARAMETER",
        "PAGE_SIZE_PARAMETER",
        "RequestTooLarge",
        "SCHEMA_ENUM_NAMES",
        "SCHEMA_SETTINGS",
        "StreamAPIView",
        "StreamAnonRateThrottle",
        "StreamAutoSchema",
        "StreamJSONParser",
        "StreamPagination",
        "StreamRateMixin",
        "StreamScopedRateThrottle",
        "StreamUserRateThrottle",
        "StrictBooleanField",
        "StrictCharField",
        "StrictEmailField",
        "StrictIntegerField",
        "StrictTypeMixin",
        "authentication_classes",
        "document_retry_after",
        "error_responses",
        "exception_handler",
        "exclude_from_schema",
        "json_too_deep",
        "stream_endpoints_only",
        "stream_schema",
    }
)


def __getattr__(name):
    if name not in MOVED_TO_API_BASE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"lessons.api.{name} is now lessons.api_base.{name}; the old name will be removed.",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(api_base, name)


__all__ = [
    "AuthTokenView",
    "CourseDetailView",
    "CourseListView",
    "DocsView",
    "LessonDetailView",
    "SchemaView",
]


# --- A learner's own data ------------------------------------------------------------------------


class LearnerIdentitySerializer(serializers.Serializer):
    id = serializers.JSONField(help_text="The user's id (as the host's user model has it).")
    username = serializers.CharField(help_text="Their login.")
    email = serializers.CharField(help_text="Their email address, or empty.")
    name = serializers.CharField(help_text="How Stream's pages name them.")


class LearnerDataSerializer(serializers.Serializer):
    format = serializers.CharField(help_text='Always "stream-learner-data".')
    version = serializers.IntegerField(help_text="The format's version: 1.")
    exported_at = serializers.DateTimeField()
    learner = LearnerIdentitySerializer()
    parts = serializers.DictField(
        child=serializers.JSONField(),
        help_text=(
            "Each part of Stream that keeps data about the learner, by name: progress "
            "(profile, completions, completion_events, xp_ledger, awards), comments "
            "(comments, flags, subscriptions, notification_settings, notifications, reports), "
            "and those other parts add. See docs/records.md."
        ),
    )


class LearnerDataView(api_base.StreamAPIView):
    """Everything Stream keeps about the signed-in learner, as ``/me/data/`` downloads it."""

    permission_classes = [IsAuthenticated]

    @api_base.stream_schema(
        operation_id="learner_data_retrieve",
        tags=["learner data"],
        responses=LearnerDataSerializer,
        errors=(403,),
    )
    def get(self, request):
        response = Response(learner_data_export(user=request.user))
        patch_cache_control(response, private=True, no_store=True)
        return response
