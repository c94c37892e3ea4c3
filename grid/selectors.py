"""Reads of the territory and the service network, always through the user's reach."""

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.shortcuts import get_object_or_404

from grid.access import reach_of
from grid.models import Area, JointBranch, Pairing, ServicePoint, User


def open_pairings() -> QuerySet[Pairing]:
    return Pairing.objects.filter(until__isnull=True)


def areas_visible_to(*, user: User) -> QuerySet[Area]:
    """Every area the user may see: the subtrees under their scopes, plus, for a branch
    secretary, the areas of the agency points the branch is paired with. One query."""
    reach = reach_of(user)
    q: Q | Combinable = reach.area_q()
    if reach.branch_ids:
        paired = open_pairings().filter(branch_id__in=reach.branch_ids, point__area_id=OuterRef("pk"))
        q |= Exists(paired)
    return Area.objects.filter(q)


def areas_in_scope(*, user: User) -> QuerySet[Area]:
    """The subtrees under the user's area scopes, and nothing a joint branch adds: where
    the residents the user looks after live, hence the only areas the user may register,
    move or import residents into. One query."""
    return Area.objects.filter(reach_of(user).area_q())


def area_subtree(*, area: Area) -> QuerySet[Area]:
    """Everything under ``area`` (itself included), in one indexed prefix query."""
    return Area.objects.filter(path__startswith=area.path)


def area_for_user_or_404(user: User, pk: int) -> Area:
    return get_object_or_404(areas_visible_to(user=user), pk=pk)


def service_points_visible_to(*, user: User) -> QuerySet[ServicePoint]:
    """Points in the user's subtrees, the centres and stations above them (where their
    errands escalate to), and a branch secretary's paired agency points."""
    reach = reach_of(user)
    q: Q | Combinable = reach.area_q(prefix="area__")
    if reach.ancestor_codes:
        q |= Q(area__code__in=sorted(reach.ancestor_codes))
    if reach.branch_ids:
        q |= Exists(open_pairings().filter(branch_id__in=reach.branch_ids, point_id=OuterRef("pk")))
    return ServicePoint.objects.filter(q)


def service_points_list(
    *, user: User, tier: str = "", area: Area | None = None, search: str = ""
) -> QuerySet[ServicePoint]:
    points = service_points_visible_to(user=user).select_related("area")
    if tier:
        points = points.filter(tier=tier)
    if area is not None:
        points = points.filter(area__path__startswith=area.path)
    if search:
        points = points.filter(
            Q(name__icontains=search) | Q(address__icontains=search) | Q(area__name__icontains=search)
        )
    return points.order_by(tier_rank(), "area__path", "name")


def tier_rank() -> Case:
    """Street centre, then community station, then grid point: the order of escalation
    read backwards, which is how people list the network."""
    return Case(
        *(When(tier=tier, then=Value(rank)) for rank, tier in enumerate(ServicePoint.Tier.values)),
        output_field=IntegerField(),
    )


def service_point_for_user_or_404(user: User, pk: int) -> ServicePoint:
    points = service_points_visible_to(user=user).select_related("area", "area__parent").prefetch_related("agents")
    return get_object_or_404(points, pk=pk)


def branches_visible_to(*, user: User) -> QuerySet[JointBranch]:
    reach = reach_of(user)
    if reach.reads_all_branches:
        return JointBranch.objects.all()
    return JointBranch.objects.filter(pk__in=reach.branch_ids)


def map_outlines_for(*, user: User) -> QuerySet[Area]:
    """Areas whose outlines frame the user's map: their scope roots and one level below,
    or, for a secretary, the paired points' areas."""
    reach = reach_of(user)
    q: Q | Combinable = Q(pk__in=reach.area_ids)
    for path in reach.area_paths:
        q |= Q(path__startswith=path, parent__path=path)
    if reach.branch_ids:
        q |= Exists(open_pairings().filter(branch_id__in=reach.branch_ids, point__area_id=OuterRef("pk")))
    return Area.objects.filter(q).only("id", "name", "code", "level", "boundary")
