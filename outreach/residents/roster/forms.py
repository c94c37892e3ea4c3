"""The roster upload form."""

from django import forms
from django.utils.translation import gettext_lazy

from outreach.common.forms import NamedRequiredMixin


class RosterUploadForm(NamedRequiredMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        error_messages={
            "required": gettext_lazy("Choose the roster file to upload."),
            "empty": gettext_lazy("The file is empty."),
        },
    )
