"""What the forms of every feature share: a service's errors shown on the form, and the
date widget."""

from typing import TYPE_CHECKING

from django import forms

if TYPE_CHECKING:
    _FormBase = forms.BaseForm  # what the mixin is mixed into
else:
    _FormBase = object


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
