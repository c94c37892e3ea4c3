"""Dashboard figures (看板) for the user's scope and a period, by aggregation in the
database: visits, coverage, missed residents, errands received / completed / overdue,
median turnaround, trips saved (最多跑一次), satisfaction, complaints and the share handled
on the spot — per child area and in total — and a weekly trend for the last 12 weeks.

Who sees what (``subject_for_user_or_404``, the one door of the dashboard and its exports):

* **area** — station staff, street officials and the city: the subtree of the area opened
  (their scope root by default), one row per child area (``outreach.reporting.coverage.selectors.Place``).
* **worker** — grid workers: their grids' coverage, and only *their own* visits and
  errands (errands they took or are assigned).
* **branch** — joint-branch secretaries and members, who see no residents: the errands
  held by their branches and the complaints assigned to them.

Definitions (one place for each; the screen, the exports and the benchmark share them):

* coverage, visits and missed residents come from ``outreach.reporting.coverage`` (its period
  rules: a past period is judged at its last day);
* received: errands requested in the period; completed: errands completed
  (``Errand.completed_at``) in the period; overdue: errands overdue *today* by
  ``outreach.common.due`` (an errand is chased now, whatever the period shown);
* turnaround: requested → completed, the median over errands completed in the period,
  in days;
* trips saved: the ledger rows recorded in the period; satisfaction: the average rating
  of errands delivered in the period;
* complaints: registered in the period, and of those the ones handled on the spot,
  counted in the area they concern: the community or village the person lives in
  (``Complaint.area``), or, not known, the town of the street centre where they were
  registered. Below the town, those of the town itself belong to no row: they get a row
  of their own (``Dashboard.unplaced``), so that the rows still add up to the total.
  Complaints are few (a street's month is a handful); they are counted from the facts,
  not the day tallies.

A fixed number of queries whatever the data size. Under the area lens the counts of the
period and the trend (visits, received, completed, trips, ratings) are the day tallies
of the child areas (``outreach.reporting.tallies``): a few hundred rows where the facts of a month
at city scale are a hundred thousand. What the tallies cannot hold is counted from the
facts: errands overdue today and the turnarounds (one number per completed errand,
computed in the database, for the medians), and everything of a worker (their own
visits and errands) or a branch (the errands it holds). Those queries are grouped by
child area in the database (the part whose path the resident's grid is under, a CASE
over a few dozen paths), so that a few dozen rows come back, not one per grid (3,000 at
city scale, which took a query and more CPU than the rest of the page to add up); they
find their rows by the errands' own indexes (state and due date, completion time) and
the residents' grid.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from grid.access import reach_of
from grid.models import Area, User, path_prefixes
from outreach.common import due
from outreach.complaints.selectors import complaints_visible_to
from outreach.errands.selectors import errands_visible_to
from outreach.models import Errand, Resident, TripsSaved, Visit
from outreach.reporting import tallies
from outreach.reporting.coverage import selectors as coverage
from outreach.reporting.coverage.selectors import Figures as CoverageFigures
from outreach.reporting.coverage.selectors import Place
from outreach.reporting.periods import Period

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.expressions import Combinable
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

TREND_WEEKS = 12
SECONDS_PER_DAY = 86_400


class Lens(StrEnum):
    AREA = "area"
    WORKER = "worker"
    BRANCH = "branch"


@dataclass(frozen=True)
class Subject:
    """Whose figures the dashboard shows, as decided by ``subject_for_user_or_404``."""

    lens: Lens
    user: User
    place: Place | None  # the area lenses; None for a joint branch
    shows_complaints: bool

    @property
    def area_place(self) -> Place:
        """The place of an area lens (area or worker): only a branch has none."""
        assert self.place is not None, "a branch subject has no place"
        return self.place

    @property
    def area(self) -> Area | None:
        return self.place.area if self.place else None

    @property
    def parts(self) -> list[Area]:
        """The child areas of the table (none for a branch, none at the bottom of the tree)."""
        if self.place is None or self.place.is_leaf:
            return []
        return self.place.parts

    @property
    def shows_coverage(self) -> bool:
        return self.place is not None

    @property
    def is_citywide(self) -> bool:
        """The whole city, or several towns side by side: most of the data, not a corner of it."""
        return self.place is not None and self.place.is_citywide


def subject_for_user_or_404(user: User, area_id: int | None = None) -> Subject:
    """The dashboard's one door: the area asked for must come through the coverage door
    (``coverage.place_for_user_or_404``), a user without areas has a branch dashboard
    (and no area to ask for), a user with neither gets 404. Two queries for an area
    subject (the area with its ancestors, its child areas), none for a branch."""
    reach = reach_of(user)
    if reach.has_areas():
        place = coverage.place_for_user_or_404(user, area_id)
        lens = Lens.WORKER if reach.sees_areas_as_field_worker() else Lens.AREA
        return Subject(lens, user, place, shows_complaints=lens == Lens.AREA and reach.may_see_complaints())
    if reach.branch_ids and area_id is None:
        return Subject(Lens.BRANCH, user, None, shows_complaints=reach.may_see_complaints())
    raise Http404


# --- Figures ---------------------------------------------------------------------------


@dataclass
class Figures:
    """The dashboard's figures for one area (or the whole subject) over one period."""

    coverage: CoverageFigures | None = None  # None: the lens shows no coverage (a branch)
    visits: int | None = None
    errands_received: int = 0
    errands_completed: int = 0
    errands_overdue: int = 0
    turnaround_seconds: list[float] = field(default_factory=list, repr=False)
    trips_saved: int = 0
    satisfaction_sum: int = 0
    satisfaction_count: int = 0
    complaints: int | None = None
    complaints_on_spot: int = 0

    @property
    def coverage_share(self) -> float | None:
        return self.coverage.share if self.coverage else None

    @property
    def coverage_percent(self) -> int | None:
        return self.coverage.percent if self.coverage else None

    @property
    def missed(self) -> int | None:
        """Active residents overdue at the period's end (today while it runs)."""
        return self.coverage.missed if self.coverage else None

    @property
    def turnaround_days(self) -> float | None:
        """Median days from request to completion; None with nothing completed."""
        if not self.turnaround_seconds:
            return None
        return statistics.median(self.turnaround_seconds) / SECONDS_PER_DAY

    @property
    def satisfaction(self) -> float | None:
        """Average rating (1–5) of the errands delivered and rated in the period."""
        if not self.satisfaction_count:
            return None
        return self.satisfaction_sum / self.satisfaction_count

    @property
    def on_spot_share(self) -> float | None:
        if not self.complaints:
            return None
        return self.complaints_on_spot / self.complaints


@dataclass
class Row:
    area: Area
    figures: Figures


@dataclass
class Dashboard:
    subject: Subject
    period: Period
    total: Figures
    rows: list[Row]
    trend: "Trend | None"
    # Complaints that concern the place but none of its rows (a town's own, below the
    # town): None when there are none.
    unplaced: Figures | None = None


class Seconds(Func):
    """Seconds from ``start`` to ``end`` (two datetimes) as a float, in the database:
    the medians need one number per errand, not two datetimes parsed in Python."""

    output_field = FloatField()

    def __init__(self, end: "str | Combinable", start: "str | Combinable") -> None:
        super().__init__(end, start)

    def as_sql(  # type: ignore[override]  # the template is fixed: nobody passes one
        self, compiler: "SQLCompiler", connection: "BaseDatabaseWrapper", **extra_context: Any
    ) -> "_AsSqlType":  # PostgreSQL: date_part is a float, EXTRACT numeric
        return super().as_sql(
            compiler, connection, template="date_part('epoch', %(expressions)s)", arg_joiner=" - ", **extra_context
        )

    def as_sqlite(
        self, compiler: "SQLCompiler", connection: "BaseDatabaseWrapper", **extra_context: Any
    ) -> "_AsSqlType":
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def _between(field_name: str, start: date, end: date) -> Q:
    """``field_name`` (a datetime) on the local days ``start`` to ``end``, both included."""
    return Q(
        **{f"{field_name}__gte": due.day_start(start), f"{field_name}__lt": due.day_start(end + timedelta(days=1))}
    )


def _grids(subject: Subject, *, remainder: bool = False) -> QuerySet[Area]:
    """The grids whose residents the figures count: those under the place, within the
    user's own areas (a place may also show the areas a joint branch is paired with,
    whose residents' errands are not the user's to count). This is the scope filter of
    the area lenses, the one ``errands_visible_to`` and ``visits_visible_to`` apply.
    ``remainder``: only those outside the tallied parts (``_tallied_parts``)."""
    grids = Area.objects.filter(
        coverage.paths_q(subject.area_place.paths), reach_of(subject.user).area_q(), level=Area.Level.GRID
    )
    if remainder:
        grids = grids.exclude(coverage.paths_q(p.path for p in _tallied_parts(subject)))
    return grids


def _tallied_parts(subject: Subject) -> list[Area]:
    """The parts whose figures come from the day tallies (``outreach.reporting.tallies``): under the
    area lens, those wholly inside the user's areas, whose every resident is the user's
    to count — every part, for everyone but a station that is also in a joint branch and
    looks at the branch's paired areas. A worker counts only their own visits and
    errands, a branch the errands it holds: they are counted from the facts."""
    if subject.lens != Lens.AREA:
        return []
    roots = reach_of(subject.user).area_paths
    return [p for p in subject.area_place.parts if any(p.path.startswith(root) for root in roots)]


def _has_remainder(subject: Subject) -> bool:
    """Whether some of the subject is counted from the facts (decided without a query:
    the parts cover the place)."""
    return subject.lens != Lens.AREA or len(_tallied_parts(subject)) < len(subject.area_place.parts)


def _residents(subject: Subject, *, remainder: bool = False) -> QuerySet[Resident, Any]:
    """The subject's residents as a subquery. Filtering the big tables by
    ``resident_id IN (…)`` reads each resident once, where joining every visit or errand
    to its resident and grid to test the area's path would read them once per row — the
    difference between a tenth of a second and seconds at city scale on SQLite."""
    return Resident.objects.filter(grid__in=_grids(subject, remainder=remainder).values("pk")).values("pk")


def _of_subject(
    queryset: QuerySet[Any], subject: Subject, prefix: str = "", *, remainder: bool = False
) -> QuerySet[Any]:
    """The rows of ``queryset`` that belong to the subject's errands, ``prefix`` leading
    from its model to the errand ("" for Errand itself). A branch has the errands it
    holds; the area lenses their residents' errands (a worker only those they took or
    were given); ``remainder`` only the residents outside the tallied parts.

    How the database should read them depends on how much of the city the subject is.
    PostgreSQL's planner weighs that from its statistics; SQLite's cannot size an IN
    list, so it is told, from the area's level (not from the data): for a town or less,
    through the residents' own errands (the resident index); for the whole city, by the
    rows in time or state order (their own indexes), the resident matched as
    ``resident_id + 0`` so that the resident index is not used. Measured on SQLite at
    city scale: the city's month of errands 0.04 s instead of 0.2 s, a town's 0.01 s
    instead of 0.07 s."""
    if subject.lens == Lens.BRANCH:
        return queryset.filter(**{f"{prefix}holder_branch_id__in": reach_of(subject.user).branch_ids})
    grids = _grids(subject, remainder=remainder).values("pk")
    if subject.is_citywide and not remainder and connection.vendor == "sqlite":
        queryset = queryset.alias(subject_grid=F(f"{prefix}resident__grid_id") + 0).filter(subject_grid__in=grids)
    else:
        queryset = queryset.filter(**{f"{prefix}resident__grid__in": grids})
    if subject.lens == Lens.WORKER:
        mine = Q(**{f"{prefix}assignee": subject.user}) | Q(**{f"{prefix}created_by": subject.user})
        queryset = queryset.filter(mine)
    return queryset


def _errands(subject: Subject, *, remainder: bool = False) -> QuerySet[Errand]:
    if subject.lens == Lens.BRANCH:
        return errands_visible_to(user=subject.user)  # the branch's queue is the branch's scope
    return _of_subject(Errand.objects.all(), subject, remainder=remainder)


def _part_of_resident(subject: Subject) -> Case | None:
    """The child area (its id) whose path the row's resident's grid is under, or None:
    what the grouped queries group by when there is a table (None: there is none). Every
    row comes from a grid of ``_grids`` (the queries are scoped to the subject's
    residents), so a grid under no part is counted in the total only."""
    if not subject.parts:
        return None
    return Case(
        *(When(resident__grid__path__startswith=part.path, then=Value(part.pk)) for part in subject.parts),
        default=Value(None),
        output_field=IntegerField(),
    )


def _grouped(queryset: QuerySet[Any], key: "Combinable | None", **aggregates: Any) -> list[dict]:
    """One row per value of ``key`` (as ``_key``), or a single row without one."""
    if key is None:
        row = queryset.aggregate(**aggregates)
        return [{"_key": None, **row}]
    rows = queryset.annotate(group_key=key).values("group_key").annotate(**aggregates).order_by()
    return [{"_key": row.pop("group_key"), **row} for row in rows]


class Figurer:
    """Adds the rows of the child areas up to the total (and to the child areas)."""

    def __init__(self, subject: Subject) -> None:
        self.subject = subject
        self.total = Figures()
        self.by_part = {p.pk: Figures() for p in subject.parts}
        self.unplaced: Figures | None = None

    def add_parts(self, rows: Iterable[tuple[int | None, dict]]) -> None:
        """Rows grouped by child area: (its id, or None outside them, {figure: value})."""
        for part_id, values in rows:
            self.add_part(part_id, **values)

    def add_part(self, part_id: int | None, **values: Any) -> None:
        """A child area's figures (None: to the total only)."""
        self._add_to(self.by_part.get(part_id) if part_id is not None else None, **values)

    def _add_to(self, part: Figures | None, **values: Any) -> None:
        for figures in (self.total, part):
            if figures is None:
                continue
            for name, value in values.items():
                current = getattr(figures, name)
                if isinstance(current, list):
                    current.extend(value)
                else:
                    setattr(figures, name, (current or 0) + (value or 0))

    def add_by_path(self, path: str | None, **values: Any) -> None:
        """For rows keyed by an area's path (complaints, by the area they concern): to
        the part above the path and the total, or, under no part, to the total and
        ``unplaced`` (only when there is a table: without one, the total is all)."""
        by_path = {part.path: self.by_part[part.pk] for part in self.subject.parts}
        part = next((by_path[prefix] for prefix in path_prefixes(path or "/") if prefix in by_path), None)
        if part is None and self.subject.parts:
            if self.unplaced is None:
                self.unplaced = Figures(complaints=0)
            part = self.unplaced
        self._add_to(part, **values)


def dashboard_for(*, subject: Subject, period: Period, today: date | None = None, with_trend: bool = True) -> Dashboard:
    """Every figure of the dashboard. Queries: coverage 2 (area lenses), worker visits 1
    (worker lens), the tallies 1 (area lens), errands overdue 1, completions 1, received
    and trips from the facts 2 (where some of the subject is not tallied: workers,
    branches), complaints 1 (when shown), and the trend (``trend_for``) unless
    ``with_trend`` is off."""
    today = today or timezone.localdate()
    figurer = Figurer(subject)
    if subject.place is not None:
        _add_coverage(figurer, subject, period)
    if subject.lens == Lens.WORKER:
        _add_worker_visits(figurer, subject, period)
    if tallied := _tallied_parts(subject):
        _add_tallies(figurer, tallied, period)
    if _has_remainder(subject):
        _add_received(figurer, subject, period)
        _add_trips(figurer, subject, period)
    _add_overdue(figurer, subject, today)
    _add_completions(figurer, subject, period)
    if subject.shows_complaints:
        _add_complaints(figurer, subject, period)
    rows = [Row(part, figurer.by_part[part.pk]) for part in subject.parts]
    trend = trend_for(subject=subject, today=today) if with_trend else None
    return Dashboard(subject, period, figurer.total, rows, trend, unplaced=figurer.unplaced)


def _add_coverage(figurer: Figurer, subject: Subject, period: Period) -> None:
    by_part, total = coverage.coverage_of_place(place=subject.area_place, period=period)
    figurer.total.coverage = total
    if subject.lens == Lens.AREA:
        figurer.total.visits = total.visits
    for part_id, figures in figurer.by_part.items():
        figures.coverage = by_part[part_id]
        if subject.lens == Lens.AREA:
            figures.visits = by_part[part_id].visits


def _add_worker_visits(figurer: Figurer, subject: Subject, period: Period) -> None:
    """A worker's own visits in the period (not their grid's: a colleague's count elsewhere)."""
    visits = Visit.objects.filter(
        _between("visited_at", period.start, period.end), resident__in=_residents(subject), worker=subject.user
    )
    figurer.total.visits = 0
    for figures in figurer.by_part.values():
        figures.visits = 0
    figurer.add_parts(
        (row["_key"], {"visits": row["visits"]})
        for row in _grouped(visits, _part_of_resident(subject), visits=Count("*"))
    )


def _add_tallies(figurer: Figurer, parts: list[Area], period: Period) -> None:
    """Errands received, deliveries rated and trips saved of the tallied parts: their day
    tallies over the period, one query (completions come with their turnaround)."""
    for part_id, sums in tallies.sums(areas=[p.pk for p in parts], start=period.start, end=period.end).items():
        figurer.add_part(
            part_id,
            errands_received=sums["errands_received"],
            trips_saved=sums["trips_saved"],
            satisfaction_count=sums["rated"],
            satisfaction_sum=sums["rating_sum"],
        )


def _add_received(figurer: Figurer, subject: Subject, period: Period) -> None:
    """Errands received and deliveries rated, from the errands, outside the tallied parts."""
    received = _between("requested_at", period.start, period.end)
    delivered = _between("delivered_at", period.start, period.end)
    # The OR lets each branch use its own index (requested_at, delivered_at).
    errands = _errands(subject, remainder=True).filter(received | delivered)
    rows = _grouped(
        errands,
        _part_of_resident(subject),
        received=Count("requested_at", filter=received),
        rated=Count("satisfaction", filter=delivered),
        rating=Sum("satisfaction", filter=delivered),
    )
    figurer.add_parts(
        (
            row["_key"],
            {
                "errands_received": row["received"],
                "satisfaction_count": row["rated"],
                "satisfaction_sum": row["rating"],
            },
        )
        for row in rows
    )


def _add_trips(figurer: Figurer, subject: Subject, period: Period) -> None:
    """Trips saved, from the ledger, outside the tallied parts."""
    ledger = TripsSaved.objects.filter(recorded_on__gte=period.start, recorded_on__lte=period.end)
    # The ledger row names the resident: for an area no need to go through the errand.
    ledger = _of_subject(ledger, subject, "" if subject.lens == Lens.AREA else "errand__", remainder=True)
    figurer.add_parts(
        (row["_key"], {"trips_saved": row["trips"]})
        for row in _grouped(ledger, _part_of_resident(subject), trips=Sum("trips"))
    )


def _add_overdue(figurer: Figurer, subject: Subject, today: date) -> None:
    """Errands overdue today (by ``outreach.common.due``), whatever the period: few, by their index."""
    errands = _errands(subject).filter(due.errand_overdue_q(today))
    figurer.add_parts(
        (row["_key"], {"errands_overdue": row["overdue"]})
        for row in _grouped(errands, _part_of_resident(subject), overdue=Count("due_on"))
    )


def _add_completions(figurer: Figurer, subject: Subject, period: Period) -> None:
    """Errands completed in the period and their turnaround (requested → completed): one
    number per errand for the medians, computed in the database (a few thousand a month
    at city scale), by the completion time's index."""
    completed = _errands(subject).filter(_between("completed_at", period.start, period.end))
    completed = completed.annotate(seconds=Seconds(F("completed_at"), F("requested_at")))
    if (part := _part_of_resident(subject)) is not None:
        completed = completed.annotate(part_key=part)
    fields = ["seconds"] + (["part_key"] if part is not None else [])
    by_part: dict[int | None, list[float]] = defaultdict(list)  # thousands of rows at city scale: no per-row calls
    for row in completed.values_list(*fields).order_by():
        by_part[row[1] if part is not None else None].append(max(row[0], 0.0))
    figurer.add_parts(
        (part_id, {"errands_completed": len(seconds), "turnaround_seconds": seconds})
        for part_id, seconds in by_part.items()
    )


def _add_complaints(figurer: Figurer, subject: Subject, period: Period) -> None:
    """Complaints registered in the period, by the area they concern (the person's
    community, else the centre's town): one query."""
    complaints = (
        complaints_visible_to(user=subject.user)
        .filter(_between("registered_at", period.start, period.end))
        .annotate(concerned_path=Coalesce("area__path", "point__area__path"))
    )
    if subject.place is not None:
        complaints = complaints.filter(coverage.paths_q(subject.place.paths, "concerned_"))
    figurer.total.complaints = 0
    for figures in figurer.by_part.values():
        figures.complaints = 0
    key = F("concerned_path") if subject.parts else None
    for row in _grouped(complaints, key, total=Count("pk"), on_spot=Count("pk", filter=Q(handled_on_spot=True))):
        figurer.add_by_path(row["_key"], complaints=row["total"], complaints_on_spot=row["on_spot"])


# --- The weekly trend ----------------------------------------------------------------------


@dataclass
class Week:
    start: date
    visits: int | None
    received: int
    completed: int

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


@dataclass
class Trend:
    weeks: list[Week]
    shows_visits: bool


def trend_weeks(today: date, count: int = TREND_WEEKS) -> list[date]:
    """The Mondays of the last ``count`` weeks, this week's last."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=count - 1 - i) for i in range(count)]


class WeekIndex(Func):
    """Whole weeks from ``start`` (a datetime) to the row's datetime ``field``, computed in
    the database: the trend groups by it, one group per week, instead of a conditional
    count per week (twelve aggregates cost more to build and to evaluate)."""

    output_field = IntegerField()

    def __init__(self, field: str, start: datetime) -> None:
        super().__init__(field, Value(start, output_field=DateTimeField()))

    def as_sql(  # type: ignore[override]  # the template is fixed: nobody passes one
        self, compiler: "SQLCompiler", connection: "BaseDatabaseWrapper", **extra_context: Any
    ) -> "_AsSqlType":  # PostgreSQL: date_part is a float, EXTRACT numeric
        return super().as_sql(
            compiler,
            connection,
            arg_joiner=" - ",
            **extra_context,
            template="CAST(FLOOR(date_part('epoch', %(expressions)s) / 604800) AS integer)",
        )

    def as_sqlite(
        self, compiler: "SQLCompiler", connection: "BaseDatabaseWrapper", **extra_context: Any
    ) -> "_AsSqlType":
        return super().as_sql(
            compiler,
            connection,
            arg_joiner=") - julianday(",
            **extra_context,
            template="CAST((julianday(%(expressions)s)) / 7 AS integer)",
        )


def _weekly_counts(queryset: QuerySet[Any], field_name: str, mondays: Sequence[date]) -> list[int]:
    """Rows per week of ``mondays`` by ``field_name`` (a datetime), in one grouped query."""
    start, end = due.day_start(mondays[0]), due.day_start(mondays[-1] + timedelta(weeks=1))
    rows = (
        queryset.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
        .annotate(week=WeekIndex(field_name, start))
        .values("week")
        .annotate(n=Count("*"))
        .order_by()
    )
    counts = dict(rows.values_list("week", "n"))
    return [counts.get(i, 0) for i in range(len(mondays))]


def _weekly_tallies(parts: list[Area], mondays: Sequence[date]) -> dict[str, list[int]]:
    """{tally field: a sum per week of ``mondays``} over the parts' day tallies, one query."""
    weeks = {name: [0] * len(mondays) for name in tallies.FIELDS}
    days = tallies.daily(areas=[p.pk for p in parts], start=mondays[0], end=mondays[-1] + timedelta(days=6))
    for day, sums in days.items():
        week = (day - mondays[0]).days // 7
        for name, value in sums.items():
            weeks[name][week] += value or 0
    return weeks


def trend_for(*, subject: Subject, today: date) -> Trend:
    """Visits (not for a branch), errands received and errands completed, week by week:
    the tallied parts' day tallies (one query) and, for the rest of the subject, the
    facts (three queries; two for a branch)."""
    mondays = trend_weeks(today)
    zeros = [0] * len(mondays)
    visits, received, completed = list(zeros), list(zeros), list(zeros)
    if tallied := _tallied_parts(subject):
        weeks = _weekly_tallies(tallied, mondays)
        visits, received, completed = weeks["visits"], weeks["errands_received"], weeks["errands_completed"]
    if _has_remainder(subject):
        if subject.place is not None:
            visit_rows = Visit.objects.filter(resident__in=_residents(subject, remainder=True))
            if subject.lens == Lens.WORKER:
                visit_rows = visit_rows.filter(worker=subject.user)
            visits = _plus(visits, _weekly_counts(visit_rows, "visited_at", mondays))
        received = _plus(received, _weekly_counts(_errands(subject, remainder=True), "requested_at", mondays))
        completed = _plus(completed, _weekly_counts(_errands(subject, remainder=True), "completed_at", mondays))
    shows_visits = subject.place is not None
    rows = [Week(m, v if shows_visits else None, r, c) for m, v, r, c in zip(mondays, visits, received, completed)]
    return Trend(rows, shows_visits=shows_visits)


def _plus(a: list[int], b: list[int]) -> list[int]:
    return [x + y for x, y in zip(a, b)]
