"""Forms of the resident and visit screens: they parse and show errors; the services
decide what is valid and write."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from outreach.common.due import Due
from outreach.common.forms import DATE_WIDGET, NamedRequiredMixin, ServiceErrorsMixin
from outreach.common.limits import max_length
from outreach.models import Category, Hazard, Resident, Visit, VisitCorrection
from outreach.photos.forms import MultipleFileInput, MultiplePhotoField


class ResidentFilterForm(NamedRequiredMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=50, strip=True)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *Category.choices]
    )
    care_level = forms.ChoiceField(
        label=_("Care level"), required=False, choices=[("", _("All care levels")), *Resident.CareLevel.choices]
    )
    due = forms.ChoiceField(
        label=_("Visit due"),
        required=False,
        choices=[
            ("", _("Any")),
            (Due.OVERDUE, _("overdue")),
            (Due.TODAY, _("due today")),
            (Due.WEEK, _("due this week")),
        ],
    )


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


class ResidentForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    service_error_fields = {"home_lng": "home_lat"}  # one message under the position
    name = forms.CharField(label=_("Name"), max_length=max_length(Resident, "name"))
    national_id = forms.CharField(
        label=_("National ID"),
        required=False,
        max_length=20,
        help_text=_("18 characters. Birth date and sex are taken from it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "autocapitalize": "characters"}),
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", "—"), *Resident.Sex.choices])
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DATE_WIDGET)
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=max_length(Resident, "phone"),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    address = forms.CharField(label=_("Address"), max_length=max_length(Resident, "address"))
    grid = GridChoiceField(label=_("Grid"), queryset=None, empty_label=_("— choose a grid —"))
    home_lat = forms.FloatField(
        label=_("Home latitude"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    home_lng = forms.FloatField(
        label=_("Home longitude"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"), required=False, choices=Category.choices, widget=forms.CheckboxSelectMultiple
    )
    disability_grade = forms.TypedChoiceField(
        label=_("Disability grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), (1, "1"), (2, "2"), (3, "3"), (4, "4")],
    )
    care_level = forms.ChoiceField(
        label=_("Care level"), choices=Resident.CareLevel.choices, initial="C", widget=forms.RadioSelect
    )
    guardian_name = forms.CharField(
        label=_("Guardian / emergency contact"), required=False, max_length=max_length(Resident, "guardian_name")
    )
    guardian_phone = forms.CharField(
        label=_("Guardian phone"),
        required=False,
        max_length=max_length(Resident, "guardian_phone"),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    guardian_relation = forms.CharField(
        label=_("Relation"), required=False, max_length=max_length(Resident, "guardian_relation")
    )
    consent_basis = forms.ChoiceField(
        label=_("Consent or legal basis"), choices=Resident.ConsentBasis.choices, widget=forms.RadioSelect
    )
    consent_on = forms.DateField(label=_("Consent recorded on"), required=False, widget=DATE_WIDGET)
    sms_consent = forms.BooleanField(
        label=_("Agrees to progress SMS"),
        required=False,
        help_text=_("Only with this consent is an SMS sent when an errand is accepted and when it is done."),
    )
    sms_to = forms.TypedChoiceField(
        label=_("Progress SMS go to"),
        choices=Resident.SmsTo.choices,
        initial=Resident.SmsTo.RESIDENT,
        required=False,  # a client that does not know the field keeps the default
        empty_value=Resident.SmsTo.RESIDENT,
    )
    status = forms.ChoiceField(label=_("Status"), choices=Resident.Status.choices, initial=Resident.Status.ACTIVE)
    status_on = forms.DateField(label=_("Status since"), required=False, widget=DATE_WIDGET)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, grids, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids  # type: ignore[attr-defined]  # a ModelChoiceField
        if editing:
            self.fields["national_id"].help_text = _("Leave empty to keep the stored ID.")
        else:
            del self.fields["status"], self.fields["status_on"], self.fields["version"]


class VisitForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    # The position is hidden: its errors are read beside "no location? say why".
    service_error_fields = {
        "lat": "no_location_reason",
        "lng": "no_location_reason",
        "accuracy_m": "no_location_reason",
        "visited_at": None,
    }
    id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    outcome = forms.ChoiceField(label=_("What happened?"), choices=Visit.Outcome.choices, widget=forms.RadioSelect)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    accuracy_m = forms.FloatField(required=False, widget=forms.HiddenInput)
    no_location_reason = forms.CharField(
        label=_("No location? Say why"), required=False, max_length=max_length(Visit, "no_location_reason")
    )
    health = forms.ChoiceField(
        label=_("Health"), required=False, choices=Visit.Health.choices, widget=forms.RadioSelect
    )
    health_notes = forms.CharField(label=_("Health notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    living_notes = forms.CharField(
        label=_("Living conditions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hazards = forms.MultipleChoiceField(
        label=_("Safety hazards"), required=False, choices=Hazard.choices, widget=forms.CheckboxSelectMultiple
    )
    hazard_notes = forms.CharField(label=_("Hazard notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    needs = forms.CharField(label=_("Needs noted"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}),
    )


class VisitCorrectionForm(NamedRequiredMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("What happened?"), choices=Visit.Outcome.choices, widget=forms.RadioSelect)
    health = forms.ChoiceField(
        label=_("Health"), required=False, choices=Visit.Health.choices, widget=forms.RadioSelect
    )
    health_notes = forms.CharField(label=_("Health notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    living_notes = forms.CharField(
        label=_("Living conditions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hazards = forms.MultipleChoiceField(
        label=_("Safety hazards"), required=False, choices=Hazard.choices, widget=forms.CheckboxSelectMultiple
    )
    hazard_notes = forms.CharField(label=_("Hazard notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    needs = forms.CharField(label=_("Needs noted"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("Why the correction?"), max_length=max_length(VisitCorrection, "reason"))
