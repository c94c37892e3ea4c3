"""Reads of the notification bell and of the channels a user chose: a user only ever
reaches their own notifications and preferences."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from grid.models import User
from outreach.models import Notification, NotificationPreference


def notifications_of(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(*, user: User) -> int:
    return notifications_of(user=user).filter(read_at__isnull=True).count()


def notification_for_user_or_404(user: User, pk: int) -> Notification:
    return get_object_or_404(notifications_of(user=user), pk=pk)


# Each kind of target has its page.
TARGETS = [("errand_id", "errand-detail"), ("order_id", "order-detail"), ("complaint_id", "complaint-detail")]


def notification_target(notification: Notification) -> str | None:
    for attribute, url_name in TARGETS:
        target_id = getattr(notification, attribute)
        if target_id is not None:
            return reverse(url_name, args=[target_id])
    return None


def notification_preference_of(*, user: User) -> NotificationPreference:
    """The user's channels; unsaved (nothing chosen, their account's phone) until they save."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference or NotificationPreference(user=user, mobile=user.phone)
