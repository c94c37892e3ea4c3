"""Reads of errands, online orders and complaints, cut to the user's reach."""

import re
from datetime import date
from uuid import UUID

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404

from grid.access import reach_of
from grid.models import Role, Scope, User
from outreach.common import due
from outreach.models import Errand, ErrandEvent, ErrandPhoto, Resident, ServiceType

ERRAND_RELATED = [
    "resident",
    "resident__grid",
    "service",
    "service__department",
    "holder_point",
    "holder_point__area",
    "holder_branch",
    "assignee",
]


def errands_visible_to(*, user: User) -> QuerySet[Errand]:
    """Errands of residents under the user's areas, and errands held by the user's
    joint branches."""
    reach = reach_of(user)
    q = reach.area_q(prefix="resident__grid__")
    if reach.branch_ids:
        q |= Q(holder_branch_id__in=reach.branch_ids)
    return Errand.objects.filter(q)


def errands_acting_q(*, user: User) -> Q:
    """Errands the user may change (services.may_act, the same rule for one errand): held
    at a point in the user's areas or by one of their joint branches, or given to them.
    The rest of what they see they only watch (escalated above them, say)."""
    reach = reach_of(user)
    if reach.is_city_admin:
        return Q(pk__isnull=False)
    q = Q(assignee=user) | reach.area_q(prefix="holder_point__area__")
    if reach.branch_ids:
        q |= Q(holder_branch_id__in=reach.branch_ids)
    return q


def errand_for_user_or_404(user: User, pk: UUID) -> Errand:
    return get_object_or_404(errands_visible_to(user=user).select_related(*ERRAND_RELATED), pk=pk)


def receipt_photo_for_user_or_404(user: User, pk: UUID) -> ErrandPhoto:
    """A receipt photo, for someone who may see its errand."""
    photo = ErrandPhoto.objects.filter(pk=pk, errand__in=errands_visible_to(user=user)).first()
    if photo is None:
        raise Http404
    return photo


def errand_timeline(*, errand: Errand) -> list[ErrandEvent]:
    return list(errand.events.select_related("actor", "assignee").order_by("at", "pk"))


def open_errands_of(*, user: User, today: date) -> QuerySet[Errand]:
    """A worker's own open errands (assigned to them), due soonest first."""
    return (
        errands_visible_to(user=user)
        .filter(assignee=user, state__in=due.ERRAND_UNFINISHED + ("completed",))
        .select_related(*ERRAND_RELATED)
        .order_by("due_on", "requested_at")
    )


def own_errand_counts(*, user: User, today: date) -> dict[str, int]:
    """The strip on a worker's Today: their errands in hand, overdue, and done at the office
    but not yet brought home. One query."""
    row = (
        errands_visible_to(user=user)
        .filter(assignee=user)
        .aggregate(
            open=Count("pk", filter=Q(state__in=due.ERRAND_UNFINISHED)),
            overdue=Count("pk", filter=due.errand_overdue_q(today)),
            to_deliver=Count("pk", filter=Q(state=Errand.State.COMPLETED)),
        )
    )
    return {key: value or 0 for key, value in row.items()}


# The filters' forms, as errands_list reads them and the API documents them. Ids are
# ASCII digits ("²".isdigit() is true, int("²") is an error) that fit the bigint ids.
HOLDER_PATTERN = r"(point|branch):[0-9]{1,18}"
ASSIGNEE_PATTERN = r"me|none|[0-9]{1,18}"


def errands_list(
    *,
    user: User,
    today: date,
    state: str = "",
    service: int | None = None,
    holder: str = "",
    assignee: str = "",
    overdue: bool = False,
    watching: bool | None = None,
) -> QuerySet[Errand]:
    """Filters shared by the board and the API. ``holder`` is "point:<id>" or
    "branch:<id>"; ``assignee`` is "me", "none" or a user id; ``watching`` True keeps
    the errands the user only watches, False those they may change."""
    errands = errands_visible_to(user=user)
    if watching is not None:
        acting = errands_acting_q(user=user)
        errands = errands.exclude(acting) if watching else errands.filter(acting)
    if state:
        errands = errands.filter(state=state)
    if service:
        errands = errands.filter(service_id=service)
    if re.fullmatch(HOLDER_PATTERN, holder):
        kind, _sep, pk = holder.partition(":")
        errands = errands.filter(**{f"holder_{kind}_id": int(pk)})
    if assignee == "me":
        errands = errands.filter(assignee=user)
    elif assignee == "none":
        errands = errands.filter(assignee__isnull=True)
    elif re.fullmatch(ASSIGNEE_PATTERN, assignee):
        errands = errands.filter(assignee_id=int(assignee))
    if overdue:
        errands = errands.filter(due.errand_overdue_q(today))
    return errands.select_related(*ERRAND_RELATED).order_by("due_on", "requested_at", "pk")


def service_types_offered() -> QuerySet[ServiceType]:
    return ServiceType.objects.filter(is_active=True).select_related("department").order_by("name")


# Who may be given an errand: the people serving the resident's grid, community or town
# in these roles, and the secretary and members of the joint branch holding it.
ASSIGNABLE_AREA_ROLES = (Role.GRID_WORKER, Role.STATION_STAFF, Role.STREET_OFFICIAL)
# Each person is offered once, under their lowest tier: assigning moves the errand there.
ROLE_ORDER: dict[str, int] = {
    role: rank
    for rank, role in enumerate([Role.GRID_WORKER, Role.STATION_STAFF, Role.STREET_OFFICIAL, Role.BRANCH_SECRETARY])
}


def assignable_scopes(*, errands: list[Errand]) -> dict:
    """Who each errand may be given to, for many errands in one query: errand id → the
    scopes of the active people serving its resident's grid, community or town, and of
    the members of the branch holding it; one scope per person (the holding branch's,
    else their lowest tier), lowest tier first. The one rule behind the errand page, the
    board, the branch queue, the API and ``errand_assign``. Needs ``resident__grid``."""
    codes_of = {e.pk: {*e.resident.grid.ancestor_codes[1:], e.resident.grid.code} for e in errands}
    all_codes = set().union(*codes_of.values()) if errands else set()
    branch_ids = {e.holder_branch_id for e in errands if e.holder_branch_id}
    if not all_codes and not branch_ids:
        return {}
    q = Q(area__code__in=all_codes, role__in=ASSIGNABLE_AREA_ROLES)
    if branch_ids:
        q |= Q(branch_id__in=branch_ids)
    scopes = sorted(
        Scope.objects.filter(q, user__is_active=True).select_related("user", "area", "branch"),
        key=lambda s: (ROLE_ORDER.get(s.role, 9), s.user.display_name, s.user_id),
    )
    result = {}
    for errand in errands:
        codes, chosen_of = codes_of[errand.pk], {}
        for scope in scopes:
            in_holder = bool(scope.branch_id) and scope.branch_id == errand.holder_branch_id
            fits = in_holder or (
                scope.area is not None and scope.area.code in codes and scope.role in ASSIGNABLE_AREA_ROLES
            )
            # A branch's errand stays with the branch when it goes to one of its people,
            # even one who also serves the resident's area.
            if fits and (scope.user_id not in chosen_of or in_holder):
                chosen_of[scope.user_id] = scope
        chosen = set(map(id, chosen_of.values()))
        result[errand.pk] = [scope for scope in scopes if id(scope) in chosen]
    return result


def assignable_scope(*, errand: Errand, user_id: int) -> Scope | None:
    """The scope under which this person may be given the errand, or None if they may not."""
    return next((s for s in assignable_scopes(errands=[errand]).get(errand.pk, []) if s.user_id == user_id), None)


def assignee_chosen(*, errand: Errand, posted: str) -> User | None:
    """The person an assign form picked (a user id as posted), if the errand may be
    given to them; None for anything else."""
    scope = assignable_scope(errand=errand, user_id=int(posted)) if posted.isdigit() else None
    return scope.user if scope is not None else None


RECENT_ERRANDS = 20


def errands_of_resident(*, resident: Resident, limit: int = RECENT_ERRANDS) -> list[Errand]:
    errands = resident.errands.select_related("service", "holder_point", "holder_branch", "assignee")
    return list(errands.order_by("-requested_at")[:limit])


def trips_saved_by(*, resident: Resident) -> int:
    """The resident's line of the 最多跑一次 ledger: trips they did not have to make."""
    return resident.trips_saved.aggregate(total=Sum("trips"))["total"] or 0
