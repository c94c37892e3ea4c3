"""The coverage map's query form: area, period, sort, layer."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from outreach.reporting.coverage import selectors as coverage
from outreach.reporting.coverage.selectors import PERIOD_LABELS, PeriodKind


class Layer:
    POINTS = "points"
    BRANCH_POINTS = "branch_points"
    MISSED = "missed"
    ERRANDS = "errands"


RESIDENT_LAYERS = {Layer.MISSED, Layer.ERRANDS}
LAYER_LABELS = {
    Layer.POINTS: _("Service points"),
    Layer.BRANCH_POINTS: _("Joint-branch agency points"),
    Layer.MISSED: _("Missed residents"),
    Layer.ERRANDS: _("Overdue errands"),
}

SORT_LABELS = {
    "name": _("Area"),
    "active": _("Residents"),
    "share": _("On time"),
    "missed": _("Missed"),
    "visits": _("Visits"),
    "flagged": _("Away or no location"),
}


class CoverageQueryForm(forms.Form):
    """The query string shared by the page and its GeoJSON: which area, which period."""

    area = forms.IntegerField(min_value=1, required=False)
    period = forms.ChoiceField(
        choices=[(k.value, PERIOD_LABELS[k]) for k in PeriodKind],
        required=False,
        error_messages={"invalid_choice": _("Choose a period: this week, this month, last month or custom.")},
    )
    start = forms.DateField(
        required=False,
        error_messages={
            "invalid": _("The first day of the period is not a date: pick it in the calendar (YYYY-MM-DD).")
        },
    )
    end = forms.DateField(
        required=False,
        error_messages={
            "invalid": _("The last day of the period is not a date: pick it in the calendar (YYYY-MM-DD).")
        },
    )
    sort = forms.ChoiceField(choices=[(s, s) for key in SORT_LABELS for s in (key, f"-{key}")], required=False)
    page = forms.IntegerField(min_value=1, required=False)
    zoom = forms.IntegerField(min_value=3, max_value=19, required=False)
    layer = forms.ChoiceField(choices=list(LAYER_LABELS.items()), required=False)

    def __init__(self, data, *, today):
        super().__init__(data)
        self.today = today

    def clean(self):
        data = super().clean()
        if "period" in self.errors or "start" in self.errors or "end" in self.errors:
            return data
        try:
            data["the_period"] = coverage.period_for(
                data.get("period") or coverage.DEFAULT_PERIOD,
                today=self.today,
                start=data.get("start"),
                end=data.get("end"),
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                self.add_error(field, errors)
        return data
