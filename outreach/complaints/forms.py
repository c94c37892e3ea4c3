"""Forms of the complaints window: they parse and show errors; the services decide and write."""

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from grid.models import Area, Department, ServicePoint
from outreach.common.forms import DATE_WIDGET, NamedRequiredMixin, ServiceErrorsMixin
from outreach.common.limits import max_length
from outreach.complaints import services
from outreach.models import Complaint


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.department.name}"


class ComplaintForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    point: "forms.ModelChoiceField[ServicePoint]" = forms.ModelChoiceField(
        label=gettext_lazy("Registered at"),
        queryset=None,
        empty_label=None,
        error_messages={"required": services.POINT_NOT_YOURS, "invalid_choice": services.POINT_NOT_YOURS},
    )
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=max_length(Complaint, "name"),
        error_messages={"required": services.NAME_MISSING},
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=max_length(Complaint, "phone"),
        error_messages={"required": services.PHONE_MISSING},
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    area: "forms.ModelChoiceField[Area]" = forms.ModelChoiceField(
        label=gettext_lazy("Community or village"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("— not known, or from elsewhere —"),
        help_text=gettext_lazy("Where the person lives: the dashboard counts the complaint there."),
        error_messages={"invalid_choice": services.AREA_NOT_THE_CENTRES},
    )
    service = ServiceChoiceField(
        label=gettext_lazy("Service"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("— none or not listed —"),
        help_text=gettext_lazy("Optional. With the department left empty, the service's department is used."),
    )
    department: "forms.ModelChoiceField[Department]" = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("— the service's department —"),
    )
    what_happened = forms.CharField(
        # The branch activity form's "What happened" is what the activity was (活动情况).
        label=pgettext_lazy("complaint", "What happened"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("What the person came for, and why it was not done."),
        error_messages={"required": services.WHAT_MISSING},
    )
    trips = forms.IntegerField(
        label=gettext_lazy("Trips made"),
        min_value=2,
        max_value=services.MAX_TRIPS,
        initial=2,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": services.TOO_FEW_TRIPS,
            "min_value": services.TOO_FEW_TRIPS,
            "max_value": gettext_lazy("At most %(limit_value)s trips; check the number."),
            "invalid": gettext_lazy("Enter the number of trips as a whole number, for example 2."),
        },
    )
    handled_on_spot = forms.BooleanField(label=gettext_lazy("Handled on the spot"), required=False)
    resolution = forms.CharField(
        label=gettext_lazy("What was done on the spot"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Only when it was handled on the spot."),
    )
    deadline = forms.DateField(
        label=gettext_lazy("Branch to answer by"),
        required=False,
        widget=DATE_WIDGET,
        help_text=gettext_lazy(
            "Only when it goes to the department's joint branch. Five working days unless you change it."
        ),
        error_messages={"invalid": gettext_lazy("Enter the deadline as a date, for example 2026-12-01.")},
    )

    def __init__(self, *args, points, areas, departments, service_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
        self.fields["area"].queryset = areas
        self.fields["department"].queryset = departments
        self.fields["service"].queryset = service_types
        self.single_point = None
        if len(points) == 1:  # a street official's own centre: nothing to choose
            self.single_point = points[0]
            self.fields["point"].widget = forms.HiddenInput()
            self.fields["point"].initial = self.single_point.pk

    def clean(self):
        # The two rules across fields, checked here too so that one round shows every
        # error; the service checks them again and decides.
        data = super().clean()
        if data.get("handled_on_spot") and not (data.get("resolution") or "").strip():
            self.add_error("resolution", services.RESOLUTION_MISSING)
        if not data.get("department") and not data.get("service") and "service" not in self.errors:
            self.add_error("department", services.DEPARTMENT_MISSING)
        return data


class ResolveForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    resolution = forms.CharField(
        label=gettext_lazy("What the branch did"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("Say what the branch did about it.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
