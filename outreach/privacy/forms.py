"""The audit log's filters: person, action and a range of days (GET, bookmarkable)."""

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from outreach.common.forms import DATE_WIDGET, NamedRequiredMixin
from outreach.models import AuditEvent

DATE_INVALID = gettext_lazy("Enter the date as 2026-11-27.")


class AuditFilterForm(NamedRequiredMixin, forms.Form):
    person = forms.CharField(
        label=pgettext_lazy("audit log", "Who"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Name or username")}),
        error_messages={"max_length": gettext_lazy("A name or username has at most %(limit_value)d characters.")},
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        choices=[("", gettext_lazy("Every action")), *AuditEvent.Action.choices],
        error_messages={"invalid_choice": gettext_lazy("Choose an action from the list.")},
    )
    since = forms.DateField(
        label=pgettext_lazy("audit log", "From"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": DATE_INVALID},
    )
    until = forms.DateField(
        label=pgettext_lazy("audit log", "To"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": DATE_INVALID},
    )
    before = forms.IntegerField(required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error(
                "until", gettext_lazy("The last day is before the first day: swap them or choose another last day.")
            )
        return data

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {key: data.get(key) for key in ("person", "action", "since", "until")} | {
            "person": (data.get("person") or "").strip(),
            "action": data.get("action") or "",
        }
