"""今日路线, the server's side: a grid worker's stops of the day (visits overdue or due
today, and residents whose finished errands they are to bring home), one stop per
resident, those without a home location listed apart, nobody out of reach, a fixed
number of queries however many stops; the page is a grid worker's only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grid.models import ServicePoint
from outreach.models import Errand, Resident
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

CARD = "SB-BH"  # a grid point handles it


def due_in(resident: Resident, days: int) -> Resident:
    Resident.objects.filter(pk=resident.pk).update(due_on=timezone.localdate() + timedelta(days=days))
    return resident


def delivering(worker, resident: Resident) -> Errand:
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    errand = Errand.objects.get(pk=errand.pk)
    errand.materials_collected = list(errand.service.materials)
    errand.save(update_fields=["materials_collected"])
    return factories.errand_walk(errand=errand, actor=worker, actions=["accept", "start", "complete"])


def stops(response) -> list[str]:
    return [s.resident.name for s in response.context["located"]]


def test_the_days_stops_one_per_resident_and_homes_without_a_location_apart(client_for, demo_users):
    worker = demo_users["worker"]
    overdue = due_in(factories.resident(actor=worker, name="王阿婆"), -3)
    today = due_in(factories.resident(actor=worker, name="李大伯"), 0)
    due_in(factories.resident(actor=worker, name="赵奶奶"), 3)  # due this week: not today's route
    nowhere = due_in(factories.resident(actor=worker, name="孙老汉", home_lat=None, home_lng=None), -1)
    both = due_in(factories.resident(actor=worker, name="钱爷爷"), -2)
    delivering(worker, both)
    only_delivery = due_in(factories.resident(actor=worker, name="周阿姨"), 10)
    errand = delivering(worker, only_delivery)
    due_in(factories.resident(actor=demo_users["admin"], grid_name="绣湖社区第2网格", name="吴婆婆"), -5)  # worker2's

    response = client_for("worker").get(reverse("today-route"))
    assert response.status_code == 200
    assert stops(response) == ["王阿婆", "钱爷爷", "李大伯", "周阿姨"]  # urgency first; the phone orders them
    assert [s.resident.name for s in response.context["unlocated"]] == ["孙老汉"]
    located = {s.resident.pk: s for s in response.context["located"]}
    assert located[both.pk].visit_due and len(located[both.pk].deliveries) == 1
    assert not located[only_delivery.pk].visit_due
    html = response.content.decode()
    assert reverse("errand-deliver", args=[errand.pk]) in html
    assert reverse("visit-create", args=[overdue.pk]) in html and reverse("visit-create", args=[today.pk]) in html
    assert reverse("visit-create", args=[only_delivery.pk]) not in html
    assert reverse("visit-create", args=[nowhere.pk]) in html  # listed after the route, still to visit
    assert f'data-lat="{overdue.home_lat}"' in html
    point = ServicePoint.objects.get(name="绣湖社区第1网格代办点")
    assert f'data-start-lat="{point.lat}"' in html
    assert "吴婆婆" not in html


def test_names_are_text_on_the_route(client_for, demo_users):
    due_in(factories.resident(actor=demo_users["worker"], name="<b>王</b>婆"), 0)
    html = client_for("worker").get(reverse("today-route")).content.decode()
    assert "&lt;b&gt;王&lt;/b&gt;婆" in html and "<b>王</b>" not in html


def test_the_route_costs_the_same_queries_however_many_stops(client_for, demo_users, django_assert_num_queries):
    worker = demo_users["worker"]
    due_in(factories.resident(actor=worker, name="第一位"), 0)
    client = client_for("worker")
    client.get(reverse("today-route"))
    # session, user, scopes, due residents (their categories with them), errands to bring home, the start point
    with django_assert_num_queries(6):
        client.get(reverse("today-route"))
    for i in range(8):
        due_in(factories.resident(actor=worker, name=f"居民{i}"), -i)
    delivering(worker, factories.resident(actor=worker, name="送件"))
    with django_assert_num_queries(6):
        response = client.get(reverse("today-route"))
    assert len(response.context["located"]) == 10


@pytest.mark.parametrize("username", ["station", "street", "secretary"])
def test_the_route_is_a_grid_workers_page(client_for, username):
    assert client_for(username).get(reverse("today-route")).status_code == 404


def test_today_links_to_the_route(client_for):
    assert reverse("today-route") in client_for("worker").get(reverse("home")).content.decode()
