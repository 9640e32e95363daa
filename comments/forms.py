"""The page's forms. They check the shape of the input; the services apply the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .conf import comments_settings
from .models import FlagReason, ReportKind
from .selectors import lesson_sections


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Your comment"), strip=False, required=False)
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget = forms.Textarea(
            attrs={"rows": 4, "maxlength": comments_settings.COMMENTS_MAX_LENGTH}
        )


class FlagForm(forms.Form):
    # No reason chosen in advance: the learner picks one, and a post without one is refused.
    reason = forms.ChoiceField(
        label=_("Why should a moderator look at it?"),
        choices=[("", _("Choose a reason")), *FlagReason.choices],
        error_messages={"required": _("Choose a reason.")},
    )


class ReportForm(forms.Form):
    """A problem report. ``website`` is a honeypot: people never see it, bots fill it in."""

    kind = forms.ChoiceField(
        label=_("What kind of problem?"),
        choices=ReportKind.choices,
        widget=forms.RadioSelect,
        initial=ReportKind.BUG,
    )
    section = forms.ChoiceField(label=_("Where on the page? (optional)"), required=False)
    message = forms.CharField(label=_("What is wrong?"), widget=forms.Textarea(attrs={"rows": 4}))
    contact_email = forms.EmailField(
        label=_("Your email, if you would like an answer (optional)"), required=False
    )
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, lesson, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [
            ("", _("The whole page")),
            *lesson_sections(lesson=lesson),
        ]
        self.fields["message"].widget.attrs["maxlength"] = comments_settings.REPORTS_MAX_LENGTH

    @property
    def is_spam(self):
        return bool(self.data.get("website"))
