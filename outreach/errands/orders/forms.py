"""Forms of online orders: the public order form behind a point's QR code, and the staff's
confirm and reject forms. They parse; outreach.errands.orders.services decides what is valid."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from outreach.common.forms import NamedRequiredMixin, ServiceErrorsMixin
from outreach.errands.orders.services import (
    DESCRIPTION_MAX,
    NAME_MAX,
    NOTE_MAX,
    clean_order_description,
    clean_order_name,
    clean_order_phone,
)
from outreach.models import ServiceType

OTHER_SERVICE = "other"


class OrderForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    """What a resident (or a relative) scanning the poster fills in. Small on purpose."""

    name = forms.CharField(
        label=_("Name"),
        strip=True,
        error_messages={"required": _("Give a name, so the point knows whom to ask for.")},
        help_text=_("The resident's name, or yours if you ask for a relative (say so below)."),
        widget=forms.TextInput(attrs={"maxlength": NAME_MAX, "autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone for the call-back"),
        strip=True,
        error_messages={"required": _("Give a phone number: the point calls you back on it.")},
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": 24}),
    )
    service = forms.ChoiceField(
        label=_("What should we do for you?"),
        error_messages={
            "required": _("Choose a service, or “Something else” and describe it below."),
            "invalid_choice": _("Choose a service from the list, or “Something else”."),
        },
    )
    description = forms.CharField(
        label=_("In a few words"),
        required=False,
        strip=True,
        help_text=_("Required for “Something else”. At most %(max)d characters.") % {"max": DESCRIPTION_MAX},
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": DESCRIPTION_MAX}),
    )
    # A field people never see (hidden by the stylesheet, skipped by keyboards and screen
    # readers) but form-filling robots do: filled in, the order is quietly dropped.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.services = {str(s.pk): s for s in services}
        self.fields["service"].choices = [
            ("", _("— choose —")),
            *((pk, s.name) for pk, s in self.services.items()),
            (OTHER_SERVICE, _("Something else")),
        ]

    # The service's own checks, field by field, so every mistake shows at once.
    def clean_name(self):
        return clean_order_name(self.cleaned_data["name"])

    def clean_phone(self):
        return clean_order_phone(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        if "service" in cleaned and "description" in cleaned:
            try:
                cleaned["description"] = clean_order_description(cleaned["description"], service=self.service_choice())
            except ValidationError as error:
                self.add_error("description", error)
        return cleaned

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website", "").strip())

    def service_choice(self):
        """The chosen ServiceType, or None for "Something else"."""
        return self.services.get(self.cleaned_data["service"])


class ResidentChoiceField(forms.ModelChoiceField):
    """Validates the resident picked from the search results against the user's scope;
    the radio buttons are drawn by the template from those results, never from every
    resident in scope."""

    widget = forms.RadioSelect


class ConfirmForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    resident = ResidentChoiceField(
        label=_("Resident"),
        queryset=None,
        error_messages={
            "required": _("Choose the resident the errand is for (search above, or register them)."),
            "invalid_choice": _("Choose one of the active residents you look after."),
        },
    )
    service: "forms.ModelChoiceField[ServiceType]" = forms.ModelChoiceField(
        label=_("Service"),
        queryset=None,
        empty_label=_("— choose —"),
        error_messages={
            "required": _("Choose the service to run for the resident."),
            "invalid_choice": _("Choose a service from the catalogue."),
        },
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=NOTE_MAX, strip=True)

    def __init__(self, *args, residents, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = residents
        self.fields["service"].queryset = services


class RejectForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is it rejected?"),
        max_length=NOTE_MAX,
        strip=True,
        error_messages={
            "required": _("Say why the order is rejected (for example: duplicate, called back and not needed).")
        },
    )
