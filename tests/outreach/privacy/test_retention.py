"""``purge_expired``: roster uploads never imported, rejected online orders, read
notifications and old audit entries go after their retention period (settings), in
batches; everything else stays; ``--dry-run`` deletes nothing; a second run finds
nothing more (safe daily)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from grid.models import ServicePoint
from outreach.models import (
    AuditEvent,
    Delivery,
    NationalIdCheck,
    Notification,
    OnlineOrder,
    ProgressLookup,
    RosterImport,
    UsedOrderFormToken,
)
from tests import factories

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_expired", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def aged(demo_users):
    """Two of each kind: one just past its retention period, one just inside it, plus
    look-alikes that are never purged (an imported roster, orders not rejected, unread
    notifications)."""
    now = timezone.now()
    station, street, admin = demo_users["station"], demo_users["street"], demo_users["admin"]
    point = ServicePoint.objects.filter(tier=ServicePoint.Tier.GRID_POINT).first()

    def upload(days: float, committed: bool = False) -> RosterImport:
        staged = RosterImport.objects.create(uploaded_by=station, filename="花名册.xlsx", content=b"sealed")
        RosterImport.objects.filter(pk=staged.pk).update(
            created_at=now - days * DAY,
            committed_at=now - days * DAY if committed else None,
            content=b"" if committed else b"sealed",
        )
        return staged

    def order(days: float, status: str) -> OnlineOrder:
        return OnlineOrder.objects.create(
            point=point, name="钱阿姨", phone="13900002222", status=status, created_at=now - days * DAY
        )

    def notice(days: float | None, old: float = 200) -> Notification:
        return Notification.objects.create(
            user=street,
            kind=Notification.Kind.OVERDUE,
            text="代办已超期",
            created_at=now - old * DAY,
            read_at=None if days is None else now - days * DAY,
        )

    resident = factories.resident(actor=admin, name="孙大爷")
    old_entry = AuditEvent.objects.get(resident=resident)  # its registration
    AuditEvent.objects.filter(pk=old_entry.pk).update(at=now - 1096 * DAY)
    new_entry = AuditEvent.objects.create(actor=admin, action=AuditEvent.Action.NATIONAL_ID_REVEALED, resident=resident)
    AuditEvent.objects.filter(pk=new_entry.pk).update(at=now - 1094 * DAY)
    rejected_order = order(31, OnlineOrder.Status.REJECTED)
    Notification.objects.create(user=street, kind=Notification.Kind.ORDER, order=rejected_order, text="新点单")
    today = timezone.localdate()
    check = lambda days: NationalIdCheck.objects.create(user=admin, day=today - days * DAY, digest=f"d{days}")  # noqa: E731
    token = lambda days: UsedOrderFormToken.objects.create(nonce=f"n{days}", used_at=now - days * DAY)  # noqa: E731
    lookup = lambda days: ProgressLookup.objects.create(  # noqa: E731
        code="ABCDE23456", address="10.0.0.9", found=False, at=now - days * DAY
    )

    def delivery(days: float, status: str) -> Delivery:
        sent = Delivery.objects.create(
            notification=kept_notice,
            channel="sms",
            recipient="13800000001",
            kind="overdue",
            text="代办已超期",
            dedupe_key=f"test:{days}:{status}",
            status=status,
        )
        Delivery.objects.filter(pk=sent.pk).update(created_at=now - days * DAY)
        return sent

    kept_notice = notice(None, old=400)
    return {
        "gone": {
            "upload": upload(3),
            "order": rejected_order,
            "notice": notice(91),
            "entry": old_entry,
            "check": check(3),
            "token": token(2),
            "lookup": lookup(31),
            "delivery": delivery(91, "sent"),
            "given_up": delivery(91, "gave_up"),
        },
        "kept": {
            "upload": upload(1),
            "imported": upload(400, committed=True),
            "order": order(29, OnlineOrder.Status.REJECTED),
            "pending": order(400, OnlineOrder.Status.PENDING),
            "confirmed": order(400, OnlineOrder.Status.CONFIRMED),
            "notice": notice(89),
            "unread": notice(None, old=400),
            "entry": new_entry,
            "check": check(0),  # today's: the daily limit counts them
            "token": token(0),
            "lookup": lookup(29),
            "delivery": delivery(89, "sent"),
            "retrying": delivery(200, "failed"),  # still to be sent (or given up)
        },
    }


def exists(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


def test_dry_run_counts_and_deletes_nothing(aged):
    before = {model: model.objects.count() for model in (RosterImport, OnlineOrder, Notification, AuditEvent)}
    out = purge("--dry-run")
    assert "roster_uploads: 1 would be deleted (kept 2 days, DAIBAN_RETAIN_ROSTER_UPLOADS_DAYS)" in out
    assert "rejected_orders: 1 would be deleted (kept 30 days" in out
    assert "read_notifications: 1 would be deleted (kept 90 days" in out
    assert "audit_events: 1 would be deleted (kept 1095 days" in out
    assert before == {model: model.objects.count() for model in before}


def test_purge_deletes_what_is_past_its_period_only(aged):
    out = purge("--batch", "1")  # one row per transaction: every kind takes several batches
    assert "roster_uploads: 1 deleted" in out and "audit_events: 1 deleted" in out
    assert not any(exists(obj) for obj in aged["gone"].values())
    assert all(exists(obj) for obj in aged["kept"].values())
    # the rejected order's own notification went with it
    assert not Notification.objects.filter(kind=Notification.Kind.ORDER).exists()
    again = purge()
    assert all(
        f"{retention}: 0 deleted" in again
        for retention in (
            "roster_uploads",
            "rejected_orders",
            "read_notifications",
            "audit_events",
            "national_id_checks",
            "order_form_tokens",
            "progress_lookups",
            "deliveries",
        )
    )


def test_periods_are_settings(aged, settings):
    settings.DAIBAN_RETAIN_REJECTED_ORDERS_DAYS = 10
    settings.DAIBAN_RETAIN_AUDIT_DAYS = 1000
    out = purge()
    assert "rejected_orders: 2 deleted (kept 10 days" in out
    assert "audit_events: 2 deleted (kept 1000 days" in out
    assert not exists(aged["kept"]["order"]) and not exists(aged["kept"]["entry"])
    assert exists(aged["kept"]["pending"])
