"""The network directory, its map and the account page, through the front door."""

import pytest
from django.urls import reverse

from grid.models import Area, ServicePoint

pytestmark = pytest.mark.django_db


def add_points(area: Area, count: int) -> None:
    # Grid points are unique per grid, so extra data arrives as new grids with their points.
    for i in range(count):
        grid = Area.objects.create(
            code=f"{area.code}X{i:03d}",
            name=f"新增网格{i}",
            level=Area.Level.GRID,
            parent=area,
            path=f"{area.path}{area.code}X{i:03d}/",
        )
        ServicePoint.objects.create(
            name=f"新增网格{i}代办点", tier=ServicePoint.Tier.GRID_POINT, area=grid, lat=29.3, lng=120.07
        )


def test_login_required(client):
    response = client.get(reverse("network-list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_worker_directory_lists_their_chain_of_points(client_for):
    response = client_for("worker").get(reverse("network-list"))
    assert response.status_code == 200
    names = [p.name for p in response.context["page"]]
    assert names == ["稠城街道代办中心", "绣湖社区代办站", "绣湖社区第1网格代办点"]
    assert "绣湖社区第2网格代办点" not in response.content.decode()


def test_search_and_tier_filter_stay_in_scope(client_for):
    client = client_for("street")
    response = client.get(reverse("network-list"), {"q": "绣湖", "tier": "grid_point"})
    names = {p.name for p in response.context["page"]}
    assert names == {"绣湖社区第1网格代办点", "绣湖社区第2网格代办点"}
    response = client.get(reverse("network-list"), {"q": "佛堂"})
    assert response.context["page"].paginator.count == 0
    assert "没有" in response.content.decode() or "No service point" in response.content.decode()


def test_htmx_search_returns_only_the_results_partial(client_for):
    response = client_for("street").get(reverse("network-list"), {"q": "绣湖"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "绣湖社区代办站" in html
    assert "<html" not in html and 'class="filters"' not in html


@pytest.mark.parametrize("username", ["worker", "station", "street", "secretary", "admin"])
def test_directory_query_count_does_not_grow_with_data(client_for, username, django_assert_num_queries):
    client = client_for(username)
    client.get(reverse("network-list"))  # warm the session
    # session, user, scopes, count, page
    with django_assert_num_queries(5):
        assert client.get(reverse("network-list")).status_code == 200
    with django_assert_num_queries(5):
        client.get(reverse("network-list"), {"q": "代办"}, headers={"HX-Request": "true"})
    add_points(Area.objects.get(name="绣湖社区"), 40)
    with django_assert_num_queries(5):
        assert client.get(reverse("network-list")).status_code == 200


def test_detail_of_another_scope_is_404(client_for):
    other = ServicePoint.objects.get(name="绣湖社区第2网格代办点")
    client = client_for("worker")
    assert client.get(reverse("network-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("network-detail", args=[999999])).status_code == 404
    mine = ServicePoint.objects.get(name="绣湖社区第1网格代办点")
    response = client.get(reverse("network-detail", args=[mine.pk]))
    assert response.status_code == 200
    assert "王丽" in response.content.decode()  # the worker is the point's proxy agent


def test_secretary_cannot_open_unpaired_points(client_for, demo_users):
    from grid.models import Pairing

    secretary = demo_users["secretary"]
    unpaired = (
        ServicePoint.objects.filter(tier=ServicePoint.Tier.COMMUNITY_STATION)
        .exclude(pairings__branch__scopes__user=secretary)
        .first()
    )
    paired = Pairing.objects.filter(branch__scopes__user=secretary).first().point
    client = client_for("secretary")
    assert client.get(reverse("network-detail", args=[unpaired.pk])).status_code == 404
    response = client.get(reverse("network-detail", args=[paired.pk]))
    assert response.status_code == 200 and "社会保障联合支部" in response.content.decode()


def test_detail_query_count(client_for, django_assert_num_queries):
    client = client_for("station")
    point = ServicePoint.objects.get(name="绣湖社区代办站")
    client.get(reverse("network-detail", args=[point.pk]))
    # session, user, scopes, point (+area, parent), agents, pairings
    with django_assert_num_queries(6):
        assert client.get(reverse("network-detail", args=[point.pk])).status_code == 200


def test_map_data_is_scoped_geojson(client_for):
    response = client_for("worker").get(reverse("network-map-data"))
    data = response.json()
    areas = [f["properties"]["name"] for f in data["features"] if f["properties"]["kind"] == "area"]
    points = [f["properties"]["name"] for f in data["features"] if f["properties"]["kind"] == "point"]
    assert areas == ["绣湖社区第1网格"]
    assert sorted(points) == sorted(["稠城街道代办中心", "绣湖社区代办站", "绣湖社区第1网格代办点"])
    geometry = next(f["geometry"] for f in data["features"] if f["properties"]["kind"] == "area")
    assert geometry["type"] in {"Polygon", "MultiPolygon"}


def test_map_data_for_street_outlines_town_and_communities(client_for):
    data = client_for("street").get(reverse("network-map-data")).json()
    levels = {f["properties"]["level"] for f in data["features"] if f["properties"]["kind"] == "area"}
    assert levels == {Area.Level.TOWN, Area.Level.COMMUNITY}


def test_map_data_is_gzipped_when_asked(client_for):
    response = client_for("admin").get(reverse("network-map-data"), headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("username", ["worker", "street", "secretary", "admin"])
def test_map_data_query_count(client_for, username, django_assert_num_queries):
    client = client_for(username)
    client.get(reverse("network-map-data"))
    # session, user, scopes, outlines, points
    with django_assert_num_queries(5):
        client.get(reverse("network-map-data"))
    add_points(Area.objects.get(name="绣湖社区"), 10)
    with django_assert_num_queries(5):
        client.get(reverse("network-map-data"))


def test_amap_provider_shifts_overlays_to_gcj02(client_for, settings):
    client = client_for("worker")
    point = ServicePoint.objects.get(name="绣湖社区第1网格代办点")
    plain = client.get(reverse("network-map-data")).json()
    settings.TILE_PROVIDER = "amap"
    shifted = client.get(reverse("network-map-data")).json()

    def position(data):
        return next(
            f["geometry"]["coordinates"]
            for f in data["features"]
            if f["properties"].get("id") == point.id and f["properties"]["kind"] == "point"
        )

    lng0, lat0 = position(plain)
    lng1, lat1 = position(shifted)
    assert (lng0, lat0) == (point.lng, point.lat)
    # GCJ-02 moves Yiwu by roughly 500 m to the east-south-east
    assert 0.003 < lng1 - lng0 < 0.007 and -0.004 < lat1 - lat0 < 0


def test_map_page_uses_no_inline_script_without_a_nonce(client_for):
    response = client_for("worker").get(reverse("network-map"))
    html = response.content.decode()
    nonce = response.wsgi_request._csp_nonce if hasattr(response.wsgi_request, "_csp_nonce") else None
    import re

    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html):
        assert 'type="application/json"' in tag or "nonce=" in tag, tag
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert nonce is None or str(nonce) in csp


def test_account_page_shows_roles_and_language_switch(client_for):
    html = client_for("street").get(reverse("account")).content.decode()
    assert "稠城街道" in html and 'name="language"' in html and reverse("logout") in html
