"""Day tallies (每日统计): visits, errands received and completed, trips saved and ratings,
counted per area and local day when they happen, for the grid and every area above it.

Why: at city scale a month is ~110,000 visits and twelve weeks ~330,000; counting them
for every screen costs seconds. A month of the city's towns is 14 × 30 tally rows, a
town's communities a few thousand (``manage.py bench``, README "Performance").

Who writes them: the services that record the facts, inside the same transaction
(``visit_recorded`` from ``services.visit_record``; ``errand_received``,
``errand_completed`` and ``errand_delivered`` from ``errand_services``). Bulk loads
(``seed_demo``, ``seed_city``) and repairs call ``rebuild``; ``manage.py rebuild_tallies
--check`` says whether the tallies still match the facts.

What they count, by the day it happened (local time, ``TIME_ZONE``) and the resident's
grid at that moment. A resident moved to another grid later leaves their history where
it happened; ``rebuild`` puts it under their grid of today (history of grids is not kept).

* visits (any outcome), of those away from the home and without a location — by
  ``visited_at``;
* errands received — by ``requested_at``; completed — by ``completed_at``;
* deliveries rated and the sum of their ratings — by ``delivered_at``;
* trips saved — the ledger's ``recorded_on``.

Reading: ``sums`` (per area over a period) and ``daily`` (per day over several areas,
for the weekly trend), one query each.
"""

from collections.abc import Iterable, Sequence
from datetime import date

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from grid.models import Area
from outreach.models import DayTally, Errand, TripsSaved, Visit

FIELDS = ["visits", "visits_away", "visits_no_location", "errands_received", "errands_completed", "trips_saved",
          "rated", "rating_sum"]


# --- Counting as it happens ----------------------------------------------------------------


def add(*, grid: Area, day: date, **amounts: int) -> None:
    """Add ``amounts`` (fields of ``FIELDS``) to the tallies of ``day`` for ``grid`` and
    every area above it. Three queries: the areas, the missing rows (a concurrent first
    count of the day is no conflict), the increments (atomic in the database: two
    workers' visits of the same minute both count)."""
    amounts = {name: n for name, n in amounts.items() if n}
    if not amounts:
        return
    unknown = set(amounts) - set(FIELDS)
    if unknown:
        raise ValueError(f"not tallied: {sorted(unknown)}")
    # In one order everywhere, so that two transactions counting at once never wait on
    # each other's rows crosswise (a deadlock).
    ids = list(Area.objects.filter(code__in=[*grid.ancestor_codes, grid.code]).order_by("pk")
               .values_list("pk", flat=True))
    DayTally.objects.bulk_create([DayTally(area_id=pk, day=day) for pk in ids], ignore_conflicts=True)
    DayTally.objects.filter(area_id__in=ids, day=day).update(**{name: F(name) + n for name, n in amounts.items()})


def visit_recorded(visit: Visit) -> None:
    check = visit.location_check
    add(grid=visit.resident.grid, day=timezone.localdate(visit.visited_at), visits=1,
        visits_away=int(check == Visit.LocationCheck.AWAY),
        visits_no_location=int(check == Visit.LocationCheck.NO_LOCATION))


def errand_received(errand: Errand) -> None:
    add(grid=errand.resident.grid, day=timezone.localdate(errand.requested_at), errands_received=1)


def errand_completed(errand: Errand) -> None:
    add(grid=errand.resident.grid, day=timezone.localdate(errand.completed_at), errands_completed=1)


def errand_delivered(errand: Errand, *, trips: int) -> None:
    """A delivery: its rating (if the resident gave one) and the trips it saved, which the
    ledger records on the day of delivery."""
    rated = errand.satisfaction is not None
    add(grid=errand.resident.grid, day=timezone.localdate(errand.delivered_at), trips_saved=trips,
        rated=int(rated), rating_sum=errand.satisfaction if rated else 0)


# --- Rebuilding from the facts --------------------------------------------------------------


def _sources():
    """(rows grouped by grid and day, the tally fields they fill), one per kind of fact."""
    local = timezone.get_current_timezone()

    def by_grid_day(queryset, grid: str, day):
        return queryset.annotate(tally_area=F(grid), tally_day=day).values("tally_area", "tally_day").order_by()

    away, no_location = Visit.LocationCheck.AWAY, Visit.LocationCheck.NO_LOCATION
    yield by_grid_day(Visit.objects.all(), "resident__grid_id", TruncDate("visited_at", tzinfo=local)).annotate(
        visits=Count("pk"), visits_away=Count("pk", filter=Q(location_check=away)),
        visits_no_location=Count("pk", filter=Q(location_check=no_location)))
    yield by_grid_day(Errand.objects.all(), "resident__grid_id", TruncDate("requested_at", tzinfo=local)).annotate(
        errands_received=Count("pk"))
    yield by_grid_day(Errand.objects.filter(completed_at__isnull=False), "resident__grid_id",
                      TruncDate("completed_at", tzinfo=local)).annotate(errands_completed=Count("pk"))
    yield by_grid_day(Errand.objects.filter(delivered_at__isnull=False, satisfaction__isnull=False),
                      "resident__grid_id", TruncDate("delivered_at", tzinfo=local)).annotate(
        rated=Count("pk"), rating_sum=Sum("satisfaction"))
    yield by_grid_day(TripsSaved.objects.all(), "resident__grid_id", F("recorded_on")).annotate(
        trips_saved=Sum("trips"))


def _insert_select(queryset, columns: list[str], *, merge: bool) -> None:
    """INSERT INTO the tallies (``columns``) the rows of ``queryset`` (selecting exactly
    those, in that order), in the database: millions of facts never pass through Python.
    ``merge`` adds the columns to rows already there (each source fills its own)."""
    sql, params = queryset.query.sql_with_params()
    table = connection.ops.quote_name(DayTally._meta.db_table)
    names = ", ".join(connection.ops.quote_name(DayTally._meta.get_field(c).column) for c in columns)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT.
    statement = f"INSERT INTO {table} ({names}) SELECT * FROM ({sql}) AS facts WHERE true"
    if merge:
        values = ", ".join(f"{connection.ops.quote_name(c)} = excluded.{connection.ops.quote_name(c)}"
                           for c in columns[2:])
        statement += f" ON CONFLICT (area_id, day) DO UPDATE SET {values}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@transaction.atomic
def rebuild() -> int:
    """Recompute every tally from the visits, errands and ledger: the grids' from the
    facts, then each level from the one below. Returns the number of tally rows."""
    DayTally.objects.all().delete()
    for rows in _sources():
        columns = ["area", "day", *[name for name in rows.query.annotation_select if name in FIELDS]]
        _insert_select(rows, columns, merge=True)
    for level in sorted(Area.Level.values, reverse=True)[:-1]:  # grid → community → town → city
        children = (DayTally.objects.filter(area__level=level, area__parent__isnull=False)
                    .values("area__parent_id", "day").annotate(**{name: Sum(name) for name in FIELDS}).order_by())
        _insert_select(children, ["area", "day", *FIELDS], merge=False)
    return DayTally.objects.count()


def differences() -> list[tuple[int, date, str, int, int]]:
    """(area id, day, field, tallied, counted from the facts) wherever the tallies
    disagree with the facts: a rebuild in a transaction that is rolled back."""
    kept = {(t["area_id"], t["day"]): t for t in DayTally.objects.values("area_id", "day", *FIELDS)}
    found = []
    with transaction.atomic():
        rebuild()
        fresh = {(t["area_id"], t["day"]): t for t in DayTally.objects.values("area_id", "day", *FIELDS)}
        transaction.set_rollback(True)
    zero = dict.fromkeys(FIELDS, 0)
    for key in sorted(kept.keys() | fresh.keys(), key=lambda k: (k[0], k[1])):
        old, new = kept.get(key, zero), fresh.get(key, zero)
        found += [(key[0], key[1], name, old[name], new[name]) for name in FIELDS if old[name] != new[name]]
    return found


# --- Reading --------------------------------------------------------------------------------


def sums(*, areas: Iterable[int], start: date, end: date) -> dict[int, dict[str, int]]:
    """{area id: {field: sum}} over the days ``start``–``end`` (both included); areas with
    nothing on those days are missing. One query."""
    rows = (DayTally.objects.filter(area_id__in=list(areas), day__gte=start, day__lte=end)
            .values("area_id").annotate(**{name: Sum(name) for name in FIELDS}).order_by())
    return {row.pop("area_id"): row for row in rows}


def daily(*, areas: Sequence[int], start: date, end: date) -> dict[date, dict[str, int]]:
    """{day: {field: sum over ``areas``}} for the days ``start``–``end``. One query."""
    rows = (DayTally.objects.filter(area_id__in=list(areas), day__gte=start, day__lte=end)
            .values("day").annotate(**{name: Sum(name) for name in FIELDS}).order_by())
    return {row.pop("day"): row for row in rows}
