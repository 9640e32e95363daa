"""Stream's endpoints for django-markdownx's editor: preview and image upload, staff only."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image, PngImagePlugin

PREVIEW_URL = "/markdownx/markdownify/"
UPLOAD_URL = "/markdownx/upload/"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


def image_bytes(fmt="PNG", size=(4, 3), **save_options):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt, **save_options)
    return buffer.getvalue()


def upload(name, content, content_type):
    return {"image": SimpleUploadedFile(name, content, content_type=content_type)}


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root):
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_the_editor_urls_are_streams_views():
    # given markdownx's widget, which posts to these URL names
    # then they resolve to Stream's views at the demo's mount point
    assert reverse("markdownx_markdownify") == PREVIEW_URL
    assert reverse("markdownx_upload") == UPLOAD_URL


# Preview ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_refuses_anonymous_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.post(PREVIEW_URL, {"content": "# Hi"})

    assert response.status_code == 403
    assert "<h1" not in response.content.decode()


def test_preview_refuses_a_signed_in_learner(learner_client):
    response = learner_client.post(PREVIEW_URL, {"content": "# Hi"})

    assert response.status_code == 403


def test_preview_refuses_inactive_staff(client, staff):
    staff.is_active = False
    staff.save()
    client.force_login(staff)

    response = client.post(PREVIEW_URL, {"content": "# Hi"})

    assert response.status_code == 403


def test_preview_renders_through_streams_pipeline(staff_client):
    response = staff_client.post(
        PREVIEW_URL, {"content": "## Loops\n\nText.\n\n<script>alert(1)</script>\n"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2" in html and "Loops" in html
    assert "<script" not in html  # sanitised, unlike markdownx's default markdownify


def test_preview_calls_the_lesson_renderer(staff_client, monkeypatch):
    # given the pipeline's function replaced after start-up (settings name it by path)
    monkeypatch.setattr("lessons.markdown.render_lesson_markdown", lambda text: f"<p>R:{text}</p>")

    response = staff_client.post(PREVIEW_URL, {"content": "x"})

    assert response.content == b"<p>R:x</p>"


@pytest.mark.parametrize("method", ["get", "put", "delete", "options"])
def test_preview_is_post_only(staff_client, method):
    response = getattr(staff_client, method)(PREVIEW_URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_preview_without_content_is_a_400(staff_client):
    response = staff_client.post(PREVIEW_URL, {"text": "# Hi"})

    assert response.status_code == 400
    assert "content" in response.content.decode()


def test_preview_with_a_file_as_content_is_a_400(staff_client):
    response = staff_client.post(
        PREVIEW_URL, {"content": SimpleUploadedFile("a.md", b"# Hi", "text/markdown")}
    )

    assert response.status_code == 400


def test_preview_with_a_json_body_is_a_400(staff_client):
    response = staff_client.post(
        PREVIEW_URL, json.dumps({"content": "# Hi"}), content_type="application/json"
    )

    assert response.status_code == 400


def test_preview_of_an_oversized_text_is_a_400(staff_client):
    response = staff_client.post(PREVIEW_URL, {"content": "a" * (200 * 1024 + 1)})

    assert response.status_code == 400


def test_preview_of_empty_content_is_empty_html(staff_client):
    response = staff_client.post(PREVIEW_URL, {"content": ""})

    assert response.status_code == 200


def test_preview_keeps_csrf_protection(staff):
    # given a browser session, as the admin's editor has one
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    client.get(reverse("admin:stream_lessons_lesson_add"))
    token = client.cookies["csrftoken"].value

    # when the editor posts without the token, then with the token read from the cookie
    refused = client.post(PREVIEW_URL, {"content": "# Hi"})
    accepted = client.post(PREVIEW_URL, {"content": "# Hi", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 200


# Upload -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_refuses_anonymous(client, media_root, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.post(UPLOAD_URL, upload("a.png", image_bytes(), "image/png"))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert stored_files(media_root) == []


def test_upload_refuses_a_signed_in_learner(learner_client, media_root):
    response = learner_client.post(UPLOAD_URL, upload("a.png", image_bytes(), "image/png"))

    assert response.status_code == 403
    assert stored_files(media_root) == []


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_upload_is_post_only(staff_client, method):
    response = getattr(staff_client, method)(UPLOAD_URL)

    assert response.status_code == 405


def test_upload_without_a_file_is_a_400(staff_client, media_root):
    response = staff_client.post(UPLOAD_URL, {})

    assert response.status_code == 400
    assert response.json()["code"] == "required"


def test_upload_of_an_empty_file_is_a_400(staff_client, media_root):
    response = staff_client.post(UPLOAD_URL, upload("a.png", b"", "image/png"))

    assert response.status_code == 400


def test_staff_upload_of_a_png_is_stored_under_a_random_name(staff_client, media_root):
    response = staff_client.post(
        UPLOAD_URL,
        upload("holiday photo.png", image_bytes(), "image/png"),
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )

    assert response.status_code == 200
    match = re.fullmatch(
        r"!\[\]\(/media/markdownx/([0-9a-f]{32})\.png\)", response.json()["image_code"]
    )
    assert match
    (stored,) = stored_files(media_root)
    assert stored == media_root / "markdownx" / f"{match[1]}.png"
    with Image.open(stored) as image:
        assert (image.format, image.size) == ("PNG", (4, 3))


@pytest.mark.parametrize(
    ("name", "content_type", "content"),
    [
        pytest.param("drawing.svg", "image/svg+xml", SVG, id="svg"),
        pytest.param("drawing.svg", "image/png", image_bytes(), id="svg-extension"),
        pytest.param("drawing.png", "image/svg+xml", image_bytes(), id="svg-content-type"),
        pytest.param("drawing.png", "image/png", SVG, id="svg-named-png"),
        pytest.param(
            "drawing.png", "image/png", b"\xef\xbb\xbf\n  <?xml version='1.0'?>" + SVG, id="xml-bom"
        ),
        pytest.param("drawing.png", "image/png", SVG.decode().encode("utf-16"), id="utf-16"),
        pytest.param("drawing.gif", "image/gif", b"GIF89a" + SVG, id="svg-behind-a-gif-header"),
        pytest.param("drawing.svgz", "image/png", image_bytes(), id="svgz-extension"),
    ],
)
def test_svg_is_refused_however_it_is_dressed(
    staff_client, media_root, name, content_type, content
):
    response = staff_client.post(UPLOAD_URL, upload(name, content, content_type))

    assert response.status_code == 400
    assert response.json()["code"] == "svg"
    assert stored_files(media_root) == []


def test_bytes_that_are_no_image_are_refused(staff_client, media_root):
    response = staff_client.post(UPLOAD_URL, upload("a.png", b"\x89PNG not really", "image/png"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert stored_files(media_root) == []


def test_a_truncated_png_is_refused(staff_client, media_root):
    content = image_bytes(size=(64, 64))[:60]

    response = staff_client.post(UPLOAD_URL, upload("a.png", content, "image/png"))

    assert response.status_code == 400


def test_a_type_outside_the_allowed_list_is_refused(staff_client, media_root):
    response = staff_client.post(UPLOAD_URL, upload("a.bmp", image_bytes("BMP"), "image/bmp"))

    assert response.status_code == 400
    assert response.json()["code"] == "type"


def test_a_disallowed_format_under_an_allowed_name_is_refused(staff_client, media_root):
    # given a BMP that claims to be a PNG: Pillow is only let try the allowed formats
    response = staff_client.post(UPLOAD_URL, upload("a.png", image_bytes("BMP"), "image/png"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_the_allowed_types_follow_the_settings(staff_client, media_root, settings):
    settings.MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg"]

    response = staff_client.post(UPLOAD_URL, upload("a.png", image_bytes(), "image/png"))

    assert response.status_code == 400
    assert "JPEG" in response.json()["detail"]


def test_an_svg_listed_in_the_settings_is_still_refused(staff_client, media_root, settings):
    settings.MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/png", "image/svg+xml"]

    response = staff_client.post(UPLOAD_URL, upload("a.svg", SVG, "image/svg+xml"))

    assert response.status_code == 400


def test_an_image_over_the_size_limit_is_refused(staff_client, media_root, settings):
    content = image_bytes()
    settings.MARKDOWNX_UPLOAD_MAX_SIZE = len(content) - 1

    response = staff_client.post(UPLOAD_URL, upload("a.png", content, "image/png"))

    assert response.status_code == 400
    assert response.json()["code"] == "too_large"


def test_the_stored_extension_comes_from_the_decoded_format(staff_client, media_root):
    # given a JPEG with a PNG name and type
    response = staff_client.post(UPLOAD_URL, upload("a.png", image_bytes("JPEG"), "image/png"))

    assert response.status_code == 200
    assert response.json()["image_code"].endswith(".jpg)")


def test_large_images_are_shrunk_to_the_configured_box(staff_client, media_root, settings):
    settings.MARKDOWNX_IMAGE_MAX_SIZE = {"size": (50, 50), "quality": 80}

    staff_client.post(UPLOAD_URL, upload("a.png", image_bytes(size=(200, 100)), "image/png"))

    (stored,) = stored_files(media_root)
    with Image.open(stored) as image:
        assert image.size == (50, 25)


def test_metadata_is_dropped(staff_client, media_root):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address 12 Elm Street")
    content = image_bytes(pnginfo=info)
    assert b"Elm Street" in content

    staff_client.post(UPLOAD_URL, upload("a.png", content, "image/png"))

    (stored,) = stored_files(media_root)
    assert b"Elm Street" not in stored.read_bytes()


def test_an_animated_gif_keeps_its_frames(staff_client, media_root):
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), color) for color in ("red", "green", "blue")]
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=80)

    response = staff_client.post(UPLOAD_URL, upload("a.gif", buffer.getvalue(), "image/gif"))

    assert response.status_code == 200
    (stored,) = stored_files(media_root)
    with Image.open(stored) as image:
        assert (image.format, image.n_frames) == ("GIF", 3)


def test_upload_keeps_csrf_protection(staff, media_root):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(UPLOAD_URL, upload("a.png", image_bytes(), "image/png"))

    assert response.status_code == 403
    assert stored_files(media_root) == []


# What markdownx ships, for the record ------------------------------------------------------------


def test_markdownxs_own_preview_view_answers_anyone_and_fails_without_content(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.utils.datastructures import MultiValueDictKeyError
    from markdownx.views import MarkdownifyView

    request = rf.post("/", {"content": "# Hi"})
    request.user = AnonymousUser()
    assert MarkdownifyView.as_view()(request).status_code == 200  # no permission check

    request = rf.post("/", {})
    request.user = AnonymousUser()
    with pytest.raises(MultiValueDictKeyError):  # a 500 in production
        MarkdownifyView.as_view()(request)


def test_markdownxs_own_upload_form_accepts_an_svg_named_png():
    from markdownx.forms import ImageForm

    form = ImageForm(files=upload("a.png", SVG, "image/png"))

    assert form.is_valid()
