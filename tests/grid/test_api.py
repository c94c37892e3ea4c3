"""The territory API: /me, /areas, /service-points — scoped, JSON errors, fixed query counts."""

import pytest

from grid.models import Area, ServicePoint

pytestmark = pytest.mark.django_db


def test_openapi_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/me", "/api/v1/areas", "/api/v1/service-points"} <= set(paths)


# Generated clients name their methods after these: they stay as published, wherever the
# code behind them moves (config.api.DaibanAPI).
PUBLISHED_OPERATION_IDS = {
    "grid_api_areas", "grid_api_me", "grid_api_service_points",
    "outreach_api_resident_detail", "outreach_api_resident_list", "outreach_api_visit_create",
    "outreach_api_visit_list", "outreach_api_visit_photos_add",
    "outreach_branch_api_branch_activity_create", "outreach_branch_api_branch_activity_list",
    "outreach_branch_api_branch_list", "outreach_branch_api_branch_point_list",
    "outreach_errand_api_errand_create", "outreach_errand_api_errand_detail", "outreach_errand_api_errand_list",
    "outreach_errand_api_errand_transition", "outreach_errand_api_service_type_list",
    "outreach_jobs_api_job_detail", "outreach_jobs_api_missed_export",
}  # fmt: skip


def test_operation_ids_stay_as_published(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    ids = {operation["operationId"] for methods in paths.values() for operation in methods.values()}
    assert ids >= PUBLISHED_OPERATION_IDS


def test_anonymous_gets_a_json_401(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["message"]


@pytest.mark.parametrize(
    ("username", "roles", "area_names", "branches"),
    [
        ("worker", ["grid_worker"], ["绣湖社区第1网格"], 0),
        ("station", ["station_staff"], ["绣湖社区"], 0),
        ("street", ["street_official"], ["稠城街道"], 0),
        ("secretary", ["branch_secretary"], [], 1),
        ("admin", ["city_admin"], ["义乌市"], 0),
    ],
)
def test_me_tells_roles_and_scope(client_for, username, roles, area_names, branches):
    data = client_for(username).get("/api/v1/me").json()
    assert data["username"] == username
    assert data["roles"] == roles
    assert sorted(Area.objects.filter(pk__in=data["area_ids"]).values_list("name", flat=True)) == area_names
    assert len(data["branch_ids"]) == branches


def test_areas_by_parent_and_level(client_for):
    community = Area.objects.get(name="绣湖社区")
    client = client_for("station")
    data = client.get("/api/v1/areas", {"parent": community.pk}).json()
    assert [a["name"] for a in data["items"]] == ["绣湖社区第1网格", "绣湖社区第2网格"]
    data = client.get("/api/v1/areas", {"level": 2}).json()
    assert [a["name"] for a in data["items"]] == ["绣湖社区"]


def test_areas_of_another_scope_are_404_with_a_message(client_for):
    other_town = Area.objects.get(name="佛堂镇")
    response = client_for("street").get("/api/v1/areas", {"parent": other_town.pk})
    assert response.status_code == 404
    assert response.json()["message"]
    response = client_for("worker").get("/api/v1/service-points", {"area": Area.objects.get(name="绣湖社区").pk})
    assert response.status_code == 404


def test_bad_filter_is_a_json_422(client_for):
    response = client_for("street").get("/api/v1/service-points", {"tier": "palace"})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] and body["errors"][0]["field"] == "tier"


def test_service_points_filtered_by_tier_and_area(client_for):
    client = client_for("street")
    community = Area.objects.get(name="绣湖社区")
    data = client.get("/api/v1/service-points", {"area": community.pk, "tier": "grid_point"}).json()
    assert sorted(p["name"] for p in data["items"]) == ["绣湖社区第1网格代办点", "绣湖社区第2网格代办点"]
    data = client_for("worker").get("/api/v1/service-points").json()
    assert data["count"] == 3


@pytest.mark.parametrize("username", ["worker", "street", "secretary", "admin"])
def test_list_query_counts_are_fixed(client_for, username, django_assert_num_queries):
    client = client_for(username)
    client.get("/api/v1/areas")
    # session, user, scopes, count, page
    with django_assert_num_queries(5):
        assert client.get("/api/v1/areas").status_code == 200
    with django_assert_num_queries(5):
        assert client.get("/api/v1/service-points").status_code == 200
    community = Area.objects.get(name="绣湖社区")
    for i in range(30):
        grid = Area.objects.create(
            code=f"T{i}", name=f"测试网格{i}", level=3, parent=community, path=f"{community.path}T{i}/"
        )
        ServicePoint.objects.create(name=f"测试点{i}", tier="grid_point", area=grid)
    with django_assert_num_queries(5):
        client.get("/api/v1/areas")
    with django_assert_num_queries(5):
        client.get("/api/v1/service-points")


def test_area_filter_adds_exactly_one_query(client_for, django_assert_num_queries):
    client = client_for("street")
    community = Area.objects.get(name="绣湖社区")
    client.get("/api/v1/me")
    # session, user, scopes, the area's scope check, count, page
    with django_assert_num_queries(6):
        assert client.get("/api/v1/service-points", {"area": community.pk}).status_code == 200
    with django_assert_num_queries(6):
        assert client.get("/api/v1/areas", {"parent": community.pk}).status_code == 200
