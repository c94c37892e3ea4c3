"""The errand rules a pilot street checks first, through every door (services, the errand
page, the board and the API): 上报 only ever moves an errand up, past both its holder and
whoever presses it, names where it goes and needs a reason; completing needs the whole
checklist or a written reason that the timeline and the errand keep; delivery needs
completion; only those who hand errands out, or whoever opened one, may cancel it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from outreach.errands import services as errand_services
from outreach.models import Errand
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

GRID_POINT, STATION, CENTRE = "绣湖社区第1网格代办点", "绣湖社区代办站", "稠城街道代办中心"
CARD = "SB-BH"  # 社会保障卡补换: a grid point handles it; its windows are 社会保障联合支部's
BRANCH = "社会保障联合支部"


@pytest.fixture
def resident(demo_users):
    return factories.resident(actor=demo_users["admin"], name="王阿婆")


def holder(errand: Errand) -> str:
    errand.refresh_from_db()
    return str(errand.holder_point or errand.holder_branch)


def api_step(client, errand: Errand, **body):
    errand.refresh_from_db()
    return client.post(
        f"/api/v1/errands/{errand.pk}/transitions",
        {"version": errand.version, **body},
        content_type="application/json",
    )


# --- 上报: up only -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sender, destination",
    [("worker", STATION), ("station", CENTRE), ("street", BRANCH), ("admin", STATION)],
)
def test_escalation_goes_above_both_the_holder_and_the_sender(client_for, demo_users, resident, sender, destination):
    """An errand at the grid point: the worker sends it to the station, the station past
    itself to the centre, the centre to the branch; the city administrator, who works at no
    tier, one tier above the holder. The page names it before the press; the API too."""
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code=CARD)
    client = client_for(sender)
    page = client.get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert f"上报至 {destination}" in page
    assert client.get(f"/api/v1/errands/{errand.pk}").json()["escalate_to"] == destination
    response = api_step(client, errand, action="escalate", note="本级无法办理")
    assert response.status_code == 200, response.content
    assert holder(errand) == destination
    assert errand.events.last().to_holder == destination


def test_the_station_that_gave_an_errand_to_its_worker_cannot_send_it_back_to_itself(client_for, demo_users, resident):
    """The pilot's case: assigning to the grid worker moves the errand to the grid point;
    the station's 上报 then goes to the street centre, never back to the station."""
    errand = factories.errand(actor=demo_users["admin"], resident=resident, code="GJJ-TQ")  # opens at the station
    assert holder(errand) == STATION
    errand = errand_services.errand_assign(
        actor=demo_users["station"], errand=errand, assignee=demo_users["worker"], expected_version=errand.version
    )
    assert holder(errand) == GRID_POINT
    client = client_for("station")
    response = client.post(
        reverse("errand-act", args=[errand.pk]), {"action": "escalate", "version": errand.version, "note": "需街道协调"}
    )
    assert response.status_code == 302
    assert holder(errand) == CENTRE and errand.assignee is None
    # the timeline says who works on it and who holds it after the assignment
    page = client_for("street").get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert f"由 王丽 办理，{GRID_POINT} 负责" in page


def test_escalation_needs_a_reason_at_every_door(client_for, demo_users, resident):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code=CARD)
    client = client_for("worker")
    with pytest.raises(ValidationError) as refused:
        errand_services.errand_transition(
            actor=demo_users["worker"], errand=errand, action="escalate", expected_version=errand.version, note="  "
        )
    assert "note" in refused.value.message_dict
    page = client.post(reverse("errand-act", args=[errand.pk]), {"action": "escalate", "version": errand.version})
    assert page.status_code == 422 and "请说明本级为什么办不了" in page.content.decode()
    api = api_step(client, errand, action="escalate")
    assert api.status_code == 422 and [e["field"] for e in api.json()["errors"]] == ["note"]
    board = client_for("station").post(
        reverse("errand-board-escalate", args=[errand.pk]), {"version": errand.version}, headers={"HX-Request": "true"}
    )
    assert "请说明本级为什么办不了" in board.content.decode()
    assert holder(errand) == GRID_POINT and errand.events.count() == 1


# --- completing and delivering ---------------------------------------------------------


def in_progress(demo_users, resident) -> Errand:
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code=CARD)
    return factories.errand_walk(errand=errand, actor=demo_users["worker"], actions=["accept", "start"])


def test_completing_needs_every_material_or_a_written_reason(client_for, demo_users, resident):
    errand = in_progress(demo_users, resident)
    materials = errand.service.materials
    client = client_for("worker")
    page = client.get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert "材料未齐（" in page and 'id="complete-note"' in page  # the button asks why, before the press
    refused = client.post(reverse("errand-act", args=[errand.pk]), {"action": "complete", "version": errand.version})
    assert refused.status_code == 422
    assert f"还有 {len(materials)} 项必需材料未勾选（{'、'.join(materials)}）" in refused.content.decode()
    api = api_step(client, errand, action="complete")
    assert api.status_code == 422 and [e["field"] for e in api.json()["errors"]] == ["note"]
    errand.refresh_from_db()
    assert errand.state == "in_progress" and errand.events.filter(action="complete").count() == 0

    done = api_step(client, errand, action="complete", note="居民原件已在窗口核验")
    assert done.status_code == 200 and done.json()["materials_waiver"] == "居民原件已在窗口核验"
    page = client.get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert "材料未齐：居民原件已在窗口核验" in page  # the timeline
    assert "<dt>材料未齐</dt><dd>居民原件已在窗口核验</dd>" in page  # the errand's facts


def test_a_full_checklist_completes_without_a_reason(client_for, demo_users, resident):
    errand = in_progress(demo_users, resident)
    for material in errand.service.materials:
        errand = errand_services.errand_set_material(
            actor=demo_users["worker"], errand=errand, material=material, collected=True
        )
    page = client_for("worker").get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert 'id="complete-note"' not in page
    response = api_step(client_for("worker"), errand, action="complete")
    assert response.status_code == 200 and response.json()["materials_waiver"] == ""


def test_delivery_needs_completion(client_for, demo_users, resident):
    errand = in_progress(demo_users, resident)
    response = api_step(client_for("worker"), errand, action="deliver", via="in_person", satisfaction=5)
    assert response.status_code == 422
    assert Errand.objects.get(pk=errand.pk).state == "in_progress"


# --- cancelling -------------------------------------------------------------------------


def test_cancel_is_for_the_offices_and_whoever_opened_it_behind_its_own_button(client_for, demo_users, resident):
    errand = factories.errand(actor=demo_users["admin"], resident=resident, code=CARD)  # held by the worker's point
    worker = client_for("worker")
    page = worker.get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert 'value="cancel"' not in page and 'value="accept"' in page
    assert "cancel" not in worker.get(f"/api/v1/errands/{errand.pk}").json()["next_actions"]
    response = api_step(worker, errand, action="cancel", reason="重复登记")
    assert response.status_code == 422 and Errand.objects.get(pk=errand.pk).state == "requested"

    page = client_for("station").get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert '<details class="cancel-box">' in page and 'value="cancel"' in page  # folded away until asked for
    own = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")  # opened at the door
    assert api_step(worker, own, action="cancel", reason="居民已自行办理").status_code == 200


# --- acting and watching ----------------------------------------------------------------


def test_who_may_act_is_one_rule_for_one_errand_and_for_lists(client_for, demo_users, resident):
    """services.may_act (the errand page, the services) and selectors.errands_acting_q (the
    board, the API's watching filter) give the same answer for every demo user."""
    from outreach.errands.selectors import errands_acting_q, errands_visible_to

    admin, worker = demo_users["admin"], demo_users["worker"]
    errands = [
        factories.errand(actor=worker, resident=resident, code=CARD),  # the worker's, at the grid point
        factories.errand(actor=admin, resident=resident, code="GJJ-TQ"),  # at the station
        factories.errand_walk(  # at the street centre
            errand=factories.errand(actor=admin, resident=resident, code=CARD), actor=admin, actions=["escalate"] * 2
        ),
        factories.errand_walk(  # at the branch
            errand=factories.errand(actor=admin, resident=resident, code=CARD), actor=admin, actions=["escalate"] * 3
        ),
    ]
    for username, user in demo_users.items():
        visible = errands_visible_to(user=user).filter(pk__in=[e.pk for e in errands])
        acting = set(visible.filter(errands_acting_q(user=user)).values_list("pk", flat=True))
        for errand in visible.select_related("holder_point__area"):
            assert (errand.pk in acting) == errand_services.may_act(user, errand), (username, holder(errand))
        listed = client_for(username).get("/api/v1/errands", {"watching": "true"}).json()["items"]
        assert {item["id"] for item in listed} == {str(pk) for pk in visible.values_list("pk", flat=True)} - {
            str(pk) for pk in acting
        }, username


# --- what is needed ---------------------------------------------------------------------


def test_what_is_needed_has_one_limit_at_every_door(client_for, demo_users, resident):
    """2,000 characters, what the API has always accepted: the service refuses more by name,
    the forms' fields say so to the browser, the API answers 422."""
    import uuid

    from outreach.errands.forms import ErrandForm, VisitErrandForm
    from outreach.models import ServiceType

    limit = errand_services.DESCRIPTION_MAX_LENGTH
    assert limit == 2000
    service = ServiceType.objects.get(code=CARD)
    with pytest.raises(ValidationError) as refused:
        errand_services.errand_create(
            actor=demo_users["worker"],
            errand_id=uuid.uuid4(),
            resident=resident,
            service=service,
            source="phone",
            description="需" * (limit + 1),
        )
    assert "description" in refused.value.message_dict and "2000" in refused.value.message_dict["description"][0]
    assert ErrandForm(services=ServiceType.objects.all()).fields["description"].max_length == limit
    assert VisitErrandForm(services=ServiceType.objects.all()).fields["errand_description"].max_length == limit
    body = {"id": str(uuid.uuid4()), "resident": resident.pk, "service": service.pk, "source": "phone"}
    api = client_for("worker").post(
        "/api/v1/errands", {**body, "description": "需" * (limit + 1)}, content_type="application/json"
    )
    assert api.status_code == 422
    ok = client_for("worker").post(
        "/api/v1/errands", {**body, "description": "需" * limit}, content_type="application/json"
    )
    assert ok.status_code == 201
