"""The coverage map's query form: area, period, sort, layer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from outreach.reporting.periods import PeriodQueryForm


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


class CoverageQueryForm(PeriodQueryForm):
    """The query string shared by the page and its GeoJSON: which area, which period
    (parsed by ``outreach.reporting.periods``)."""

    field_order = ["area", "period", "start", "end"]

    area = forms.IntegerField(min_value=1, required=False)
    sort = forms.ChoiceField(choices=[(s, s) for key in SORT_LABELS for s in (key, f"-{key}")], required=False)
    page = forms.IntegerField(min_value=1, required=False)
    zoom = forms.IntegerField(min_value=3, max_value=19, required=False)
    layer = forms.ChoiceField(choices=list(LAYER_LABELS.items()), required=False)
