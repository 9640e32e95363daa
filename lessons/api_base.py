"""The plumbing every Stream endpoint builds on, whichever app it belongs to.

Every Stream endpoint derives from :class:`StreamAPIView`, which declares its authentication,
throttling, pagination, renderers, parsers and exception handler itself (from ``STREAM``
settings, see ``lessons.conf``) instead of inheriting the host's ``REST_FRAMEWORK`` defaults:
a host that runs JWT only, another paginator or no exception handler gets the same Stream API.
Endpoints describe themselves with :func:`stream_schema`; the schema of them all is generated
with :data:`SCHEMA_SETTINGS`. The lessons app's own endpoints, the token, the schema and its
docs page are in ``lessons.api``.
"""

from collections.abc import Mapping
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.urls import register_converter
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status, throttling
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.metadata import SimpleMetadata
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .conf import lessons_settings
from .ids import MAX_ID, id_parse
from .models import Status
from .signin import client_ip
from .translations import content_languages


class IdConverter:
    """``<stream_id:name>``: an object id in an API path. Anything up to the next slash matches,
    so ``lessons/abc/`` reaches the view and answers a JSON 404 rather than Django's HTML one;
    what is not an id in the database's range arrives as None (see ``StreamAPIView.initial``).
    """

    regex = "[^/]+"

    def to_python(self, value):
        return id_parse(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "stream_id")


# Deeper than any Stream payload needs (a sync is 3 levels), shallow enough that nothing which
# walks the parsed data recursively (DRF's fields, json.dumps, logging) can run out of stack.
MAX_JSON_DEPTH = 32


def json_too_deep(data, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``data`` (parsed JSON) nests objects and arrays more than ``limit`` levels deep.
    Walks level by level, without recursion."""
    level, current = 0, [data]
    while current:
        containers = [value for value in current if isinstance(value, dict | list)]
        if not containers:
            return False
        level += 1
        if level > limit:
            return True
        current = [
            child
            for container in containers
            for child in (container.values() if isinstance(container, dict) else container)
        ]
    return False


class StreamJSONParser(JSONParser):
    """DRF's JSON parser with nesting bounded at :data:`MAX_JSON_DEPTH`: deeper JSON is a 400
    ``parse_error``, never a ``RecursionError`` (Python's decoder recurses once per level)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
            too_deep = json_too_deep(data)
        except RecursionError:
            too_deep = True
        if too_deep:
            raise exceptions.ParseError(
                _("JSON nested more than %(depth)s levels deep is not accepted.")
                % {"depth": MAX_JSON_DEPTH}
            )
        return data


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


def exception_handler(exc, context):
    """DRF's handler, with every error body shaped ``{"detail": ..., "code": ...}``.

    Field errors keep DRF's ``{"field": ["message"]}`` mapping under ``"errors"`` so clients can
    show them next to their inputs. A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django raises
    ``RequestDataTooBig`` when the body is read) is a 413 in the same shape. Stream's views use
    it whatever the host's ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``; a host may point that
    setting here too.
    """
    # DRF's handler converts Django's 404 and 403 too, but the code below reads ``exc``'s own
    # codes: converted first, they answer "not_found" and "permission_denied", not "error".
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(
            _("The request body is larger than %(limit)s bytes.")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    codes = exc.get_codes() if hasattr(exc, "get_codes") else None
    if isinstance(data, dict) and set(data) == {"detail"}:
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
        response.data = {"detail": str(data["detail"]), "code": code}
    else:
        response.data = {
            "detail": str(getattr(exc, "default_detail", "Invalid input.")),
            "code": getattr(exc, "default_code", "invalid"),
            "errors": data,
        }
    return response


# --- Authentication, throttling, pagination ------------------------------------------------------


def authentication_classes() -> list[type]:
    """The authentication classes Stream's endpoints use (``API_AUTHENTICATION_CLASSES``)."""
    classes = lessons_settings.API_AUTHENTICATION_CLASSES
    if classes is None:
        classes = [SessionAuthentication]
        if apps.is_installed("rest_framework.authtoken"):
            classes.append(TokenAuthentication)
    return classes


class StreamRateMixin:
    """Rates from ``STREAM["API_THROTTLE_RATES"]``, Stream's own cache-key prefix, and the
    client address every Stream limit uses (``lessons.signin.client_ip``).

    A scope without a rate is not limited. Counters live in Django's default cache, so several
    workers share them only if that cache is shared (Redis).
    """

    cache = cache

    def get_ident(self, request):
        # DRF's own reads REST_FRAMEWORK["NUM_PROXIES"] and, without it, takes the whole
        # X-Forwarded-For header as the ident: a client sending a new header on every request
        # would never be counted twice.
        return client_ip(request)

    def get_rate(self):
        rates = lessons_settings.API_THROTTLE_RATES or {}
        return rates.get(self.scope)

    def get_cache_key(self, request, view):
        key = super().get_cache_key(request, view)
        return None if key is None else f"{lessons_settings.API_CACHE_PREFIX}:{key}"


class StreamAnonRateThrottle(StreamRateMixin, throttling.AnonRateThrottle):
    """Anonymous requests, per IP address: the ``anon`` rate."""


class StreamUserRateThrottle(StreamRateMixin, throttling.UserRateThrottle):
    """Every request, per signed-in learner (per IP address when anonymous): the ``user`` rate."""


class StreamScopedRateThrottle(StreamRateMixin, throttling.ScopedRateThrottle):
    """Views that name a ``throttle_scope``, per learner or IP: that scope's rate."""

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return throttling.SimpleRateThrottle.allow_request(self, request, view)


class StreamPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=``; answers ``{"count", "next", "previous", "results"}``."""

    page_size_query_param = "page_size"
    invalid_page_message = gettext_lazy("No such page.")

    def get_page_size(self, request):
        # DRF falls back to the default size on a bad ?page_size=; a client that asked for
        # something it does not get should hear so.
        self.page_size = lessons_settings.API_PAGE_SIZE
        self.max_page_size = lessons_settings.API_MAX_PAGE_SIZE
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        size = id_parse(asked)  # a count, but parsed like an id: ASCII digits, bounded
        if size is None:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("A whole number, 1 or more.")]}
            )
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": {"type": "integer", "minimum": 1},
            }
            for name, description in (
                (self.page_query_param, "Page number, from 1; past the last page is a 404."),
                (
                    self.page_size_query_param,
                    "Items per page (STREAM API_PAGE_SIZE by default, at most API_MAX_PAGE_SIZE).",
                ),
            )
        ]


PAGE_PARAMETER = OpenApiParameter(
    "page",
    {"type": "integer", "minimum": 1},
    description="Page number, from 1; past the last page is a 404.",
)
PAGE_SIZE_PARAMETER = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1},
    description="Items per page (STREAM API_PAGE_SIZE by default, at most API_MAX_PAGE_SIZE).",
)


class StreamAutoSchema(AutoSchema):
    """drf-spectacular's inspector, describing Stream's views in Stream's own schema only.

    A host that generates its own schema with drf-spectacular (its API, ``manage.py
    spectacular``, the ``check --deploy`` schema check) does not get Stream's endpoints mixed
    into it, nor warnings about them: they are described at Stream's ``schema/``.
    """

    def is_excluded(self):
        if stream_endpoints_only not in spectacular_settings.PREPROCESSING_HOOKS:
            return True
        return super().is_excluded()


def exclude_from_schema(method):
    """For the schema and docs views themselves (spectacular's views, on Stream's inspector)."""
    method.schema = StreamAutoSchema
    return extend_schema(exclude=True)(method)


class StreamAPIView(APIView):
    """The base of every Stream endpoint: its own policies, never the host's DRF defaults."""

    schema = StreamAutoSchema()
    renderer_classes = [JSONRenderer]
    parser_classes = [StreamJSONParser]
    permission_classes = [AllowAny]
    content_negotiation_class = DefaultContentNegotiation
    metadata_class = SimpleMetadata
    versioning_class = None
    pagination_class = StreamPagination

    def get_authenticators(self):
        return [auth() for auth in authentication_classes()]

    def get_throttles(self):
        return [throttle() for throttle in lessons_settings.API_THROTTLE_CLASSES]

    def get_exception_handler(self):
        return exception_handler

    def perform_authentication(self, request):
        # A host may set REST_FRAMEWORK["UNAUTHENTICATED_USER"] = None; Stream's rules and
        # selectors expect Django's anonymous user.
        if request.user is None:
            request.user = AnonymousUser()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for value in kwargs.values():
            if value is None or (isinstance(value, int) and not 0 <= value <= MAX_ID):
                raise exceptions.NotFound()


def requested_language(request) -> str:
    """The language a page's script named with ``?lang=`` (the page's own, which may differ
    from the browser's ``Accept-Language``), when it is one of the site's; else the active
    one. Endpoints whose answers carry names shown on the page answer in it."""
    language = request.query_params.get("lang")
    if language in dict(settings.LANGUAGES):
        return language
    return translation.get_language() or settings.LANGUAGE_CODE


LANGUAGE_PARAMETER = OpenApiParameter(
    "lang", str, description="The page's language (names and labels in it)."
)


def language_param(url: str | None) -> str | None:
    """``url`` naming the active language as ``?lang=``, for a page's script to ask in the
    page's language (only on a site that set several ``LANGUAGES``)."""
    if url and len(content_languages()) > 1:
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}{urlencode({'lang': translation.get_language()})}"
    return url


# --- Strict request fields ------------------------------------------------------------------------


class StrictTypeMixin:
    """A request field that takes only its own JSON type: DRF's fields coerce (``12`` becomes
    ``"12"`` for a CharField, ``"12"`` becomes ``12`` for an IntegerField), so a client that
    sends the wrong type would be answered as if it had not, contrary to the schema."""

    json_types: tuple[type, ...] = ()

    def to_internal_value(self, data):
        if isinstance(data, bool) != (bool in self.json_types) or not isinstance(
            data, self.json_types
        ):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictTypeMixin, serializers.CharField):
    json_types = (str,)
    default_error_messages = {"invalid": gettext_lazy("Not a valid string.")}


class StrictEmailField(StrictTypeMixin, serializers.EmailField):
    json_types = (str,)


class StrictIntegerField(StrictTypeMixin, serializers.IntegerField):
    json_types = (int,)


class StrictBooleanField(StrictTypeMixin, serializers.BooleanField):
    json_types = (bool,)


# --- Schemas of the shared responses -------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every error: a message for people and a stable code for programs."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Field errors, {field: [message, ...]}, when the input was invalid.",
    )


def error_responses(*codes: int) -> dict:
    """``extend_schema`` responses for the given error statuses, all in the error shape."""
    descriptions = {
        400: "Invalid input (field errors under errors) or malformed JSON.",
        401: "Invalid token.",
        403: "Not signed in, CSRF token missing, or not allowed.",
        404: "Not found, or not visible to the requester.",
        405: "Method not allowed.",
        409: "Conflict.",
        413: "The request body is larger than the site accepts (DATA_UPLOAD_MAX_MEMORY_SIZE).",
        415: "Unsupported media type: send JSON.",
        429: "Too many requests; see the Retry-After header.",
    }
    return {
        code: OpenApiResponse(ErrorSerializer, description=descriptions.get(code, ""))
        for code in codes
    }


# Every endpoint may answer these: bad JSON or an unsupported media type (415), a wrong method
# (405), an invalid token (401), throttling (429); and one that reads a body, a body too large.
COMMON_ERRORS = (401, 405, 415, 429)
BODY_ERRORS = (413,)


def stream_schema(**kwargs):
    """``extend_schema`` with the error responses every Stream endpoint may give added."""
    errors = set(kwargs.pop("errors", ())) | set(COMMON_ERRORS)
    responses = kwargs.pop("responses")
    if not isinstance(responses, dict):
        responses = {200: responses}

    def decorator(method):
        reads_body = method.__name__ in ("post", "put", "patch")
        codes = errors | (set(BODY_ERRORS) if reads_body else set())
        extend = extend_schema(responses={**responses, **error_responses(*sorted(codes))}, **kwargs)
        # extend_schema builds on the function's own schema class if it has one, and otherwise
        # on the host's REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"], which may not be spectacular's.
        method.schema = StreamAutoSchema
        return extend(method)

    return decorator


# --- Schema and its docs page --------------------------------------------------------------------


def stream_endpoints_only(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: only Stream's own endpoints go into its schema."""
    return [
        endpoint
        for endpoint in endpoints
        if isinstance(getattr(endpoint[3], "cls", None), type)
        and issubclass(endpoint[3].cls, StreamAPIView)
    ]


def document_retry_after(result, **kwargs):
    """drf-spectacular postprocessing hook: every 429 carries the Retry-After header."""
    header = {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 0},
            "required": True,
        }
    }
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            throttled = (
                operation.get("responses", {}).get("429") if isinstance(operation, dict) else None
            )
            if throttled is not None:
                throttled["headers"] = header
    return result


# Names of the schema's enums, {component name: choices}; each app adds its own (a choice set
# used by several fields, such as a status, needs one name or the generator warns).
SCHEMA_ENUM_NAMES = {"PublicationStatusEnum": Status.choices}

_SCHEMA_SETTINGS = {
    "TITLE": "Stream API",
    "DESCRIPTION": (
        "Courses and lessons, the learner's progress and its sync, lesson comments, reply "
        "notifications and problem reports. Errors answer "
        '{"detail": "...", "code": "..."} (field errors under "errors").'
    ),
    "VERSION": "1",
    # Pinned, so that a host's own SPECTACULAR_SETTINGS do not change Stream's schema.
    "PREPROCESSING_HOOKS": ["lessons.api_base.stream_endpoints_only"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lessons.api_base.document_retry_after",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": True,
    "COMPONENT_NO_READ_ONLY_REQUIRED": False,
    "SCHEMA_PATH_PREFIX": None,
    "SCHEMA_PATH_PREFIX_TRIM": False,
    "AUTHENTICATION_WHITELIST": None,
    "RENDERER_WHITELIST": None,
    "PARSER_WHITELIST": None,
    "SORT_OPERATIONS": True,
    "CAMELIZE_NAMES": False,
}


class _SchemaSettings(Mapping):
    """drf-spectacular settings for Stream's schema, the enum names as the apps registered them.

    Also for the command line: ``manage.py spectacular --custom-settings
    lessons.api_base.SCHEMA_SETTINGS --file stream-api.yaml`` writes Stream's schema to a file.
    """

    def _settings(self):
        return {**_SCHEMA_SETTINGS, "ENUM_NAME_OVERRIDES": dict(SCHEMA_ENUM_NAMES)}

    def __getitem__(self, key):
        return self._settings()[key]

    def __iter__(self):
        return iter(self._settings())

    def __len__(self):
        return len(self._settings())


SCHEMA_SETTINGS = _SchemaSettings()
