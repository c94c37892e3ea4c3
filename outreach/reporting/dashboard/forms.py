"""The dashboard's query, export and monthly report forms: a bad query is a clear 400."""

from django import forms
from django.utils.translation import gettext_lazy

from outreach.reporting.periods import MonthQueryForm, PeriodQueryForm


class DashboardQueryForm(PeriodQueryForm):
    """The query string of the dashboard, its exports and the coverage map's exports:
    which area (none: the user's own start), which period (``outreach.reporting.periods``)."""

    field_order = ["area", "period", "start", "end"]

    area = forms.IntegerField(min_value=1, required=False)


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


class ReportForm(MonthQueryForm):
    """The monthly coverage report's query: a town and a month (``outreach.reporting.periods``)."""

    field_order = ["area", "month"]

    area = forms.IntegerField(
        min_value=1, error_messages={"required": gettext_lazy("Say which town the report is for.")}
    )
