"""Forms of a joint branch's workspace: they parse and show errors; the services decide and write."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from grid.models import User
from outreach.branches import services
from outreach.common.forms import DATE_WIDGET, NamedRequiredMixin, ServiceErrorsMixin
from outreach.common.limits import max_length
from outreach.models import ActivityTopic, BranchActivity
from outreach.photos.forms import MultipleFileInput, MultiplePhotoField

USERNAME_MISSING = gettext_lazy("Enter the user name of the person's account.")


class MemberAddForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    username = forms.CharField(
        label=gettext_lazy("User name of the account"),
        max_length=max_length(User, "username"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
        error_messages={"required": USERNAME_MISSING},
    )


class PairingAddForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    point = forms.IntegerField(widget=forms.HiddenInput)
    since = forms.DateField(
        label=gettext_lazy("Paired since"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": gettext_lazy("Enter the date as 2026-11-27.")},
    )
    liaison = forms.TypedChoiceField(label=gettext_lazy("Liaison"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["liaison"].choices = [("", _("— choose later —"))] + [(u.pk, u.display_name) for u in people]


class PairingEndForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    until = forms.DateField(
        label=gettext_lazy("Ended on"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": gettext_lazy("Enter the date as 2026-11-27.")},
    )


class LiaisonForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    liaison = forms.TypedChoiceField(label=gettext_lazy("Liaison"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["liaison"].choices = [("", _("— nobody —"))] + [(u.pk, u.display_name) for u in people]


PHOTO_WIDGET = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"})


class PointChoiceField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class ActivityForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of activity"),
        choices=BranchActivity.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose the kind of activity.")},
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Held or planned"),
        choices=[
            (status.value, status.label) for status in (BranchActivity.Status.HELD, BranchActivity.Status.PLANNED)
        ],
        widget=forms.RadioSelect,
        initial=BranchActivity.Status.HELD,
    )
    held_on = forms.DateField(
        label=gettext_lazy("Date"),
        widget=DATE_WIDGET,
        initial=timezone.localdate,
        error_messages={
            "required": gettext_lazy("Give the day of the activity."),
            "invalid": gettext_lazy("Enter the date as 2026-11-27."),
        },
    )
    points = PointChoiceField(
        label=gettext_lazy("Paired points reached"),
        coerce=int,
        error_messages={"required": gettext_lazy("Choose at least one paired point the activity reached.")},
    )
    people_reached = forms.IntegerField(
        label=gettext_lazy("People reached"),
        required=False,
        min_value=0,
        max_value=100000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=gettext_lazy("Only for a held activity."),
        error_messages={"invalid": gettext_lazy("Enter the number of people as a whole number, for example 25.")},
    )
    topics = forms.MultipleChoiceField(
        label=gettext_lazy("Topics"), required=False, choices=ActivityTopic.choices, widget=forms.CheckboxSelectMultiple
    )
    topics_other = forms.CharField(
        label=gettext_lazy("Other topics"), required=False, max_length=services.TOPICS_OTHER_MAX
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=services.NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = MultiplePhotoField(
        label=gettext_lazy("Photos"),
        required=False,
        widget=PHOTO_WIDGET,
        help_text=gettext_lazy("Only for a held activity."),
    )

    def __init__(self, *args, point_rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.point_rows = point_rows
        self.fields["points"].choices = [(row.point.pk, row.point.name) for row in point_rows]

    def as_input(self) -> services.ActivityInput:
        data = self.cleaned_data
        planned = data["status"] == BranchActivity.Status.PLANNED
        return services.ActivityInput(
            kind=data["kind"],
            status=data["status"],
            held_on=data["held_on"],
            point_ids=tuple(data["points"]),
            # A planned activity has reached nobody yet: a number typed before switching to
            # "planned" is not an error the person should have to clear.
            people_reached=0 if planned else (data["people_reached"] or 0),
            topics=tuple(data["topics"]),
            topics_other=data["topics_other"],
            notes=data["notes"],
        )


class HeldForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    held_on = forms.DateField(
        label=gettext_lazy("Held on"),
        widget=DATE_WIDGET,
        initial=timezone.localdate,
        error_messages={
            "required": gettext_lazy("Give the day it was held."),
            "invalid": gettext_lazy("Enter the date as 2026-11-27."),
        },
    )
    people_reached = forms.IntegerField(
        label=gettext_lazy("People reached"),
        min_value=1,
        max_value=100000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": gettext_lazy("Say how many people the activity reached (at least 1)."),
            "min_value": gettext_lazy("Say how many people the activity reached (at least 1)."),
            "invalid": gettext_lazy("Enter the number of people as a whole number, for example 25."),
        },
    )
    notes = forms.CharField(
        label=pgettext_lazy("branch activity", "What happened"),
        required=False,
        max_length=services.NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = MultiplePhotoField(label=gettext_lazy("Photos"), required=False, widget=PHOTO_WIDGET)
