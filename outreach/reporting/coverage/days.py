"""Writing the coverage of past days (``CoverageDay``): for each day, how every area stood
at its end — active residents and those not overdue, by coverage's own definitions —
so that a past period is read from a few rows instead of every resident's visit history
(at city scale, the city's last month took 0.2 s of the database per request).

``manage.py fill_coverage_days``, queued every night by the worker
(``DAIBAN_PERIODIC_TIMES``), writes the days of the last ``DAIBAN_COVERAGE_DAYS`` that
are missing: yesterday, and those a late fact made stale
(``tallies.coverage_days_stale_from``). One transaction per day, holding the city row
against late facts while it counts (``tallies.coverage_roots``)."""

from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from grid.models import Area
from outreach.models import CoverageDay
from outreach.reporting import tallies
from outreach.reporting.coverage.selectors import resident_figures, roll_up
from outreach.reporting.periods import Period, PeriodKind


def write_day(day: date, *, today: date) -> int:
    """Count ``day`` (before ``today``) from the facts and write its rows: every area with
    residents, and the city's always (it marks the day as written). Returns the rows."""
    if day >= today:
        raise ValueError(f"{day} has not ended yet")
    with transaction.atomic():
        roots = tallies.coverage_roots()
        period = Period(PeriodKind.CUSTOM, day, day, today)
        per_grid = resident_figures(within=[path for _pk, path in roots], period=period, use_stored_due=False)
        levels: dict[int, list[Area]] = defaultdict(list)  # each level's areas: disjoint subtrees
        for area in Area.objects.only("pk", "path", "level"):
            levels[area.level].append(area)
        figures = {pk: f for areas in levels.values() for pk, f in roll_up(per_grid, areas).items()}
        cities = {pk for pk, _path in roots}  # their rows, even empty: the day is written
        CoverageDay.objects.filter(day=day).delete()
        rows = [
            CoverageDay(area_id=pk, day=day, active=f.active, on_time=f.on_time)
            for pk, f in sorted(figures.items())
            if f.active or pk in cities
        ]
        CoverageDay.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def days_to_write(*, today: date, days: int) -> list[date]:
    """The days of the last ``days`` (yesterday back) missing the row of some city."""
    first = today - timedelta(days=days)
    cities = Area.objects.filter(parent__isnull=True).count()
    rows = CoverageDay.objects.filter(day__gte=first, day__lt=today, area__parent__isnull=True)
    written = {row["day"] for row in rows.values("day").annotate(n=Count("pk")).order_by() if row["n"] == cities}
    return [first + timedelta(days=n) for n in range(days) if first + timedelta(days=n) not in written]


def fill(*, today: date | None = None, days: int | None = None) -> list[date]:
    """Write the missing days of the last ``days`` (``DAIBAN_COVERAGE_DAYS``); returns them.
    Rows older than both are deleted: the table holds a bounded number of days (a period
    ending before them is counted from the history)."""
    today = today or timezone.localdate()
    days = settings.DAIBAN_COVERAGE_DAYS if days is None else days
    CoverageDay.objects.filter(day__lt=today - timedelta(days=max(days, settings.DAIBAN_COVERAGE_DAYS))).delete()
    missing = days_to_write(today=today, days=days)
    for day in missing:
        write_day(day, today=today)
    return missing
