"""Reads of a joint branch's workspace (联合支部): its paired points with their open
errands, last activity and the "neglected" flag, its members, its activities, its queue
of errands and complaints, and the monthly figures a branch is judged by.

Who sees what: a branch's secretary and members work in it; city administrators and
street officials read every branch (grid.selectors.branches_visible_to); anyone else
gets 404 — the one door is ``branch_for_user_or_404``, and writes go through
``branch_for_worker_or_404`` / ``branch_for_secretary_or_404``, which answer 404 too,
so a reader learns nothing from a POST. Lists of errands and complaints stay cut to the
user's own reach (outreach.errands.selectors, outreach.complaints.selectors); the monthly figures are
counts without names, the same for everyone who may see the branch.
"""

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Count, F, Func, IntegerField, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.http import Http404

from grid.access import reach_of
from grid.models import BRANCH_ROLES, JointBranch, Pairing, Role, Scope, ServicePoint, ServiceWindow, User
from grid.selectors import branches_visible_to, open_pairings
from outreach.common import due
from outreach.complaints.selectors import Tab as ComplaintTab
from outreach.complaints.selectors import complaints_list, complaints_visible_to
from outreach.errands.selectors import errands_list, errands_visible_to
from outreach.errands.services import OPEN_STATES
from outreach.models import BranchActivity, BranchActivityPhoto, BranchActivityPoint, Complaint, Errand, ErrandEvent
from outreach.reporting import periods

HELD = BranchActivity.Status.HELD
PLANNED = BranchActivity.Status.PLANNED
# The tier of the village/community agency points (村/社区代办站) branches pair with.
PAIRABLE_TIER = ServicePoint.Tier.COMMUNITY_STATION


def neglect_days() -> int:
    return settings.DAIBAN_BRANCH_NEGLECT_DAYS


# --- who may do what -------------------------------------------------------------------------


def branch_for_user_or_404(user: User, pk: int) -> JointBranch:
    """The one door to a branch (grid.selectors.branches_visible_to), with its secretary."""
    branch = branches_visible_to(user=user).select_related("secretary").filter(pk=pk).first()
    if branch is None:
        raise Http404
    return branch


def may_work_in(user: User, branch: JointBranch) -> bool:
    """The branch's secretary and members log activities and work its queue."""
    return reach_of(user).belongs_to_branch(branch.pk)


def may_manage(user: User, branch: JointBranch) -> bool:
    """Only the branch's secretary changes its members and pairings."""
    return reach_of(user).leads_branch(branch.pk)


def branch_for_worker_or_404(user: User, pk: int) -> JointBranch:
    """The branch, for a write by its secretary or a member; 404 for everyone else
    (readers included: they never learn more from a POST than from a GET)."""
    branch = branch_for_user_or_404(user, pk)
    if not may_work_in(user, branch):
        raise Http404
    return branch


def branch_for_secretary_or_404(user: User, pk: int) -> JointBranch:
    branch = branch_for_user_or_404(user, pk)
    if not may_manage(user, branch):
        raise Http404
    return branch


def branches_list(*, user: User) -> QuerySet[JointBranch]:
    """The branches the user may see, with their secretary and how many points each is
    paired with now. One query."""
    return (
        branches_visible_to(user=user)
        .select_related("secretary")
        .annotate(paired_points=Count("pairings", filter=Q(pairings__until__isnull=True)))
        .order_by("number")
    )


# --- the neglected flag ------------------------------------------------------------------------


def is_neglected(*, last_activity_on: date | None, paired_since: date, today: date, days: int | None = None) -> bool:
    """A paired point is neglected when no activity was held there in the last ``days``
    days (DAIBAN_BRANCH_NEGLECT_DAYS). A pairing younger than that is given the time:
    it is not flagged before it is ``days`` days old."""
    days = neglect_days() if days is None else days
    cutoff = today - timedelta(days=days)
    if paired_since > cutoff:
        return False
    return last_activity_on is None or last_activity_on < cutoff


# --- paired points ---------------------------------------------------------------------------


@dataclass
class PointRow:
    """One paired point on the branch's list and map."""

    pairing: Pairing
    open_errands: int
    last_activity_on: date | None
    neglected: bool
    days_since_activity: int | None

    @property
    def point(self) -> ServicePoint:
        return self.pairing.point


def _count(queryset: QuerySet) -> Subquery:
    """A correlated COUNT(*) of ``queryset`` (which refers to OuterRef)."""
    return Subquery(
        queryset.order_by().annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField())).values("n"),
        output_field=IntegerField(),
    )


def last_activity_by_point(*, branch: JointBranch, point_ids: list[int] | None = None) -> dict[int, date]:
    """The date of the branch's last held activity at each point. One query."""
    links = BranchActivityPoint.objects.filter(activity__branch=branch, activity__status=HELD)
    if point_ids is not None:
        links = links.filter(point_id__in=point_ids)
    return dict(links.values("point_id").annotate(last=Max("activity__held_on")).values_list("point_id", "last"))


def branch_points(
    *, branch: JointBranch, today: date, neglected_only: bool = False, search: str = ""
) -> list[PointRow]:
    """The branch's open pairings with their point, its area and liaison, the open
    errands of the residents the point serves (its area and everything under it), the
    date of the branch's last activity there and the neglected flag: two queries,
    whatever the number of points and activities. Neglected points first."""
    open_errands = Errand.objects.filter(
        resident__grid__path__startswith=OuterRef("point__area__path"), state__in=OPEN_STATES
    )
    pairings = (
        open_pairings()
        .filter(branch=branch)
        .select_related("point", "point__area", "point__area__parent", "liaison")
        .annotate(open_errands=_count(open_errands))
    )
    if search:
        pairings = pairings.filter(
            Q(point__name__icontains=search)
            | Q(point__area__name__icontains=search)
            | Q(point__area__parent__name__icontains=search)
        )
    paired = list(pairings.order_by("point__area__path"))
    last = last_activity_by_point(branch=branch, point_ids=[p.point_id for p in paired])
    rows = []
    for pairing in paired:
        last_on = last.get(pairing.point_id)
        rows.append(
            PointRow(
                pairing=pairing,
                open_errands=pairing.open_errands,
                last_activity_on=last_on,
                neglected=is_neglected(last_activity_on=last_on, paired_since=pairing.since, today=today),
                days_since_activity=(today - last_on).days if last_on else None,
            )
        )
    if neglected_only:
        rows = [row for row in rows if row.neglected]
    rows.sort(key=lambda row: not row.neglected)  # stable: by area within each group
    return rows


def pairing_history(*, branch: JointBranch) -> QuerySet[Pairing]:
    """Ended pairings, most recently ended first."""
    return (
        Pairing.objects.filter(branch=branch, until__isnull=False)
        .select_related("point", "point__area__parent", "liaison")
        .order_by("-until", "-pk")
    )


def pairing_for_branch_or_404(*, branch: JointBranch, pk: int) -> Pairing:
    pairing = Pairing.objects.filter(branch=branch, pk=pk).select_related("point", "liaison").first()
    if pairing is None:
        raise Http404
    return pairing


def pairable_points(*, branch: JointBranch, search: str = "", limit: int = 10) -> list[ServicePoint]:
    """Community agency points anywhere in the city that the branch is not paired with
    now, matching the search (point, community or town name). One query."""
    points = (
        ServicePoint.objects.filter(tier=PAIRABLE_TIER)
        .exclude(pk__in=open_pairings().filter(branch=branch).values("point_id"))
        .select_related("area", "area__parent")
    )
    if search:
        points = points.filter(
            Q(name__icontains=search) | Q(area__name__icontains=search) | Q(area__parent__name__icontains=search)
        )
    return list(points.order_by("area__path")[:limit])


def point_or_none(pk: int) -> ServicePoint | None:
    """A point the secretary picked from the search: any point in the city (pairing_add
    checks it is an agency point)."""
    return ServicePoint.objects.filter(pk=pk).select_related("area").first()


# --- members, departments and windows ----------------------------------------------------------


def branch_people(*, branch: JointBranch) -> list[Scope]:
    """The secretary (or secretaries) and members, secretary first. One query."""
    scopes = Scope.objects.filter(branch=branch, role__in=BRANCH_ROLES).select_related("user")
    return sorted(scopes, key=lambda s: (s.role != Role.BRANCH_SECRETARY, s.user.display_name, s.user_id))


def branch_member_or_404(*, branch: JointBranch, user_id: int) -> User:
    """A member (not the secretary) of the branch."""
    member = User.objects.filter(pk=user_id, scopes__branch=branch, scopes__role=Role.BRANCH_MEMBER).first()
    if member is None:
        raise Http404
    return member


def liaison_choices(*, branch: JointBranch) -> list:
    """Who may be a pairing's liaison: the branch's secretary and members."""
    seen, people = set(), []
    for scope in branch_people(branch=branch):
        if scope.user_id not in seen and scope.user.is_active:
            seen.add(scope.user_id)
            people.append(scope.user)
    return people


@dataclass
class DepartmentWindows:
    department: object
    windows: list = field(default_factory=list)


def branch_departments(*, branch: JointBranch) -> list[DepartmentWindows]:
    """The branch's windows grouped by department. One query."""
    groups: dict[int, DepartmentWindows] = {}
    windows = (
        ServiceWindow.objects.filter(branch=branch).select_related("department").order_by("department__code", "number")
    )
    for window in windows:
        groups.setdefault(window.department_id, DepartmentWindows(window.department)).windows.append(window)
    return list(groups.values())


# --- activities ----------------------------------------------------------------------------------


def _activities(branch: JointBranch) -> QuerySet[BranchActivity]:
    points = ServicePoint.objects.select_related("area").order_by("area__path")
    return (
        BranchActivity.objects.filter(branch=branch)
        .select_related("created_by")
        .prefetch_related(
            Prefetch("points", queryset=points),
            Prefetch("photos", queryset=BranchActivityPhoto.objects.order_by("created_at", "pk")),
        )
    )


def activities_between(*, branch: JointBranch, start: date, end: date) -> QuerySet[BranchActivity]:
    """Held and planned activities from ``start`` to ``end`` (both included), by date:
    three queries (activities, their points, their photos)."""
    return _activities(branch).filter(held_on__range=(start, end)).order_by("held_on", "created_at", "pk")


def activities_list(*, branch: JointBranch, status: str = "") -> QuerySet[BranchActivity]:
    """Newest first; the API pages through it."""
    activities = _activities(branch)
    if status:
        activities = activities.filter(status=status)
    return activities.order_by("-held_on", "-created_at", "pk")


def upcoming_planned(*, branch: JointBranch, today: date) -> QuerySet[BranchActivity]:
    return _activities(branch).filter(status=PLANNED, held_on__gte=today).order_by("held_on", "created_at", "pk")


def overdue_planned(*, branch: JointBranch, today: date) -> QuerySet[BranchActivity]:
    """Planned activities whose day has passed without being recorded as held."""
    return _activities(branch).filter(status=PLANNED, held_on__lt=today).order_by("held_on", "created_at", "pk")


def activity_for_branch_or_404(*, branch: JointBranch, pk: UUID) -> BranchActivity:
    activity = _activities(branch).filter(pk=pk).first()
    if activity is None:
        raise Http404
    return activity


def activity_photo_for_user_or_404(user: User, pk: UUID) -> BranchActivityPhoto:
    """An activity photo, for someone who may see the activity's branch."""
    photo = (
        BranchActivityPhoto.objects.filter(activity__branch__in=branches_visible_to(user=user)).filter(pk=pk).first()
    )
    if photo is None:
        raise Http404
    return photo


# --- the branch's queue ------------------------------------------------------------------------


def queue_errands(*, user: User, branch: JointBranch, today: date) -> QuerySet[Errand]:
    """Open errands held by the branch that the user may see, due soonest first."""
    return errands_list(user=user, today=today, holder=f"branch:{branch.pk}").filter(state__in=OPEN_STATES)


def queue_complaints(*, user: User, branch: JointBranch, today: date) -> QuerySet[Complaint]:
    """Open complaints assigned to the branch that the user may see, soonest deadline
    first (the complaints window's own list, cut to the branch)."""
    return complaints_list(user=user, today=today, tab=ComplaintTab.OPEN).filter(branch=branch)


@dataclass(frozen=True)
class QueueCounts:
    errands: int
    errands_overdue: int
    complaints: int
    complaints_overdue: int


def queue_counts(*, user: User, branch: JointBranch, today: date) -> QueueCounts:
    """What waits in the branch's queue (as far as the user may see it): two queries."""
    errands = (
        errands_visible_to(user=user)
        .filter(holder_branch=branch, state__in=OPEN_STATES)
        .aggregate(n=Count("pk"), overdue=Count("pk", filter=due.errand_overdue_q(today)))
    )
    complaints = (
        complaints_visible_to(user=user)
        .filter(branch=branch, state=Complaint.State.OPEN)
        .aggregate(n=Count("pk"), overdue=Count("pk", filter=due.complaint_overdue_q(today)))
    )
    return QueueCounts(
        errands=errands["n"],
        errands_overdue=errands["overdue"],
        complaints=complaints["n"],
        complaints_overdue=complaints["overdue"],
    )


# --- the monthly figures -----------------------------------------------------------------------


def month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    return start, periods.month_end(start)


@dataclass(frozen=True)
class BranchFigures:
    """One branch's month. Errands count from the moment they reached the branch (by
    escalation, or by being given to one of its people): *received* reached it during
    the month; *resolved* had reached it and were completed during the month (by the
    branch, or by whoever it answered back down to); *overdue* had reached it and were
    overdue (outreach.common.due) at the month's end — or today, for the running month. The
    resolution time runs from reaching the branch to completion."""

    branch: JointBranch | None  # None: the total of several branches (``branch_total``)
    month: date
    as_of: date
    activities_held: int = 0
    people_reached: int = 0
    points_reached: int = 0
    points_paired: int = 0
    errands_received: int = 0
    errands_resolved: int = 0
    errands_overdue: int = 0
    median_resolution_days: float | None = None
    complaints_received: int = 0
    complaints_resolved: int = 0
    complaints_resolved_in_time: int = 0
    resolution_days: tuple[float, ...] = field(default=(), repr=False)  # for the median of a total

    @property
    def points_reached_percent(self) -> int | None:
        return round(100 * self.points_reached / self.points_paired) if self.points_paired else None

    @property
    def complaints_in_time_percent(self) -> int | None:
        if not self.complaints_resolved:
            return None
        return round(100 * self.complaints_resolved_in_time / self.complaints_resolved)


def _errand_figures(branches: list[JointBranch], start_at: datetime, end_at: datetime, as_of: date) -> dict[int, dict]:
    """Received / resolved / overdue / median time per branch, in two queries. Errand
    events name the holder as text (ErrandEvent.to_holder), which for a branch is its
    name: that is how an arrival at a branch is recognised."""
    by_name = {branch.name: branch.pk for branch in branches}
    arrivals = ErrandEvent.objects.filter(
        action__in=[ErrandEvent.Action.ESCALATE, ErrandEvent.Action.ASSIGN], to_holder__in=list(by_name), at__lt=end_at
    ).exclude(from_holder=F("to_holder"))
    first_arrival: dict[tuple[int, UUID], datetime] = {}
    received: dict[int, set] = defaultdict(set)
    for errand_id, holder, at in arrivals.values_list("errand_id", "to_holder", "at"):
        key = (by_name[holder], errand_id)
        first_arrival[key] = min(at, first_arrival.get(key, at))
        if at >= start_at:
            received[by_name[holder]].add(errand_id)
    errands = (
        Errand.objects.filter(pk__in=arrivals.values("errand_id"))
        .annotate(cancelled_at=Min("events__at", filter=Q(events__action=ErrandEvent.Action.CANCEL)))
        .values_list("pk", "due_on", "completed_at", "cancelled_at")
    )
    facts = {pk: (due_on, completed_at, cancelled_at) for pk, due_on, completed_at, cancelled_at in errands}
    result: dict[int, dict] = {
        b.pk: {"received": len(received[b.pk]), "resolved": 0, "overdue": 0, "days": []} for b in branches
    }
    for (branch_id, errand_id), arrived_at in first_arrival.items():
        due_on, completed_at, cancelled_at = facts[errand_id]
        figures = result[branch_id]
        if completed_at is not None and start_at <= completed_at < end_at and completed_at >= arrived_at:
            figures["resolved"] += 1
            figures["days"].append((completed_at - arrived_at).total_seconds() / 86400)
        # The errand's state at the end of the period: completed or cancelled by then, or still open.
        if completed_at is not None and completed_at < end_at:
            state = Errand.State.COMPLETED
        elif cancelled_at is not None and cancelled_at < end_at:
            state = Errand.State.CANCELLED
        else:
            state = Errand.State.IN_PROGRESS
        if due.errand_is_overdue(state=state, due_on=due_on, today=as_of):
            figures["overdue"] += 1
    return result


def branch_figures(*, branches: list[JointBranch], month: date, today: date) -> list[BranchFigures]:
    """The monthly figures of several branches side by side: seven queries, whatever
    the number of branches, points, activities, errands and complaints."""
    start, end = month_bounds(month)
    as_of = min(end, today)
    start_at, end_at = due.day_start(start), due.day_start(as_of + timedelta(days=1))
    ids = [b.pk for b in branches]

    held = (
        BranchActivity.objects.filter(branch_id__in=ids, status=HELD, held_on__range=(start, as_of))
        .values("branch_id")
        .annotate(n=Count("pk"), people=Sum("people_reached"))
    )
    activities = {row["branch_id"]: row for row in held}
    reached = dict(
        BranchActivityPoint.objects.filter(
            activity__branch_id__in=ids,
            activity__status=HELD,
            activity__held_on__range=(start, as_of),
        )
        .values("activity__branch_id")
        .annotate(n=Count("point_id", distinct=True))
        .values_list("activity__branch_id", "n")
    )
    paired = dict(
        Pairing.objects.filter(branch_id__in=ids, since__lte=as_of)
        .filter(Q(until__isnull=True) | Q(until__gte=start))
        .values("branch_id")
        .annotate(n=Count("point_id", distinct=True))
        .values_list("branch_id", "n")
    )
    errands = _errand_figures(branches, start_at, end_at, as_of)
    in_period = Q(resolved_at__gte=start_at, resolved_at__lt=end_at, state=Complaint.State.CLOSED)
    # resolved_at__date is the local date (USE_TZ, Asia/Shanghai): an answer at 06:00 on the
    # day after the deadline is late, though in UTC it is still the deadline's day.
    complaint_rows = (
        Complaint.objects.filter(branch_id__in=ids)
        .values("branch_id")
        .annotate(
            received=Count("pk", filter=Q(registered_at__gte=start_at, registered_at__lt=end_at)),
            resolved=Count("pk", filter=in_period),
            in_time=Count("pk", filter=in_period & Q(resolved_at__date__lte=F("deadline"))),
        )
    )
    complaints = {row["branch_id"]: row for row in complaint_rows}

    figures = []
    for branch in branches:
        activity: Mapping[str, Any] = activities.get(branch.pk, {})
        errand = errands[branch.pk]
        complaint: Mapping[str, Any] = complaints.get(branch.pk, {})
        figures.append(
            BranchFigures(
                branch=branch,
                month=start,
                as_of=as_of,
                activities_held=activity.get("n", 0),
                people_reached=activity.get("people") or 0,
                points_reached=reached.get(branch.pk, 0),
                points_paired=paired.get(branch.pk, 0),
                errands_received=errand["received"],
                errands_resolved=errand["resolved"],
                errands_overdue=errand["overdue"],
                median_resolution_days=_median_days(errand["days"]),
                resolution_days=tuple(errand["days"]),
                complaints_received=complaint.get("received", 0),
                complaints_resolved=complaint.get("resolved", 0),
                complaints_resolved_in_time=complaint.get("in_time", 0),
            )
        )
    return figures


def _median_days(days: Sequence[float]) -> float | None:
    return round(statistics.median(days), 1) if days else None


ADDED_UP = [
    "activities_held",
    "people_reached",
    "points_reached",
    "points_paired",
    "errands_received",
    "errands_resolved",
    "errands_overdue",
    "complaints_received",
    "complaints_resolved",
    "complaints_resolved_in_time",
]


def branch_total(figures: Sequence[BranchFigures]) -> BranchFigures:
    """The total row of several branches' figures: each count is the sum of the
    branches' (a point paired with two branches counts for each, as each branch goes
    there); the shares are worked out from those sums and the median resolution time
    over all the branches' resolutions — not added, as the table says."""
    assert figures, "a total of no branch"
    days = tuple(d for f in figures for d in f.resolution_days)
    return BranchFigures(
        branch=None,
        month=figures[0].month,
        as_of=figures[0].as_of,
        median_resolution_days=_median_days(days),
        resolution_days=days,
        **{name: sum(getattr(f, name) for f in figures) for name in ADDED_UP},
    )
