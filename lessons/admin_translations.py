"""The admin's rows for text entered per language (see :mod:`lessons.translations`).

:class:`TranslationInline` shows one row per language the site offers, each already naming
its language: staff fill the rows they want, leave the rest empty (empty rows are not saved),
and tick "delete" to remove one. Pages in a language without a row show the original text.
"""

from django import forms
from django.contrib import admin
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .translations import content_languages


class TranslationFormSet(forms.BaseInlineFormSet):
    """New rows come with the languages that have none yet, in the site's order."""

    @cached_property
    def missing_languages(self) -> list[str]:
        taken = {row.language for row in self.get_queryset()}
        return [code for code, _name in content_languages() if code not in taken]

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        extra = index - self.initial_form_count() if index is not None else -1
        if 0 <= extra < len(self.missing_languages):
            kwargs["initial"] = {"language": self.missing_languages[extra]}
        return kwargs


class TranslationForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("language"), choices=content_languages)


class TranslationInline(admin.TabularInline):
    """Per-language text for a :class:`~lessons.translations.Translatable` model. Subclasses
    set ``model`` (the translation model) and, if they like, ``fields``."""

    form = TranslationForm
    formset = TranslationFormSet

    def get_extra(self, request, obj=None, **kwargs):
        held = obj.translations.count() if obj is not None and obj.pk else 0
        return max(len(content_languages()) - held, 0)

    def get_max_num(self, request, obj=None, **kwargs):
        return len(content_languages())
