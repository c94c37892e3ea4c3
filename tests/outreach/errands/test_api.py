"""The errands API: the catalogue, errands opened once whatever the client re-sends,
the scoped list and detail with its timeline, every change through /transitions with
its 200/404/409/422 answers, scope for every demo role and fixed query counts."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grid.models import ServicePoint
from outreach.errands import services as errand_services
from outreach.models import Errand, ErrandEvent, ErrandPhoto, Notification, ServiceType, TripsSaved
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue", "media_root")]

GRID1, GRID2 = "绣湖社区第1网格", "绣湖社区第2网格"  # worker's and worker2's grids
GRID_POINT, STATION = "绣湖社区第1网格代办点", "绣湖社区代办站"
CARD = "SB-BH"  # 社会保障卡补换: a grid point handles it; its windows are in the secretary's branch
RELIEF = "MZ-DB"  # 最低生活保障申请: from a community station, five materials
ROLES = ["worker", "worker2", "station", "street", "secretary", "admin"]

ERRAND_FIELDS = {
    "id",
    "number",
    "resident",
    "service",
    "source",
    "state",
    "holder",
    "assignee",
    "requested_at",
    "due_on",
    "overdue",
    "days_overdue",
    "version",
    "materials",
    "satisfaction",
    "resident_rating",
    "progress_code",
    "delivered_via",
    "delivered_at",
    "materials_waiver",
    "next_actions",
}
DETAIL_FIELDS = ERRAND_FIELDS | {
    "description",
    "visit",
    "cancel_reason",
    "closed_at",
    "created_at",
    "photos",
    "timeline",
    "escalate_to",
}


@pytest.fixture
def resident(demo_users):
    return factories.resident(
        actor=demo_users["worker"], grid_name=GRID1, name="王阿婆", national_id=factories.national_id()
    )


@pytest.fixture
def neighbour(demo_users):
    """A resident of worker2's grid, in the same community."""
    return factories.resident(
        actor=demo_users["worker2"], grid_name=GRID2, name="李阿公", national_id=factories.national_id()
    )


def service(code: str) -> ServiceType:
    return ServiceType.objects.get(code=code)


def step(errand: Errand, action: str, actor, **fields) -> Errand:
    """One step on the errand as it is stored now."""
    errand.refresh_from_db()
    return factories.errand_act(errand=errand, action=action, actor=actor, **fields)


def errand_body(of, code: str = CARD, **changes) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "resident": of.pk,
        "service": service(code).pk,
        "source": "phone",
        "description": "社保卡丢失，需补办",
        **changes,
    }


def post_errand(client, body: dict):
    return client.post("/api/v1/errands", body, content_type="application/json")


def transition(client, errand: Errand, **body):
    return client.post(f"/api/v1/errands/{errand.pk}/transitions", body, content_type="application/json")


def field_errors(response) -> list[str]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"] and all(e["message"] for e in body["errors"])
    return [e["field"] for e in body["errors"]]


def snapshot(errand: Errand) -> tuple:
    row = Errand.objects.get(pk=errand.pk)
    return (
        row.state,
        row.version,
        row.holder_point_id,
        row.holder_branch_id,
        row.assignee_id,
        row.materials_collected,
        row.events.count(),
        TripsSaved.objects.filter(errand=row).count(),
        ErrandPhoto.objects.filter(errand=row).count(),
    )


def test_openapi_documents_the_errand_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/service-types",
        "/api/v1/errands",
        "/api/v1/errands/{errand_id}",
        "/api/v1/errands/{errand_id}/transitions",
    } <= set(paths)
    create = paths["/api/v1/errands"]["post"]["responses"]
    assert {"200", "201", "404", "409", "422"} <= set(create)
    moves = paths["/api/v1/errands/{errand_id}/transitions"]["post"]
    assert {"200", "404", "409", "422"} <= set(moves["responses"])
    assert set(moves["requestBody"]["content"]) == {"application/json", "multipart/form-data"}


# --- the catalogue ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_logged_in_role_reads_the_catalogue_on_offer(client_for, role, django_assert_num_queries):
    ServiceType.objects.filter(code="NY-BT").update(is_active=False)
    client = client_for(role)
    with django_assert_num_queries(3):  # session, user, the catalogue with its departments
        response = client.get("/api/v1/service-types")
    assert response.status_code == 200
    items = response.json()
    assert len(items) == ServiceType.objects.filter(is_active=True).count() >= 25
    assert "NY-BT" not in {i["code"] for i in items}
    card = next(i for i in items if i["code"] == CARD)
    stored = service(CARD)
    assert card == {
        "id": stored.pk,
        "code": CARD,
        "name": stored.name,
        "department": {"id": stored.department_id, "name": "人力资源和社会保障局"},
        "promised_days": stored.promised_days,
        "materials": stored.materials,
        "lowest_tier": "grid_point",
        "trips_saved": stored.trips_saved,
    }
    assert [i["name"] for i in items] == sorted(i["name"] for i in items)


def test_anonymous_gets_a_401_everywhere(client, resident, demo_users):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code=CARD)
    for response in (
        client.get("/api/v1/service-types"),
        client.get("/api/v1/errands"),
        client.get(f"/api/v1/errands/{errand.pk}"),
        post_errand(client, errand_body(resident)),
        transition(client, errand, action="accept", version=1),
    ):
        assert response.status_code == 401
        assert response.json()["message"]


# --- opening errands -----------------------------------------------------------------------------


def test_an_errand_is_opened_once_and_a_replay_answers_200(client_for, demo_users, resident):
    client = client_for("worker")
    body = errand_body(resident)
    response = post_errand(client, body)
    assert response.status_code == 201
    data = response.json()
    assert set(data) == DETAIL_FIELDS
    worker = demo_users["worker"]
    point = ServicePoint.objects.get(name=GRID_POINT)
    assert (data["id"], data["state"], data["version"], data["source"]) == (body["id"], "requested", 1, "phone")
    assert data["resident"] == {"id": resident.pk, "name": "王阿婆"}
    assert data["service"] == {"id": service(CARD).pk, "name": service(CARD).name}
    assert data["holder"] == {"kind": "point", "id": point.pk, "name": GRID_POINT, "tier": "grid_point"}
    assert data["assignee"] == {"id": worker.pk, "name": worker.display_name}
    assert data["due_on"] == (timezone.localdate() + timedelta(days=service(CARD).promised_days)).isoformat()
    assert (data["overdue"], data["days_overdue"]) == (False, 0)
    assert data["materials"] == [{"name": m, "collected": False} for m in service(CARD).materials]
    assert data["next_actions"] == ["accept", "escalate", "cancel"]
    assert (data["description"], data["visit"], data["photos"]) == ("社保卡丢失，需补办", None, [])
    [created] = data["timeline"]
    assert created["action"] == "created" and created["actor"] == {"id": worker.pk, "name": worker.display_name}
    assert (created["from_state"], created["to_state"], created["to_holder"]) == ("", "requested", GRID_POINT)

    replay = post_errand(client, body)
    assert replay.status_code == 200
    assert replay.json() == data
    assert Errand.objects.count() == 1 and ErrandEvent.objects.count() == 1


def test_another_errand_under_a_used_id_is_a_409_with_the_stored_one(client_for, resident):
    client = client_for("worker")
    body = errand_body(resident)
    stored = post_errand(client, body).json()
    response = post_errand(client, {**body, "source": "walk_in", "description": "另一件事"})
    assert response.status_code == 409
    assert response.json()["message"]
    assert response.json()["errand"] == stored
    assert Errand.objects.get().description == "社保卡丢失，需补办"


def test_a_409_never_shows_an_errand_outside_the_callers_reach(client_for, resident, neighbour):
    body = errand_body(resident)
    post_errand(client_for("worker"), body)
    response = post_errand(client_for("worker2"), {**body, "resident": neighbour.pk})
    assert response.status_code == 409
    assert response.json()["errand"] is None
    assert Errand.objects.count() == 1


def test_an_errand_from_a_visit_of_the_resident(client_for, demo_users, resident, neighbour):
    worker = demo_users["worker"]
    visit = factories.visit(actor=worker, resident=resident, ago=timedelta(minutes=5), no_location_reason="室内无信号")
    client = client_for("worker")
    response = post_errand(client, errand_body(resident, source="visit", visit=str(visit.pk)))
    assert response.status_code == 201
    assert (response.json()["visit"], response.json()["source"]) == (str(visit.pk), "visit")
    # a visit the caller cannot see is 404; one of another resident in reach is a 422
    theirs = factories.visit(
        actor=demo_users["worker2"], resident=neighbour, ago=timedelta(minutes=5), no_location_reason="室内无信号"
    )
    assert post_errand(client, errand_body(resident, visit=str(theirs.pk))).status_code == 404
    other = factories.resident(actor=worker, grid_name=GRID1, name="另一位")
    assert field_errors(post_errand(client, errand_body(other, visit=str(visit.pk)))) == ["visit"]
    assert post_errand(client_for("station"), errand_body(neighbour, visit=str(theirs.pk))).status_code == 201
    assert Errand.objects.count() == 2


@pytest.mark.parametrize("role", ["worker2", "secretary"])
def test_a_resident_outside_reach_is_404_and_nothing_is_written(client_for, resident, role):
    response = post_errand(client_for(role), errand_body(resident))
    assert response.status_code == 404
    assert response.json()["message"]
    assert not Errand.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source": "carrier_pigeon"}, "source"),
        ({"service": 999_999}, "service"),
        ({"service": "社保卡"}, "service"),
        ({"id": "not-a-uuid"}, "id"),
        ({"resident": None}, "resident"),
        ({"visit": "not-a-uuid"}, "visit"),
    ],
)
def test_invalid_fields_are_a_422_per_field_and_nothing_is_written(client_for, resident, changes, field):
    response = post_errand(client_for("worker"), errand_body(resident, **changes))
    assert field_errors(response) == [field]
    assert not Errand.objects.exists()


def test_a_body_that_is_not_json_is_a_400(client_for, resident):
    response = client_for("worker").post("/api/v1/errands", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"]
    assert not Errand.objects.exists()


def test_a_service_no_longer_offered_is_a_422(client_for, resident):
    ServiceType.objects.filter(code=CARD).update(is_active=False)
    assert field_errors(post_errand(client_for("worker"), errand_body(resident))) == ["service"]
    assert not Errand.objects.exists()


# --- reading errands -------------------------------------------------------------------------------


@pytest.fixture
def spread(demo_users, resident, neighbour) -> dict[str, Errand]:
    """At worker's point, escalated to the secretary's branch, and one of worker2's."""
    worker, admin = demo_users["worker"], demo_users["admin"]
    at_point = factories.errand(actor=worker, resident=resident, code=CARD)
    at_branch = factories.errand(actor=worker, resident=resident, code=CARD)
    for _step in range(3):
        at_branch = step(at_branch, "escalate", admin)
    theirs = factories.errand(actor=demo_users["worker2"], resident=neighbour, code=CARD)
    return {"at_point": at_point, "at_branch": at_branch, "theirs": theirs}


SEES = {
    "worker": {"at_point", "at_branch"},
    "worker2": {"theirs"},
    "station": {"at_point", "at_branch", "theirs"},
    "street": {"at_point", "at_branch", "theirs"},
    "secretary": {"at_branch"},
    "admin": {"at_point", "at_branch", "theirs"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_errands_and_404_for_the_rest(client_for, spread, role):
    client = client_for(role)
    listed = {item["id"] for item in client.get("/api/v1/errands").json()["items"]}
    assert listed == {str(spread[key].pk) for key in SEES[role]}
    for key, errand in spread.items():
        detail = client.get(f"/api/v1/errands/{errand.pk}")
        moved = transition(client, errand, action="cancel", version=errand.version, reason="测试")
        if key in SEES[role]:
            assert detail.status_code == 200
        else:
            assert detail.status_code == 404 and detail.json()["message"]
            assert moved.status_code == 404 and moved.json()["message"]
    assert client.get(f"/api/v1/errands/{uuid.uuid4()}").status_code == 404


@pytest.mark.parametrize(
    ("role", "key", "actions"),
    [
        ("worker", "at_point", ["accept", "escalate", "cancel"]),
        ("worker", "at_branch", []),  # sees it (their resident) but it is the branch's now
        ("station", "at_point", ["accept", "escalate", "cancel"]),
        ("street", "at_branch", []),
        ("secretary", "at_branch", ["accept", "cancel"]),  # the top: no escalation
        ("admin", "theirs", ["accept", "escalate", "cancel"]),
    ],
)
def test_next_actions_are_offered_only_to_who_may_act(client_for, spread, role, key, actions):
    data = client_for(role).get(f"/api/v1/errands/{spread[key].pk}").json()
    assert data["next_actions"] == actions


def test_the_list_is_due_soonest_first_with_the_due_facts(client_for, demo_users, resident):
    worker = demo_users["worker"]
    now = timezone.now()
    late = factories.errand(
        actor=worker, resident=resident, code=CARD, requested_at=now - timedelta(days=service(CARD).promised_days + 4)
    )
    soon = factories.errand(actor=worker, resident=resident, code=CARD)
    later = factories.errand(actor=worker, resident=resident, code=RELIEF)
    done_late = factories.errand(
        actor=worker, resident=resident, code=CARD, requested_at=now - timedelta(days=service(CARD).promised_days + 9)
    )
    for action in ("accept", "start", "complete"):
        done_late = step(done_late, action, worker)
    data = client_for("worker").get("/api/v1/errands").json()
    assert data["count"] == 4
    assert [i["id"] for i in data["items"]] == [str(e.pk) for e in (done_late, late, soon, later)]
    by_id = {i["id"]: i for i in data["items"]}
    assert (by_id[str(late.pk)]["overdue"], by_id[str(late.pk)]["days_overdue"]) == (True, 4)
    assert (by_id[str(done_late.pk)]["overdue"], by_id[str(done_late.pk)]["days_overdue"]) == (False, 0)
    assert (by_id[str(soon.pk)]["overdue"], by_id[str(soon.pk)]["days_overdue"]) == (False, 0)
    assert set(data["items"][0]) == ERRAND_FIELDS
    assert by_id[str(later.pk)]["holder"]["tier"] == "community_station"
    assert by_id[str(later.pk)]["assignee"] is None and by_id[str(later.pk)]["next_actions"] == []
    page = client_for("worker").get("/api/v1/errands", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 4 and [i["id"] for i in page["items"]] == [str(late.pk), str(soon.pk)]


def test_the_list_filters(client_for, demo_users, resident, neighbour):
    worker = demo_users["worker"]
    mine = step(factories.errand(actor=worker, resident=resident, code=CARD), "accept", worker)
    late = factories.errand(
        actor=worker, resident=resident, code=CARD, requested_at=timezone.now() - timedelta(days=30)
    )
    unassigned = factories.errand(actor=worker, resident=resident, code=RELIEF)
    theirs = factories.errand(actor=demo_users["worker2"], resident=neighbour, code=CARD)
    at_branch = factories.errand(actor=worker, resident=resident, code=CARD)
    for _step in range(3):
        at_branch = step(at_branch, "escalate", demo_users["admin"])
    client = client_for("station")

    def ids(**query) -> set[str]:
        response = client.get("/api/v1/errands", query)
        assert response.status_code == 200, response.content
        return {i["id"] for i in response.json()["items"]}

    def of(*errands) -> set[str]:
        return {str(e.pk) for e in errands}

    point1 = ServicePoint.objects.get(name=GRID_POINT)
    assert ids(state="accepted") == of(mine)
    assert ids(holder=f"point:{point1.pk}") == of(mine, late)
    assert ids(holder=f"point:{unassigned.holder_point_id}") == of(unassigned)
    assert ids(holder=f"branch:{at_branch.holder_branch_id}") == of(at_branch)
    assert ids(assignee="none") == of(unassigned, at_branch)
    assert ids(assignee=str(worker.pk)) == of(mine, late)
    assert ids(assignee="me") == set()  # the station has none of its own
    assert ids(overdue="true") == of(late)
    assert ids(service=service(RELIEF).pk) == of(unassigned)
    assert ids(service=service(CARD).pk, assignee="none") == of(at_branch)
    assert ids(state="requested", holder=f"point:{point1.pk}", overdue="true") == of(late)
    assert ids() == of(mine, late, unassigned, theirs, at_branch)  # the whole community
    client = client_for("worker")
    assert ids(assignee="me") == of(mine, late)
    assert ids(assignee="me", service=service(RELIEF).pk) == set()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"state": "lost"}, "state"),
        ({"holder": "desk:3"}, "holder"),
        ({"holder": "point:x"}, "holder"),
        ({"assignee": "someone"}, "assignee"),
        ({"overdue": "maybe"}, "overdue"),
        ({"service": "card"}, "service"),
    ],
)
def test_a_bad_filter_is_a_422(client_for, query, field):
    assert field_errors(client_for("station").get("/api/v1/errands", query)) == [field]


def test_the_detail_has_the_timeline_and_receipts(client_for, demo_users, resident):
    worker, station = demo_users["worker"], demo_users["station"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD, description="补卡")
    errand = step(errand, "escalate", worker, note="需社区盖章")
    errand = errand_services.errand_assign(
        actor=station, errand=errand, assignee=worker, expected_version=errand.version, note="盖好章了"
    )
    for action in ("accept", "start", "complete"):
        errand = step(errand, action, worker)
    errand = step(errand, "deliver", worker, uploads=[factories.jpeg()])
    data = client_for("worker").get(f"/api/v1/errands/{errand.pk}").json()
    assert set(data) == DETAIL_FIELDS
    timeline = data["timeline"]
    assert [e["action"] for e in timeline] == [
        "created",
        "escalate",
        "assign",
        "accept",
        "start",
        "complete",
        "deliver",
    ]
    escalated, assigned = timeline[1], timeline[2]
    assert escalated == {
        "at": escalated["at"],
        "action": "escalate",
        "actor": {"id": worker.pk, "name": worker.display_name},
        "from_state": "requested",
        "to_state": "requested",
        "from_holder": GRID_POINT,
        "to_holder": STATION,
        "assignee": None,
        "note": "需社区盖章",
    }
    assert assigned["assignee"] == {"id": worker.pk, "name": worker.display_name}
    assert (assigned["actor"]["id"], assigned["from_holder"], assigned["to_holder"]) == (
        station.pk,
        STATION,
        GRID_POINT,
    )
    assert (data["state"], data["delivered_via"], data["satisfaction"]) == ("delivered", "in_person", 5)
    assert data["delivered_at"] and data["closed_at"] and data["next_actions"] == []
    [photo] = data["photos"]
    assert photo["url"] == reverse("errand-photo", args=[photo["id"]])
    assert photo["thumbnail_url"] == reverse("errand-photo-thumb", args=[photo["id"]])
    assert (photo["width"], photo["height"]) == (640, 480)


# --- changing errands ------------------------------------------------------------------------------


def test_each_step_answers_200_with_the_new_errand(client_for, demo_users, resident):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code=CARD)
    client = client_for("worker")
    version = 1
    for action, fields, state in [
        ("accept", {}, "accepted"),
        ("start", {}, "in_progress"),
        ("return", {"note": "缺身份证复印件"}, "needs_materials"),
        ("resume", {}, "in_progress"),
        ("complete", {"note": "原件已在窗口核验"}, "completed"),
        ("deliver", {"via": "express", "satisfaction": 4}, "delivered"),
    ]:
        response = transition(client, errand, action=action, version=version, **fields)
        assert response.status_code == 200, response.content
        data = response.json()
        assert (data["state"], data["version"]) == (state, version + 1)
        assert data["timeline"][-1]["action"] == action
        version = data["version"]
    assert (data["delivered_via"], data["satisfaction"]) == ("express", 4)
    assert TripsSaved.objects.get(errand=errand).trips == service(CARD).trips_saved


def test_a_stale_version_is_a_409_with_the_current_errand(client_for, demo_users, resident):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code=CARD)
    worker_client = client_for("worker")
    assert transition(worker_client, errand, action="accept", version=1).status_code == 200
    current = worker_client.get(f"/api/v1/errands/{errand.pk}").json()
    before = snapshot(errand)
    station_client = Client()
    station_client.force_login(demo_users["station"])
    for body in (
        {"action": "cancel", "version": 1, "reason": "重复"},
        {"action": "assign", "version": 1, "assignee": demo_users["station"].pk},
        {"action": "escalate", "version": 1},
    ):
        response = transition(station_client, errand, **body)
        assert response.status_code == 409
        assert response.json()["message"]
        conflict = response.json()["errand"]
        assert (conflict["state"], conflict["version"], conflict["timeline"]) == ("accepted", 2, current["timeline"])
        assert conflict["next_actions"] == ["start", "escalate", "cancel"]  # as the station sees it
    assert snapshot(errand) == before


@pytest.mark.parametrize(
    ("state_steps", "body"),
    [
        ([], {"action": "accept"}),
        ([], {"action": "escalate"}),
        (["accept", "start"], {"action": "return"}),
        ([], {"action": "assign", "assignee": "station"}),
        (["accept", "start", "complete"], {"action": "deliver", "via": "in_person", "satisfaction": 5}),
    ],
)
def test_a_note_too_long_is_a_422_in_the_services_words_and_writes_nothing(
    client_for, demo_users, resident, state_steps, body
):
    """The API checks no length of its own: the services' limit and message answer."""
    worker, limit = demo_users["worker"], errand_services.NOTE_MAX_LENGTH
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    for action in state_steps:
        errand = step(errand, action, worker)
    if "assignee" in body:
        body = {**body, "assignee": demo_users[body["assignee"]].pk}
    before = snapshot(errand)
    response = transition(client_for("worker"), errand, version=errand.version, note="注" * (limit + 1), **body)
    assert field_errors(response) == ["note"]
    assert response.json()["errors"][0]["message"] == (f"备注最多 {limit} 个字（当前 {limit + 1} 个）。")
    assert snapshot(errand) == before
    assert (
        transition(client_for("worker"), errand, version=errand.version, note="注" * limit, **body).status_code == 200
    )


@pytest.mark.parametrize(
    ("state_steps", "body", "field"),
    [
        ([], {"action": "complete"}, "action"),
        ([], {"action": "deliver", "via": "in_person", "satisfaction": 5}, "action"),
        ([], {"action": "resume"}, "action"),
        (["accept", "start", "complete"], {"action": "escalate"}, "action"),
        (["cancel"], {"action": "accept"}, "action"),
        ([], {"action": "fly"}, "action"),
        ([], {"action": "cancel"}, "reason"),
        ([], {"action": "cancel", "reason": "理" * 201}, "reason"),
        (["accept", "start"], {"action": "return", "note": " "}, "note"),
        ([], {"action": "assign"}, "assignee"),
        ([], {"action": "assign", "assignee": 999_999}, "assignee"),
        ([], {"action": "material", "collected": True}, "material"),
        ([], {"action": "material", "material": "身份证"}, "collected"),
        ([], {"action": "material", "material": "结婚证", "collected": True}, "material"),
        (["accept", "start", "complete"], {"action": "deliver", "via": "pigeon", "satisfaction": 5}, "via"),
        (["accept", "start", "complete"], {"action": "deliver", "via": "express", "satisfaction": 9}, "satisfaction"),
        ([], {"action": "accept", "version": None}, "version"),
        ([], {"action": "accept", "version": "two"}, "version"),
    ],
)
def test_a_step_that_is_not_open_is_a_422_and_writes_nothing(
    client_for, demo_users, resident, state_steps, body, field
):
    worker = demo_users["worker"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    for action in state_steps:
        errand = step(errand, action, worker, **({"reason": "重复"} if action == "cancel" else {}))
    before = snapshot(errand)
    response = transition(client_for("worker"), errand, **{"version": errand.version, **body})
    assert field_errors(response) == [field]
    assert snapshot(errand) == before


def test_assigning_to_someone_outside_the_residents_area_is_a_422(client_for, demo_users, resident):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code=RELIEF)
    before = snapshot(errand)
    for outsider in ("worker2", "secretary"):
        response = transition(
            client_for("station"), errand, action="assign", version=1, assignee=demo_users[outsider].pk
        )
        assert field_errors(response) == ["assignee"]
    assert snapshot(errand) == before
    assert not Notification.objects.filter(kind="assigned").exists()


def test_who_may_see_but_not_act_gets_a_422_with_the_reason(client_for, demo_users, resident):
    worker = demo_users["worker"]
    errand = step(factories.errand(actor=worker, resident=resident, code=CARD), "escalate", worker)
    before = snapshot(errand)
    response = transition(client_for("worker"), errand, action="accept", version=errand.version)
    assert field_errors(response) == [""]
    assert STATION in response.json()["errors"][0]["message"]
    assert snapshot(errand) == before


def test_assignment_through_the_api(client_for, demo_users, resident):
    worker, station = demo_users["worker"], demo_users["station"]
    errand = factories.errand(actor=worker, resident=resident, code=RELIEF)
    response = transition(
        client_for("station"), errand, action="assign", version=1, assignee=worker.pk, note="请上门收材料"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["holder"]["name"] == GRID_POINT and data["assignee"] == {"id": worker.pk, "name": worker.display_name}
    assert data["timeline"][-1] | {"at": None} == {
        "at": None,
        "action": "assign",
        "actor": {"id": station.pk, "name": station.display_name},
        "from_state": "requested",
        "to_state": "requested",
        "from_holder": STATION,
        "to_holder": GRID_POINT,
        "assignee": {"id": worker.pk, "name": worker.display_name},
        "note": "请上门收材料",
    }
    assert Notification.objects.filter(user=worker, kind="assigned", errand=errand).count() == 1
    assert client_for("worker").get(f"/api/v1/errands/{errand.pk}").json()["next_actions"] == [
        "accept",
        "escalate",
        "cancel",
    ]


def test_a_secretary_who_sends_an_errand_down_still_gets_the_answer(client_for, demo_users, resident):
    """Handed to a grid worker, the errand leaves the branch's reach: the 200 still shows
    what the secretary just did; the next read is a 404."""
    worker = demo_users["worker"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    for _step in range(3):
        errand = step(errand, "escalate", demo_users["admin"])
    client = client_for("secretary")
    response = transition(client, errand, action="assign", version=errand.version, assignee=worker.pk)
    assert response.status_code == 200
    assert response.json()["holder"]["name"] == GRID_POINT and response.json()["next_actions"] == []
    assert response.json()["timeline"][-1]["action"] == "assign"
    assert client.get(f"/api/v1/errands/{errand.pk}").status_code == 404


def test_ticking_materials_through_the_api(client_for, demo_users, resident):
    worker = demo_users["worker"]
    errand = factories.errand(actor=worker, resident=resident, code=RELIEF)
    errand = errand_services.errand_assign(
        actor=demo_users["station"], errand=errand, assignee=worker, expected_version=1
    )
    checklist = service(RELIEF).materials
    client = client_for("worker")
    for material in (checklist[3], checklist[0]):
        response = transition(client, errand, action="material", material=material, collected=True)
        assert response.status_code == 200
    data = response.json()
    assert data["materials"] == [{"name": m, "collected": m in (checklist[0], checklist[3])} for m in checklist]
    assert data["version"] == errand.version  # ticks leave the version alone
    assert [e["note"] for e in data["timeline"][-2:]] == [f"✓ {checklist[3]}", f"✓ {checklist[0]}"]
    response = transition(client, errand, action="material", material=checklist[3], collected=False, version=1)
    assert [m["collected"] for m in response.json()["materials"]] == [True, False, False, False, False]


def photo_bytes() -> bytes:
    return factories.jpeg().read()


def test_a_delivery_with_receipt_photos_as_multipart(client_for, demo_users, resident):
    worker = demo_users["worker"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    for action in ("accept", "start", "complete"):
        errand = step(errand, action, worker)
    response = client_for("worker").post(
        f"/api/v1/errands/{errand.pk}/transitions",
        {
            "action": "deliver",
            "version": str(errand.version),
            "via": "pickup",
            "satisfaction": "5",
            "note": "本人领取",
            "photos": [factories.jpeg(name="a.jpg"), factories.jpeg(name="b.jpg", color=(0, 90, 200))],
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["state"], data["delivered_via"], data["satisfaction"]) == ("delivered", "pickup", 5)
    assert len(data["photos"]) == 2
    assert ErrandPhoto.objects.filter(errand=errand).count() == 2
    assert client_for("worker").get(data["photos"][0]["url"]).status_code == 200
    assert client_for("worker2").get(data["photos"][0]["url"]).status_code == 404


def test_a_bad_receipt_photo_is_a_422_and_writes_nothing(client_for, demo_users, resident, settings):
    worker = demo_users["worker"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    for action in ("accept", "start", "complete"):
        errand = step(errand, action, worker)
    before = snapshot(errand)
    response = client_for("worker").post(
        f"/api/v1/errands/{errand.pk}/transitions",
        {
            "action": "deliver",
            "version": str(errand.version),
            "via": "pickup",
            "satisfaction": "5",
            "photos": [
                factories.jpeg(),
                SimpleUploadedFile("receipt.jpg", b"<html>no</html>", content_type="image/jpeg"),
            ],
        },
    )
    assert field_errors(response) == ["photos"]
    assert snapshot(errand) == before
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_writes_need_the_csrf_token(demo_users, resident):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    client.force_login(demo_users["worker"])
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code=CARD)
    refused = [post_errand(client, errand_body(resident)), transition(client, errand, action="accept", version=1)]
    assert [r.status_code for r in refused] == [403, 403]
    assert Errand.objects.count() == 1 and snapshot(errand)[1] == 1
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        f"/api/v1/errands/{errand.pk}/transitions",
        {"action": "accept", "version": 1},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 200


# --- query counts ----------------------------------------------------------------------------------


def busy_errand(demo_users, resident, worker_name: str, index: int) -> Errand:
    """An errand with a history: materials ticked, escalated and assigned back down;
    then either sent up to the secretary's branch or run to the end, every third one
    delivered with a receipt photo."""
    worker, admin = demo_users[worker_name], demo_users["admin"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD, description=f"第{index}件")
    for material in errand.service.materials:
        errand = errand_services.errand_set_material(actor=worker, errand=errand, material=material, collected=True)
    errand = step(errand, "escalate", worker, note="需社区盖章")
    errand = errand_services.errand_assign(actor=admin, errand=errand, assignee=worker, expected_version=errand.version)
    if index % 4 == 0:
        for _step in range(3):
            errand = step(errand, "escalate", admin)
        return errand
    for action in ("accept", "start", "complete"):
        errand = step(errand, action, worker)
    if index % 3 == 0:
        errand = step(errand, "deliver", worker, uploads=[factories.jpeg(color=(index, 0, 0))])
    return errand


# role → (errands listed before, after 20 more: odd ones of worker's resident, even ones
# of worker2's, those of a multiple of 4 held by the secretary's branch)
LISTED = {
    "worker": (1, 11),
    "worker2": (1, 11),
    "station": (2, 22),
    "street": (2, 22),
    "secretary": (1, 6),
    "admin": (2, 22),
}


@pytest.mark.parametrize("role", ROLES)
def test_errand_reads_have_fixed_query_counts(
    client_for, demo_users, resident, neighbour, role, django_assert_num_queries
):
    admin = demo_users["admin"]
    at_branch = factories.errand(actor=demo_users["worker"], resident=resident, code=CARD)  # seen by all but worker2
    for _step in range(3):
        at_branch = step(at_branch, "escalate", admin)
    theirs = factories.errand(actor=demo_users["worker2"], resident=neighbour, code=CARD)  # worker2's resident
    shown, hidden = (theirs, at_branch) if role == "worker2" else (at_branch, None)
    client = client_for(role)

    def check(listed: int, detail: int = 6):
        # session, user, scopes, count, the page (resident, service, holder, assignee joined)
        with django_assert_num_queries(5):
            response = client.get("/api/v1/errands")
        assert response.json()["count"] == listed
        with django_assert_num_queries(5):
            assert (
                client.get(
                    "/api/v1/errands",
                    {
                        "overdue": "true",
                        "assignee": "me",
                        "state": "requested",
                        "holder": f"branch:{at_branch.holder_branch_id}",
                    },
                ).status_code
                == 200
            )
        # session, user, scopes, the errand with its joins, the timeline (actors and assignees joined),
        # photos (and where 上报 would send it, for whoever may escalate it now)
        with django_assert_num_queries(detail):
            response = client.get(f"/api/v1/errands/{shown.pk}")
        assert response.status_code == 200
        if hidden is not None:
            with django_assert_num_queries(4):  # …and no further than the errand
                assert client.get(f"/api/v1/errands/{hidden.pk}").status_code == 404
        return response.json()

    before = check(LISTED[role][0], detail=7 if role == "worker2" else 6)  # worker2 may escalate theirs
    for index in range(1, 21):
        worker_name, of = ("worker", resident) if index % 2 else ("worker2", neighbour)
        busy_errand(demo_users, of, worker_name, index)
    for errand in (at_branch, theirs):  # a longer history for the errand shown
        taker = demo_users["secretary"] if errand == at_branch else demo_users["worker2"]  # it stays where it is
        errand = errand_services.errand_assign(
            actor=admin, errand=errand, assignee=taker, expected_version=Errand.objects.get(pk=errand.pk).version
        )
        for action in ("accept", "start", "return", "resume", "complete"):
            errand = step(errand, action, admin, **({"note": "缺材料"} if action == "return" else {}))
        step(errand, "deliver", admin, uploads=[factories.jpeg(), factories.jpeg(name="b.jpg", color=(0, 0, 90))])
    after = check(LISTED[role][1])
    assert len(after["timeline"]) == len(before["timeline"]) + 7 and len(after["photos"]) == 2
