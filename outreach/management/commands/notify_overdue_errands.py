"""Tell people about errands past their due date: the assignee, or — when nobody is
assigned — the staff of the point or joint branch holding the errand.

Queued once a day by the worker (outreach.jobs.periodic, 07:30 by default), or run by hand. It is
idempotent: one OVERDUE notice per errand and person is all anyone ever gets (a unique
constraint on Notification), so a second run, a re-run after a failure or two servers
running it at once add nothing. The in-app notices are written in one transaction with
their deliveries (SMS, DingTalk, WeCom, for those who chose them), which are queued as
background tasks in the same transaction.
"""

from collections import defaultdict

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grid.models import Role, Scope, ServicePoint
from outreach.common import due
from outreach.errands.chain import TIER_ROLE
from outreach.errands.notifications import services as notify
from outreach.errands.notifications.channels import configured_channels
from outreach.models import Errand, Notification

BATCH = 500


def overdue_errands(*, today) -> list[Errand]:
    return list(
        Errand.objects.filter(due.errand_overdue_q(today))
        .select_related("service", "resident", "holder_point", "holder_branch")
        .order_by("due_on", "pk")
    )


def holder_staff_of(errands: list[Errand]) -> dict:
    """``notify.holder_staff`` for many errands in two queries: errand id → user ids."""
    area_ids: dict[str, set[int]] = defaultdict(set)  # role → areas of the holding points
    branch_ids, point_ids = set(), set()
    for errand in errands:
        if errand.holder_branch_id:
            branch_ids.add(errand.holder_branch_id)
        else:
            point = errand.holder_point
            assert point is not None  # an errand is held by a point or by a branch
            area_ids[TIER_ROLE[point.tier]].add(point.area_id)
            point_ids.add(point.pk)
    q = Q(pk__in=[])
    for role, ids in area_ids.items():
        q |= Q(role=role, area_id__in=ids)
    if branch_ids:
        q |= Q(role=Role.BRANCH_SECRETARY, branch_id__in=branch_ids)
    by_place: dict[tuple, set[int]] = defaultdict(set)
    scopes = Scope.objects.filter(q).values_list("role", "area_id", "branch_id", "user_id")
    for role, area_id, branch_id, user_id in scopes:
        by_place[("branch", branch_id) if branch_id else (role, area_id)].add(user_id)
    agents: dict[int, set[int]] = defaultdict(set)
    through = ServicePoint.agents.through.objects.filter(servicepoint_id__in=point_ids)
    for point_id, user_id in through.values_list("servicepoint_id", "user_id"):
        agents[point_id].add(user_id)
    staff = {}
    for errand in errands:
        if errand.holder_branch_id:
            staff[errand.pk] = by_place[("branch", errand.holder_branch_id)]
        else:
            point = errand.holder_point
            assert point is not None
            staff[errand.pk] = by_place[(TIER_ROLE[point.tier], point.area_id)] | agents[point.pk]
    return staff


def _text(errand: Errand, today) -> str:
    days = due.errand_days_overdue(due_on=errand.due_on, today=today)
    overdue = ngettext("%(days)d day overdue", "%(days)d days overdue", days) % {"days": days}
    return _("Errand %(number)s · %(service)s for %(resident)s is %(overdue)s") % {
        "number": errand.number,
        "service": errand.service,
        "resident": errand.resident,
        "overdue": overdue,
    }


def notify_overdue_errands(*, today) -> tuple[int, list[Notification]]:
    """Write the missing overdue notices; returns (overdue errands, new notices)."""
    errands = overdue_errands(today=today)
    staff = holder_staff_of([e for e in errands if e.assignee_id is None])
    already = set(
        Notification.objects.filter(kind=Notification.Kind.OVERDUE, errand__in=[e.pk for e in errands]).values_list(
            "user_id", "errand_id"
        )
    )
    notices = []
    for errand in errands:
        users = {errand.assignee_id} if errand.assignee_id else staff[errand.pk]
        text = _text(errand, today)[:200]
        notices += [
            Notification(user_id=user_id, kind=Notification.Kind.OVERDUE, errand=errand, text=text)
            for user_id in sorted(users)
            if (user_id, errand.pk) not in already
        ]
    with transaction.atomic():
        # ignore_conflicts: a run racing this one may have written some of them meanwhile.
        Notification.objects.bulk_create(notices, batch_size=BATCH, ignore_conflicts=True)
        notify.notifications_deliver(notifications=_stored(notices))
    return len(errands), notices


def _stored(notices: list[Notification]) -> list[Notification]:
    """The notices as stored, with their ids (bulk_create cannot return them when it
    ignores conflicts). A notice a racing run stored gets its delivery once all the same:
    deliveries are unique per notice."""
    if not notices or not configured_channels():
        return []
    pairs = {(n.user_id, n.errand_id) for n in notices}
    stored = Notification.objects.filter(
        kind=Notification.Kind.OVERDUE,
        errand_id__in={n.errand_id for n in notices},
        user_id__in={n.user_id for n in notices},
    )
    return [n for n in stored if (n.user_id, n.errand_id) in pairs]


class Command(BaseCommand):
    help = (
        "Notify assignees (or the holding point's or branch's staff, when unassigned) of errands past their "
        "due date. Run daily; running it again adds nothing."
    )

    def handle(self, *args, **options):
        errands, notices = notify_overdue_errands(today=timezone.localdate())
        self.stdout.write(f"{errands} overdue errands; {len(notices)} new notifications.")
