"""Offline-first, the server's side: the Today list kept on the phone (the worker's own,
the minimum), no-store on personal pages and the API, Clear-Site-Data at logout, the
manifest and the service worker (content types, version, what it keeps), the offline
page (nobody's data) and the CSRF token the outbox fetches before sending."""

import json
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grid.models import ServicePoint
from outreach.errands import services as errand_services
from outreach.models import Visit
from outreach.offline.views import offline_version
from outreach.residents import services
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue", "media_root")]

GRID1, GRID2 = "绣湖社区第1网格", "绣湖社区第2网格"  # worker's and worker2's grids
CARD = "SB-BH"  # a grid point handles it, so the worker who opens it keeps it
RESIDENT_KEYS = {"id", "name", "national_id_masked", "address", "home", "care_level", "due_on"}


@pytest.fixture
def residents(demo_users):
    """worker's grid: one overdue, one not due for weeks; worker2's grid: one overdue."""
    admin = demo_users["admin"]
    overdue = factories.resident(
        actor=admin, name="王阿婆", registered_days_ago=10, national_id=factories.national_id(), phone="13900001111"
    )
    later = factories.resident(actor=admin, name="钱爷爷", care_level="C")
    factories.visit(actor=admin, resident=later, at=timezone.now() - timedelta(days=1))
    other = factories.resident(actor=admin, grid_name=GRID2, name="孙老汉", registered_days_ago=3)
    return {"overdue": overdue, "later": later, "other": other}


def grow(admin, worker, count: int):
    """More due residents and open errands in worker's grid: the query count stays."""
    for i in range(count):
        resident = factories.resident(actor=admin, name=f"加{i}", registered_days_ago=20)
        factories.errand(actor=worker, resident=resident, code=CARD)


# --- the Today list kept on the phone ---------------------------------------------------------


def test_offline_list_is_the_workers_own_due_residents_and_errands(client_for, residents, demo_users):
    errand = factories.errand(actor=demo_users["worker"], resident=residents["overdue"], code=CARD)
    response = client_for("worker").get(reverse("offline-today"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    data = response.json()
    assert data["user"] == demo_users["worker"].pk
    assert data["keep_days"] == 8  # a week without signal, and the day it began
    assert [r["name"] for r in data["residents"]] == ["王阿婆"]  # due; 钱爷爷 is not; 孙老汉 is worker2's
    row = data["residents"][0]
    assert set(row) == RESIDENT_KEYS  # the minimum: no phone, no full ID, no categories
    overdue = residents["overdue"]
    assert row["national_id_masked"] == overdue.national_id_masked and "*" in row["national_id_masked"]
    assert row["home"] == [overdue.home_lat, overdue.home_lng]
    assert row["due_on"] == overdue.due_on.isoformat()
    assert "13900001111" not in response.content.decode()
    [kept] = data["errands"]
    assert kept["id"] == str(errand.pk) and kept["version"] == errand.version and kept["state"] == "requested"
    assert kept["resident"] == {"id": overdue.pk, "name": "王阿婆", "address": overdue.address}
    assert [a["action"] for a in kept["next_actions"]] == errand_services.next_actions(errand)
    assert {a["action"]: a["field"] for a in kept["next_actions"]}["cancel"] == "reason"
    assert data["visit_rules"] == {"awayMeters": 200, "maxAccuracy": 5000}


def test_worker2_sees_none_of_workers_residents_or_errands(client_for, residents, demo_users):
    factories.errand(actor=demo_users["worker"], resident=residents["overdue"], code=CARD)
    data = client_for("worker2").get(reverse("offline-today")).json()
    assert [r["name"] for r in data["residents"]] == ["孙老汉"]
    assert data["errands"] == []
    assert data["user"] == demo_users["worker2"].pk


def test_staff_get_their_errands_but_no_visiting_list(client_for, residents):
    for username in ["station", "street", "secretary", "admin"]:
        data = client_for(username).get(reverse("offline-today")).json()
        assert data["residents"] == [], username


def test_offline_list_needs_a_login_and_answers_json(client):
    response = client.get(reverse("offline-today"))
    assert response.status_code == 401
    assert response.json()["message"]
    assert response["Cache-Control"] == "no-store, private"


def test_offline_list_query_count_is_fixed(client_for, residents, demo_users, django_assert_num_queries):
    worker = demo_users["worker"]
    factories.errand(actor=worker, resident=residents["overdue"], code=CARD)
    client = client_for("worker")
    # session, user, the worker's scopes, residents, the route's start (the grid point),
    # errands (with all they show), the stations their 上报 goes to
    with django_assert_num_queries(7):
        first = client.get(reverse("offline-today")).json()
    grow(demo_users["admin"], worker, 4)
    with django_assert_num_queries(7):
        second = client.get(reverse("offline-today")).json()
    point = ServicePoint.objects.get(name="绣湖社区第1网格代办点")
    assert first["route_start"] == [point.lat, point.lng]
    assert (len(first["residents"]), len(first["errands"])) == (1, 1)
    assert (len(second["residents"]), len(second["errands"])) == (5, 5)


# --- nothing personal is kept by browsers --------------------------------------------------------


def test_personal_pages_and_the_api_are_no_store(client_for, residents):
    client = client_for("worker")
    overdue = residents["overdue"]
    for url in [
        reverse("home"),
        reverse("resident-list"),
        reverse("resident-detail", args=[overdue.pk]),
        reverse("visit-create", args=[overdue.pk]),
        "/api/v1/residents",
        f"/api/v1/residents/{overdue.pk}",
        "/api/v1/visits",
        "/api/v1/errands",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    partial = client.get(reverse("home"), headers={"HX-Request": "true"})
    assert "no-store" in partial["Cache-Control"]


def test_refusals_are_no_store_too(client):
    assert "no-store" in client.get("/api/v1/residents")["Cache-Control"]  # 401
    assert "no-store" in client.get(reverse("home"))["Cache-Control"]  # the redirect to the login


def test_views_that_say_otherwise_keep_their_header(client_for, residents, demo_users):
    visit = services.visit_record(
        actor=demo_users["worker"],
        resident=residents["overdue"],
        visit_id=uuid.uuid4(),
        uploads=[factories.jpeg()],
        data=services.VisitInput(visited_at=timezone.now(), outcome="met", lat=30.0, lng=120.0, accuracy_m=5),
    )[0]
    response = client_for("worker").get(reverse("photo", args=[visit.photos.get().pk]))
    assert response["Cache-Control"] == "private, no-store"
    assert Client().get(reverse("service-worker"))["Cache-Control"] == "no-cache"


# --- logout wipes the phone, never another person's unsent items ---------------------------------


def test_logout_empties_the_cache_but_leaves_storage_to_the_script(client_for):
    client = client_for("worker")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    # "storage" would empty IndexedDB whole: other people's unsent visits with it.
    assert response["Clear-Site-Data"] == '"cache"'
    assert response["Location"] == reverse("login") + "?logged_out=1"  # its script deletes the kept Today
    assert client.get(reverse("offline-today")).status_code == 401


def test_the_outbox_knows_whose_items_it_keeps(client_for):
    """Items are stamped with their author's id and name; the login page names nobody."""
    page = client_for("worker").get(reverse("home")).content.decode()
    assert 'data-user-name="王丽"' in page
    login = Client().get(reverse("login")).content.decode()
    assert 'data-user="" data-user-name=""' in login


def test_logout_is_still_post_only(client_for):
    assert client_for("worker").get(reverse("logout")).status_code == 405


# --- the installable app -------------------------------------------------------------------------


def test_manifest_names_the_app_and_opens_today(client):
    response = client.get(reverse("manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == data["short_name"] == "红色代办"
    assert data["start_url"] == reverse("home") and data["scope"] == "/" and data["display"] == "standalone"
    assert data["theme_color"] == "#b71c1c"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert sizes == {"192x192", "512x512"}
    for icon in data["icons"]:
        path = finders.find(
            icon["src"].removeprefix(
                django_settings.STATIC_URL
                if django_settings.STATIC_URL.startswith("/")
                else "/" + django_settings.STATIC_URL
            )
        )
        assert path and Path(path).stat().st_size < 20_000, icon  # small PNGs


def test_pages_link_the_manifest_and_the_scripts(client_for):
    html = client_for("worker").get(reverse("home")).content.decode()
    assert f'<link rel="manifest" href="{reverse("manifest")}">' in html
    assert 'daiban/offline.js" defer' in html and "idb-keyval" in html
    assert 'id="offline-status"' in html


def test_office_pages_load_only_the_probe_but_the_visit_form_loads_the_outbox(client_for, demo_users):
    client = client_for("station")
    html = client.get(reverse("home")).content.decode()
    assert "daiban/outbox-probe.js" in html and "data-field" not in html
    assert '<script src="/static/daiban/offline.js"' not in html  # only named for the probe (data-scripts)
    resident = factories.resident(actor=demo_users["admin"], name="王阿婆")
    form = client.get(reverse("visit-create", args=[resident.pk])).content.decode()
    assert 'daiban/offline.js" defer' in form and "outbox-probe.js" not in form


def test_service_worker_is_served_from_the_root_with_its_version(client):
    response = client.get(reverse("service-worker"))
    assert response.status_code == 200
    assert reverse("service-worker") == "/sw.js"  # its scope is the whole site
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    script = response.content.decode()
    assert "__DAIBAN_" not in script
    version = offline_version()
    assert len(version) == 16 and f'var VERSION = "{version}";' in script
    precache = json.loads(script.split("var PRECACHE = ", 1)[1].split(";\n", 1)[0])
    static_url = "/" + django_settings.STATIC_URL.lstrip("/")
    assert {
        static_url + name
        for name in [
            "daiban/app.css",
            "daiban/offline.js",
            "daiban/visit-form.js",
            "vendor/idb-keyval/idb-keyval-6.3.0.umd.js",
        ]
    } <= set(precache)
    assert static_url + "daiban/sw.js" not in precache
    assert f'var OFFLINE_URL = "{reverse("offline-page")}";' in script


def test_csp_allows_the_worker_and_the_manifest(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy


def test_version_changes_with_the_static_files(settings, tmp_path):
    static = tmp_path / "static"
    shutil.copytree(Path(django_settings.BASE_DIR) / "static", static)
    settings.STATICFILES_DIRS = [static]
    before = offline_version()
    assert offline_version() == before  # stable while nothing changes
    (static / "daiban" / "app.css").write_text("main { color: red; }\n")
    assert offline_version() != before


# --- the offline page ----------------------------------------------------------------------------


def test_offline_page_holds_nobodys_data(client_for, client, residents, demo_users):
    anonymous = client.get(reverse("offline-page"))
    assert anonymous.status_code == 200
    assert anonymous["Cache-Control"] == "no-cache"  # kept by the service worker, revalidated
    worker = client_for("worker")
    response = worker.get(reverse("offline-page"))
    html = response.content.decode()
    assert demo_users["worker"].display_name not in html
    assert "王阿婆" not in html and 'name="csrfmiddlewaretoken"' not in html
    assert '"X-CSRFToken": ""' in html
    assert 'id="offline-visit-template"' in html and 'data-shell="1"' in html
    assert '<input type="hidden" name="id" id="id_id">' in html  # each offline visit gets its own id on the phone


def test_offline_page_leaves_the_sessions_messages_alone(client_for, residents):
    client = client_for("worker")
    client.post(
        reverse("visit-create", args=[residents["overdue"].pk]),
        {"id": str(uuid.uuid4()), "outcome": "met", "lat": "29.3", "lng": "120.07", "accuracy_m": "10"},
    )
    client.get(reverse("offline-page"))  # the service worker refreshing its copy meanwhile
    assert [str(m) for m in client.get(reverse("home")).context["messages"]]  # still shown on the next page


def test_offline_page_query_count(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # the catalogue for "create an errand"
        client.get(reverse("offline-page"))


# --- the CSRF token the outbox fetches ----------------------------------------------------------


def test_csrf_endpoint_gives_a_token_that_the_api_accepts(demo_users, residents):
    client = Client(enforce_csrf_checks=True)
    anonymous = client.get(reverse("offline-csrf"))
    assert anonymous["Cache-Control"] == "no-store, private"
    assert anonymous.json()["authenticated"] is False and anonymous.json()["user"] is None
    client.force_login(demo_users["worker"])
    data = client.get(reverse("offline-csrf")).json()
    assert data["authenticated"] is True and data["user"] == demo_users["worker"].pk and data["token"]
    visit_id = str(uuid.uuid4())
    payload = {
        "id": visit_id,
        "resident": str(residents["overdue"].pk),
        "visited_at": timezone.now().isoformat(),
        "outcome": "met",
        "no_location_reason": "GPS off",
        "hazards": ["gas", "fire"],
    }
    refused = client.post("/api/v1/visits", payload)
    assert refused.status_code == 403
    sent = client.post("/api/v1/visits", payload, headers={"X-CSRFToken": data["token"]})
    assert sent.status_code == 201
    again = client.post("/api/v1/visits", payload, headers={"X-CSRFToken": data["token"]})
    assert again.status_code == 200
    assert Visit.objects.filter(pk=visit_id).count() == 1
    assert Visit.objects.get(pk=visit_id).hazards == ["fire", "gas"]


def test_expired_session_is_told_apart_from_a_live_one(client_for):
    client = client_for("worker")
    assert client.get(reverse("offline-csrf")).json()["authenticated"] is True
    client.logout()
    assert client.get(reverse("offline-csrf")).json()["authenticated"] is False
