"""The form of a staff member's notification channels (通知方式)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from outreach.common.forms import NamedRequiredMixin, ServiceErrorsMixin
from outreach.common.limits import max_length
from outreach.models import Channel, NotificationPreference


class NotificationPreferenceForm(NamedRequiredMixin, ServiceErrorsMixin, forms.Form):
    mobile = forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=max_length(NotificationPreference, "mobile"),
        help_text=_("The SMS go to this number; the DingTalk and WeCom robots mention it in their group."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    sms = forms.BooleanField(label=_("SMS"), required=False)
    dingtalk = forms.BooleanField(label=_("DingTalk (浙政钉) group robot"), required=False)
    wecom = forms.BooleanField(label=_("WeCom (企业微信) group robot"), required=False)

    def __init__(self, *args, available: set[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in Channel.values:
            if name not in available:  # shown, but cannot be chosen: what it holds stays
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Not available: this channel is not set up.")
