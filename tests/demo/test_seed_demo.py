"""The demo city: the counts the README promises, and a second run changes nothing."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from grid.models import Area, Department, JointBranch, Pairing, Scope, ServicePoint, ServiceWindow, User
from outreach.models import (
    BranchActivity,
    BranchActivityPoint,
    Complaint,
    Errand,
    ErrandEvent,
    Resident,
    ResidentCategory,
    TripsSaved,
    Visit,
)

pytestmark = pytest.mark.django_db

MODELS = [
    Area,
    ServicePoint,
    Department,
    ServiceWindow,
    JointBranch,
    Pairing,
    User,
    Scope,
    Resident,
    ResidentCategory,
    Visit,
    Errand,
    ErrandEvent,
    TripsSaved,
    Complaint,
    BranchActivity,
    BranchActivityPoint,
]


def snapshot():
    return {
        model.__name__: sorted(map(repr, model.objects.values_list(*[f.attname for f in model._meta.concrete_fields])))
        for model in MODELS
    }


def test_demo_city_has_the_yiwu_shape():
    towns = list(Area.objects.filter(level=Area.Level.TOWN).values_list("name", flat=True))
    assert len(towns) == 14 and {"稠城街道", "佛堂镇", "苏溪镇", "廿三里街道"} <= set(towns)
    assert Area.objects.filter(level=Area.Level.COMMUNITY).count() >= 14 * 16
    assert (
        Area.objects.filter(level=Area.Level.GRID).count()
        >= 2 * Area.objects.filter(level=Area.Level.COMMUNITY).count()
    )
    assert 45 <= Department.objects.count() <= 60
    assert ServiceWindow.objects.count() == 240
    assert JointBranch.objects.count() == 13
    per_branch = Pairing.objects.values("branch").annotate(n=Count("id")).values_list("n", flat=True)
    assert list(per_branch) == [100] * 13
    # every area below the city has its service point of the matching tier
    assert ServicePoint.objects.count() == Area.objects.exclude(level=Area.Level.CITY).count()
    assert set(User.objects.values_list("username", flat=True)) >= {
        "worker",
        "worker2",
        "station",
        "street",
        "secretary",
        "admin",
    }


def test_every_area_has_a_boundary_and_a_centroid_inside_it():
    from shapely.geometry import Point, shape

    for area in Area.objects.filter(level__lte=Area.Level.COMMUNITY):
        assert shape(area.boundary).contains(Point(area.centroid_lng, area.centroid_lat)), area.name
    assert not Area.objects.filter(boundary__isnull=True).exists()


def test_towns_do_not_overlap_and_sit_around_yiwu():
    from shapely.geometry import shape

    towns = [shape(a.boundary) for a in Area.objects.filter(level=Area.Level.TOWN)]
    for i, a in enumerate(towns):
        for b in towns[i + 1 :]:
            assert a.intersection(b).area < 1e-7
    city = Area.objects.get(level=Area.Level.CITY)
    assert abs(city.centroid_lat - 29.31) < 0.1 and abs(city.centroid_lng - 120.08) < 0.1


def test_seeding_twice_changes_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo")  # the test database holds the territory only; add the residents
    before = snapshot()
    call_command("seed_demo")
    assert snapshot() == before


def test_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    call_command("seed_demo", "--force")
    before = snapshot()
    call_command("seed_demo", "--force")
    assert snapshot() == before


def test_if_empty_skips_a_database_that_has_a_territory(capsys, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--if-empty")
    assert "skipped" in capsys.readouterr().out


def test_demo_gives_the_workers_a_day_of_visits(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    from django.utils import timezone

    from outreach.common.due import Due, due_bucket
    from outreach.residents.selectors import residents_due_for

    worker = User.objects.get(username="worker")
    assert Resident.objects.filter(grid__name="绣湖社区第1网格").count() == 40
    assert 200 <= Resident.objects.count() <= 400
    today = timezone.localdate()
    buckets = [due_bucket(r.due_on, today) for r in residents_due_for(user=worker, today=today)]
    assert buckets.count(Due.OVERDUE) >= 5 and len(buckets) > buckets.count(Due.OVERDUE)
    oldest = Visit.objects.order_by("visited_at").first().visited_at
    assert (timezone.now() - oldest).days >= 150  # about six months of history


def test_demo_errands_cover_every_state_and_reach_the_demo_branch(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    from django.utils import timezone

    from outreach.common.due import errand_overdue_q

    assert set(Errand.objects.values_list("state", flat=True)) == set(Errand.State.values)
    secretary_branch = JointBranch.objects.get(secretary__username="secretary")
    assert Errand.objects.filter(holder_branch=secretary_branch).count() >= 2
    assert Errand.objects.filter(errand_overdue_q(timezone.localdate())).exists()


def test_demo_is_dated_from_the_day_it_runs(settings):
    """Every errand's timeline starts on the day its number says, and nothing the demo
    made happens after now; complaints are numbered by the day they were registered."""
    settings.DEBUG = True
    call_command("seed_demo")
    from datetime import datetime

    from django.utils import timezone

    from outreach.models import BranchActivity, Notification

    now = timezone.now()
    errands = list(Errand.objects.prefetch_related("events"))
    assert len(errands) >= 20
    for errand in errands:
        events = sorted(errand.events.all(), key=lambda e: (e.at, e.pk))
        created = events[0]
        assert created.action == ErrandEvent.Action.CREATED
        number_day = datetime.strptime(errand.number[2:8], "%y%m%d").date()
        assert timezone.localdate(created.at) == timezone.localdate(errand.requested_at) == number_day, errand.number
        assert timezone.localdate(errand.created_at) == number_day
        assert all(e.at <= now for e in events) and events[-1].at < now - timedelta(hours=1)
        for field, action in [("completed_at", "complete"), ("delivered_at", "deliver")]:
            if getattr(errand, field):
                step = next(e for e in reversed(events) if e.action == action)
                assert getattr(errand, field) == step.at, (errand.number, field)
    assert set(Errand.objects.values_list("requested_at__date", flat=True)) != {timezone.localdate()}
    for trips in TripsSaved.objects.select_related("errand"):
        assert trips.recorded_on == timezone.localdate(trips.errand.delivered_at)
    complaints = list(Complaint.objects.all())
    assert len(complaints) >= 9
    for complaint in complaints:
        assert complaint.number[2:8] == f"{timezone.localdate(complaint.registered_at):%y%m%d}", complaint.number
        assert complaint.registered_at <= now
        if complaint.resolved_at:
            assert complaint.registered_at <= complaint.resolved_at <= now
    assert len({c.registered_at.date() for c in complaints}) >= 5  # spread over the weeks, not all today
    assert not Notification.objects.filter(created_at__gt=now).exists()
    assert not Visit.objects.filter(visited_at__gt=now).exists()
    assert not BranchActivity.objects.filter(status="held", held_on__gt=timezone.localdate()).exists()
    assert not BranchActivity.objects.filter(created_at__gt=now).exists()
    assert BranchActivity.objects.filter(created_at__date__lt=timezone.localdate() - timedelta(days=30)).exists()
    assert Pairing.objects.order_by("since").last().since < timezone.localdate()


def test_demo_street_coverage_reads_like_a_working_street(settings):
    """This month most of the demo street's communities visit 75–98 % of their residents
    on time, and two or three red hotspots stand out below the lower threshold."""
    settings.DEBUG = True
    call_command("seed_demo")
    from django.utils import timezone

    from outreach.reporting.coverage.selectors import bands, coverage_by_area
    from outreach.reporting.periods import period_for

    town = Area.objects.get(name="稠城街道")
    communities = list(town.children.order_by("code"))
    figures = coverage_by_area(areas=communities, period=period_for(today=timezone.localdate()), within=[town.path])
    shares = {c.name: figures[c.pk].share for c in communities}
    assert all(share is not None for share in shares.values())
    working = [name for name, share in shares.items() if 0.75 <= share <= 0.98]
    red_bands = bands()[-2:]  # below 50 % and 50–70 %: the red end of the ramp
    red = [c.name for c in communities if figures[c.pk].band in red_bands]
    assert len(working) >= 0.75 * len(communities), shares
    assert 2 <= len(red) <= 3, shares
    assert all(shares[name] < 0.6 for name in red)
    assert 0.75 <= shares["绣湖社区"] <= 0.9
    assert len({round(share, 2) for share in shares.values()}) >= 5  # the bands have something to tell apart
