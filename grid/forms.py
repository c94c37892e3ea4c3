from django import forms
from django.utils.translation import gettext_lazy as _

from grid.models import ServicePoint


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=50, strip=True)
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("All tiers")), *ServicePoint.Tier.choices]
    )
