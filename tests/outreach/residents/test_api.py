"""The residents and visits API: scoped reads, visits stored once whatever the phone
re-sends, photos, CSRF, the due buckets and fixed query counts."""

import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from demo.territory import seed_territory
from grid.models import Area, User
from outreach.models import AuditEvent, Resident, Visit, VisitPhoto
from outreach.photos import services as photo_services
from tests import factories
from tests.races import concurrent_writers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

GRID1 = "绣湖社区第1网格"  # worker's grid
GRID2 = "绣湖社区第2网格"  # worker2's grid
HOME = (29.3100, 120.0800)
SMALL, RED = (40, 30), (200, 40, 40)  # the photos of these tests, red unless said otherwise


def not_a_photo(name: str = "photo.jpg"):
    return SimpleUploadedFile(name, b"<html><body>not a photo</body></html>", content_type="image/jpeg")


def make_resident(actor, grid_name: str = GRID1, name: str = "王阿婆", **fields) -> Resident:
    """A resident at HOME, where the visit bodies below are sent from, on the statutory basis."""
    fields = {"home_lat": HOME[0], "home_lng": HOME[1], "care_level": "C", **fields}
    return factories.resident(
        actor=actor, grid_name=grid_name, name=name, address="绣湖路1号", consent_basis="statutory", **fields
    )


def visit_body(of: Resident, **changes) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "resident": of.pk,
        "visited_at": timezone.localtime(timezone.now() - timedelta(minutes=20)).isoformat(timespec="seconds"),
        "outcome": "met",
        "lat": HOME[0] + 0.0003,
        "lng": HOME[1],
        "accuracy_m": 12.5,
        "health": "fair",
        "health_notes": "膝盖疼",
        "living_notes": "",
        "hazards": ["gas", "fall"],
        "hazard_notes": "燃气管老化",
        "needs": "想办理高龄补贴",
    }
    body.update(changes)
    return body


def post_visit(client, body: dict):
    return client.post("/api/v1/visits", body, content_type="application/json")


@pytest.fixture
def resident(demo_users) -> Resident:
    return make_resident(
        demo_users["worker"],
        national_id=factories.national_id(born="19400101", sequence=11),
        categories=["alone", "aged80"],
        phone="13800000001",
    )


def test_openapi_documents_the_outreach_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/residents",
        "/api/v1/residents/{resident_id}",
        "/api/v1/visits",
        "/api/v1/visits/{visit_id}/photos",
    } <= set(paths)
    body = paths["/api/v1/visits"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert {"200", "201", "404", "409", "422"} <= set(paths["/api/v1/visits"]["post"]["responses"])


# --- residents ---------------------------------------------------------------------------


def test_resident_detail_is_masked_and_complete(client_for, resident):
    response = client_for("worker").get(f"/api/v1/residents/{resident.pk}")
    assert response.status_code == 200
    data = response.json()
    plain = factories.national_id(born="19400101", sequence=11)
    assert data["national_id_masked"] == plain[:6] + "********" + plain[-4:]
    assert plain not in response.content.decode()
    assert data["categories"] == ["aged80", "alone"]
    assert data["grid_id"] == Area.objects.get(name=GRID1).pk
    assert (data["sex"], data["birth_date"], data["status"], data["care_level"]) == ("M", "1940-01-01", "active", "C")
    assert (data["due"], data["days_overdue"], data["last_met_on"]) == ("today", 0, None)
    assert set(data) == {
        "id",
        "name",
        "sex",
        "birth_date",
        "national_id_masked",
        "phone",
        "address",
        "home_lat",
        "home_lng",
        "grid_id",
        "categories",
        "disability_grade",
        "care_level",
        "status",
        "last_met_on",
        "due_on",
        "due",
        "days_overdue",
    }


def test_residents_outside_reach_are_404(client_for, resident):
    response = client_for("worker2").get(f"/api/v1/residents/{resident.pk}")
    assert response.status_code == 404
    assert response.json()["message"]
    assert client_for("worker2").get("/api/v1/residents").json()["count"] == 0


def test_grid_filter_is_scoped(client_for, demo_users, resident):
    make_resident(demo_users["worker2"], grid_name=GRID2, name="李阿公")
    client = client_for("station")
    grid1, grid2 = Area.objects.get(name=GRID1), Area.objects.get(name=GRID2)
    assert [r["name"] for r in client.get("/api/v1/residents", {"grid": grid2.pk}).json()["items"]] == ["李阿公"]
    community = grid1.parent
    assert client.get("/api/v1/residents", {"grid": community.pk}).json()["count"] == 2
    response = client_for("worker").get("/api/v1/residents", {"grid": grid2.pk})
    assert response.status_code == 404
    assert response.json()["message"]


def test_secretary_gets_404_on_every_resident(client_for, resident):
    client = client_for("secretary")
    assert client.get(f"/api/v1/residents/{resident.pk}").status_code == 404
    assert client.get("/api/v1/residents").json()["count"] == 0
    assert client.get("/api/v1/visits", {"resident": resident.pk}).status_code == 404
    assert post_visit(client, visit_body(resident)).status_code == 404
    assert not Visit.objects.exists()


@pytest.fixture
def due_residents(demo_users) -> dict[str, Resident]:
    """One resident per bucket (two overdue), and a moved one long overdue."""
    worker = demo_users["worker"]
    today = timezone.localdate()
    people = {
        # never met: due since registration
        "overdue_long": make_resident(worker, name="赵一", registered_days_ago=10),
        "today": make_resident(worker, name="钱二"),
        # care level A (weekly): met 9 days ago → due 2 days ago; met 3 days ago → due in 4 days
        "overdue_short": make_resident(worker, name="孙三", care_level="A", registered_days_ago=20),
        "week": make_resident(worker, name="李四", care_level="A", registered_days_ago=20),
        # care level C (monthly): met yesterday → due in 29 days
        "later": make_resident(worker, name="周五", registered_days_ago=20),
        "moved": make_resident(
            worker,
            name="吴六",
            registered_days_ago=40,
            status="moved",
            status_on=today - timedelta(days=1),
        ),
    }
    factories.visit(actor=worker, resident=people["overdue_short"], ago=timedelta(days=9))
    factories.visit(actor=worker, resident=people["week"], ago=timedelta(days=3))
    factories.visit(actor=worker, resident=people["later"], ago=timedelta(days=1))
    return people


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        ("overdue", ["overdue_long", "overdue_short"]),
        ("today", ["today"]),
        ("week", ["week"]),
        ("later", ["later"]),
    ],
)
def test_due_filter_returns_the_bucket_most_urgent_first(client_for, due_residents, bucket, expected):
    data = client_for("worker").get("/api/v1/residents", {"due": bucket}).json()
    assert [r["id"] for r in data["items"]] == [due_residents[key].pk for key in expected]
    assert {r["due"] for r in data["items"]} == {bucket}


def test_residents_without_filter_include_every_status_in_due_order(client_for, due_residents):
    data = client_for("worker").get("/api/v1/residents").json()
    order = ["moved", "overdue_long", "overdue_short", "today", "week", "later"]
    assert [r["id"] for r in data["items"]] == [due_residents[key].pk for key in order]
    by_id = {r["id"]: r for r in data["items"]}
    today = timezone.localdate()
    assert by_id[due_residents["overdue_long"].pk]["days_overdue"] == 10
    assert by_id[due_residents["overdue_short"].pk]["days_overdue"] == 2
    assert by_id[due_residents["week"].pk]["due_on"] == (today + timedelta(days=4)).isoformat()
    assert by_id[due_residents["later"].pk]["last_met_on"] == (today - timedelta(days=1)).isoformat()


def test_bad_due_filter_is_a_json_422(client_for):
    response = client_for("worker").get("/api/v1/residents", {"due": "someday"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "due"


# --- recording visits ----------------------------------------------------------------------


def test_a_visit_is_stored_once_and_a_replay_answers_200(client_for, demo_users, resident):
    client = client_for("worker")
    body = visit_body(resident)
    response = post_visit(client, body)
    assert response.status_code == 201
    data = response.json()
    assert data["id"] == body["id"]
    assert data["resident"] == resident.pk
    assert data["worker"] == {"id": demo_users["worker"].pk, "name": demo_users["worker"].display_name}
    assert data["outcome"] == "met"
    assert data["hazards"] == ["fall", "gas"]
    assert data["location_check"] == "near_home"
    assert 30 < data["distance_m"] < 40  # 0.0003° of latitude ≈ 33 m
    assert data["photos"] == [] and data["corrected_at"] is None

    replay = post_visit(client, body)
    assert replay.status_code == 200
    assert replay.json() == data
    assert Visit.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VISIT_RECORDED).count() == 1
    resident.refresh_from_db()
    assert resident.last_met_on == timezone.localdate()


def test_another_visit_under_a_used_id_is_a_409_with_the_stored_one(client_for, resident):
    client = client_for("worker")
    body = visit_body(resident)
    stored = post_visit(client, body).json()
    response = post_visit(client, {**body, "needs": "另一件事", "outcome": "not_home"})
    assert response.status_code == 409
    assert response.json()["message"]
    assert response.json()["visit"] == stored
    visit = Visit.objects.get()
    assert (visit.needs, visit.outcome) == (body["needs"], "met")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VISIT_RECORDED).count() == 1


def test_a_409_never_shows_a_visit_outside_the_callers_reach(client_for, demo_users, resident):
    body = visit_body(resident)
    post_visit(client_for("worker"), body)
    theirs = make_resident(demo_users["worker2"], grid_name=GRID2, name="李阿公")
    response = post_visit(client_for("worker2"), {**body, "resident": theirs.pk})
    assert response.status_code == 409
    assert response.json()["visit"] is None
    assert Visit.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"outcome": "party"}, "outcome"),
        ({"lat": 95.0}, "lat"),
        ({"accuracy_m": 99_999}, "accuracy_m"),
        ({"lat": None, "lng": None, "accuracy_m": None, "no_location_reason": ""}, "no_location_reason"),
        ({"visited_at": (timezone.now() + timedelta(days=1)).isoformat()}, "visited_at"),
        ({"hazards": ["gas", "ghosts"]}, "hazards"),
        ({"health": "splendid"}, "health"),
        ({"resident": "someone"}, "resident"),
        ({"id": "not-a-uuid"}, "id"),
    ],
)
def test_invalid_fields_are_a_422_per_field_and_nothing_is_written(client_for, resident, changes, field):
    audit_before = AuditEvent.objects.count()
    response = post_visit(client_for("worker"), visit_body(resident, **changes))
    assert response.status_code == 422
    body = response.json()
    assert body["message"]
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["errors"][0]["message"]
    assert not Visit.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_a_visit_without_location_needs_a_reason(client_for, resident):
    body = visit_body(resident, lat=None, lng=None, accuracy_m=None, no_location_reason="室内没有信号")
    data = post_visit(client_for("worker"), body).json()
    assert (data["location_check"], data["no_location_reason"], data["distance_m"]) == (
        "no_location",
        "室内没有信号",
        None,
    )


def test_a_body_that_is_not_json_is_a_400(client_for, resident):
    response = client_for("worker").post("/api/v1/visits", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"]


def test_a_resident_of_another_grid_is_404(client_for, resident):
    response = post_visit(client_for("worker2"), visit_body(resident))
    assert response.status_code == 404
    assert response.json()["message"]
    assert not Visit.objects.exists()


def test_anonymous_cannot_post(client, resident):
    assert post_visit(client, visit_body(resident)).status_code == 401


def test_a_send_racing_another_still_stores_the_visit_once(client_for, resident):
    """The race forced in one thread: the second send's "already stored?" look-up is made
    to find nothing, as it would if it ran just before the first send committed. Its
    insert then meets the first row's primary key, and it answers like a replay."""
    client = client_for("worker")
    body = visit_body(resident)
    assert post_visit(client, body).status_code == 201
    with blind_first_visit_lookup() as blinded:
        assert post_visit(client, body).status_code == 200
    assert blinded
    with blind_first_visit_lookup() as blinded:
        response = post_visit(client, {**body, "needs": "另一件事"})
    assert blinded
    assert response.status_code == 409
    assert response.json()["visit"]["needs"] == body["needs"]
    assert Visit.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VISIT_RECORDED).count() == 1


@contextmanager
def blind_first_visit_lookup():
    """The next ``.first()`` on visits finds nothing (that is visit_record's look-up)."""
    real_first = QuerySet.first
    blinded: list[bool] = []

    def first(queryset):
        if queryset.model is Visit and not blinded:
            blinded.append(True)
            return None
        return real_first(queryset)

    with mock.patch.object(QuerySet, "first", first):
        yield blinded


@concurrent_writers("; the race is forced in one thread by the test above.")
def test_two_sends_of_one_visit_at_once_store_it_once():
    """Two requests with the same id, in two threads with their own database connections.
    The barrier sits in the photo check, which runs only after the "already stored?"
    look-up found nothing: so both requests are past it when either inserts, and the
    primary key decides (the second insert waits for the first to commit, then fails
    and answers with the stored visit)."""
    seed_territory()  # a transactional test starts from a flushed database
    worker = User.objects.get(username="worker")
    resident = make_resident(worker)
    body = visit_body(resident)
    barrier = threading.Barrier(2, timeout=10)
    real_photos_clean = photo_services.photos_clean_each
    statuses: list[int] = []

    def photos_clean_after_both_looked(uploads, **kwargs):
        barrier.wait()
        return real_photos_clean(uploads, **kwargs)

    def send():
        try:
            client = Client()
            client.force_login(worker)
            statuses.append(post_visit(client, body).status_code)
        finally:
            connection.close()

    with mock.patch.object(photo_services, "photos_clean_each", photos_clean_after_both_looked):
        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(statuses) == [200, 201]
    assert Visit.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VISIT_RECORDED).count() == 1


# --- photos --------------------------------------------------------------------------------


def multipart_visit(resident: Resident, photos) -> dict:
    body = visit_body(resident)
    return {**{k: v for k, v in body.items() if v is not None}, "photos": photos}


def test_a_visit_and_its_photos_in_one_multipart_request(client_for, resident):
    client = client_for("worker")
    response = client.post(
        "/api/v1/visits",
        multipart_visit(
            resident,
            [
                factories.jpeg(name="a.jpg", size=SMALL, color=RED),
                factories.jpeg(name="b.jpg", size=SMALL, color=(0, 90, 200)),
            ],
        ),
    )
    assert response.status_code == 201
    data = response.json()
    assert data["hazards"] == ["fall", "gas"] and data["accuracy_m"] == 12.5
    photos = data["photos"]
    assert len(photos) == 2
    for photo in photos:
        assert photo["url"] == reverse("photo", args=[photo["id"]])
        assert photo["thumbnail_url"] == reverse("photo-thumb", args=[photo["id"]])
        assert (photo["width"], photo["height"]) == (40, 30)
    assert VisitPhoto.objects.filter(visit_id=data["id"]).count() == 2


def test_a_bad_photo_refuses_the_whole_visit(client_for, resident):
    response = client_for("worker").post(
        "/api/v1/visits", multipart_visit(resident, [factories.jpeg(size=SMALL, color=RED), not_a_photo("page.jpg")])
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["photos"]
    assert not Visit.objects.exists()
    assert not VisitPhoto.objects.exists()


def test_photos_sent_again_are_stored_once(client_for, demo_users, resident):
    visit = factories.visit(actor=demo_users["worker"], resident=resident, ago=timedelta(0))
    client = client_for("worker")
    url = f"/api/v1/visits/{visit.pk}/photos"
    first = client.post(url, {"photos": [factories.jpeg(size=SMALL, color=RED)]})
    assert first.status_code == 201
    assert len(first.json()["photos"]) == 1
    again = client.post(url, {"photos": [factories.jpeg(size=SMALL, color=RED)]})
    assert again.status_code == 200
    assert again.json()["photos"] == first.json()["photos"]
    assert VisitPhoto.objects.filter(visit=visit).count() == 1


def test_a_bad_photo_or_one_too_many_stores_nothing(client_for, demo_users, resident, settings):
    settings.DAIBAN_PHOTOS_PER_VISIT = 2
    visit = factories.visit(
        actor=demo_users["worker"], resident=resident, ago=timedelta(0), uploads=[factories.jpeg(size=SMALL, color=RED)]
    )
    client = client_for("worker")
    url = f"/api/v1/visits/{visit.pk}/photos"
    response = client.post(
        url, {"photos": [factories.jpeg(name="new.jpg", size=SMALL, color=(0, 200, 0)), not_a_photo()]}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["photos"]
    response = client.post(
        url,
        {
            "photos": [
                factories.jpeg(name="b.jpg", size=SMALL, color=(0, 200, 0)),
                factories.jpeg(name="c.jpg", size=SMALL, color=(0, 0, 200)),
            ]
        },
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["photos"]
    assert VisitPhoto.objects.filter(visit=visit).count() == 1


def test_photos_of_a_visit_outside_reach_are_404(client_for, demo_users, resident):
    visit = factories.visit(actor=demo_users["worker"], resident=resident, ago=timedelta(0))
    response = client_for("worker2").post(
        f"/api/v1/visits/{visit.pk}/photos", {"photos": [factories.jpeg(size=SMALL, color=RED)]}
    )
    assert response.status_code == 404
    assert not VisitPhoto.objects.exists()


# --- reading visits ---------------------------------------------------------------------------


def test_visits_of_a_resident_newest_first(client_for, demo_users, resident):
    worker = demo_users["worker"]
    older = factories.visit(
        actor=worker, resident=resident, ago=timedelta(days=2), uploads=[factories.jpeg(size=SMALL, color=RED)]
    )
    newer = factories.visit(actor=worker, resident=resident, ago=timedelta(days=1), outcome="not_home")
    factories.visit(actor=worker, resident=make_resident(worker, name="另一位"), ago=timedelta(0))
    data = client_for("worker").get("/api/v1/visits", {"resident": resident.pk}).json()
    assert data["count"] == 2
    assert [v["id"] for v in data["items"]] == [str(newer.pk), str(older.pk)]
    assert len(data["items"][1]["photos"]) == 1
    assert client_for("worker").get("/api/v1/visits").json()["count"] == 3


def test_a_record_announces_its_photos_and_they_follow_under_their_keys(
    client_for, resident, django_assert_num_queries
):
    """Records before photos (#17): the record says how many photos follow; each photo
    then comes on its own with the key the phone made for it. A photo sent again under
    its key after the upload was cut off is stored once, even when its bytes differ (the
    phone shrank it again), and the visit counts as complete once all have arrived."""
    client = client_for("worker")
    body = visit_body(resident, photos_expected=2)
    created = post_visit(client, body)
    assert created.status_code == 201
    assert created.json()["photos_expected"] == 2 and created.json()["photos"] == []
    url = f"/api/v1/visits/{body['id']}/photos"
    first_key, second_key = str(uuid.uuid4()), str(uuid.uuid4())
    # session, user, scopes, the visit and its photos (the one door), savepoint, its lock,
    # what it has (pictures and keys in one query), savepoint, the photo, both savepoints
    # released, its photos as stored, the answer: the visit with its worker, its photos
    with django_assert_num_queries(15):
        first = client.post(url, {"photos": [factories.jpeg(size=SMALL, color=RED)], "keys": [first_key]})
    assert first.status_code == 201 and len(first.json()["photos"]) == 1
    # The answer was lost; the phone sends it again, shrunk anew (other bytes), same key.
    again = client.post(url, {"photos": [factories.jpeg(size=SMALL, color=(201, 40, 40))], "keys": [first_key]})
    assert again.status_code == 200 and again.json()["photos"] == first.json()["photos"]
    second = client.post(url, {"photos": [factories.jpeg(size=SMALL, color=(0, 90, 200))], "keys": [second_key]})
    assert second.status_code == 201
    assert sorted(str(k) for k in VisitPhoto.objects.values_list("client_key", flat=True)) == sorted(
        [first_key, second_key]
    )
    # The record sent again (its answer lost too) is the same visit: 200, photos kept.
    replay = post_visit(client, body)
    assert replay.status_code == 200 and len(replay.json()["photos"]) == 2


def test_photo_keys_must_match_the_photos(client_for, demo_users, resident):
    visit = factories.visit(actor=demo_users["worker"], resident=resident, ago=timedelta(0))
    url = f"/api/v1/visits/{visit.pk}/photos"
    client = client_for("worker")
    two_keys = client.post(
        url, {"photos": [factories.jpeg(size=SMALL, color=RED)], "keys": [str(uuid.uuid4()), str(uuid.uuid4())]}
    )
    assert two_keys.status_code == 422 and [e["field"] for e in two_keys.json()["errors"]] == ["keys"]
    not_a_key = client.post(url, {"photos": [factories.jpeg(size=SMALL, color=RED)], "keys": ["nope"]})
    assert not_a_key.status_code == 422
    assert not VisitPhoto.objects.exists()


def test_a_record_may_not_announce_more_photos_than_a_visit_has(client_for, resident, settings):
    response = post_visit(
        client_for("worker"), visit_body(resident, photos_expected=settings.DAIBAN_PHOTOS_PER_VISIT + 1)
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["photos_expected"]
    assert not Visit.objects.exists()


def test_worker2_sees_none_of_workers_visits(client_for, demo_users, resident):
    visit = factories.visit(actor=demo_users["worker"], resident=resident, ago=timedelta(0))
    client = client_for("worker2")
    assert client.get("/api/v1/visits", {"resident": resident.pk}).status_code == 404
    assert client.get("/api/v1/visits").json()["count"] == 0
    assert client.get(f"/api/v1/residents/{resident.pk}").status_code == 404
    assert (
        client.post(
            f"/api/v1/visits/{visit.pk}/photos", {"photos": [factories.jpeg(size=SMALL, color=RED)]}
        ).status_code
        == 404
    )


# --- CSRF ------------------------------------------------------------------------------------


def test_writes_need_the_csrf_token(demo_users, resident):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))  # the login page hands out the CSRF cookie, as for a phone
    client.force_login(demo_users["worker"])
    body = visit_body(resident)
    refused = post_visit(client, body)
    assert refused.status_code == 403
    assert refused.json()["message"]
    assert not Visit.objects.exists()
    token = client.cookies["csrftoken"].value
    accepted = client.post("/api/v1/visits", body, content_type="application/json", headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


# --- query counts ------------------------------------------------------------------------------


def test_resident_reads_have_fixed_query_counts(client_for, demo_users, resident, django_assert_num_queries):
    worker = demo_users["worker"]
    client = client_for("worker")
    grid = Area.objects.get(name=GRID1)

    def check():
        # session, user, scopes, count, page, categories
        with django_assert_num_queries(6):
            assert client.get("/api/v1/residents").status_code == 200
        # … and the area's scope check
        with django_assert_num_queries(7):
            assert client.get("/api/v1/residents", {"grid": grid.pk, "due": "today"}).status_code == 200
        # session, user, scopes, resident, categories
        with django_assert_num_queries(5):
            assert client.get(f"/api/v1/residents/{resident.pk}").status_code == 200

    check()
    for i in range(30):
        make_resident(worker, name=f"居民{i:02d}", categories=["alone", "ill"])
    check()
    assert client.get("/api/v1/residents").json()["count"] == 31


def test_visit_reads_have_fixed_query_counts(client_for, demo_users, resident, django_assert_num_queries):
    worker = demo_users["worker"]
    client = client_for("worker")
    factories.visit(actor=worker, resident=resident, ago=timedelta(0), uploads=[factories.jpeg(size=SMALL, color=RED)])

    def check():
        # session, user, scopes, resident, count, page (with workers), photos
        with django_assert_num_queries(7):
            assert client.get("/api/v1/visits", {"resident": resident.pk}).status_code == 200
        with django_assert_num_queries(6):
            assert client.get("/api/v1/visits").status_code == 200

    check()
    for i in range(30):
        factories.visit(
            actor=worker,
            resident=resident,
            ago=timedelta(days=i / 2 + 0.1),
            uploads=[factories.jpeg(size=SMALL, color=(i, 0, 0)), factories.jpeg(size=SMALL, color=(0, i, 0))],
        )
    check()
    assert client.get("/api/v1/visits").json()["count"] == 31


def test_recording_a_visit_has_a_fixed_query_count(client_for, resident, django_assert_num_queries):
    client = client_for("worker")
    client.get("/api/v1/residents")
    # session, user, scopes, resident, "already stored?"; the visit service's writes
    # (savepoints around the transaction and the insert, the visit, the resident's due
    # date re-read and saved, the audit row); then the stored visit with its worker, and
    # its photos, for the answer. 3 of them count the visit in the day tallies (the
    # grid's chain of areas, the day's missing rows, the increment), 2 move the resident
    # from their old due date to the new one in the due tallies (the same chain).
    with django_assert_num_queries(21):
        assert post_visit(client, visit_body(resident)).status_code == 201
    body = visit_body(resident)
    post_visit(client, body)
    # a replay: session, user, scopes, resident, "already stored?", the stored visit, photos
    with django_assert_num_queries(7):
        assert post_visit(client, body).status_code == 200


# --- review: a replay is answered by what is stored ---------------------------------------


def test_a_stored_visit_sent_again_after_the_30_day_window_still_answers_200(client_for, resident):
    """The phone's first answer got lost and its outbox sends the visit again, by which
    time the visit is older than a new visit may be: it is stored, so the answer is 200
    (not a 422 the outbox would retry forever). A new visit that old is still refused."""
    client = client_for("worker")
    visited_at = timezone.now() - timedelta(days=30) + timedelta(minutes=5)
    body = visit_body(resident, visited_at=timezone.localtime(visited_at).isoformat(timespec="seconds"))
    first = post_visit(client, body)
    assert first.status_code == 201
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=10)):
        replay = post_visit(client, body)
        late = post_visit(client, {**body, "id": str(uuid.uuid4())})
    assert replay.status_code == 200 and replay.json() == first.json()
    assert late.status_code == 422 and [e["field"] for e in late.json()["errors"]] == ["visited_at"]
    assert Visit.objects.count() == 1


def test_a_replay_without_a_time_zone_is_still_refused(client_for, resident):
    client = client_for("worker")
    body = visit_body(resident)
    assert post_visit(client, body).status_code == 201
    response = post_visit(client, {**body, "visited_at": body["visited_at"][:19]})  # the offset cut off
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["visited_at"]
