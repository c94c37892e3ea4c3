"""The dashboard's query, export and monthly report forms: a bad query is a clear 400."""

from calendar import monthrange
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outreach.reporting.coverage import selectors as coverage
from outreach.reporting.coverage.selectors import PERIOD_LABELS, PeriodKind


class DashboardQueryForm(forms.Form):
    """The query string of the dashboard, its exports and the coverage map's exports:
    which area (none: the user's own start), which period."""

    area = forms.IntegerField(min_value=1, required=False)
    period = forms.ChoiceField(choices=[(k.value, PERIOD_LABELS[k]) for k in PeriodKind], required=False)
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today

    def clean(self):
        data = super().clean()
        if not {"period", "start", "end"} & set(self.errors):
            try:
                data["the_period"] = coverage.period_for(
                    data.get("period") or coverage.DEFAULT_PERIOD,
                    today=self.today,
                    start=data.get("start"),
                    end=data.get("end"),
                )
            except ValidationError as exc:
                for name, errors in exc.error_dict.items():
                    self.add_error(name, errors)
        return data

    def period_errors(self) -> list[str]:
        return [str(e) for name in ("period", "start", "end") for e in self.errors.get(name, [])]


TABLES = {
    "children": gettext_lazy("Dashboard by area"),
    "trend": gettext_lazy("Weekly trend"),
    "coverage": gettext_lazy("Coverage by area"),
    "missed": gettext_lazy("Missed residents"),
}


class ExportForm(DashboardQueryForm):
    table = forms.ChoiceField(
        choices=list(TABLES.items()),
        error_messages={
            "required": gettext_lazy("Say which table to export: children, trend, coverage or missed."),
            "invalid_choice": gettext_lazy(
                "There is no table “%(value)s”: choose children, trend, coverage or missed."
            ),
        },
    )


class ReportForm(forms.Form):
    area = forms.IntegerField(
        min_value=1, error_messages={"required": gettext_lazy("Say which town the report is for.")}
    )
    month = forms.RegexField(
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": gettext_lazy("Give the month as YYYY-MM, for example 2026-05.")},
    )

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today

    def clean(self):
        data = super().clean()
        if "month" in self.errors:
            return data
        year, month = map(int, (data.get("month") or f"{self.today:%Y-%m}").split("-"))
        start = date(year, month, 1)
        try:
            data["the_period"] = coverage.period_for(
                PeriodKind.CUSTOM, today=self.today, start=start, end=start.replace(day=monthrange(year, month)[1])
            )
        except ValidationError:
            self.add_error(
                "month",
                _("The month %(month)s has not begun yet: choose this month or an earlier one.")
                % {"month": f"{year}-{month:02d}"},
            )
        return data
