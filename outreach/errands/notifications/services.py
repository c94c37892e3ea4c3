"""In-app notifications (the bell) and their delivery beyond it: SMS, DingTalk and
WeCom (``channels``), for staff who chose them and, by SMS, for residents who agreed.

Rows are written in the caller's transaction: the bell's notices, and one ``Delivery``
per message, channel and number, whose unique key keeps a message from going out twice.
The deliveries are queued as background tasks (``tasks.deliver``) in the same
transaction (the queue is a table of the same database): sent only if the change commits,
and a gateway outage neither slows nor undoes the write, and is retried.
"""

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grid.models import Role, Scope, User
from outreach.errands.chain import TIER_ROLE
from outreach.errands.notifications import tasks
from outreach.errands.notifications.channels import channel, configured_channels
from outreach.errands.notifications.selectors import notification_preference_of, notifications_of
from outreach.models import (
    Channel,
    Complaint,
    Delivery,
    Errand,
    Notification,
    NotificationPreference,
    OnlineOrder,
    Resident,
)
from outreach.tracking import codes

# The errand states a resident who agreed hears of by SMS: taken on (已受理), and done,
# ready to be brought home or picked up (已办好). The kind of message is "errand_<state>".
RESIDENT_SMS_STATES = {Errand.State.ACCEPTED, Errand.State.COMPLETED}
MOBILE = re.compile(r"^1\d{10}$")


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
    notifications_deliver(notifications=rows)
    return rows


def notifications_deliver(*, notifications: list[Notification]) -> list[Delivery]:
    """Queue the stored notices for the channels their users chose (and that are on).
    Nothing is read when no channel is configured."""
    channels = configured_channels()
    if not channels or not notifications:
        return []
    preferences = {
        p.user_id: p for p in NotificationPreference.objects.filter(user_id__in={n.user_id for n in notifications})
    }
    deliveries = []
    for notice in notifications:
        preference = preferences.get(notice.user_id)
        if preference is None or not preference.mobile:
            continue
        deliveries += [
            Delivery(
                notification=notice,
                errand_id=notice.errand_id,  # an errand's deliveries show to those who see the errand
                channel=c.name,
                recipient=preference.mobile,
                kind=notice.kind,
                text=notice.text,
                params={"text": notice.text},
                dedupe_key=f"notification:{notice.pk}",
            )
            for c in channels
            if preference.wants(c.name) and c.handles(notice.kind)
        ]
    return deliveries_queue(deliveries=deliveries)


def resident_sms_number(resident: Resident) -> str:
    """Where a resident's progress SMS go: nowhere without their consent."""
    return resident.sms_phone if resident.sms_consent else ""


def errand_progress_sms(*, errand: Errand) -> list[Delivery]:
    """Tell the resident (or their family) by SMS that their errand reached its state,
    if they agreed to it and the state is one they hear of. Names no more than the
    service, the errand's number and its progress code (for /track/)."""
    kind = f"errand_{errand.state}"
    sms = channel(Channel.SMS)
    number = resident_sms_number(errand.resident)
    if errand.state not in RESIDENT_SMS_STATES or not number or not (sms.configured() and sms.handles(kind)):
        return []
    params = {"number": errand.number, "service": errand.service.name, "code": codes.shown(errand.progress_code)}
    with translation.override("zh-hans"):  # residents read Chinese, whoever pressed the button
        if errand.state == Errand.State.ACCEPTED:
            text = _("Your errand %(service)s (%(number)s) is accepted. Progress code %(code)s, look it up at /track/.")
        else:
            text = _("Your errand %(service)s (%(number)s) is done. Progress code %(code)s, look it up at /track/.")
    delivery = Delivery(
        errand=errand,
        channel=sms.name,
        recipient=number,
        kind=kind,
        text=(text % params)[:300],
        params=params,
        dedupe_key=f"errand:{errand.pk}:{errand.state}",
    )
    return deliveries_queue(deliveries=[delivery])


def deliveries_queue(*, deliveries: list[Delivery]) -> list[Delivery]:
    """Store the deliveries (those already stored under the same key stay as they are)
    and queue the ones still to send for after the commit."""
    if not deliveries:
        return []
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    keys = {(d.channel, d.recipient, d.dedupe_key) for d in deliveries}
    stored = Delivery.objects.filter(dedupe_key__in={d.dedupe_key for d in deliveries}, status=Delivery.Status.PENDING)
    to_send = [d for d in stored if (d.channel, d.recipient, d.dedupe_key) in keys]

    # The queue is a table of the same database (django-tasks-db): each message's task is
    # written in the caller's transaction, so it is queued if and only if the change that
    # caused it commits, and no worker runs it before.
    for delivery in to_send:
        tasks.deliver.enqueue(delivery.pk)
    return to_send


def notification_preference_save(
    *, user: User, mobile: str, sms: bool, dingtalk: bool, wecom: bool
) -> NotificationPreference:
    """Store the channels a staff member wants. A channel that is not configured keeps
    what it had (it cannot be chosen, nor lost while it is off)."""
    preference = notification_preference_of(user=user)
    mobile = mobile.strip().replace(" ", "")
    wanted: dict[str, bool] = {Channel.SMS: sms, Channel.DINGTALK: dingtalk, Channel.WECOM: wecom}
    for c in configured_channels():
        setattr(preference, c.name, wanted[c.name])
    if mobile and not MOBILE.match(mobile):
        raise ValidationError({"mobile": _("Give an 11-digit mobile number starting with 1.")})
    if not mobile and any(preference.wants(c.name) for c in configured_channels()):
        raise ValidationError({"mobile": _("Give your mobile number to be reached by SMS or a robot's mention.")})
    preference.mobile = mobile
    preference.save()
    return preference


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
