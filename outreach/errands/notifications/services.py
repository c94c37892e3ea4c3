"""In-app notifications (the bell) and their delivery to other channels.

Rows are written in the caller's transaction; the configured backends (SMS, a
government messaging app…) are called only after it commits. The default backend
logs, so a deployment without a gateway still leaves a trace.
"""

import logging
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from grid.models import Role, Scope, User
from outreach.errands.chain import TIER_ROLE
from outreach.errands.notifications.selectors import notifications_of
from outreach.models import Complaint, Errand, Notification, OnlineOrder

logger = logging.getLogger("daiban.notify")


class NotificationBackend(Protocol):
    def send(self, notification: Notification) -> None: ...


class LoggingBackend:
    """Writes each notification to the ``daiban.notify`` log."""

    def send(self, notification: Notification) -> None:
        logger.info("notify user=%s kind=%s: %s", notification.user_id, notification.kind, notification.text)


def backends() -> list[NotificationBackend]:
    return [import_string(path)() for path in settings.DAIBAN_NOTIFICATION_BACKENDS]


def send(
    *,
    users: Iterable[User],
    kind: str,
    text: str,
    errand: Errand | None = None,
    order: OnlineOrder | None = None,
    complaint: Complaint | None = None,
) -> list[Notification]:
    rows = Notification.objects.bulk_create(
        Notification(user=user, kind=kind, text=text[:200], errand=errand, order=order, complaint=complaint)
        for user in {u.pk: u for u in users}.values()
    )

    def deliver() -> None:
        for backend in backends():
            for row in rows:
                try:
                    backend.send(row)
                except Exception:  # a gateway outage must not lose the in-app notice
                    logger.exception("notification backend %s failed", type(backend).__name__)

    transaction.on_commit(deliver)
    return rows


def holder_staff(errand: Errand) -> list[User]:
    """The people who look after the point or branch that now holds an errand."""
    if errand.holder_branch_id:
        q = Q(role=Role.BRANCH_SECRETARY, branch_id=errand.holder_branch_id)
    else:
        point = errand.holder_point
        assert point is not None  # an errand is held by a point or by a branch
        q = Q(role=TIER_ROLE[point.tier], area_id=point.area_id)
    users = [s.user for s in Scope.objects.filter(q).select_related("user")]
    if errand.holder_point is not None:
        users += list(errand.holder_point.agents.all())
    return users


def errand_arrived(*, errand: Errand, kind: str, exclude: User | None = None) -> list[Notification]:
    users = [u for u in holder_staff(errand) if exclude is None or u.pk != exclude.pk]
    text = _("Errand %(number)s · %(service)s for %(resident)s is now with %(holder)s") % {
        "number": errand.number,
        "service": errand.service,
        "resident": errand.resident,
        "holder": errand.holder,
    }
    return send(users=users, kind=kind, errand=errand, text=text)


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_mark_all_read(*, user: User) -> int:
    return notifications_of(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())
