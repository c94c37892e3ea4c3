"""The API as a whole: bounded pages and ids, JSON for every error under /api/v1/, and an
OpenAPI document that describes what the API answers."""

import json

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import translation
from ninja import Router, Schema
from ninja.errors import ConfigError

from config.api import DaibanAPI
from config.json_errors import ApiErrorsAsJsonMiddleware
from grid.models import JointBranch

pytestmark = pytest.mark.django_db

BIGINT_PAST = "9223372036854775808"  # 2**63: one past the ids' column type


def _lists():
    branch = JointBranch.objects.order_by("number").first()
    return [
        "/api/v1/areas",
        "/api/v1/service-points",
        "/api/v1/residents",
        "/api/v1/visits",
        "/api/v1/errands",
        f"/api/v1/branches/{branch.pk}/points",
        f"/api/v1/branches/{branch.pk}/activities",
    ]


def _field_errors(response) -> dict[str, str]:
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["message"] == "部分字段填写有误。"
    return {error["field"]: error["message"] for error in body["errors"]}


# --- pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"limit": BIGINT_PAST}, "limit", "最大为 200。"),
        ({"limit": 201}, "limit", "最大为 200。"),
        ({"limit": 0}, "limit", "最小为 1。"),
        ({"limit": "many"}, "limit", "请填写整数。"),
        ({"offset": BIGINT_PAST}, "offset", "最大为 1000000000。"),
        ({"offset": -1}, "offset", "最小为 0。"),
    ],
)
def test_every_list_refuses_a_page_out_of_bounds_with_a_422(
    client_for, django_assert_num_queries, query, field, message
):
    client = client_for("admin")
    for url in _lists():
        # session, user: refused before the view asks anything
        with django_assert_num_queries(2):
            response = client.get(url, query)
        assert response.status_code == 422, url
        assert _field_errors(response) == {field: f"{field}：{message}"}, url


def test_the_largest_page_and_offset_are_answered(client_for, django_assert_num_queries):
    client = client_for("admin")
    client.get("/api/v1/me")
    # session, user, scopes, count, page
    with django_assert_num_queries(5):
        response = client.get("/api/v1/areas", {"limit": 200})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 200 < response.json()["count"]
    with django_assert_num_queries(5):
        response = client.get("/api/v1/areas", {"offset": 1_000_000_000})
    assert response.status_code == 200 and response.json()["items"] == []


def test_messages_follow_the_callers_language(client_for):
    response = client_for("admin").get("/api/v1/areas", {"limit": 201}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"] == [{"field": "limit", "message": "limit: At most 200."}]


# --- ids and filters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/v1/residents/" + BIGINT_PAST, {}, "resident_id"),
        ("/api/v1/residents", {"grid": BIGINT_PAST}, "grid"),
        ("/api/v1/visits", {"resident": BIGINT_PAST}, "resident"),
        ("/api/v1/areas", {"parent": BIGINT_PAST}, "parent"),
        ("/api/v1/service-points", {"area": BIGINT_PAST}, "area"),
        ("/api/v1/errands", {"service": BIGINT_PAST}, "service"),
        ("/api/v1/errands", {"holder": "point:" + BIGINT_PAST}, "holder"),
        ("/api/v1/errands", {"holder": "point:²"}, "holder"),  # a digit to str.isdigit(), not to int()
        ("/api/v1/errands", {"assignee": "²"}, "assignee"),
        ("/api/v1/branches/" + BIGINT_PAST + "/points", {}, "branch_id"),
    ],
)
def test_an_id_past_the_database_range_is_a_422_not_a_crash(client_for, url, query, field):
    response = client_for("admin").get(url, query)
    assert response.status_code == 422
    assert list(_field_errors(response)) == [field]


def test_an_id_in_a_body_past_the_range_is_a_422(client_for):
    response = client_for("worker").post(
        "/api/v1/visits",
        {
            "id": "3f2b8c1e-7d4a-4c55-9a1e-2b7f0c9d6e10",
            "resident": int(BIGINT_PAST),
            "visited_at": "2026-11-27T09:30:00+08:00",
            "outcome": "met",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert _field_errors(response) == {"resident": "resident：最大为 9223372036854775807。"}


def test_holder_and_assignee_filters_still_work(client_for):
    client = client_for("station")
    for query in ({"holder": "point:1"}, {"holder": "branch:1"}, {"assignee": "me"}, {"assignee": "none"}):
        assert client.get("/api/v1/errands", query).status_code == 200
    response = client.get("/api/v1/errands", {"holder": "palace:1"})
    assert _field_errors(response) == {"holder": "承办方请写成 point:<id> 或 branch:<id>。"}


# --- errors are JSON ------------------------------------------------------------------------


def test_a_path_no_router_has_is_a_json_404(client_for):
    response = client_for("worker").get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"message": "未找到。"}


def test_a_method_the_path_does_not_take_is_a_json_405_with_allow(client_for):
    response = client_for("worker").delete("/api/v1/areas")
    assert response.status_code == 405
    assert response.json() == {"message": "该地址不支持此请求方法。"}
    assert response["Allow"] == "GET"
    assert int(response["Content-Length"]) == len(response.content)


def test_a_crash_is_a_json_500(demo_users, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("grid.selectors.service_points_list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(demo_users["worker"])
    response = client.get("/api/v1/service-points")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"message": "服务器出错了。请稍后再试；如果一直出错，请告诉管理员。"}


@pytest.mark.parametrize(
    ("status", "message"),
    [(400, "无法读取该请求。"), (429, "请求过于频繁，请稍候再试。"), (418, "请求失败（HTTP 418）。")],
)
def test_any_other_html_error_under_api_becomes_json(status, message):
    page = HttpResponse("<h1>Oops</h1>", status=status, headers={"Retry-After": "60"})
    middleware = ApiErrorsAsJsonMiddleware(lambda request: page)
    with translation.override("zh-hans"):  # as LocaleMiddleware, outside this one, has set it
        response = middleware(RequestFactory().get("/api/v1/areas"))
    assert response.status_code == status and response["Retry-After"] == "60"
    assert json.loads(response.content) == {"message": message}


def test_a_form_without_its_boundary_is_a_json_400(client_for, django_assert_num_queries):
    client = client_for("worker")
    # session, user: refused while reading the body, before any lookup
    with django_assert_num_queries(2):
        response = client.post("/api/v1/visits", b"x", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json() == {"message": "无法读取表单：请发送带 boundary 的 multipart/form-data，或发送 JSON。"}


def test_pages_outside_the_api_keep_their_html_errors(client_for):
    response = client_for("worker").get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_not_logged_in_stays_json(client):
    assert client.get("/api/v1/areas").json() == {"message": "请先登录。"}


# --- the OpenAPI document ---------------------------------------------------------------------


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json()


def _ref(schema: dict) -> str:
    return schema["$ref"].rsplit("/", 1)[1]


def test_areas_are_described_as_areas(document):
    page = document["paths"]["/api/v1/areas"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    items = document["components"]["schemas"][_ref(page)]["properties"]["items"]["items"]
    assert set(document["components"]["schemas"][_ref(items)]["required"]) == {
        "id", "code", "name", "level", "parent_id", "centroid_lat", "centroid_lng",
    }  # fmt: skip
    point = document["components"]["schemas"]["PointOut"]["properties"]["area"]
    assert set(document["components"]["schemas"][_ref(point)]["required"]) == {"id", "name", "town"}


def test_two_schemas_under_one_name_are_refused():
    first, second = Router(), Router()

    class AreaOut(Schema):
        id: int

    @first.get("/a", response=AreaOut)
    def one(request):
        return {"id": 1}

    class AreaOut(Schema):  # type: ignore[no-redef]  # the collision under test
        name: str

    @second.get("/b", response=AreaOut)
    def two(request):
        return {"name": "x"}

    api = DaibanAPI(urls_namespace="collision-test")
    api.OPERATION_ID_PREFIXES = {__name__: "test"}
    api.add_router("/", first)
    api.add_router("/", second)
    with pytest.raises(ConfigError, match="Two API schemas are named AreaOut"):
        api.get_openapi_schema(path_prefix="/")


def test_page_bounds_and_filter_forms_are_documented(document):
    parameters = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/errands"]["get"]["parameters"]}
    assert parameters["limit"]["maximum"] == 200 and parameters["limit"]["minimum"] == 1
    assert parameters["offset"]["maximum"] == 1_000_000_000
    assert parameters["holder"]["pattern"] == "^((point|branch):[0-9]{1,18})?$"
    assert parameters["assignee"]["pattern"] == "^(me|none|[0-9]{1,18})?$"


@pytest.mark.parametrize(
    ("path", "required"),
    [
        ("/api/v1/visits", {"id", "resident", "visited_at", "outcome"}),
        ("/api/v1/errands/{errand_id}/transitions", {"action"}),
        ("/api/v1/branches/{branch_id}/activities", {"id", "kind", "held_on", "points"}),
        ("/api/v1/visits/{visit_id}/photos", {"photos"}),
    ],
)
def test_multipart_forms_mark_their_required_fields(document, path, required):
    form = document["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert sorted(form["required"]) == sorted(required)  # each once: a list with repeats is not valid OpenAPI
    assert form["properties"]["photos"]["items"]["format"] == "binary"


def test_every_required_list_names_each_field_once(document):
    """A schema's `required` with repeats is invalid OpenAPI (schemathesis refuses the
    operation): ninja merges an operation's openapi_extra into its own lists."""

    def lists(node):
        if isinstance(node, dict):
            if isinstance(node.get("required"), list):
                yield node["required"]
            for value in node.values():
                yield from lists(value)
        elif isinstance(node, list):
            for value in node:
                yield from lists(value)

    found = list(lists(document))
    assert found and all(len(names) == len(set(names)) for names in found)


def test_every_operation_documents_its_errors(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            statuses = set(operation["responses"])
            assert "401" in statuses, (method, path)
            if operation.get("parameters") or "requestBody" in operation:
                assert "422" in statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
            if "requestBody" in operation:
                assert {"400", "403"} <= statuses, (method, path)
    for path in ("/api/v1/areas", "/api/v1/service-points", "/api/v1/residents", "/api/v1/visits"):
        assert "404" in document["paths"][path]["get"]["responses"], path  # an id filter out of reach


def test_a_bad_choice_lists_the_choices_without_english(client_for):
    response = client_for("street").get("/api/v1/service-points", {"tier": "palace"})
    assert _field_errors(response) == {
        "tier": "tier：请从以下选择：'street_centre', 'community_station', 'grid_point'。"
    }
