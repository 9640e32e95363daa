"""The OpenAPI schema (drf-spectacular) and its docs page: generated without a warning, valid,
describing Stream's endpoints only, wherever a host mounts them; the docs page runs from local
static files with no inline script or style."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

pytestmark = pytest.mark.django_db

# The REST API of docs/api.md (with the token endpoint, the staff-only report resolution and
# the viewer endpoint).
DESIGNED = {
    "/courses/": {"get"},
    "/courses/{slug}/": {"get"},
    "/lessons/{lesson_id}/": {"get"},
    "/search/": {"get"},
    "/progress/": {"get"},
    "/progress/sync/": {"post"},
    "/lessons/{lesson_id}/comments/": {"get", "post"},
    "/comments/{id}/": {"patch", "delete"},
    "/comments/{id}/flag/": {"post"},
    "/lessons/{lesson_id}/subscription/": {"get", "put", "delete"},
    "/notifications/": {"get"},
    "/notifications/read/": {"post"},
    "/lessons/{lesson_id}/reports/": {"post"},
    "/reports/{id}/resolve/": {"post"},
    "/auth/token/": {"post", "delete"},
    "/me/page/": {"get"},
    "/me/data/": {"get"},
}


class HostOwnView(APIView):
    """A host's own DRF endpoint, which Stream's schema must leave out."""

    def get(self, request):
        return Response({"mine": True})


# A host that mounts Stream under /learn/ and has its own API beside it.
urlpatterns = [
    path("host-api/things/", HostOwnView.as_view()),
    path("learn/api/v1/", include("lessons.api_urls")),
    path("learn/api/v1/", include("progress.api_urls")),
    path("learn/api/v1/", include("comments.api_urls")),
]


def fetch_schema(client, url="/api/v1/schema/"):
    GENERATOR_STATS.reset()
    response = client.get(url, {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_schema_is_generated_without_warnings_or_errors_and_is_valid():
    # when the schema is generated
    schema = fetch_schema(APIClient())

    # then the generator had nothing to complain about and the result is valid OpenAPI 3
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_the_schema_describes_every_designed_endpoint_and_nothing_else():
    schema = fetch_schema(APIClient())

    described = {
        route.removeprefix("/api/v1"): {m for m in methods if m != "parameters"}
        for route, methods in schema["paths"].items()
    }

    assert described == DESIGNED


def test_every_operation_documents_its_errors_in_the_error_shape():
    schema = fetch_schema(APIClient())

    for route, methods in schema["paths"].items():
        for method, operation in methods.items():
            errors = {code for code in operation["responses"] if code.startswith("4")}
            assert {"405", "415", "429"} <= errors, (route, method)
            for code in errors:
                ref = operation["responses"][code]["content"]["application/json"]["schema"]
                assert ref["$ref"].endswith(("/Error", "/SyncConflict")), (route, method, code)


def test_throttled_answers_document_their_retry_after_header():
    schema = fetch_schema(APIClient())

    for methods in schema["paths"].values():
        for operation in methods.values():
            assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_sign_in_requirements_are_described():
    schema = fetch_schema(APIClient())
    security = schema["components"]["securitySchemes"]

    progress = schema["paths"]["/api/v1/progress/"]["get"]["security"]
    courses = schema["paths"]["/api/v1/courses/"]["get"]["security"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"].get("security", [])

    assert set(security) == {"cookieAuth", "tokenAuth"}
    assert {} not in progress and {} in courses  # signed in only / anyone
    assert token in ([], [{}])


@pytest.mark.urls(__name__)
def test_a_host_mounting_stream_elsewhere_gets_its_schema_there_without_its_own_endpoints():
    schema = fetch_schema(APIClient(), "/learn/api/v1/schema/")

    assert "/learn/api/v1/courses/" in schema["paths"]
    assert all(route.startswith("/learn/api/v1/") for route in schema["paths"])
    assert not GENERATOR_STATS._warn_cache


def test_the_schema_is_also_served_as_yaml():
    response = APIClient().get("/api/v1/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert b"openapi: 3" in response.content


# --- The docs page -------------------------------------------------------------------------------


def test_the_docs_page_has_no_inline_script_or_style_and_uses_local_files(client):
    response = client.get("/api/v1/docs/")
    html = response.content.decode()

    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "<style" not in html and " style=" not in html and "on" + "load=" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert not [src for src in sources if src.startswith(("http:", "https:", "//"))]
    for src in sources:
        if src.startswith("/static/"):
            assert finders.find(src.removeprefix("/static/").split("?")[0]), src


def test_the_docs_page_start_up_script_is_a_separate_file_pointing_at_the_schema(client):
    page = client.get("/api/v1/docs/").content.decode()
    (script_url,) = re.findall(r'<script src="(/api/v1/docs/[^"]*)"', page)

    script = client.get(script_url.replace("&amp;", "&"))

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert '"/api/v1/schema/"' in script.content.decode()


@pytest.mark.urls(__name__)
def test_the_docs_page_follows_the_hosts_mount_point(client):
    page = client.get("/learn/api/v1/docs/").content.decode()
    (script_url,) = re.findall(r'<script src="(/learn/api/v1/docs/[^"]*)"', page)

    script = client.get(script_url.replace("&amp;", "&")).content.decode()

    assert '"/learn/api/v1/schema/"' in script


def test_without_the_sidecar_app_the_docs_page_says_what_is_missing(client, monkeypatch):
    from lessons import api

    monkeypatch.setattr(api, "docs_missing_apps", lambda: ['"drf_spectacular_sidecar"'])

    response = client.get("/api/v1/docs/")

    assert response.status_code == 404 and response.json()["code"] == "docs_unavailable"
    assert "drf_spectacular_sidecar" in response.json()["detail"]


@pytest.fixture
def host_spectacular_settings(settings):
    """A host with its own drf-spectacular settings (read once by drf-spectacular, so reloaded
    here and again afterwards)."""
    from drf_spectacular.settings import spectacular_settings

    settings.SPECTACULAR_SETTINGS = {
        "TITLE": "Acme's API",
        "SERVE_PUBLIC": False,
        "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
        "COMPONENT_SPLIT_REQUEST": False,
        "POSTPROCESSING_HOOKS": [],
        "SCHEMA_PATH_PREFIX": "/api/",
        "SWAGGER_UI_DIST": "https://cdn.example.com/swagger-ui",
    }
    spectacular_settings.reload()
    yield
    del settings.SPECTACULAR_SETTINGS
    spectacular_settings.reload()


def test_the_hosts_spectacular_settings_do_not_change_streams_schema(host_spectacular_settings):
    schema = fetch_schema(APIClient())
    docs = APIClient().get("/api/v1/docs/").content.decode()

    assert schema["info"]["title"] == "Stream API"
    assert "CommentWriteRequest" in schema["components"]["schemas"]  # split request components
    assert "/api/v1/progress/" in schema["paths"]  # public, whoever asks
    assert not GENERATOR_STATS._warn_cache
    assert "cdn.example.com" not in docs


def test_the_command_line_writes_streams_schema_without_warnings(tmp_path):
    # manage.py spectacular with Stream's settings: the brief's generator run, failing on any
    # warning and validating the result
    out = tmp_path / "stream-api.yaml"

    call_command(
        "spectacular",
        "--custom-settings",
        "lessons.api_base.SCHEMA_SETTINGS",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(out),
    )

    text = out.read_text()
    assert "title: Stream API" in text and "/api/v1/progress/sync/:" in text


def test_a_hosts_own_spectacular_schema_leaves_streams_endpoints_out(tmp_path):
    # A host that documents its own API with drf-spectacular (and its check --deploy schema
    # check) neither gets Stream's endpoints mixed in nor warnings about them.
    out = tmp_path / "host.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert "/api/v1/" not in out.read_text()
