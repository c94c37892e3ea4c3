"""seed_city at a tiny size: the counts asked for, due dates consistent with the visits
generated (by the one due rule), errands and their ledger consistent, the benchmark
logins in place, the tallies counted, the tables vacuumed on PostgreSQL, and a clear
refusal to run twice. No timings here: `make bench` measures."""

import io
from collections import defaultdict
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.models import Max, Sum
from django.utils import timezone

from demo.management.commands import seed_city
from demo.management.commands.seed_city import CITY_CODE, LOGINS
from grid.models import Area, Role, Scope, ServicePoint, User
from outreach.common import due
from outreach.models import Complaint, DayTally, DueTally, Errand, ErrandEvent, Resident, TripsSaved, Visit
from outreach.reporting import tallies

pytestmark = pytest.mark.django_db

RESIDENTS, GRIDS, ERRANDS = 60, 12, 40


@pytest.fixture
def city(db):
    err = io.StringIO()
    call_command(
        "seed_city",
        residents=RESIDENTS,
        grids=GRIDS,
        errands=ERRANDS,
        years=0.5,
        force=True,
        stdout=io.StringIO(),
        stderr=err,
    )
    return {"root": Area.objects.get(code=CITY_CODE), "progress": err.getvalue()}


def in_city(prefix: str = "") -> dict:
    return {f"{prefix}path__startswith": f"/{CITY_CODE}/"}


def test_counts_and_tree(city):
    areas = Area.objects.filter(**in_city())
    assert areas.filter(level=Area.Level.GRID).count() == GRIDS
    assert areas.filter(level=Area.Level.CITY).get() == city["root"]
    for area in areas.exclude(level=Area.Level.CITY).select_related("parent"):
        assert area.path == f"{area.parent.path}{area.code}/" and area.boundary and area.centroid_lat
    assert Resident.objects.filter(**in_city("grid__")).count() == RESIDENTS
    assert Visit.objects.filter(**in_city("resident__grid__")).count() > RESIDENTS
    assert Errand.objects.filter(**in_city("resident__grid__")).count() == ERRANDS
    # a point per area and tier, a worker per grid who is its point's agent
    assert ServicePoint.objects.filter(**in_city("area__")).count() == areas.exclude(level=Area.Level.CITY).count()
    workers = Scope.objects.filter(role=Role.GRID_WORKER, **in_city("area__"))
    assert workers.count() == GRIDS
    assert ServicePoint.agents.through.objects.filter(user__in=workers.values("user")).count() == GRIDS
    assert "residents+visits" in city["progress"] and "#" in city["progress"]


def test_due_dates_follow_the_generated_visits(city):
    last_met = dict(
        Visit.objects.filter(outcome="met", **in_city("resident__grid__"))
        .values_list("resident")
        .annotate(last=Max("visited_at"))
    )
    residents = Resident.objects.filter(**in_city("grid__"))
    assert residents.filter(last_met_on__isnull=False).exists() and residents.filter(due_on__lt=timezone.localdate())
    for r in residents:
        expected_last = timezone.localdate(last_met[r.pk]) if r.pk in last_met else None
        assert r.last_met_on == expected_last
        assert r.due_on == due.due_on_for(
            last_met_on=expected_last, registered_on=r.registered_on, care_level=r.care_level
        )
        assert (r.status == Resident.Status.ACTIVE) == (r.status_on is None)
    # nobody is visited after moving away or dying, nor before registering
    for v in Visit.objects.filter(**in_city("resident__grid__")).select_related("resident"):
        day = timezone.localdate(v.visited_at)
        assert v.resident.registered_on <= day <= (v.resident.status_on or timezone.localdate())
        assert v.worker_id and v.location_check in Visit.LocationCheck.values


def test_errands_are_consistent(city):
    errands = Errand.objects.filter(**in_city("resident__grid__")).select_related("service", "holder_point")
    events = defaultdict(list)
    for e in ErrandEvent.objects.filter(errand__in=errands).order_by("at", "pk"):
        events[e.errand_id].append(e)
    delivered = 0
    for e in errands:
        assert e.due_on == due.errand_due_on(requested_at=e.requested_at, promised_days=e.service.promised_days)
        assert (e.holder_point_id is None) != (e.holder_branch_id is None)
        timeline = events[e.pk]
        assert timeline[0].action == "created" and timeline[-1].to_state == e.state
        assert all(ev.at >= e.requested_at and ev.at <= timezone.now() for ev in timeline)
        if e.state == Errand.State.DELIVERED:
            delivered += 1
            assert e.delivered_at and TripsSaved.objects.get(errand=e).trips == e.service.trips_saved
        else:
            assert not TripsSaved.objects.filter(errand=e).exists()
        if e.state in ("completed", "delivered"):
            assert [ev.action for ev in timeline].count("complete") == 1
            assert e.completed_at == next(ev.at for ev in timeline if ev.action == "complete")
        else:
            assert e.completed_at is None
    assert delivered


def test_the_day_tallies_are_counted_from_the_generated_facts(city):
    assert tallies.differences() == []
    root = city["root"]
    visits = Visit.objects.filter(**in_city("resident__grid__")).count()
    assert DayTally.objects.filter(area=root).aggregate(n=Sum("visits"))["n"] == visits > 0
    assert Complaint.objects.filter(point__area__path__startswith=city["root"].path).exists()


def test_logins_reach_the_synthetic_city_only(city, client):
    for username in LOGINS.values():
        user = User.objects.get(username=username)
        assert all(s.area.path.startswith(city["root"].path) for s in user.scopes.select_related("area"))
    client.force_login(User.objects.get(username=LOGINS["street"]))
    response = client.get("/dashboard/")
    assert response.status_code == 200 and response.context["board"].total.errands_received >= 0
    client.force_login(User.objects.get(username=LOGINS["worker"]))
    assert client.get("/").status_code == 200


def test_refuses_to_run_twice(city):
    before = Resident.objects.count()
    with pytest.raises(CommandError, match="already"):
        call_command("seed_city", residents=5, grids=2, force=True, stdout=io.StringIO(), stderr=io.StringIO())
    assert Resident.objects.count() == before


def test_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_city", residents=5, grids=2, stdout=io.StringIO(), stderr=io.StringIO())
    assert not Area.objects.filter(code=CITY_CODE).exists()


def test_the_due_tallies_are_counted_from_the_generated_residents(city):
    assert tallies.due_differences() == []
    residents = Resident.objects.filter(status="active", **in_city("grid__")).count()
    assert DueTally.objects.filter(area=city["root"]).aggregate(n=Sum("residents"))["n"] == residents > 0


def test_on_postgresql_the_loaded_tables_are_vacuumed_after_the_commit(db):
    """VACUUM (ANALYZE) of the loaded tables, outside the transaction (none in a test's)."""
    statement = seed_city.vacuum_statement()
    assert statement.startswith("VACUUM (ANALYZE) ")
    for model in (Resident, Visit, Errand, DayTally, DueTally, Area):
        assert connection.ops.quote_name(model._meta.db_table) in statement
    command = seed_city.Command(stdout=io.StringIO(), stderr=io.StringIO())
    command.progress = seed_city.Progress(io.StringIO(), enabled=False)
    executed: list[str] = []
    wrapper = connections["default"]  # the connection itself, not its proxy
    with mock.patch.object(wrapper, "vendor", "postgresql"), mock.patch.object(wrapper, "cursor") as cursor:
        cursor.return_value.__enter__.return_value.execute.side_effect = executed.append
        command.vacuum()  # inside the test's transaction: VACUUM would fail there
        assert executed == []
        with mock.patch.object(wrapper, "in_atomic_block", False):
            command.vacuum()
    assert executed == [statement]
