"""Notifications delivered beyond the bell: each message to each channel and number is
one ``Delivery`` row (the log, the retry state and the guard against sending twice),
and each staff member's ``NotificationPreference`` says which channels reach them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    DINGTALK = "dingtalk", _("DingTalk")
    WECOM = "wecom", _("WeCom")


class Delivery(models.Model):
    """One message on one channel to one number. Unique per (dedupe key, channel,
    recipient), so a message goes out once however often its task runs; the dedupe key
    names the message: "notification:<id>" for staff, "errand:<id>:<state>" for residents."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will retry")
        GAVE_UP = "gave_up", _("gave up")

    # A staff member's message comes from their bell notice; a resident's SMS has none
    # (residents do not log in) and names its errand instead.
    notification = models.ForeignKey(
        "outreach.Notification",
        verbose_name=_("notification"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    errand = models.ForeignKey(
        "outreach.Errand",
        verbose_name=_("errand"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("mobile number"), max_length=20, blank=True)
    kind = models.CharField(_("message kind"), max_length=20)
    text = models.CharField(_("text"), max_length=300)
    params = models.JSONField(_("template parameters"), default=dict, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=80)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="delivery_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key", "channel", "recipient"], name="delivery_once"),
            models.CheckConstraint(
                condition=Q(notification__isnull=False) | Q(errand__isnull=False), name="delivery_is_about_something"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.dedupe_key}"


class NotificationPreference(models.Model):
    """The channels a staff member wants besides the bell, and the mobile they reach."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    mobile = models.CharField(_("mobile number"), max_length=20, blank=True)
    sms = models.BooleanField(_("SMS"), default=False)
    dingtalk = models.BooleanField(_("DingTalk"), default=False)
    wecom = models.BooleanField(_("WeCom"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)

    def wants(self, channel: str) -> bool:
        return bool(getattr(self, channel))
