"""The board's filter form."""

from django import forms

from outreach.common.forms import NamedRequiredMixin
from outreach.errands.board.selectors import BOARD_STATES, TAB_LABELS, Tab


class BoardFilterForm(NamedRequiredMixin, forms.Form):
    """The board's query string. A value that does not parse is ignored, not an error:
    the filters are links and selects, never typed in."""

    tab = forms.ChoiceField(choices=[(t.value, TAB_LABELS[t]) for t in Tab], required=False)
    service = forms.IntegerField(min_value=1, required=False)
    state = forms.ChoiceField(choices=BOARD_STATES, required=False)
    holder = forms.RegexField(regex=r"^(point|branch):\d+$", required=False)
    assignee = forms.RegexField(regex=r"^(me|none|\d+)$", required=False)
