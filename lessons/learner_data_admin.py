"""The admin's "Learner data" page: staff answer a learner's request received by email — find
the learner by login, email address or id, download everything Stream holds about them as JSON,
or erase their learning data after a confirmation (``lessons.learner_data``).

Exporting needs the "Can view learner data" permission, erasing "Can delete learner data"
(superusers have both). Deleting the user in the host's own admin erases the same data too.
"""

import contextlib

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .learner_data import (
    learner_data_erase,
    learner_data_export,
    learner_data_parts,
    learner_identity,
)
from .learner_data_views import LearnerDataEraseForm, learner_data_attachment
from .models import LearnerData

FOUND_AT_MOST = 20


class LearnerLookupForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Learner"),
        max_length=254,
        help_text=gettext_lazy("Their login, email address or user id, exactly."),
    )


def learners_matching(text: str) -> list:
    """Users whose login or email address is ``text`` (any case), or whose id it is."""
    model = get_user_model()
    text = text.strip()
    match = Q(**{f"{model.USERNAME_FIELD}__iexact": text})
    email_field = model.get_email_field_name()
    if any(field.name == email_field for field in model._meta.get_fields()):
        match |= Q(**{f"{email_field}__iexact": text})
    with contextlib.suppress(ValidationError):
        match |= Q(pk=model._meta.pk.to_python(text))
    return list(model._default_manager.filter(match).order_by("pk")[:FOUND_AT_MOST])


class LearnerDataAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.lookup_view), name="stream_lessons_learnerdata_changelist"),
            path("<str:user_id>/export/", wrap(self.export_view), name="stream_learner_export"),
            path("<str:user_id>/erase/", wrap(self.erase_view), name="stream_learner_erase"),
        ]

    def _context(self, request, **context):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "has_view_permission": self.has_view_permission(request),
            "has_delete_permission": self.has_delete_permission(request),
            **context,
        }

    def _learner(self, user_id):
        model = get_user_model()
        try:
            pk = model._meta.pk.to_python(user_id)
        except ValidationError:
            raise Http404 from None
        learner = model._default_manager.filter(pk=pk).first()
        if learner is None:
            raise Http404
        return learner

    def lookup_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = LearnerLookupForm(request.GET if "q" in request.GET else None)
        found = None
        if form.is_valid():
            found = [learner_identity(user) for user in learners_matching(form.cleaned_data["q"])]
        return TemplateResponse(
            request,
            "admin/stream_lessons/learner_data/lookup.html",
            self._context(
                request, title=_("Learner data"), form=form, found=found, limit=FOUND_AT_MOST
            ),
        )

    def export_view(self, request, user_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return learner_data_attachment(learner_data_export(user=self._learner(user_id)))

    def erase_view(self, request, user_id):
        if not self.has_delete_permission(request):
            raise PermissionDenied
        learner = self._learner(user_id)
        form = LearnerDataEraseForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            counts = learner_data_erase(user=learner)
            total = sum(sum(part.values()) for part in counts.values())
            messages.success(
                request,
                _("The learning data of %(name)s was erased (%(total)d rows).")
                % {"name": learner.get_username(), "total": total},
            )
            return redirect(reverse("admin:stream_lessons_learnerdata_changelist"))
        return TemplateResponse(
            request,
            "admin/stream_lessons/learner_data/erase.html",
            self._context(
                request,
                title=_("Erase this learner's data?"),
                learner=learner_identity(learner),
                form=form,
                parts=learner_data_parts(),
            ),
            status=400 if form.is_bound else 200,
        )


admin.site.register(LearnerData, LearnerDataAdmin)
