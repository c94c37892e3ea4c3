"""Day tallies (每日统计): visits, errands received and completed, trips saved and ratings,
counted per area and local day when they happen, for the grid and every area above it.

Why: at city scale a month is ~110,000 visits and twelve weeks ~330,000; counting them
for every screen costs seconds. A month of the city's towns is 14 × 30 tally rows, a
town's communities a few thousand (``manage.py bench``, README "Performance").

Who writes them: the services that record the facts, last in the same transaction, so
the rows are locked for as short a time as possible (``visit_recorded`` from
``services.visit_record``; ``errand_received``, ``errand_completed`` and
``errand_delivered`` from ``outreach.errands.services``; ``resident_moved`` from
``services.resident_update``). Bulk loads (``seed_demo``, ``seed_city``), the migration
that introduced them and repairs call ``rebuild``; ``manage.py rebuild_tallies --check``
says, without writing or locking anything, whether the recent tallies still match the
facts.

What they count, by the day it happened (local time, ``TIME_ZONE``) and the resident's
grid — their grid of today: a resident moved to another grid takes their history along
(``resident_moved``, called by ``services.resident_update``), as coverage counts them
where they live now and as ``rebuild`` recounts them.

* visits (any outcome), of those away from the home and without a location — by
  ``visited_at``;
* errands received — by ``requested_at``; completed — by ``completed_at``;
* deliveries rated and the sum of their ratings — by ``delivered_at``;
* trips saved — the ledger's ``recorded_on``.

Reading: ``sums`` (per area over a period) and ``daily`` (per day over several areas,
for the weekly trend), one query each.
"""

import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from functools import reduce
from typing import Any

from django.apps import apps as django_apps
from django.db import connection, transaction
from django.db.models import Case, Count, ExpressionWrapper, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Greatest, TruncDate
from django.utils import timezone

from grid.models import Area
from outreach.common import due
from outreach.models import CoverageDay, DayTally, DueTally, Errand, Resident, TripsSaved, Visit

# Each level's tallies are the sum of the level below: grid → community → town → city.
LEVELS_UP = [Area.Level.GRID, Area.Level.COMMUNITY, Area.Level.TOWN]
FIELDS = [
    "visits",
    "visits_away",
    "visits_no_location",
    "errands_received",
    "errands_completed",
    "trips_saved",
    "rated",
    "rating_sum",
]


# --- Counting as it happens ----------------------------------------------------------------


def chain_ids(grid: Area) -> list[int]:
    """The ids of ``grid`` and every area above it, in one order everywhere (so that two
    transactions counting at once never wait on each other's rows crosswise: a
    deadlock). One query, remembered on the grid object: a visit's day tally and its
    resident's due tally count in the same chain."""
    ids: list[int] | None = getattr(grid, "_tally_chain_ids", None)
    if ids is None:
        codes = [*grid.ancestor_codes, grid.code]
        ids = list(Area.objects.filter(code__in=codes).order_by("pk").values_list("pk", flat=True))
        grid._tally_chain_ids = ids  # type: ignore[attr-defined]  # a cache on the instance
    return ids


def add(*, grid: Area, day: date, **amounts: int) -> None:
    """Add ``amounts`` (fields of ``FIELDS``) to the tallies of ``day`` for ``grid`` and
    every area above it. Three queries: the areas, the missing rows (a concurrent first
    count of the day is no conflict), the increments (atomic in the database: two
    workers' visits of the same minute both count)."""
    add_days(grid=grid, days={day: amounts})


def add_days(*, grid: Area, days: dict[date, dict[str, int]]) -> None:
    """``add`` for several days at once (a resident's history): the areas and the missing
    rows in one query each, then one increment per day. Negative amounts take away."""
    days = {day: {name: n for name, n in amounts.items() if n} for day, amounts in days.items()}
    days = {day: amounts for day, amounts in days.items() if amounts}
    if not days:
        return
    unknown = {name for amounts in days.values() for name in amounts} - set(FIELDS)
    if unknown:
        raise ValueError(f"not tallied: {sorted(unknown)}")
    ids = chain_ids(grid)
    DayTally.objects.bulk_create(
        [DayTally(area_id=pk, day=day) for day in sorted(days) for pk in ids], ignore_conflicts=True
    )
    for day in sorted(days):
        # Taking away never goes below zero, even where the tallies had drifted
        # (``rebuild_tallies --check`` reports that; a resident's move must not fail on it).
        DayTally.objects.filter(area_id__in=ids, day=day).update(
            **{name: F(name) + n if n > 0 else Greatest(F(name) + n, 0) for name, n in days[day].items()}
        )


def visit_recorded(visit: Visit) -> None:
    check = visit.location_check
    add(
        grid=visit.resident.grid,
        day=timezone.localdate(visit.visited_at),
        visits=1,
        visits_away=int(check == Visit.LocationCheck.AWAY),
        visits_no_location=int(check == Visit.LocationCheck.NO_LOCATION),
    )


def errand_received(errand: Errand) -> None:
    add(grid=errand.resident.grid, day=timezone.localdate(errand.requested_at), errands_received=1)


def errand_completed(errand: Errand) -> None:
    add(grid=errand.resident.grid, day=timezone.localdate(errand.completed_at), errands_completed=1)


def errand_delivered(errand: Errand, *, trips: int) -> None:
    """A delivery: its rating (if the resident gave one) and the trips it saved, which the
    ledger records on the day of delivery."""
    rated = errand.satisfaction is not None
    add(
        grid=errand.resident.grid,
        day=timezone.localdate(errand.delivered_at),
        trips_saved=trips,
        rated=int(rated),
        rating_sum=errand.satisfaction or 0,
    )


def resident_moved(*, resident: Resident, old_grid: Area) -> None:
    """A resident moved to another grid takes their history along: their facts' counts
    leave the old grid's chain and join the new one's (a few queries per day they have
    facts on; moves are rare)."""
    days: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for rows in _sources(Visit.objects, Errand.objects, TripsSaved.objects, resident=resident):
        names = [name for name in rows.query.annotation_select if name in FIELDS]
        for row in rows:
            for name in names:
                days[row["tally_day"]][name] += row[name] or 0
    add_days(grid=old_grid, days={day: {n: -v for n, v in amounts.items()} for day, amounts in days.items()})
    add_days(grid=resident.grid, days=days)


# --- Rebuilding from the facts --------------------------------------------------------------

# The choices the sources filter on, as stored: ``rebuild`` also runs on the historical
# models of a migration, which carry no choices classes.
AWAY, NO_LOCATION = "away", "no_location"  # Visit.LocationCheck's values (a test holds them equal)


def _sources(visits, errands, ledger, *, resident=None, since: date | None = None):
    """The facts grouped by grid and local day, one query per kind of fact, each
    selecting ``tally_area``, ``tally_day`` and the tally fields it fills. ``visits``,
    ``errands`` and ``ledger`` are the models' managers (or a migration's)."""
    local = timezone.get_current_timezone()

    def by_grid_day(queryset, time_field: str, day):
        if resident is not None:
            queryset = queryset.filter(resident=resident)
        if since is not None:
            start = since if time_field == "recorded_on" else due.day_start(since)
            queryset = queryset.filter(**{f"{time_field}__gte": start})
        return (
            queryset.annotate(tally_area=F("resident__grid_id"), tally_day=day)
            .values("tally_area", "tally_day")
            .order_by()
        )

    yield by_grid_day(visits.all(), "visited_at", TruncDate("visited_at", tzinfo=local)).annotate(
        visits=Count("pk"),
        visits_away=Count("pk", filter=Q(location_check=AWAY)),
        visits_no_location=Count("pk", filter=Q(location_check=NO_LOCATION)),
    )
    yield by_grid_day(errands.all(), "requested_at", TruncDate("requested_at", tzinfo=local)).annotate(
        errands_received=Count("pk")
    )
    yield by_grid_day(
        errands.filter(completed_at__isnull=False), "completed_at", TruncDate("completed_at", tzinfo=local)
    ).annotate(errands_completed=Count("pk"))
    yield by_grid_day(
        errands.filter(delivered_at__isnull=False, satisfaction__isnull=False),
        "delivered_at",
        TruncDate("delivered_at", tzinfo=local),
    ).annotate(rated=Count("pk"), rating_sum=Sum("satisfaction"))
    yield by_grid_day(ledger.all(), "recorded_on", F("recorded_on")).annotate(trips_saved=Sum("trips"))


def _insert_select(queryset, table: str, columns: list[str], *, merge: bool) -> None:
    """INSERT INTO the tallies (``columns``) the rows of ``queryset`` (selecting exactly
    those, in that order: the grouping keys, then the annotations in the order given),
    in the database: millions of facts never pass through Python. ``merge`` adds the
    columns to rows already there (each source fills its own)."""
    sql, params = queryset.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT.
    statement = f"INSERT INTO {quote(table)} ({names}) SELECT * FROM ({sql}) AS facts WHERE true"
    if merge:
        values = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns[2:])
        statement += f" ON CONFLICT (area_id, day) DO UPDATE SET {values}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _lock_against_writers(tally) -> None:
    """On PostgreSQL, lock a tally table so that writers wait for the rebuild's commit
    (and count after it) instead of colliding with it. Inside the rebuild's transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(tally._meta.db_table)} IN SHARE ROW EXCLUSIVE MODE")


def rebuild(*, apps=None) -> int:
    """Recompute every tally from the visits, errands and ledger: the grids' from the
    facts, then each level from the one below. Returns the number of tally rows.

    On PostgreSQL the tallies are locked against writers first: a fact recorded
    meanwhile waits (its service counts last in its transaction) and is counted after
    the rebuild, instead of colliding with it. ``apps``: a migration's historical models."""
    get = apps.get_model if apps is not None else django_apps.get_model
    tally = get("outreach", "DayTally")
    fields = [name for name in FIELDS if any(f.name == name for f in tally._meta.get_fields())]
    with transaction.atomic():
        _lock_against_writers(tally)
        tally.objects.all().delete()
        table = tally._meta.db_table
        sources = _sources(
            get("outreach", "Visit").objects, get("outreach", "Errand").objects, get("outreach", "TripsSaved").objects
        )
        for rows in sources:
            columns = ["area_id", "day", *[name for name in rows.query.annotation_select if name in fields]]
            _insert_select(rows, table, columns, merge=True)
        _insert_levels_up(tally, "day", fields)
        return tally.objects.count()


def differences(*, since: date | None = None) -> list[tuple[int, date, str, int, int]]:
    """(area id, day, field, tallied, expected) wherever the tallies of the days from
    ``since`` (all days: None) disagree with the facts — a grid's with its residents'
    facts, an area's with the sum of its children's. Reads only; no lock, no write: the
    nightly check. A fact committed while it reads can show as a difference; check again."""
    facts: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for rows in _sources(Visit.objects, Errand.objects, TripsSaved.objects, since=since):
        names = [name for name in rows.query.annotation_select if name in FIELDS]
        for row in rows:
            for name in names:
                facts[(row["tally_area"], row["tally_day"])][name] = row[name] or 0
    kept = DayTally.objects.filter(day__gte=since) if since is not None else DayTally.objects.all()
    rows = list(kept.values("area_id", "area__parent_id", "day", *FIELDS))
    expected = facts  # a grid's: its residents' facts; each area above: the sum of its children's tallies
    for row in rows:
        if row["area__parent_id"] is not None:
            parent = expected[(row["area__parent_id"], row["day"])]
            for name in FIELDS:
                parent[name] += row[name]
    tallied = {(row["area_id"], row["day"]): row for row in rows}
    zero = dict.fromkeys(FIELDS, 0)
    found = []
    for key in sorted(tallied.keys() | expected.keys()):
        have, want = tallied.get(key, zero), expected.get(key, zero)
        found += [(key[0], key[1], name, have[name], want[name]) for name in FIELDS if have[name] != want[name]]
    return found


# --- Reading --------------------------------------------------------------------------------


def sums(*, areas: Iterable[int], start: date, end: date) -> dict[int, dict[str, int]]:
    """{area id: {field: sum}} over the days ``start``–``end`` (both included); areas with
    nothing on those days are missing. One query."""
    rows: Iterable[Any] = (  # dicts: the key, then a sum per field
        DayTally.objects.filter(area_id__in=list(areas), day__gte=start, day__lte=end)
        .values("area_id")
        .annotate(**{name: Sum(name) for name in FIELDS})
        .order_by()
    )
    return {row.pop("area_id"): row for row in rows}


def daily(*, areas: Sequence[int], start: date, end: date) -> dict[date, dict[str, int]]:
    """{day: {field: sum over ``areas``}} for the days ``start``–``end``. One query."""
    rows: Iterable[Any] = (  # dicts: the key, then a sum per field
        DayTally.objects.filter(area_id__in=list(areas), day__gte=start, day__lte=end)
        .values("day")
        .annotate(**{name: Sum(name) for name in FIELDS})
        .order_by()
    )
    return {row.pop("day"): row for row in rows}


# --- Residents by due date ------------------------------------------------------------------
#
# Coverage for today needs, per area, the active residents and those of them not overdue
# (due today or later, ``outreach.common.due``). Counting them from the residents reads
# every resident of the area: 100,000 for the city. The due tallies (``DueTally``) keep,
# per area (grid and every area above) and due date, how many active residents are due
# that day; the services that change a resident's grid, status or due date move the
# resident's count in the same transaction (``resident_changed``), and coverage sums an
# area's rows: active = all of them, on time = those due today or later.
#
# Why rows per due date and not two counters per area: "on time" depends on the day it
# is asked. With the due date in the key, tomorrow's answer is the same rows summed from
# tomorrow; no nightly job moves residents from "on time" to "overdue". What a read costs
# grows with the number of distinct due dates in an area — at most the days from its
# longest-overdue resident to the longest interval ahead, a few hundred — never with
# the number of residents (README "Performance" gives the figures at city scale).

ACTIVE = "active"  # Resident.Status.ACTIVE as stored (a test holds them equal)

DueKey = tuple[Area, date]  # an active resident's grid and due date


def due_key(*, grid: Area, status: str, due_on: date) -> DueKey | None:
    """What a resident counts for in the due tallies: their grid and due date while they
    are active, nothing once they moved away or died."""
    return (grid, due_on) if status == ACTIVE else None


def resident_changed(*, before: DueKey | None, after: DueKey | None) -> None:
    """Move a resident's count from ``before`` (None: not counted — new, or inactive) to
    ``after`` (None: no longer counted) for their grid(s) and every area above. Nothing
    when neither changed; else the areas (unless known on the grid object), the missing
    rows, and one UPDATE for every row concerned."""
    if before == after:
        return
    residents_add(changes=[(key, n) for key, n in ((before, -1), (after, 1)) if key is not None])


def residents_add(*, changes: Iterable[tuple[DueKey, int]]) -> None:
    """Add ``n`` residents to the due tallies of (grid, due date) and every area above the
    grid, for each ((grid, due date), n) of ``changes``; negative ``n`` takes away, never
    below zero (``rebuild_tallies --check`` reports drift; a write must not fail on it)."""
    deltas: dict[tuple[int, date], int] = defaultdict(int)
    for (grid, day), n in changes:
        for pk in chain_ids(grid):
            deltas[(pk, day)] += n
    by_day: dict[tuple[date, int], list[int]] = defaultdict(list)
    for (pk, day), n in deltas.items():
        if n:
            by_day[(day, n)].append(pk)
    if not by_day:
        return
    DueTally.objects.bulk_create(
        [DueTally(area_id=pk, due_on=day) for (day, n), ids in sorted(by_day.items()) if n > 0 for pk in ids],
        ignore_conflicts=True,
    )
    # One statement: its rows are locked in the order of the index it scans, the same for
    # every transaction (two visits moving counts between the same days cannot deadlock).
    rows = [Q(area_id__in=sorted(ids), due_on=day) for (day, n), ids in sorted(by_day.items())]
    amount = Case(*(When(q, then=Value(n)) for q, (_day, n) in zip(rows, sorted(by_day))), default=Value(0))
    DueTally.objects.filter(reduce(operator.or_, rows)).update(
        residents=Greatest(ExpressionWrapper(F("residents") + amount, output_field=IntegerField()), 0)
    )


def _insert_levels_up(tally, key: str, fields: list[str]) -> None:
    """Each level's rows (keyed by area and ``key``) as the sums of the level below."""
    for level in LEVELS_UP:
        children = (
            tally.objects.filter(area__level=level, area__parent__isnull=False)
            .values("area__parent_id", key)
            .annotate(**{name: Sum(name) for name in fields})
            .order_by()
        )
        _insert_select(children, tally._meta.db_table, ["area_id", key, *fields], merge=False)


def rebuild_due(*, apps=None) -> int:
    """Recount the due tallies from the residents (the grids'), then each level from the
    one below; returns the number of rows. Locked against writers on PostgreSQL, like
    ``rebuild``. ``apps``: a migration's historical models."""
    get = apps.get_model if apps is not None else django_apps.get_model
    tally, residents = get("outreach", "DueTally"), get("outreach", "Resident")
    with transaction.atomic():
        _lock_against_writers(tally)
        tally.objects.all().delete()
        by_grid = (
            residents.objects.filter(status=ACTIVE)
            .values("grid_id", "due_on")
            .annotate(residents=Count("pk"))
            .order_by()
        )
        _insert_select(by_grid, tally._meta.db_table, ["area_id", "due_on", "residents"], merge=False)
        _insert_levels_up(tally, "due_on", ["residents"])
        return tally.objects.count()


def due_differences() -> list[tuple[int, date, str, int, int]]:
    """(area id, due date, "residents", tallied, expected) wherever the due tallies
    disagree with the residents — a grid's with its active residents, an area's with the
    sum of its children's. Reads only, every due date (the residents grouped by grid and
    due date: a few hundred thousand rows at most)."""
    expected: dict[tuple[int, date], int] = defaultdict(int)
    for row in Resident.objects.filter(status=ACTIVE).values("grid_id", "due_on").annotate(n=Count("pk")).order_by():
        expected[(row["grid_id"], row["due_on"])] = row["n"]
    rows = list(DueTally.objects.values_list("area_id", "area__parent_id", "due_on", "residents"))
    for _area_id, parent_id, day, n in rows:
        if parent_id is not None:
            expected[(parent_id, day)] += n
    tallied = {(area_id, day): n for area_id, _parent_id, day, n in rows}
    return [
        (key[0], key[1], "residents", tallied.get(key, 0), expected.get(key, 0))
        for key in sorted(tallied.keys() | expected.keys())
        if tallied.get(key, 0) != expected.get(key, 0)
    ]


def residents_due(*, areas: Iterable[int], today: date) -> dict[int, tuple[int, int]]:
    """{area id: (active residents, of them not overdue on ``today``)} from the areas' due
    tallies; areas without active residents are missing. One query."""
    rows = (
        DueTally.objects.filter(area_id__in=list(areas))
        .values("area_id")
        .annotate(active=Sum("residents"), on_time=Sum("residents", filter=Q(due_on__gte=today)))
        .order_by()
    )
    return {row["area_id"]: (row["active"] or 0, row["on_time"] or 0) for row in rows}


def residents_overdue(*, paths: Iterable[str], today: date) -> int:
    """Active residents overdue on ``today`` under the areas at ``paths`` (disjoint
    subtrees: a user's scope roots), from those areas' due tallies. One query."""
    rows = DueTally.objects.filter(area__path__in=list(paths), due_on__lt=today)
    return rows.aggregate(n=Sum("residents"))["n"] or 0


# --- Coverage of past days ------------------------------------------------------------------
#
# ``CoverageDay`` holds how each area stood at the end of a past day, written whole days
# at a time by the nightly run (``outreach.reporting.coverage.days``). A day counts while
# its city row is there. What changes a past day's figures after it was written — a visit
# sent days later, a corrected outcome, a move or death dated back — takes the city rows
# away from that day on (``coverage_days_stale_from``), and those days are counted from
# the facts again until the next run. Care levels and grids are not history: a written
# day keeps them as they were when it was written.


def coverage_roots() -> list[tuple[int, str]]:
    """(id, path) of the top areas (the city), locked against the nightly run until the
    caller's commit (FOR NO KEY UPDATE: rows that merely point at the city still go in).
    One query."""
    roots = Area.objects.filter(parent__isnull=True).order_by("pk").select_for_update(no_key=True)
    return list(roots.values_list("pk", "path"))


@transaction.atomic(savepoint=False)
def coverage_days_stale_from(day: date) -> None:
    """A fact about ``day`` came in or changed after that day: from ``day`` to yesterday
    the written coverage no longer holds. Two queries, none for today (no written day
    holds it yet). Waits for a run writing one of those days to commit, so that a day
    computed without this fact is never kept."""
    if day >= timezone.localdate():
        return
    roots = [pk for pk, _path in coverage_roots()]
    CoverageDay.objects.filter(day__gte=day, area_id__in=roots).delete()
