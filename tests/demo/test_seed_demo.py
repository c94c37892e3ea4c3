"""The demo city: the counts the README promises, and a second run changes nothing."""

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
