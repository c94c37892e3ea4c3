"""Forms of the progress page: the code and the phone's last four digits, and the
resident's rating. They parse; outreach.tracking.services decides."""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from outreach.common.forms import NamedRequiredMixin
from outreach.tracking import codes


class TrackForm(NamedRequiredMixin, forms.Form):
    code = forms.CharField(
        label=_("Progress code"),
        help_text=_("Ten letters and digits, on the slip from your proxy worker or on the thank-you page."),
        error_messages={"required": _("Type the progress code from your slip.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "maxlength": 16,
                "placeholder": "ABCDE-FGHJK",
            }
        ),
    )
    phone_digits = forms.CharField(
        label=_("Last four digits of the phone"),
        help_text=_("Of the resident's phone, the family contact's, or the phone the request was made from."),
        error_messages={"required": _("Type the last four digits of the phone.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 4, "pattern": "[0-9]{4}"}
        ),
    )

    def clean_code(self) -> str:
        code = codes.normalize(self.cleaned_data["code"])
        if not codes.is_well_formed(code):
            raise ValidationError(
                _("A progress code has ten letters and digits (no 0, 1, I or O), like ABCDE-FGHJK."), code="format"
            )
        return code

    def clean_phone_digits(self) -> str:
        digits = unicodedata.normalize("NFKC", self.cleaned_data["phone_digits"]).strip()  # full-width ４３２１ too
        if len(digits) != 4 or not digits.isascii() or not digits.isdigit():
            raise ValidationError(_("Type exactly four digits, the last four of the phone."), code="format")
        return digits


class RatingForm(NamedRequiredMixin, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with this errand?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose from one to five stars.")},
    )
