"""The proxy chain of a resident: grid point → community station → street centre → the
joint branch whose windows handle the service's department. Which point of a tier serves
a resident, which role staffs each tier, and where an errand goes when someone escalates
it: the one answer the errand page, the board, the API and the escalation itself use."""

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from grid.access import reach_of
from grid.models import Area, JointBranch, Role, ServicePoint, ServiceWindow, User
from outreach.models import Errand, Resident, ServiceType

Tier = ServicePoint.Tier

# Lowest first: escalation climbs this list, then leaves it for a joint branch.
TIER_ORDER: list[str] = [Tier.GRID_POINT, Tier.COMMUNITY_STATION, Tier.STREET_CENTRE]
TIER_LEVEL: dict[str, int] = {
    Tier.GRID_POINT: Area.Level.GRID,
    Tier.COMMUNITY_STATION: Area.Level.COMMUNITY,
    Tier.STREET_CENTRE: Area.Level.TOWN,
}
# Who staffs each tier, and the tier a person of an area role works at.
TIER_ROLE: dict[str, str] = {
    Tier.GRID_POINT: Role.GRID_WORKER,
    Tier.COMMUNITY_STATION: Role.STATION_STAFF,
    Tier.STREET_CENTRE: Role.STREET_OFFICIAL,
}
ROLE_TIER: dict[str, str] = {role: tier for tier, role in TIER_ROLE.items()}


def _chain_code(resident: Resident, tier: str) -> str:
    grid = resident.grid
    return (grid.ancestor_codes + [grid.code])[TIER_LEVEL[tier]]


def chain_point(*, resident: Resident, tier: str) -> ServicePoint:
    """The service point of a tier that serves a resident's grid (its grid point, its
    community's station or its town's centre)."""
    point = (
        ServicePoint.objects.filter(tier=tier, area__code=_chain_code(resident, tier)).select_related("area").first()
    )
    if point is None:
        raise ValidationError(_no_point(tier))
    return point


def _no_point(tier: str) -> str:
    return _("No %(tier)s serves this resident's area yet; ask the administrator to add it.") % {
        "tier": Tier(tier).label
    }


def _no_branch(service: ServiceType) -> str:
    return _("No joint branch has a window for %(department)s; the errand cannot go higher.") % {
        "department": service.department
    }


def _branches_by_department(department_ids: Iterable[int]) -> dict[int, JointBranch]:
    """The joint branch of each department: the one with its lowest-numbered window."""
    branches: dict[int, JointBranch] = {}
    windows = (
        ServiceWindow.objects.filter(department_id__in=set(department_ids), branch__isnull=False)
        .select_related("branch")
        .order_by("-number")
    )
    for window in windows:  # the lowest number comes last and stays
        assert window.branch is not None  # filtered on branch__isnull=False
        branches[window.department_id] = window.branch
    return branches


def branch_for_service(service: ServiceType) -> JointBranch:
    branch = _branches_by_department([service.department_id]).get(service.department_id)
    if branch is None:
        raise ValidationError(_no_branch(service))
    return branch


@dataclass(frozen=True)
class Destination:
    """Where escalating an errand sends it, or why it cannot go."""

    point: ServicePoint | None = None
    branch: JointBranch | None = None
    problem: str = ""

    def __str__(self) -> str:
        return str(self.point or self.branch or "")


def _sender_tier(user: User, errand: Errand) -> int:
    """The highest tier from which the user serves the errand's resident (-1: none, as
    for the city administrator or a branch member, who send from the holder's tier)."""
    roles = reach_of(user).roles_over(errand.resident.grid.path)
    return max((TIER_ORDER.index(ROLE_TIER[r]) for r in roles if r in ROLE_TIER), default=-1)


def escalation_destinations(*, user: User, errands: list[Errand]) -> dict[UUID, Destination]:
    """Where 上报 by this user sends each errand held at a point: the tier above both the
    holder and the user's own tier over the resident, never back to or below either. Two
    queries, however many errands (the errands come with resident__grid, holder_point and
    service)."""
    wanted: dict[UUID, tuple[str, str] | ServiceType] = {}
    for errand in errands:
        if errand.holder_point is None:
            continue  # a joint branch is the top of the chain
        above = max(TIER_ORDER.index(errand.holder_point.tier), _sender_tier(user, errand)) + 1
        if above < len(TIER_ORDER):
            tier = TIER_ORDER[above]
            wanted[errand.pk] = (tier, _chain_code(errand.resident, tier))
        else:
            wanted[errand.pk] = errand.service
    places = {w for w in wanted.values() if isinstance(w, tuple)}
    points: dict[tuple[str, str], ServicePoint] = {}
    if places:
        q = Q(pk__in=[])
        for tier, code in places:
            q |= Q(tier=tier, area__code=code)
        for point in ServicePoint.objects.filter(q).select_related("area").order_by("-pk"):
            points[(point.tier, point.area.code)] = point  # the first made comes last and stays
    services = [w for w in wanted.values() if isinstance(w, ServiceType)]
    branches = _branches_by_department(s.department_id for s in services) if services else {}
    destinations: dict[UUID, Destination] = {}
    for errand_id, want in wanted.items():
        if isinstance(want, tuple):
            found = points.get(want)
            destinations[errand_id] = Destination(point=found) if found else Destination(problem=_no_point(want[0]))
        else:
            branch = branches.get(want.department_id)
            destinations[errand_id] = Destination(branch=branch) if branch else Destination(problem=_no_branch(want))
    return destinations
