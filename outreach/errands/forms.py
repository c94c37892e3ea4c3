"""Forms of the errand screens."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from outreach.common.forms import NamedRequiredMixin
from outreach.errands.services import DESCRIPTION_MAX_LENGTH, NOTE_MAX_LENGTH
from outreach.models import Errand, ServiceType
from outreach.photos.forms import MultipleFileInput, MultiplePhotoField


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.department.name}）"


class ErrandForm(NamedRequiredMixin, forms.Form):
    id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    service = ServiceChoiceField(label=_("Service"), queryset=ServiceType.objects.none())
    source = forms.ChoiceField(
        label=_("How it came in"),
        widget=forms.RadioSelect,
        initial=Errand.Source.PHONE,
        choices=[
            (Errand.Source.PHONE, Errand.Source.PHONE.label),
            (Errand.Source.WALK_IN, Errand.Source.WALK_IN.label),
        ],
    )
    description = forms.CharField(
        label=_("What is needed"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services


class VisitErrandForm(NamedRequiredMixin, forms.Form):
    """The "create an errand" part of the visit form: optional."""

    errand_service = ServiceChoiceField(
        label=_("Create an errand for"),
        required=False,
        queryset=ServiceType.objects.none(),
        empty_label=_("— no errand —"),
    )
    errand_description = forms.CharField(
        label=_("What is needed"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["errand_service"].queryset = services


class DeliveryForm(NamedRequiredMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    via = forms.ChoiceField(
        label=_("How did the result go back?"), choices=Errand.Delivery.choices, widget=forms.RadioSelect
    )
    satisfaction = forms.TypedChoiceField(
        label=_("The resident's satisfaction"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[
            (5, _("5 · very satisfied")),
            (4, _("4 · satisfied")),
            (3, _("3 · acceptable")),
            (2, _("2 · dissatisfied")),
            (1, _("1 · very dissatisfied")),
        ],
    )
    photos = MultiplePhotoField(
        label=_("Receipt photo"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}),
    )
    # No max_length here: the service refuses a note too long, in the same words on every door.
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2, "maxlength": NOTE_MAX_LENGTH})
    )
