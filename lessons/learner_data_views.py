"""``/me/data/``: a signed-in learner sees everything Stream keeps about them, downloads it as
JSON and erases their learning data (``lessons.learner_data``). Every answer is private: it is
this learner's alone and no shared cache may keep it."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from .caching import private_response
from .learner_data import learner_data_erase, learner_data_export, learner_data_parts
from .views import done_page, page_context


class LearnerDataEraseForm(forms.Form):
    """The explicit "yes": a box the learner ticks after reading what goes and what stays."""

    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that my learning data will be erased for good."),
        error_messages={
            "required": gettext_lazy("Tick the box to confirm, or go back to keep your data.")
        },
    )


def learner_data_json(data: dict) -> bytes:
    """The export as the download carries it: indented UTF-8 JSON, times in ISO 8601."""
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def learner_data_attachment(data: dict) -> HttpResponse:
    """The export as a JSON file to save, never kept by any cache."""
    response = HttpResponse(learner_data_json(data), content_type="application/json")
    day = timezone.localdate(data["exported_at"]).isoformat()
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"stream-learner-data-{day}.json"
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def learner_data_sections(data: dict) -> list[dict]:
    """Each part with its exported value, as the readable pages show them; a part without a
    template of its own is shown as its JSON."""
    sections = []
    for part in learner_data_parts():
        value = data["parts"][part.name]
        sections.append(
            {
                "part": part,
                "data": value,
                "json": None if part.template else learner_data_json(value).decode(),
            }
        )
    return sections


@require_safe
@login_required
def learner_data_page(request):
    data = learner_data_export(user=request.user)
    response = render(
        request,
        "stream/lessons/learner_data.html",
        page_context(learner=data["learner"], sections=learner_data_sections(data)),
    )
    return private_response(response)


@require_safe
@login_required
def learner_data_download(request):
    return learner_data_attachment(learner_data_export(user=request.user))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def learner_data_erase_page(request):
    form = LearnerDataEraseForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        learner_data_erase(user=request.user)
        messages.success(request, _("Your learning data was erased. Your account is still here."))
        return done_page(
            request,
            title=_("Your learning data was erased"),
            back_url=reverse("stream_lessons:learner_data"),
            back_label=_("Back to your data"),
        )
    response = render(
        request,
        "stream/lessons/learner_data_erase.html",
        page_context(form=form, parts=learner_data_parts()),
        status=400 if form.is_bound else 200,
    )
    return private_response(response)
