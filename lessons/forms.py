"""Forms for the lessons admin: the Markdown editor widget and the editor's image upload."""

from __future__ import annotations

import posixpath
import uuid
import warnings
from io import BytesIO

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from markdownx.widgets import AdminMarkdownxWidget
from PIL import Image, ImageOps, ImageSequence

from .admin_translations import TranslationForm, TranslationFormSet
from .ids import ids_parse
from .models import Lesson, LessonLink, LessonLinkTranslation, LessonVariant
from .translations import content_languages


class LessonMarkdownWidget(AdminMarkdownxWidget):
    """django-markdownx's editor with live preview, pointed at Stream's staff-only endpoints.

    markdownx writes the endpoint paths from ``MARKDOWNX_URLS_PATH`` and
    ``MARKDOWNX_UPLOAD_URLS_PATH`` once, at import; reversing the URL names at render time keeps
    the editor working wherever a host mounts ``lessons.markdownx_urls``.
    """

    template_name = "admin/stream_lessons/widgets/markdownx.html"

    def add_markdownx_attrs(self, attrs):
        attrs = super().add_markdownx_attrs(attrs)
        attrs["data-markdownx-urls-path"] = reverse("markdownx_markdownify")
        attrs["data-markdownx-upload-urls-path"] = reverse("markdownx_upload")
        return attrs


class LessonAdminForm(forms.ModelForm):
    # Not required: a form posted without it keeps the lesson's language.
    language = forms.ChoiceField(
        label=_("original language"),
        choices=content_languages,
        required=False,
        help_text=Lesson._meta.get_field("language").help_text,
    )

    class Meta:
        model = Lesson
        fields = (
            "course",
            "language",
            "title",
            "slug",
            "position",
            "status",
            "xp",
            "tags",
            "body",
            "exercise",
            "reading_minutes_override",
        )
        widgets = {"body": LessonMarkdownWidget, "exercise": LessonMarkdownWidget}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and "tags" in self.data:
            # Django's autocomplete widget looks the posted tags up again to show them, and a
            # value that is not an id ("²", or past the database's range) fails that query.
            self.data = self.data.copy()
            self.data.setlist("tags", [str(pk) for pk in ids_parse(self.data.getlist("tags"))])

    def clean_language(self):
        return self.cleaned_data.get("language") or self.instance.language


class LessonVariantForm(TranslationForm):
    """A lesson variant in the admin: the same editor and preview as the original's text."""

    class Meta:
        model = LessonVariant
        fields = ("language", "title", "body", "exercise")
        widgets = {"body": LessonMarkdownWidget, "exercise": LessonMarkdownWidget}


class LessonVariantFormSet(TranslationFormSet):
    """Offers the languages with no variant yet, but not the lesson's own, and refuses a variant
    in the language the lesson is written in."""

    @cached_property
    def missing_languages(self) -> list[str]:
        return [code for code in super().missing_languages if code != self.instance.language]

    def clean(self):
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data and not data.get("DELETE") and data.get("language") == self.instance.language:
                form.add_error(
                    "language",
                    _("This is the lesson's original language; edit the text above."),
                )


def https_urls(field, **kwargs):
    """Model form fields as Django makes them, addresses typed without a scheme taken as
    ``https://`` (Django 6's default; 5.2 assumed ``http://`` and warns)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class LessonLinkAdminForm(forms.ModelForm):
    """A link with its label in each of the site's languages but the default one (empty: no
    label of its own, the title shows). Saved as ``LessonLinkTranslation`` rows."""

    class Meta:
        model = LessonLink
        fields = ("title", "url", "position")
        formfield_callback = https_urls

    @staticmethod
    def label_languages() -> list[tuple[str, str]]:
        return [
            (code, name) for code, name in content_languages() if code != settings.LANGUAGE_CODE
        ]

    @classmethod
    def label_field_names(cls) -> list[str]:
        return [f"title_{code}" for code, _name in cls.label_languages()]

    @classmethod
    def for_site(cls) -> type[LessonLinkAdminForm]:
        """This form with a label field per language (the site's languages are settings, so
        the fields are declared when the admin asks for the form, not at import)."""
        fields = {
            f"title_{code}": forms.CharField(
                label=_("title (%(language)s)") % {"language": name},
                max_length=LessonLinkTranslation._meta.get_field("title").max_length,
                required=False,
            )
            for code, name in cls.label_languages()
        }
        return type(cls.__name__, (cls,), fields)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            saved = {row.language: row.title for row in self.instance.translations.all()}
            for code, _name in self.label_languages():
                if f"title_{code}" in self.fields:
                    self.fields[f"title_{code}"].initial = saved.get(code, "")

    def save(self, commit=True):
        link = super().save(commit=commit)
        if commit:
            self.save_labels()
        else:
            save_m2m = self.save_m2m

            def save_with_labels():
                save_m2m()
                self.save_labels()

            self.save_m2m = save_with_labels
        return link

    def save_labels(self):
        for code, _name in self.label_languages():
            if f"title_{code}" not in self.cleaned_data:
                continue
            label = self.cleaned_data[f"title_{code}"].strip()
            # Row by row, not update(): saving a label bumps the pages' version (a receiver).
            row = LessonLinkTranslation.objects.filter(link=self.instance, language=code).first()
            if not label:
                if row is not None:
                    row.delete()
            elif row is None:
                LessonLinkTranslation.objects.create(link=self.instance, language=code, title=label)
            elif row.title != label:
                row.title = label
                row.save()


# Pillow's format name -> (content type, file extension, format to save as). MPO is how Pillow
# opens many camera JPEGs (they carry a second, preview frame); it is stored as a plain JPEG.
RASTER_FORMATS = {
    "JPEG": ("image/jpeg", "jpg", "JPEG"),
    "MPO": ("image/jpeg", "jpg", "JPEG"),
    "PNG": ("image/png", "png", "PNG"),
    "GIF": ("image/gif", "gif", "GIF"),
    "WEBP": ("image/webp", "webp", "WEBP"),
}
SVG_CONTENT_TYPES = frozenset({"image/svg+xml", "image/svg", "image/svg-xml"})
SVG_EXTENSIONS = frozenset({".svg", ".svgz"})
# No raster format above starts with "<"; these tags in an image's first bytes mean a polyglot.
MARKUP_TAGS = (b"<svg", b"<script", b"<html", b"<!doctype")
SNIFF_BYTES = 1024
# markdownx's own defaults, used when the settings do not name a value.
DEFAULT_UPLOAD_MAX_SIZE = 50 * 1024 * 1024
DEFAULT_IMAGE_MAX_SIZE = {"size": (500, 500), "quality": 90}
DEFAULT_MEDIA_PATH = "markdownx/"


def looks_like_markup(head: bytes) -> bool:
    """Whether ``head``, a file's first bytes, is SVG, XML or HTML, whatever the file is called.

    True when the text (after a byte-order mark and white space; UTF-16 too) starts with ``<``,
    or when an SVG, script or HTML tag appears anywhere in it.
    """
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    text = head.replace(b"\x00", b"").lower()
    return text.lstrip().startswith(b"<") or any(tag in text for tag in MARKUP_TAGS)


class LessonImageUploadForm(forms.Form):
    """An image dropped into the lesson editor: a raster image, checked, re-encoded and stored.

    The upload is rejected when it is, or claims to be, SVG (by content type, by file name, or
    by its first bytes), when its type is not in ``MARKDOWNX_UPLOAD_CONTENT_TYPES``, when it is
    larger than ``MARKDOWNX_UPLOAD_MAX_SIZE``, or when Pillow cannot decode it as one of those
    types. Accepted images are shrunk to fit ``MARKDOWNX_IMAGE_MAX_SIZE["size"]``, re-encoded
    (which drops metadata such as GPS positions and anything appended to the file) and stored
    under ``MARKDOWNX_MEDIA_PATH`` with a random name and the extension of the decoded format.
    """

    image = forms.FileField(label=_("image"))

    def clean_image(self):
        upload = self.cleaned_data["image"]
        allowed_types = self.allowed_content_types()
        max_size = getattr(settings, "MARKDOWNX_UPLOAD_MAX_SIZE", DEFAULT_UPLOAD_MAX_SIZE)
        if upload.size > max_size:
            raise forms.ValidationError(
                _("The image is %(size)s; images may be at most %(max)s."),
                code="too_large",
                params={"size": filesizeformat(upload.size), "max": filesizeformat(max_size)},
            )
        content_type = (upload.content_type or "").split(";")[0].strip().lower()
        extension = posixpath.splitext((upload.name or "").lower())[1]
        upload.seek(0)
        head = upload.read(SNIFF_BYTES)
        upload.seek(0)
        if (
            content_type in SVG_CONTENT_TYPES
            or extension in SVG_EXTENSIONS
            or looks_like_markup(head)
        ):
            raise forms.ValidationError(
                _("SVG images are not accepted: they can carry scripts. Upload a PNG instead."),
                code="svg",
            )
        if content_type not in allowed_types:
            raise forms.ValidationError(self.unsupported_message(allowed_types), code="type")
        self.decoded = self.decode(upload, allowed_types)
        return upload

    @staticmethod
    def allowed_content_types():
        configured = getattr(settings, "MARKDOWNX_UPLOAD_CONTENT_TYPES", None)
        raster = {content_type for content_type, _ext, _fmt in RASTER_FORMATS.values()}
        if configured is None:
            return raster
        return {content_type.lower() for content_type in configured} & raster

    @staticmethod
    def unsupported_message(allowed_types):
        names = sorted(
            {fmt for ctype, _ext, fmt in RASTER_FORMATS.values() if ctype in allowed_types}
        )
        return _("Upload an image in one of these formats: %(formats)s.") % {
            "formats": ", ".join(names) or "-"
        }

    def decode(self, upload, allowed_types):
        """Open ``upload`` with Pillow, trying only the allowed formats, and load its frames."""
        # MPO has no opener of its own: Pillow's JPEG opener returns it.
        formats = [
            name
            for name, spec in RASTER_FORMATS.items()
            if spec[0] in allowed_types and name != "MPO"
        ]
        invalid = forms.ValidationError(
            _("The file is not a valid image, or not in an accepted format."), code="invalid"
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(upload, formats=formats)
                pixels = image.width * image.height * getattr(image, "n_frames", 1)
                if Image.MAX_IMAGE_PIXELS and pixels > Image.MAX_IMAGE_PIXELS:
                    raise forms.ValidationError(
                        _("The image has too many pixels (%(pixels)d; at most %(max)d)."),
                        code="too_many_pixels",
                        params={"pixels": pixels, "max": Image.MAX_IMAGE_PIXELS},
                    )
                image.verify()  # checks the data; the image must be opened again afterwards
                upload.seek(0)
                image = Image.open(upload, formats=formats)
                frames = [self.clean_frame(frame) for frame in ImageSequence.Iterator(image)]
        except (
            OSError,
            SyntaxError,
            ValueError,
            EOFError,
            Image.DecompressionBombWarning,
            Image.DecompressionBombError,
        ) as error:
            raise invalid from error
        if image.format not in RASTER_FORMATS:
            raise invalid
        return image.format, image.info.get("loop", 0), frames

    @staticmethod
    def clean_frame(frame):
        """A copy of ``frame`` turned upright, with only the metadata needed to show it."""
        durations = frame.info.get("duration")
        transparency = frame.info.get("transparency")
        frame = ImageOps.exif_transpose(frame.copy())
        frame.info = {}
        if durations is not None:
            frame.info["duration"] = durations
        if transparency is not None:
            frame.info["transparency"] = transparency
        return frame

    def save(self) -> str:
        """Store the re-encoded image; returns its URL."""
        source_format, loop, frames = self.decoded
        _content_type, extension, save_format = RASTER_FORMATS[source_format]
        limits = getattr(settings, "MARKDOWNX_IMAGE_MAX_SIZE", DEFAULT_IMAGE_MAX_SIZE)
        width, height = limits.get("size", DEFAULT_IMAGE_MAX_SIZE["size"])
        if save_format == "JPEG":
            frames = frames[:1]
        for frame in frames:
            if width or height:
                frame.thumbnail((width or frame.width, height or frame.height))
        first = frames[0]
        options = {}
        if save_format == "JPEG":
            if first.mode not in ("RGB", "L"):
                first = first.convert("RGB")
            options["quality"] = limits.get("quality", DEFAULT_IMAGE_MAX_SIZE["quality"])
        elif save_format == "WEBP":
            options["quality"] = limits.get("quality", DEFAULT_IMAGE_MAX_SIZE["quality"])
        if len(frames) > 1:
            options.update(
                save_all=True,
                append_images=frames[1:],
                loop=loop,
                duration=[frame.info.get("duration", 100) for frame in frames],
            )
        buffer = BytesIO()
        first.save(buffer, format=save_format, **options)
        media_path = getattr(settings, "MARKDOWNX_MEDIA_PATH", DEFAULT_MEDIA_PATH)
        name = posixpath.join(media_path, f"{uuid.uuid4().hex}.{extension}")
        name = default_storage.save(name, ContentFile(buffer.getvalue()))
        return default_storage.url(name)
