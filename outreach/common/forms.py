"""What the forms of every feature share: required fields that say which field is
missing, a service's errors shown on the form, and the date widget."""

from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.functional import lazy
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    _FormBase = forms.BaseForm  # what the mixin is mixed into
else:
    _FormBase = object


# Django's own "This field is required." names no field; a form of several fields then
# shows the same sentence under each. These say what to do, with the field's label.
CHOOSE = pgettext_lazy("required field error", "Choose %(field)s")
FILL_IN = pgettext_lazy("required field error", "Fill in %(field)s")
ADD = pgettext_lazy("required field error", "Add %(field)s")
TICK = pgettext_lazy("required field error", "Tick %(field)s")
# The verb of each kind of field (the first that matches); any other field is filled in.
_VERBS = (
    ((forms.ChoiceField, forms.ModelChoiceField, forms.MultipleChoiceField), CHOOSE),
    (forms.FileField, ADD),
    (forms.BooleanField, TICK),
)


def _named(verb, label) -> str:
    return str(verb) % {"field": str(label).rstrip("?？:：")}


def required_message(field: forms.Field, name: str):
    """The required-field error of ``field``: choose, fill in, add (a file) or tick (a
    box), with its label (a closing question mark or colon left out). Lazy: translated
    in the language of the request that shows it."""
    label = field.label if field.label is not None else name.replace("_", " ")
    verb = next((verb for kinds, verb in _VERBS if isinstance(field, kinds)), FILL_IN)
    return lazy(_named, str)(verb, label)


class NamedRequiredMixin(_FormBase):
    """Every required field's error names the field ("请选择代办事项", "请填写住址"),
    unless the form wrote its own message for it. Mixed into every Daiban form."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        generic = forms.Field.default_error_messages["required"]
        for name, field in self.fields.items():
            if field.error_messages.get("required") is generic:
                field.error_messages["required"] = required_message(field, name)


class LoginForm(NamedRequiredMixin, auth_forms.AuthenticationForm):
    """The login page's form (config/urls.py), its empty fields named like every form's."""


class PasswordChangeForm(NamedRequiredMixin, auth_forms.PasswordChangeForm):
    """The password page's form (config/urls.py)."""


class ServiceErrorsMixin(_FormBase):
    """Puts a service's ValidationError on the form: each message on its field, or on the
    form when the field is not on it. ``service_error_fields`` sends a service field's
    messages to another form field (None: to the form)."""

    service_error_fields: dict[str, str | None] = {}

    def add_service_errors(self, error) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                target = self.service_error_fields.get(field, field)
                self.add_error(target if target in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


# <input type="date"> only takes ISO dates; without the format Django renders the locale's
# (1936/06/10 in zh-hans), which the browser drops, so an edit would show the date empty.
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
