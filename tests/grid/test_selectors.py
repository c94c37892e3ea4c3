"""Who sees which areas and points: one selector, one query per subtree."""

import pytest

from grid.access import reach_of
from grid.models import Area, Pairing, ServicePoint
from grid.selectors import area_subtree, areas_visible_to, branches_visible_to, service_points_visible_to

pytestmark = pytest.mark.django_db


def test_subtree_is_one_query_at_every_depth(django_assert_num_queries):
    for level in Area.Level:
        area = Area.objects.filter(level=level).order_by("code").first()
        with django_assert_num_queries(1):
            subtree = list(area_subtree(area=area))
        assert subtree[0] == area
        assert all(a.path.startswith(area.path) for a in subtree)
    city = Area.objects.get(level=Area.Level.CITY)
    assert len(list(area_subtree(area=city))) == Area.objects.count()


def test_worker_sees_only_their_grid(demo_users):
    worker, worker2 = demo_users["worker"], demo_users["worker2"]
    (grid,) = areas_visible_to(user=worker)
    assert grid.level == Area.Level.GRID and grid.name == "绣湖社区第1网格"
    (grid2,) = areas_visible_to(user=worker2)
    assert grid2.name == "绣湖社区第2网格" and grid2.parent == grid.parent


def test_station_sees_its_community_and_its_grids(demo_users):
    names = sorted(areas_visible_to(user=demo_users["station"]).values_list("name", flat=True))
    assert names == ["绣湖社区", "绣湖社区第1网格", "绣湖社区第2网格"]


def test_street_sees_its_town_subtree_and_nothing_else(demo_users):
    town = Area.objects.get(name="稠城街道")
    visible = set(areas_visible_to(user=demo_users["street"]))
    assert visible == set(Area.objects.filter(path__startswith=town.path))
    assert not any(a.name == "佛堂镇" for a in visible)


def test_secretary_sees_the_areas_of_the_branch_paired_points(demo_users):
    secretary = demo_users["secretary"]
    (branch,) = branches_visible_to(user=secretary)
    paired_area_ids = set(
        Pairing.objects.filter(branch=branch, until__isnull=True).values_list("point__area_id", flat=True)
    )
    assert len(paired_area_ids) == 100
    assert set(areas_visible_to(user=secretary).values_list("id", flat=True)) == paired_area_ids
    assert set(service_points_visible_to(user=secretary).values_list("area_id", flat=True)) == paired_area_ids


def test_admin_sees_everything(demo_users):
    admin = demo_users["admin"]
    assert areas_visible_to(user=admin).count() == Area.objects.count()
    assert service_points_visible_to(user=admin).count() == ServicePoint.objects.count()
    assert branches_visible_to(user=admin).count() == 13


def test_worker_sees_the_station_and_centre_above_their_grid(demo_users):
    tiers = dict(service_points_visible_to(user=demo_users["worker"]).values_list("tier", "name"))
    assert tiers == {
        "grid_point": "绣湖社区第1网格代办点",
        "community_station": "绣湖社区代办站",
        "street_centre": "稠城街道代办中心",
    }


def test_a_user_may_hold_several_scopes(demo_users):
    from grid.models import Role, Scope

    worker = demo_users["worker"]
    other_grid = (
        Area.objects.filter(level=Area.Level.GRID, name__startswith="绣湖")
        .exclude(pk__in=areas_visible_to(user=worker))
        .first()
    )
    Scope.objects.create(user=worker, role=Role.GRID_WORKER, area=other_grid)
    worker = type(worker).objects.get(pk=worker.pk)  # drop the cached reach
    assert areas_visible_to(user=worker).count() == 2
    assert set(reach_of(worker).area_ids) == set(areas_visible_to(user=worker).values_list("id", flat=True))


def test_reach_is_read_once_per_user_object(demo_users, django_assert_num_queries):
    street = type(demo_users["street"]).objects.get(pk=demo_users["street"].pk)
    with django_assert_num_queries(3):  # the scopes once, then the two counts
        areas_visible_to(user=street).count()
        areas_visible_to(user=street).count()
    with django_assert_num_queries(1):
        service_points_visible_to(user=street).count()


def test_anonymous_sees_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert areas_visible_to(user=AnonymousUser()).count() == 0
    assert service_points_visible_to(user=AnonymousUser()).count() == 0
