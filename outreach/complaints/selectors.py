"""Reads of the "跑一次没办成" complaints window, cut to the user's reach.

Street officials see the complaints registered at their street centres, branch
secretaries (and anyone scoped to a branch) those assigned to their branches, the city
administrator all of them; everybody else gets 404 — the one door is
``complaint_for_user_or_404``.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from grid.access import reach_of
from grid.models import Area, Department, ServicePoint, User
from outreach.common import due
from outreach.models import Complaint, ServiceType

COMPLAINT_RELATED = ["point", "area", "department", "service", "branch", "registered_by", "resolved_by"]


class Tab:
    OPEN = "open"
    OVERDUE = "overdue"
    CLOSED = "closed"
    ALL = (OPEN, OVERDUE, CLOSED)


def complaints_visible_to(*, user: User) -> QuerySet[Complaint]:
    """Complaints registered at street centres under the user's areas, and complaints
    assigned to the user's joint branches. A grid worker's or a station's subtree holds
    no street centre, but the role check keeps them out without relying on that."""
    reach = reach_of(user)
    if not reach.may_see_complaints():
        return Complaint.objects.none()
    q = Q(pk__in=[])
    if reach.may_register_complaints():
        q |= reach.area_q(prefix="point__area__")
    if reach.branch_ids:
        q |= Q(branch_id__in=reach.branch_ids)
    return Complaint.objects.filter(q)


def complaint_for_user_or_404(user: User, pk: int) -> Complaint:
    return get_object_or_404(complaints_visible_to(user=user).select_related(*COMPLAINT_RELATED), pk=pk)


def answers_for_branch(user: User, complaint: Complaint) -> bool:
    """The joint branch the complaint is assigned to answers it; nobody else does (the
    centre that registered it and the city administrator only read it)."""
    return complaint.branch_id is not None and complaint.branch_id in reach_of(user).branch_ids


def may_resolve(user: User, complaint: Complaint) -> bool:
    return complaint.state == Complaint.State.OPEN and answers_for_branch(user, complaint)


def complaints_list(*, user: User, today: date, tab: str = Tab.OPEN) -> QuerySet[Complaint]:
    """One tab of the list: open (soonest deadline first, overdue ones on top by
    construction), overdue only, or closed (latest answer first)."""
    complaints = complaints_visible_to(user=user).select_related("point", "department", "service", "branch")
    if tab == Tab.CLOSED:
        return complaints.filter(state=Complaint.State.CLOSED).order_by("-resolved_at", "-pk")
    if tab == Tab.OVERDUE:
        complaints = complaints.filter(due.complaint_overdue_q(today))
    else:
        complaints = complaints.filter(state=Complaint.State.OPEN)
    return complaints.order_by("deadline", "registered_at", "pk")


@dataclass(frozen=True)
class ComplaintCounts:
    open: int
    overdue: int
    closed: int
    on_spot: int
    total: int

    @property
    def on_spot_percent(self) -> int | None:
        """Share of all registered complaints handled on the spot, in whole percent."""
        if not self.total:
            return None
        return round(100 * self.on_spot / self.total)


def complaint_counts(*, user: User, today: date) -> ComplaintCounts:
    """The tab counts and the on-the-spot share of the user's scope, in one query."""
    row = complaints_visible_to(user=user).aggregate(
        open=Count("pk", filter=Q(state=Complaint.State.OPEN)),
        overdue=Count("pk", filter=due.complaint_overdue_q(today)),
        closed=Count("pk", filter=Q(state=Complaint.State.CLOSED)),
        on_spot=Count("pk", filter=Q(handled_on_spot=True)),
        total=Count("pk"),
    )
    return ComplaintCounts(**row)


def complaint_points_for(*, user: User) -> QuerySet[ServicePoint]:
    """The street centres where the user may register complaints: those of their towns
    for a street official, every centre for the city administrator."""
    reach = reach_of(user)
    if not reach.may_register_complaints():
        return ServicePoint.objects.none()
    return (
        ServicePoint.objects.filter(reach.area_q(prefix="area__"), tier=ServicePoint.Tier.STREET_CENTRE)
        .select_related("area")
        .order_by("area__path")
    )


def complaint_areas_for(*, user: User) -> QuerySet[Area]:
    """The communities and villages a complaint may be counted in: those of the towns
    whose street centres the user registers at (the service checks the one chosen is
    under the centre's town)."""
    reach = reach_of(user)
    if not reach.may_register_complaints():
        return Area.objects.none()
    return Area.objects.filter(reach.area_q(), level=Area.Level.COMMUNITY).only("id", "name", "path").order_by("path")


def departments_for_complaints() -> QuerySet[Department]:
    return Department.objects.order_by("code")


def services_for_complaints() -> QuerySet[ServiceType]:
    """The whole catalogue, withdrawn services too: people complain about those as well."""
    return ServiceType.objects.select_related("department").order_by("name")
