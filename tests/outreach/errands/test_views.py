"""The errand page, its buttons, the materials checklist, delivery and receipts —
through the front door."""

import uuid

import pytest
from django.urls import reverse

from outreach.errands import services as errand_services
from outreach.models import Errand, ErrandEvent, ServiceType, TripsSaved, Visit
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue", "media_root")]


@pytest.fixture
def resident(demo_users):
    return factories.resident(actor=demo_users["admin"], name="王阿婆", national_id=factories.national_id())


def test_phone_errand_opens_at_the_lowest_point_that_can_handle_it(client_for, resident):
    client = client_for("worker")
    assert client.get(reverse("errand-create"), {"resident": resident.pk}).status_code == 200
    response = client.post(
        f"{reverse('errand-create')}?resident={resident.pk}",
        {
            "id": uuid.uuid4(),
            "resident": resident.pk,
            "service": ServiceType.objects.get(code="MZ-GL").pk,
            "source": "phone",
            "description": "高龄津贴",
        },
    )
    errand = Errand.objects.get(resident=resident)
    assert response.status_code == 302 and response.url == reverse("errand-detail", args=[errand.pk])
    assert errand.holder_point.name == "绣湖社区第1网格代办点" and errand.assignee.username == "worker"
    assert errand.events.get().action == "created"


def test_errand_page_shows_the_next_actions_and_a_fixed_number_of_queries(
    client_for, resident, demo_users, django_assert_num_queries
):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")
    client = client_for("worker")
    html = client.get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert 'name="action" value="accept"' in html and 'name="action" value="escalate"' in html
    assert 'value="complete"' not in html
    # 上报 from the grid point's own worker goes to the station, and says so
    assert "上报至 绣湖社区代办站" in html
    # session, user, scopes, errand, where 上报 sends it, timeline, photos, people it can be given to
    with django_assert_num_queries(8):
        client.get(reverse("errand-detail", args=[errand.pk]))
    for i in range(6):
        errand = errand_services.errand_set_material(
            actor=demo_users["worker"], errand=errand, material=errand.service.materials[i % 3], collected=i % 2 == 0
        )
    with django_assert_num_queries(8):
        response = client.get(reverse("errand-detail", args=[errand.pk]))
    assert len(response.context["timeline"]) == 7


def test_buttons_walk_the_lifecycle_and_the_timeline_records_each_step(client_for, resident, demo_users):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")
    client = client_for("worker")
    for action in ["accept", "start", "return", "resume", "complete"]:
        errand.refresh_from_db()
        response = client.post(
            reverse("errand-act", args=[errand.pk]),
            {
                "action": action,
                "version": errand.version,
                "note": {"return": "缺户口簿", "complete": "原件已在窗口核验"}.get(action, ""),
            },
        )
        assert response.status_code == 302, (action, response.content.decode()[:500])
    errand.refresh_from_db()
    assert errand.state == "completed"
    actions = list(errand.events.values_list("action", flat=True))
    assert actions == ["created", "accept", "start", "return", "resume", "complete"]


def test_a_stale_button_shows_the_conflict_and_the_current_state(client_for, resident, demo_users):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")
    client = client_for("worker")
    stale = errand.version
    assert (
        client.post(reverse("errand-act", args=[errand.pk]), {"action": "accept", "version": stale}).status_code == 302
    )
    response = client.post(reverse("errand-act", args=[errand.pk]), {"action": "escalate", "version": stale})
    assert response.status_code == 409
    assert response.context["errand"].state == "accepted" and response.context["error"]
    errand.refresh_from_db()
    assert errand.holder_point.tier == "grid_point" and errand.events.count() == 2


def test_an_illegal_step_is_refused_with_a_message(client_for, resident, demo_users):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")
    response = client_for("worker").post(
        reverse("errand-act", args=[errand.pk]), {"action": "complete", "version": errand.version}
    )
    assert response.status_code == 422 and response.context["error"]
    assert Errand.objects.get(pk=errand.pk).state == "requested"


def test_cancel_needs_a_reason(client_for, resident, demo_users):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")
    client = client_for("worker")
    assert (
        client.post(
            reverse("errand-act", args=[errand.pk]), {"action": "cancel", "version": errand.version}
        ).status_code
        == 422
    )
    response = client.post(
        reverse("errand-act", args=[errand.pk]),
        {"action": "cancel", "version": errand.version, "reason": "家属已自行办理"},
    )
    assert response.status_code == 302
    assert Errand.objects.get(pk=errand.pk).cancel_reason == "家属已自行办理"


def test_a_note_too_long_is_refused_with_the_services_words_and_nothing_is_written(client_for, resident, demo_users):
    limit = errand_services.NOTE_MAX_LENGTH
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")
    client = client_for("station")
    page = client.get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert page.count(f'maxlength="{limit}"') == 2  # the escalation's note and the assignment's
    message = f"备注最多 {limit} 个字（当前 {limit + 1} 个）。"
    for url, data in [
        ("errand-act", {"action": "escalate"}),
        ("errand-assign", {"assignee": demo_users["worker"].pk}),
    ]:
        response = client.post(
            reverse(url, args=[errand.pk]), {**data, "version": errand.version, "note": "注" * (limit + 1)}
        )
        assert response.status_code == 422 and response.context["error"] == message
        assert message in response.content.decode()
    errand.refresh_from_db()
    assert (errand.version, errand.events.count(), errand.assignee) == (1, 1, demo_users["worker"])


def test_escalate_then_the_station_assigns_it_back(client_for, resident, demo_users):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")
    client_for("worker").post(
        reverse("errand-act", args=[errand.pk]), {"action": "escalate", "version": errand.version, "note": "需社区盖章"}
    )
    errand.refresh_from_db()
    assert errand.holder_point.name == "绣湖社区代办站" and errand.assignee is None
    # the worker can no longer act on it: no buttons
    assert client_for("worker").get(reverse("errand-detail", args=[errand.pk])).context["buttons"] == []
    station = client_for("station")
    page = station.get(reverse("errand-detail", args=[errand.pk]))
    assert demo_users["worker"] in [p["user"] for p in page.context["assignable"]]
    # Nobody holds it: the list asks for a choice instead of offering its first person,
    # so a tap on 指派 never gives it to someone by accident.
    select = page.content.decode().split('<select id="assignee"', 1)[1].split("</select>", 1)[0]
    assert '<option value="">请选择人员</option>' in select and " selected" not in select
    response = station.post(
        reverse("errand-assign", args=[errand.pk]),
        {"assignee": demo_users["worker"].pk, "version": errand.version, "note": "盖好章了，你去办"},
    )
    assert response.status_code == 302
    errand.refresh_from_db()
    assert errand.assignee == demo_users["worker"] and errand.holder_point.tier == "grid_point"
    assert errand.events.last().note == "盖好章了，你去办"
    assert demo_users["worker"].notifications.filter(kind="assigned", errand=errand).exists()
    page = station.get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert " selected>王丽" in page and "请选择人员" not in page  # who holds it now is shown
    demo_users["worker"].is_active = False  # and when they can no longer be given it, the list asks again
    demo_users["worker"].save(update_fields=["is_active"])
    page = station.get(reverse("errand-detail", args=[errand.pk])).content.decode()
    assert "请选择人员" in page and " selected>" not in page.split('<select id="assignee"', 1)[1].split("</select>")[0]


def test_materials_toggle_in_place(client_for, resident, demo_users):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")
    material = errand.service.materials[1]
    response = client_for("worker").post(
        reverse("errand-materials", args=[errand.pk]),
        {"material": material, "collected": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert Errand.objects.get(pk=errand.pk).materials_collected == [material]
    assert Errand.objects.get(pk=errand.pk).version == errand.version  # other buttons on the page stay valid


def test_deliver_with_receipt_and_satisfaction(client_for, resident, demo_users):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")
    errand = factories.errand_walk(errand=errand, actor=demo_users["worker"], actions=["accept", "start", "complete"])
    client = client_for("worker")
    response = client.post(
        reverse("errand-deliver", args=[errand.pk]),
        {"version": errand.version, "via": "in_person", "satisfaction": 5, "photos": [factories.jpeg()]},
    )
    assert response.status_code == 302
    errand.refresh_from_db()
    assert errand.state == "delivered" and errand.satisfaction == 5
    assert TripsSaved.objects.get(errand=errand).trips == errand.service.trips_saved
    photo = errand.photos.get()
    assert client.get(reverse("errand-photo-thumb", args=[photo.pk])).status_code == 200
    html = client.get(reverse("resident-detail", args=[resident.pk])).content.decode()
    assert errand.number in html
    assert (
        client_for("worker2").get(reverse("errand-photo", args=[photo.pk])).status_code == 404
    )  # same client, now worker2


def test_worker2_gets_404_on_worker_errands(client_for, resident, demo_users):
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="MZ-GL")
    client = client_for("worker2")
    for url in [reverse("errand-detail", args=[errand.pk]), reverse("errand-deliver", args=[errand.pk])]:
        assert client.get(url).status_code == 404
    for url in [
        reverse("errand-act", args=[errand.pk]),
        reverse("errand-assign", args=[errand.pk]),
        reverse("errand-materials", args=[errand.pk]),
    ]:
        assert client.post(url, {"action": "accept", "version": errand.version}).status_code == 404
    assert client.get(reverse("errand-create"), {"resident": resident.pk}).status_code == 404
    assert Errand.objects.get(pk=errand.pk).events.count() == 1


def test_visit_form_opens_an_errand_once(client_for, resident):
    client = client_for("worker")
    visit_id = uuid.uuid4()
    payload = {
        "id": visit_id,
        "outcome": "met",
        "lat": resident.home_lat,
        "lng": resident.home_lng,
        "accuracy_m": 10,
        "needs": "想办高龄津贴",
        "errand_service": ServiceType.objects.get(code="MZ-GL").pk,
    }
    response = client.post(reverse("visit-create", args=[resident.pk]), payload)
    errand = Errand.objects.get(resident=resident)
    assert response.status_code == 302 and response.url == reverse("errand-detail", args=[errand.pk])
    assert errand.source == "visit" and errand.visit == Visit.objects.get(pk=visit_id)
    assert errand.description == "想办高龄津贴"
    client.post(reverse("visit-create", args=[resident.pk]), payload)  # sent again
    assert (
        Errand.objects.filter(resident=resident).count() == 1 and Visit.objects.filter(resident=resident).count() == 1
    )


def test_my_errands_on_today(client_for, resident, demo_users):
    from datetime import timedelta

    from django.utils import timezone

    late = factories.errand(
        actor=demo_users["worker"], resident=resident, code="MZ-GL", requested_at=timezone.now() - timedelta(days=30)
    )
    fresh = factories.errand(actor=demo_users["worker"], resident=resident, code="YB-CB")
    rows = client_for("worker").get(reverse("errand-mine")).context["in_hand"]
    assert [r["errand"] for r in rows] == [late, fresh]
    assert rows[0]["overdue"] and not rows[1]["overdue"]
    assert ErrandEvent.objects.filter(errand__in=[late, fresh]).count() == 2


@pytest.mark.parametrize("model", ["errand", "tripssaved", "errandphoto", "servicetype"])
def test_errand_admin_lists_open(client_for, model):
    assert client_for("admin").get(reverse(f"admin:outreach_{model}_changelist")).status_code == 200


def test_catalogue_is_editable_in_the_admin(client_for):
    service = ServiceType.objects.get(code="MZ-GL")
    response = client_for("admin").get(reverse("admin:outreach_servicetype_change", args=[service.pk]))
    assert response.status_code == 200 and 'name="promised_days"' in response.content.decode()
    assert ServiceType.objects.count() >= 25
