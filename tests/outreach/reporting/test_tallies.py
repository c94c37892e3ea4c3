"""Day tallies (outreach.reporting.tallies): the services count each fact once, on its local day,
for the grid and every area above it; what they count always equals a rebuild from the
facts; a fact rolled back counts nothing; ``rebuild_tallies --check`` finds drift."""

import threading
import time as clock
import uuid
from datetime import datetime, time, timedelta
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from demo.territory import seed_territory
from grid.models import Area, User
from outreach.common import due
from outreach.errands import services as errand_services
from outreach.models import DayTally, DueTally, Resident, Visit
from outreach.reporting import tallies
from outreach.residents import services
from tests import factories
from tests.races import concurrent_writers

pytestmark = pytest.mark.django_db


def record_visit(actor, resident, *, days_ago=0, away=False, reason=""):
    """A visit at the door (or ``away`` from it, or, with a ``reason``, without a
    location): a minute ago, or at noon ``days_ago`` days back (local days, whatever the
    hour the test runs)."""
    visited_at = timezone.now() - timedelta(minutes=1)
    if days_ago:
        day = timezone.localdate() - timedelta(days=days_ago)
        visited_at = timezone.make_aware(datetime.combine(day, time(12)))
    lat = None if reason else resident.home_lat + (0.01 if away else 0)
    lng = None if reason else resident.home_lng
    return services.visit_record(
        actor=actor,
        resident=resident,
        visit_id=uuid.uuid4(),
        data=services.VisitInput(
            visited_at=visited_at,
            outcome="met",
            lat=lat,
            lng=lng,
            accuracy_m=None if reason else 10,
            no_location_reason=reason,
        ),
    )[0]


def chain(grid: Area) -> list[Area]:
    """The grid and the areas above it, bottom up."""
    return list(Area.objects.filter(code__in=[*grid.ancestor_codes, grid.code]).order_by("-level"))


def grid_of_another_community(grid: Area) -> Area:
    """A grid of the same town as ``grid``, in another community."""
    grids = Area.objects.filter(level=Area.Level.GRID, parent__parent=grid.parent.parent)
    return grids.exclude(parent=grid.parent).order_by("code").first()


def tally(area: Area, day) -> dict:
    return DayTally.objects.filter(area=area, day=day).values(*tallies.FIELDS).first() or dict.fromkeys(
        tallies.FIELDS, 0
    )


def test_services_count_visits_errands_and_deliveries_up_the_tree(demo_users, catalogue):
    worker, admin = demo_users["worker"], demo_users["admin"]
    resident = factories.resident(actor=admin, care_level="A")
    today, yesterday = timezone.localdate(), timezone.localdate() - timedelta(days=1)
    record_visit(worker, resident)
    record_visit(worker, resident, reason="楼道内无信号")
    record_visit(worker, resident, days_ago=1, away=True)
    errand = factories.errand_walk(
        errand=factories.errand(actor=worker, resident=resident, code="YB-CB", source="visit"),
        actor=worker,
        actions=["accept", "start", "complete"],
    )
    assert errand.completed_at is not None
    errand = errand_services.errand_deliver(
        actor=worker, errand=errand, expected_version=errand.version, via="in_person", satisfaction=4
    )

    areas = chain(resident.grid)
    assert [a.level for a in areas] == [Area.Level.GRID, Area.Level.COMMUNITY, Area.Level.TOWN, Area.Level.CITY]
    for area in areas:  # the same figures at every level: nothing else happened in the city
        assert tally(area, today) == {
            "visits": 2,
            "visits_away": 0,
            "visits_no_location": 1,
            "errands_received": 1,
            "errands_completed": 1,
            "trips_saved": errand.service.trips_saved,
            "rated": 1,
            "rating_sum": 4,
        }
        assert tally(area, yesterday)["visits"] == 1 and tally(area, yesterday)["visits_away"] == 1
    assert tallies.differences() == []  # counted as they happened = counted from the facts
    other_town = Area.objects.filter(level=Area.Level.TOWN).exclude(pk=areas[2].pk).first()
    assert tally(other_town, today)["visits"] == 0


def test_a_visit_rolled_back_counts_nothing(demo_users, monkeypatch):
    resident = factories.resident(actor=demo_users["admin"])

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "audit", fail)
    with pytest.raises(RuntimeError):
        record_visit(demo_users["worker"], resident)
    assert not Visit.objects.exists() and not DayTally.objects.exists()


def test_sums_and_daily_read_areas_and_days(demo_users):
    worker, admin = demo_users["worker"], demo_users["admin"]
    resident = factories.resident(actor=admin)
    for days in [0, 1, 1, 9]:
        record_visit(worker, resident, days_ago=days)
    today = timezone.localdate()
    town = chain(resident.grid)[2]
    assert tallies.sums(areas=[town.pk], start=today - timedelta(days=2), end=today)[town.pk]["visits"] == 3
    assert tallies.sums(areas=[town.pk], start=today - timedelta(days=30), end=today)[town.pk]["visits"] == 4
    assert tallies.sums(areas=[town.pk], start=today + timedelta(days=1), end=today + timedelta(days=2)) == {}
    daily = tallies.daily(areas=[town.pk, resident.grid.pk], start=today - timedelta(days=1), end=today)
    assert {day: row["visits"] for day, row in daily.items()} == {today: 2, today - timedelta(days=1): 4}


def test_rebuild_tallies_check_finds_drift_and_the_rebuild_repairs_it(demo_users, capsys):
    resident = factories.resident(actor=demo_users["admin"])
    record_visit(demo_users["worker"], resident)
    call_command("rebuild_tallies", "--check")
    assert "match" in capsys.readouterr().out
    # A visit written around the services (a bulk load) is not counted until a rebuild.
    Visit.objects.create(
        resident=resident,
        worker=demo_users["worker"],
        visited_at=timezone.now(),
        outcome="met",
        location_check="no_location",
        no_location_reason="x",
        content_digest="0" * 64,
    )
    with pytest.raises(CommandError, match="differ"):
        call_command("rebuild_tallies", "--check")
    assert "visits: tallied 1, expected 2" in capsys.readouterr().out
    call_command("rebuild_tallies")
    call_command("rebuild_tallies", "--check")
    assert tally(resident.grid, timezone.localdate())["visits"] == 2


def test_a_resident_moved_to_another_grid_takes_their_history_along(demo_users, catalogue):
    """As coverage counts residents where they live now, so do the tallies: the old
    grid's chain loses the resident's visits and errands, the new one gains them, the
    areas both share keep them, and the tallies still equal a count from the facts."""
    admin, worker = demo_users["admin"], demo_users["admin"]
    resident = factories.resident(actor=admin)
    record_visit(worker, resident)
    record_visit(worker, resident, days_ago=3, away=True)
    factories.errand(actor=admin, resident=resident, code="YB-CB", source="visit")
    old_grid = resident.grid
    new_grid = grid_of_another_community(old_grid)
    resident.refresh_from_db()
    services.resident_update(actor=admin, resident=resident, expected_version=resident.version, grid=new_grid)
    today, earlier = timezone.localdate(), timezone.localdate() - timedelta(days=3)
    old_chain, new_chain = chain(old_grid), chain(new_grid)
    assert tally(old_chain[0], today)["visits"] == tally(old_chain[1], earlier)["visits_away"] == 0
    assert tally(old_chain[0], today)["errands_received"] == 0
    for area in new_chain:
        assert (tally(area, today)["visits"], tally(area, today)["errands_received"]) == (1, 1)
        assert tally(area, earlier)["visits_away"] == 1
    assert new_chain[2] == old_chain[2]  # the town they stayed in
    assert tallies.differences() == []


def test_the_check_reads_only_the_days_asked_for(demo_users):
    resident = factories.resident(actor=demo_users["admin"])
    record_visit(demo_users["worker"], resident, days_ago=20)
    day = timezone.localdate() - timedelta(days=20)
    DayTally.objects.filter(day=day, area=resident.grid).update(visits=7)
    assert tallies.differences(since=timezone.localdate() - timedelta(days=10)) == []
    found = tallies.differences(since=timezone.localdate() - timedelta(days=25))
    # the grid against its residents' facts, its community against its grids
    assert sorted((area, name, have, want) for area, _day, name, have, want in found) == sorted(
        [(resident.grid.pk, "visits", 7, 1), (resident.grid.parent_id, "visits", 1, 7)]
    )


def test_the_stored_choices_the_rebuild_filters_on_are_the_models():
    assert (tallies.AWAY, tallies.NO_LOCATION) == (Visit.LocationCheck.AWAY, Visit.LocationCheck.NO_LOCATION)


def test_unknown_figures_are_refused(demo_users):
    with pytest.raises(ValueError):
        tallies.add(grid=User.objects.get(username="worker").scopes.first().area, day=timezone.localdate(), steps=1)


@concurrent_writers()
def test_two_first_visits_of_the_day_at_once_both_count():
    """Two workers' visits in one grid, in two threads with their own connections, both
    counting the day's first visit at once: one creates the tally rows, the other waits
    for it and adds to them. No visit is lost, no deadlock, no error."""
    seed_territory()  # a transactional test starts from a flushed database
    admin, worker = User.objects.get(username="admin"), User.objects.get(username="worker")
    # Due on different days before and after the visit (registered on different days, of
    # different care levels): their due tallies, updated earlier in the same transactions,
    # are other rows, so both visits reach the day tallies at once.
    residents = [
        factories.resident(actor=admin, name="甲", care_level="A", registered_days_ago=0),
        factories.resident(actor=admin, name="乙", care_level="C", registered_days_ago=3),
    ]
    keys = [
        (
            r.due_on,
            due.due_on_for(last_met_on=timezone.localdate(), registered_on=r.registered_on, care_level=r.care_level),
        )
        for r in residents
    ]
    assert len({day for pair in keys for day in pair}) == 4
    barrier = threading.Barrier(2, timeout=10)
    real_add = tallies.add
    errors: list[BaseException] = []

    def add_when_both_are_here(**kwargs):
        barrier.wait()
        real_add(**kwargs)

    def send(resident):
        try:
            record_visit(worker, resident)
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    with mock.patch.object(tallies, "add", add_when_both_are_here):
        threads = [threading.Thread(target=send, args=(r,)) for r in residents]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    for area in chain(residents[0].grid):
        assert tally(area, timezone.localdate())["visits"] == 2
    assert tallies.differences() == []


# --- due tallies: active residents per area and due date --------------------------------


def due_counts(area: Area) -> dict:
    """{due date: residents} of an area's due tallies, the empty rows left out."""
    return dict(DueTally.objects.filter(area=area, residents__gt=0).values_list("due_on", "residents"))


def test_due_tallies_follow_every_change_of_a_resident(demo_users, catalogue):
    """Registered, visited, a care level changed, moved to another grid, moved away by a
    visit and back by its correction: after each, every area of the chain counts the
    resident on their due date, and the tallies equal a count from the residents."""
    admin, worker = demo_users["admin"], demo_users["worker"]
    today = timezone.localdate()
    resident = factories.resident(actor=admin, care_level="A", registered_days_ago=3)
    grid = resident.grid
    registered = today - timedelta(days=3)
    for area in chain(grid):
        assert due_counts(area) == {registered: 1}  # never met: due since registration
    assert tallies.residents_due(areas=[grid.pk], today=today) == {grid.pk: (1, 0)}  # overdue

    record_visit(worker, resident)
    for area in chain(grid):
        assert due_counts(area) == {today + timedelta(days=7): 1}
    assert tallies.residents_due(areas=[grid.pk], today=today) == {grid.pk: (1, 1)}

    resident.refresh_from_db()
    resident = services.resident_update(
        actor=admin, resident=resident, expected_version=resident.version, care_level="C"
    )
    assert due_counts(grid) == {today + timedelta(days=30): 1}

    new_grid = grid_of_another_community(grid)
    resident = services.resident_update(
        actor=admin, resident=resident, expected_version=resident.version, grid=new_grid
    )
    old_chain, new_chain = chain(grid), chain(new_grid)
    assert due_counts(old_chain[0]) == due_counts(old_chain[1]) == {}
    for area in new_chain:
        assert due_counts(area) == {today + timedelta(days=30): 1}
    assert tallies.due_differences() == []

    gone = services.visit_record(
        actor=admin,
        resident=resident,
        visit_id=uuid.uuid4(),
        data=services.VisitInput(visited_at=timezone.now(), outcome="moved", no_location_reason="x"),
    )[0]
    for area in new_chain:
        assert due_counts(area) == {}
    assert tallies.due_differences() == []
    services.visit_correct(actor=admin, visit=gone, reason="记错了", outcome="not_home")
    for area in new_chain:
        assert due_counts(area) == {today + timedelta(days=30): 1}
    assert tallies.due_differences() == []


def test_rebuild_tallies_check_reports_due_drift_and_the_rebuild_repairs_it(demo_users, capsys):
    resident = factories.resident(actor=demo_users["admin"])
    call_command("rebuild_tallies", "--check")
    assert "match" in capsys.readouterr().out
    DueTally.objects.filter(area=resident.grid).update(residents=5)
    with pytest.raises(CommandError, match="differ"):
        call_command("rebuild_tallies", "--check")
    out = capsys.readouterr().out
    assert f"area {resident.grid.pk} {resident.due_on} residents: tallied 5, expected 1" in out
    assert f"area {resident.grid.parent_id} {resident.due_on} residents: tallied 1, expected 5" in out
    call_command("rebuild_tallies")
    assert "due tallies rebuilt" in capsys.readouterr().out
    call_command("rebuild_tallies", "--check")
    assert due_counts(resident.grid) == {resident.due_on: 1}


def test_the_stored_status_the_due_tallies_count_is_the_models():
    assert tallies.ACTIVE == Resident.Status.ACTIVE


# --- the written days and a late visit at once -------------------------------------------


@concurrent_writers()
def test_a_late_visit_while_its_day_is_being_written_leaves_the_day_to_be_written_again():
    """The nightly run counts a day while a visit of that day arrives from a phone that
    had no signal: the visit waits for the run's commit (the city row), then makes the
    day stale, so the day counted without it is never kept."""
    from outreach.reporting.coverage import days as coverage_days
    from outreach.reporting.coverage import selectors as coverage

    seed_territory()  # a transactional test starts from a flushed database
    admin, worker = User.objects.get(username="admin"), User.objects.get(username="worker")
    resident = factories.resident(actor=admin, name="丙", care_level="C", registered_days_ago=40)
    day, today = timezone.localdate() - timedelta(days=3), timezone.localdate()
    counting, visit_sent = threading.Event(), threading.Event()
    real_figures = coverage_days.resident_figures
    errors: list[BaseException] = []

    def count_slowly(**kwargs):
        figures = real_figures(**kwargs)
        counting.set()  # counted without the visit; the city row is held
        visit_sent.wait(timeout=10)
        clock.sleep(0.5)  # the visit is waiting for the city row by now
        return figures

    def run(job):
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def late_visit():
        counting.wait(timeout=10)
        visit_sent.set()
        record_visit(worker, resident, days_ago=3)

    with mock.patch.object(coverage_days, "resident_figures", count_slowly):
        threads = [
            threading.Thread(target=run, args=(lambda: coverage_days.write_day(day, today=today),)),
            threading.Thread(target=run, args=(late_visit,)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert Visit.objects.filter(resident=resident).count() == 1
    assert day in coverage_days.days_to_write(today=today, days=5)  # what the run wrote is not kept
    grid = resident.grid
    assert coverage.written_day(areas=[grid], day=day) is None
    coverage_days.write_day(day, today=today)
    assert coverage.written_day(areas=[grid], day=day)[grid.pk].on_time >= 1  # the next run counts it
