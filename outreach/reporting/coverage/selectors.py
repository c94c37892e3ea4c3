"""Visit coverage: for an area and a period, who was visited in person on time and who
was missed, computed in the database for all the areas of a screen at once.

Definition
----------
For a period [start, end], ``as_of`` is the period's end, or today while the period is
still running (``Period.as_of``).

* **Active** residents: registered on or before ``as_of`` and active then — status
  active, or moved away / deceased after ``as_of`` (``Resident.status_on``). A resident
  who moved during the period is not counted; one who moved after it is.
* **Visited on time**: not overdue at ``as_of`` by the one definition in
  ``outreach.common.due``: due date = the last in-person visit (outcome "met") on or before
  ``as_of`` + the care level's interval (``DAIBAN_CARE_INTERVAL_DAYS``); never met in
  person = due since registration. "Not home", refused or in-hospital attempts do not
  count. **Missed** = active and overdue at ``as_of``.
* **Share** = on time / active (``None`` when the area has no active resident); its
  colour band comes from ``DAIBAN_COVERAGE_BANDS`` (``band_of``).
* **Visits**: every visit made in the period (any outcome) in the area — to a resident
  of one of its grids at the time — and of those the ones away from the home or without
  a location (``Visit.location_check``).

How it is computed
------------------
Two queries whatever the data size. While the period is running (``as_of`` is today),
the areas' due tallies (``outreach.reporting.tallies``: active residents per area and due date,
kept by the services that change a resident): active = their sum, on time = the sum of
those due today or later — a few hundred rows per area, however many residents it has.
For a past period, the residents grouped by grid (active, on time at ``as_of``, from the
visit history), added up to communities, towns or the city in Python. And the areas'
day tallies of visits over the period (visits are counted where they were made, by the
resident's grid at the time).

"Not overdue at ``as_of``" is "met in person on one of the days [as_of − interval,
as_of]" (or, never met, registered on ``as_of`` itself). While the period is running
(``as_of`` is today) the due date the visit services store on the resident through
``outreach.common.due`` answers directly (``due_on >= today``); for a past period it is an
EXISTS per care level over the visit index (resident, outcome, visited_at). Care levels
and grids are taken as they are now: their history is not kept.

Public API (also used by the dashboard and the exports; keep it stable)
-----------------------------------------------------------------------
* periods: ``Period`` and ``period_for`` come from ``outreach.reporting.periods``;
* figures: ``Figures`` (``missed``, ``share``, ``percent``, ``band``, ``as_dict()``),
  ``Band``, ``bands``, ``band_of``, ``legend``, ``coverage_of`` (one area), ``coverage_by_area`` (many areas,
  two queries), ``resident_figures`` + ``roll_up`` and ``visit_figures`` (the steps);
* the screen's door: ``place_for_user_or_404`` → ``Place``, ``coverage_of_place``,
  ``sort_rows``;
* residents (for whom ``Reach.may_see_coverage_residents``): ``missed_residents``, ``missed_in_reach``,
  ``mark_days_overdue``;
* filters: ``active_q``, ``on_time_q``, ``paths_q``.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grid.access import reach_of
from grid.models import Area, User, path_prefixes
from grid.selectors import areas_visible_to
from outreach.common import due
from outreach.models import CoverageDay, Resident, Visit
from outreach.reporting import tallies
from outreach.reporting.periods import Period

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# --- Figures and colours ---------------------------------------------------------------


# The colour ramp of app.css: band-s0 (worst, dark red) … band-s8 (best, dark blue).
# However many bands the settings ask for, they take evenly spaced steps of it, so the
# worst band is always the darkest red and the best the darkest blue.
RAMP_STEPS = 9


@dataclass(frozen=True)
class Band:
    """A colour band of the on-time share: ``low`` ≤ share < ``high`` (fractions; ``None``
    is an open end). ``value`` names its colour: the ``band-<value>`` class."""

    value: str
    low: float | None = None
    high: float | None = None

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> "str | StrPromise":
        if self.value == NO_RESIDENTS.value:
            return _("no residents")
        if self.high is None:
            return _("%(low)d %% or more") % {"low": round((self.low or 0) * 100)}
        if self.low is None:
            return _("below %(high)d %%") % {"high": round(self.high * 100)}
        return _("%(low)d–%(high)d %%") % {"low": round(self.low * 100), "high": round(self.high * 100)}


NO_RESIDENTS = Band("none")


def bands() -> list[Band]:
    """The bands of ``DAIBAN_COVERAGE_BANDS`` (lower bounds, best first), best first."""
    lows: Sequence[float] = settings.DAIBAN_COVERAGE_BANDS
    count = len(lows) + 1
    edges: list[float | None] = [None, *lows, None]
    return [
        Band(f"s{round((count - 1 - i) * (RAMP_STEPS - 1) / (count - 1))}", low=edges[i + 1], high=edges[i])
        for i in range(count)
    ]


@dataclass(frozen=True)
class Figures:
    """The coverage of one area over one period."""

    active: int = 0
    on_time: int = 0
    visits: int = 0
    visits_away: int = 0
    visits_no_location: int = 0

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def missed(self) -> int:
        return self.active - self.on_time

    @property
    def share(self) -> float | None:
        return self.on_time / self.active if self.active else None

    @property
    def percent(self) -> int | None:
        """The share in whole percent, rounded down: 89.9 % must not show as 90 %."""
        return None if self.share is None else int(self.share * 100 + 1e-9)

    @property
    def visits_flagged(self) -> int:
        """Visits away from the home or without a location."""
        return self.visits_away + self.visits_no_location

    @property
    def band(self) -> Band:
        return band_of(self.share)

    def as_dict(self) -> dict:
        """The figures for JSON (map properties, API): camelCase like the map's other fields."""
        return {
            "active": self.active,
            "onTime": self.on_time,
            "missed": self.missed,
            "share": None if self.share is None else round(self.share, 4),
            "percent": self.percent,
            "band": self.band.value,
            "visits": self.visits,
            "visitsAway": self.visits_away,
            "visitsNoLocation": self.visits_no_location,
        }


def band_of(share: float | None) -> Band:
    """The band the share falls in (``NO_RESIDENTS`` when there is nobody to visit)."""
    if share is None:
        return NO_RESIDENTS
    return next(b for b in bands() if b.low is None or share >= b.low)


def legend() -> list[tuple[str, "str | StrPromise"]]:
    """(band, label) from the best band to "no residents", with the bounds of the settings."""
    return [(b.value, b.label) for b in [*bands(), NO_RESIDENTS]]


# --- The computation -------------------------------------------------------------------


def active_q(as_of: date, prefix: str = "") -> Q:
    """Residents registered by ``as_of`` and still active on that day."""
    return Q(**{f"{prefix}registered_on__lte": as_of}) & (
        Q(**{f"{prefix}status": Resident.Status.ACTIVE}) | Q(**{f"{prefix}status_on__gt": as_of})
    )


def _met_in_person(since: datetime | None, before: datetime) -> Exists:
    visits = Visit.objects.filter(resident=OuterRef("pk"), outcome=Visit.Outcome.MET, visited_at__lt=before)
    if since is not None:
        visits = visits.filter(visited_at__gte=since)
    return Exists(visits)


def on_time_q(as_of: date, *, today: date, use_stored_due: bool = True) -> Q:
    """Residents not overdue at ``as_of`` (see the module docstring for why this is the
    due rule of ``outreach.common.due``). ``use_stored_due=False`` forces the history path even
    for today (the tests compare both)."""
    if as_of >= today and use_stored_due:
        return ~due.due_q(due.Due.OVERDUE, today)
    day_after = due.day_start(as_of + timedelta(days=1))
    q: Q | Combinable = Q(registered_on__gte=as_of) & ~_met_in_person(None, day_after)
    for level, days in settings.DAIBAN_CARE_INTERVAL_DAYS.items():
        q |= Q(care_level=level) & _met_in_person(due.day_start(as_of - timedelta(days=days)), day_after)
    return cast(Q, q)  # Q & Exists is a Q; the stubs say Combinable


def paths_q(paths: Iterable[str], prefix: str = "") -> Q:
    """Rows whose ``prefix`` leads to an area under one of ``paths``."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def resident_figures(*, within: Sequence[str], period: Period, use_stored_due: bool = True) -> dict[str, Figures]:
    """Active and on-time residents per grid (keyed by the grid's path) for the grids
    under the paths ``within``. One grouped query."""
    as_of = period.as_of
    # Counting grid_id (never null), not the id: the coverage index then answers for a
    # running period without reading the wide residents table.
    residents = (
        Resident.objects.filter(paths_q(within, "grid__"), active_q(as_of))
        .values("grid__path")
        .annotate(
            active=Count("grid"),
            on_time=Count("grid", filter=on_time_q(as_of, today=period.today, use_stored_due=use_stored_due)),
        )
        .order_by()
    )
    return {row["grid__path"]: Figures(active=row["active"], on_time=row["on_time"]) for row in residents}


def visit_figures(*, areas: Sequence[Area], period: Period) -> dict[int, Figures]:
    """{area id: Figures} with the visits made in each area in the period, from the day
    tallies (``outreach.reporting.tallies``): one query over a few hundred rows, where counting
    the city's visits of a month reads a hundred thousand."""
    sums = tallies.sums(areas=[a.pk for a in areas], start=period.start, end=period.end)
    return {
        pk: Figures(visits=row["visits"], visits_away=row["visits_away"], visits_no_location=row["visits_no_location"])
        for pk, row in sums.items()
    }


def roll_up(per_grid: dict[str, Figures], areas: Sequence[Area]) -> dict[int, Figures]:
    """Add the grid figures up to each of ``areas`` (disjoint subtrees): {area id: Figures}.
    Areas without residents get zero figures. Plain sums first, one Figures per area at
    the end: a city has thousands of grids."""
    area_by_path = {a.path: a.pk for a in areas}
    names = [f.name for f in fields(Figures)]
    sums = {a.pk: [0] * len(names) for a in areas}
    for grid_path, figures in per_grid.items():
        for prefix in path_prefixes(grid_path):
            if prefix in area_by_path:
                row = sums[area_by_path[prefix]]
                for i, name in enumerate(names):
                    row[i] += getattr(figures, name)
                break
    return {pk: Figures(*row) for pk, row in sums.items()}


def written_day(*, areas: Sequence[Area], day: date) -> dict[int, Figures] | None:
    """{area id: Figures} at the end of ``day`` as the nightly run wrote it (``CoverageDay``,
    ``outreach.reporting.coverage.days``), or None while the day is not written — not yet,
    or a late fact made it stale (``tallies.coverage_days_stale_from``). One query over a
    row per area."""
    roots = {Area.root_path_of(a.path) for a in areas}  # each area's city must have its row
    rows = CoverageDay.objects.filter(Q(area_id__in=[a.pk for a in areas]) | Q(area__path__in=roots), day=day)
    found = {
        pk: (path, Figures(active=active, on_time=on_time))
        for pk, path, active, on_time in rows.values_list("area_id", "area__path", "active", "on_time")
    }
    if not roots <= {path for path, _figures in found.values()}:
        return None
    return {a.pk: found[a.pk][1] if a.pk in found else Figures() for a in areas}


def coverage_by_area(
    *, areas: Sequence[Area], period: Period, within: Sequence[str] | None = None, use_stored_due: bool = True
) -> dict[int, Figures]:
    """{area id: Figures} for each of ``areas`` (disjoint subtrees, e.g. the children of
    one area). ``within`` narrows the queries to fewer, shorter prefixes when the caller
    knows them (the parent's path for its children; a past period only). Two queries.
    Scope is the caller's business: pass areas that came through the user's door.
    ``use_stored_due=False`` counts the residents even for today (the tests compare)."""
    if not areas:
        return {}
    if period.as_of >= period.today and use_stored_due:
        counted = tallies.residents_due(areas=[a.pk for a in areas], today=period.today)
        per_area = {a.pk: Figures(*counted.get(a.pk, (0, 0))) for a in areas}
    elif use_stored_due and (written := written_day(areas=areas, day=period.as_of)) is not None:
        per_area = written
    else:
        per_area = roll_up(
            resident_figures(within=within or [a.path for a in areas], period=period, use_stored_due=use_stored_due),
            areas,
        )
    for pk, visits in visit_figures(areas=areas, period=period).items():
        per_area[pk] += visits
    return per_area


def coverage_of(*, area: Area, period: Period) -> Figures:
    """The figures of one area (two queries)."""
    return coverage_by_area(areas=[area], period=period)[area.pk]


# --- Places: what a coverage screen shows, through the user's door -----------------------


@dataclass
class Place:
    """What a coverage screen is about.

    ``area`` is the area opened (``None``: all of the user's areas side by side, for a
    user with several, or a joint branch's paired points' areas); ``parts`` are the areas
    drawn, listed and figured — its children, or the area itself at the bottom of what
    the user may open; ``trail`` the ancestors the user may go back up to (top first);
    ``drillable`` the parts the user may open — a grid too, whose page is its missed list.
    """

    area: Area | None
    parts: list[Area]
    trail: list[Area]
    drillable: frozenset[int]
    paths: tuple[str, ...]  # the subtrees the figures, layers and missed list cover
    has_overview: bool  # the user has several areas: the breadcrumb starts at "all my areas"

    @property
    def is_leaf(self) -> bool:
        return self.area is not None and self.parts == [self.area]

    @property
    def base_level(self) -> int:
        """The level of the area opened (of the parts, for the overview)."""
        if self.area is not None:
            return self.area.level
        return min((p.level for p in self.parts), default=Area.Level.CITY)

    @property
    def is_citywide(self) -> bool:
        """The whole city, or several towns side by side: most of the data, not a corner of it."""
        if self.area is not None:
            return self.area.level == Area.Level.CITY
        return self.base_level <= Area.Level.TOWN

    def names_missed(self, period: Period) -> bool:
        """Whether the screens list who was missed here, by name. Not for a past period
        of the whole city: finding them means reading every resident's visit history
        (0.3 s for 100,000), and tens of thousands of names are no list for a phone —
        their count stands, a town opens its own list, the download (a background job)
        has them all."""
        return period.is_running or not self.is_citywide


AREA_FIELDS = ["id", "code", "name", "level", "path", "parent_id"]


def _in_subtrees(path: str, roots: Iterable[str]) -> bool:
    return any(path.startswith(root) for root in roots)


def _top_areas(user: User, *, with_boundaries: bool) -> list[Area]:
    """The roots of the user's area scopes and their branches' paired points' areas, the
    ones inside another left out. One query."""
    reach = reach_of(user)
    q = Q(path__in=reach.area_paths)
    if reach.branch_ids:
        visible = areas_visible_to(user=user)
        q |= Q(pk__in=visible.filter(~reach.area_q()).values("pk"))
    fields_ = AREA_FIELDS + (["boundary"] if with_boundaries else [])
    areas = list(Area.objects.filter(q).only(*fields_).order_by("path"))
    paths = [a.path for a in areas]
    return [a for a in areas if not any(a.path != p and a.path.startswith(p) for p in paths)]


def place_for_user_or_404(user: User, area_id: int | None = None, *, with_boundaries: bool = False) -> Place:
    """The place the user asks for (``area_id``) or starts at (none): their one scope
    root, or the overview of their several areas. An area they may not see is a 404.
    Two queries (the area with its ancestors, its parts)."""
    reach = reach_of(user)
    roots = reach.area_paths
    single_root = len(roots) == 1 and not reach.branch_ids
    has_overview = not single_root
    if area_id is None and not single_root:
        parts = _top_areas(user, with_boundaries=with_boundaries)
        drillable = frozenset(p.pk for p in parts if _in_subtrees(p.path, roots))
        return Place(None, parts, [], drillable, tuple(p.path for p in parts), has_overview)

    # The ancestors (three at most: grid → community → town → city) come in the same query.
    deferred = ["parent__boundary", "parent__parent__boundary", "parent__parent__parent__boundary"]
    if not with_boundaries:
        deferred.append("boundary")
    areas = areas_visible_to(user=user).select_related("parent__parent__parent").defer(*deferred)
    area = get_object_or_404(areas, path=roots[0]) if area_id is None else get_object_or_404(areas, pk=area_id)
    trail = []
    node = area.parent
    while node is not None:
        if _in_subtrees(node.path, roots):
            trail.append(node)
        node = node.parent
    trail.reverse()

    parts = []
    if area.level < Area.Level.GRID and _in_subtrees(area.path, roots):
        fields_ = AREA_FIELDS + (["boundary"] if with_boundaries else [])
        parts = list(Area.objects.filter(parent=area).only(*fields_).order_by("code"))
    if parts:
        drillable = frozenset(p.pk for p in parts)
    else:  # the bottom of what the user may open: the area is drawn alone
        parts, drillable = [area], frozenset()
    return Place(area, parts, trail, drillable, (area.path,), has_overview)


def coverage_of_place(*, place: Place, period: Period) -> tuple[dict[int, Figures], Figures]:
    """({part id: Figures}, the total over the parts). Two queries."""
    within = [place.area.path] if place.area is not None else None
    by_part = coverage_by_area(areas=place.parts, period=period, within=within)
    total = sum(by_part.values(), Figures())
    return by_part, total


# --- Rows of the child-area table ------------------------------------------------------

SORT_KEYS = {
    "name": lambda row: row[0].code,
    "active": lambda row: row[1].active,
    "missed": lambda row: row[1].missed,
    "share": lambda row: row[1].share,
    "visits": lambda row: row[1].visits,
    "flagged": lambda row: row[1].visits_flagged,
}
DEFAULT_SORT = "share"  # worst first: "which grids fell behind?"


def sort_rows(rows: list[tuple[Area, Figures]], sort: str = DEFAULT_SORT) -> list[tuple[Area, Figures]]:
    """Sort (area, figures) rows by a column of ``SORT_KEYS``; "-column" sorts down.
    Areas without residents (no share) go last either way; ties by area code."""
    descending = sort.startswith("-")
    key = SORT_KEYS.get(sort.lstrip("-"), SORT_KEYS[DEFAULT_SORT])
    known = [r for r in rows if key(r) is not None]
    unknown = [r for r in rows if key(r) is None]
    known.sort(key=lambda r: r[0].code)
    known.sort(key=key, reverse=descending)
    return known + sorted(unknown, key=lambda r: r[0].code)


# --- Residents: who was missed -----------------------------------------------------------


def missed_in_reach(*, user: User, place: Place, by_part: dict[int, Figures]) -> int:
    """How many of the place's missed residents ``missed_residents`` will list for the
    user, read off the figures already computed (no query): the missed of the parts
    inside the user's area scopes — where, and only where, they see residents."""
    roots = reach_of(user).area_paths
    return sum(by_part[p.pk].missed for p in place.parts if _in_subtrees(p.path, roots))


def _last_met_before(day_after: datetime) -> Subquery:
    met = Visit.objects.filter(resident=OuterRef("pk"), outcome=Visit.Outcome.MET, visited_at__lt=day_after)
    return Subquery(met.order_by("-visited_at").values("visited_at")[:1])


def missed_residents(*, residents: QuerySet[Resident], period: Period) -> QuerySet[Resident]:
    """The residents of ``residents`` (already cut to the user's scope and the place)
    missed at the period's end, most overdue first. Past periods carry ``last_met_at``
    (the last in-person visit by then); call ``mark_days_overdue`` on the rows shown."""
    as_of = period.as_of
    missed = residents.filter(active_q(as_of)).exclude(on_time_q(as_of, today=period.today))
    if as_of >= period.today:
        return missed.order_by("due_on", "name", "pk")
    last_met = _last_met_before(due.day_start(as_of + timedelta(days=1)))
    due_at_end = Case(
        *(
            When(
                care_level=level,
                then=ExpressionWrapper(TruncDate(last_met) + Value(timedelta(days=days)), output_field=DateField()),
            )
            for level, days in settings.DAIBAN_CARE_INTERVAL_DAYS.items()
        ),
        output_field=DateField(),
    )
    return (
        missed.annotate(last_met_at=last_met)
        .alias(due_at_end=Coalesce(due_at_end, F("registered_on"), output_field=DateField()))
        .order_by("due_at_end", "name", "pk")
    )


def mark_days_overdue(residents: Iterable[Resident], period: Period) -> list[Resident]:
    """Set ``due_at_end`` and ``days_overdue`` on each row of ``missed_residents``, by
    ``outreach.common.due`` (the stored due date for a running period, the history otherwise)."""
    rows: list[Any] = list(residents)  # Any: due_at_end and days_overdue are set here, on the rows
    for r in rows:
        if period.as_of >= period.today:
            r.due_at_end = r.due_on
        else:
            last = r.last_met_at
            r.due_at_end = due.due_on_for(
                last_met_on=timezone.localdate(last) if last else None,
                registered_on=r.registered_on,
                care_level=r.care_level,
            )
        r.days_overdue = due.days_overdue(r.due_at_end, period.as_of)
    return rows
