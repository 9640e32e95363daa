"""Stream's own endpoints for django-markdownx's editor: live preview and image upload.

markdownx ships these views without any permission check, accepts SVG uploads (which can carry
scripts) and answers a preview request without ``content`` with a 500. These replace them under
the same URL names, so the editor's JavaScript needs no change: both are for active staff only,
take POST only (CSRF stays on; the editor sends the token), and answer bad input with a 400.
"""

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import View

from . import markdown
from .forms import LessonImageUploadForm
from .selectors import user_is_staff

# The editor posts the whole field on every pause in typing; a lesson is far below this.
PREVIEW_MAX_BYTES = 200 * 1024


class EditorEndpointView(View):
    """Refuses anyone but active staff before anything else; POST only."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if not user_is_staff(request.user):
            return self.permission_denied()
        return super().dispatch(request, *args, **kwargs)

    def permission_denied(self):
        raise NotImplementedError


class MarkdownPreviewView(EditorEndpointView):
    """POST ``content`` (Markdown); answers the HTML of Stream's lesson pipeline.

    The editor puts the answer, errors included, straight into its preview pane, so errors are
    short plain sentences.
    """

    def permission_denied(self):
        return HttpResponseForbidden(
            _("Sign in as staff to preview lessons."), content_type="text/plain; charset=utf-8"
        )

    def post(self, request, *args, **kwargs):
        content = request.POST.get("content")
        if content is None:
            return HttpResponseBadRequest(
                _("Nothing to preview: send the Markdown as “content”."),
                content_type="text/plain; charset=utf-8",
            )
        if len(content.encode()) > PREVIEW_MAX_BYTES:
            return HttpResponseBadRequest(
                _("This text is too long to preview (over %(size)d KB).")
                % {"size": PREVIEW_MAX_BYTES // 1024},
                content_type="text/plain; charset=utf-8",
            )
        return HttpResponse(markdown.render_lesson_markdown(content))


class ImageUploadView(EditorEndpointView):
    """POST ``image`` (a file); answers ``{"image_code": "![](<url>)"}`` as markdownx does.

    Errors are ``{"detail": ..., "code": ...}`` with status 400 or 403.
    """

    def permission_denied(self):
        return JsonResponse(
            {"detail": str(_("Sign in as staff to upload images.")), "code": "permission_denied"},
            status=403,
        )

    def post(self, request, *args, **kwargs):
        form = LessonImageUploadForm(data=request.POST, files=request.FILES)
        if not form.is_valid():
            error = form.errors.as_data()["image"][0]
            return JsonResponse(
                {"detail": " ".join(error.messages), "code": error.code or "invalid"}, status=400
            )
        return JsonResponse({"image_code": f"![]({form.save()})"})
