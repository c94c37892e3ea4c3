from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("Outreach")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from outreach.offline.sessions import keep_field_phones_logged_in

        user_logged_in.connect(keep_field_phones_logged_in, dispatch_uid="daiban-field-session-length")
