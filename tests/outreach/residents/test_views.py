"""Today, the resident list and page, the visit form and photos — through the front door."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from outreach.models import AuditEvent, Resident, Visit, VisitPhoto
from outreach.residents import services
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def residents(demo_users):
    """worker's grid: overdue (registered 10 days ago, never visited), due today, due in
    3 days, not due; worker2's grid: one overdue."""
    admin, worker = demo_users["admin"], demo_users["worker"]
    overdue = factories.resident(
        actor=admin, name="王阿婆", registered_days_ago=10, national_id=factories.national_id()
    )
    today = factories.resident(actor=admin, name="李大伯", care_level="A")
    soon = factories.resident(actor=admin, name="赵奶奶", care_level="A")
    later = factories.resident(actor=admin, name="钱爷爷", care_level="C")
    now = timezone.now()
    for resident, days_ago in [(today, 7), (soon, 4), (later, 1)]:
        factories.visit(actor=worker, resident=resident, at=now - timedelta(days=days_ago))
    other = factories.resident(actor=admin, grid_name="绣湖社区第2网格", name="孙老汉", registered_days_ago=3)
    return {"overdue": overdue, "today": today, "soon": soon, "later": later, "other": other}


def grow(admin, count: int):
    """More residents with visits and photos in worker's grid (all due), to show that
    query counts do not grow with data."""
    for i in range(count):
        r = factories.resident(actor=admin, name=f"加{i}", registered_days_ago=40, care_level="A")
        factories.visit(
            actor=admin, resident=r, at=timezone.now() - timedelta(days=20), accuracy_m=5, uploads=[factories.jpeg()]
        )


def test_today_lists_due_residents_most_urgent_first(client_for, residents):
    response = client_for("worker").get(reverse("home"))
    sections = {s["bucket"]: [r.name for r in s["rows"]] for s in response.context["sections"]}
    assert sections == {"overdue": ["王阿婆"], "today": ["李大伯"], "week": ["赵奶奶"]}
    html = response.content.decode()
    assert "钱爷爷" not in html and "孙老汉" not in html
    overdue = residents["overdue"]
    assert f'href="{reverse("visit-create", args=[overdue.pk])}"' in html
    assert f'href="{reverse("resident-detail", args=[overdue.pk])}"' in html
    # each row's due flag, categories and visit button, printed as the row template did
    (row,) = response.context["sections"][0]["rows"]
    days = (timezone.localdate() - overdue.due_on).days
    assert row.flag == f"逾期 {days} 天"  # the page is in Chinese by default
    assert f'<span class="due-flag due-overdue">{row.flag}</span>' in html
    assert [str(c.get_category_display()) for c in overdue.categories.order_by("category")] == row.badges
    assert f'aria-label="开始走访：{overdue.name}"' in html
    assert "今天到期" in html and "天后到期" in html


def test_today_nearest_first_with_distances(client_for, residents):
    r = residents["today"]
    response = client_for("worker").get(
        reverse("home"), {"lat": r.home_lat, "lng": r.home_lng}, headers={"HX-Request": "true"}
    )
    rows = [row for s in response.context["sections"] for row in s["rows"]]
    assert all(row.distance_m is not None for row in rows)
    (here,) = [row for row in rows if row.name == r.name]
    assert here.distance == "0 米" and "0 米</strong>" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_today_query_count_is_fixed(client_for, residents, demo_users, django_assert_num_queries):
    client = client_for("worker")
    client.get(reverse("home"))
    # session, user, scopes, due residents, their categories, my open errands
    with django_assert_num_queries(6):
        client.get(reverse("home"))
    grow(demo_users["admin"], 15)
    with django_assert_num_queries(6):
        response = client.get(reverse("home"))
    assert sum(len(s["rows"]) for s in response.context["sections"]) == 18


def test_other_roles_land_on_the_overview(client_for, residents):
    response = client_for("station").get(reverse("home"))
    assert "sections" not in response.context and response.status_code == 200


def test_resident_list_search_and_filters(client_for, residents):
    client = client_for("station")
    names = lambda r: [x.name for x in r.context["page"]]  # noqa: E731
    assert names(client.get(reverse("resident-list"))) == ["王阿婆", "孙老汉", "李大伯", "赵奶奶", "钱爷爷"]
    assert names(client.get(reverse("resident-list"), {"due": "overdue"})) == ["王阿婆", "孙老汉"]
    assert names(client.get(reverse("resident-list"), {"care_level": "C"})) == ["钱爷爷"]
    assert names(client.get(reverse("resident-list"), {"q": "赵"})) == ["赵奶奶"]
    Resident.objects.filter(pk=residents["later"].pk).update(phone="13812345678")
    assert names(client.get(reverse("resident-list"), {"q": "5678"})) == ["钱爷爷"]
    response = client.get(reverse("resident-list"), {"q": "阿婆"}, headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode() and "王阿婆" in response.content.decode()


def test_resident_list_is_scoped(client_for, residents):
    assert [r.name for r in client_for("worker2").get(reverse("resident-list")).context["page"]] == ["孙老汉"]
    assert client_for("secretary").get(reverse("resident-list")).status_code == 404


def test_resident_list_query_count(client_for, residents, demo_users, django_assert_num_queries):
    client = client_for("street")
    client.get(reverse("resident-list"))
    # session, user, scopes, count, page, categories
    with django_assert_num_queries(6):
        client.get(reverse("resident-list"))
    grow(demo_users["admin"], 10)
    with django_assert_num_queries(6):
        client.get(reverse("resident-list"), {"due": "overdue"}, headers={"HX-Request": "true"})


def test_resident_page_shows_masked_id_and_history(client_for, residents, demo_users, django_assert_num_queries):
    r = residents["overdue"]
    factories.visit(
        actor=demo_users["worker"],
        resident=r,
        at=timezone.now(),
        outcome="not_home",
        accuracy_m=8,
        uploads=[factories.jpeg()],
    )
    client = client_for("worker")
    html = client.get(reverse("resident-detail", args=[r.pk])).content.decode()
    assert r.national_id_masked in html and "********" in r.national_id_masked
    assert services.crypto.decrypt(Resident.objects.get(pk=r.pk).national_id_cipher) not in html
    photo = VisitPhoto.objects.get(visit__resident=r)
    assert reverse("photo-thumb", args=[photo.pk]) in html
    # session, user, scopes, resident, categories, visits, photos, errands, trips saved
    with django_assert_num_queries(9):
        client.get(reverse("resident-detail", args=[r.pk]))
    for _ in range(5):
        factories.visit(
            actor=demo_users["worker"], resident=r, at=timezone.now(), accuracy_m=8, uploads=[factories.jpeg()]
        )
    with django_assert_num_queries(9):
        client.get(reverse("resident-detail", args=[r.pk]))


def test_a_visit_whose_photos_are_still_on_the_phone_says_so(
    client_for, residents, demo_users, django_assert_num_queries
):
    """Records before photos (#17): the record announced two photos, one has arrived."""
    r = residents["overdue"]
    data = services.VisitInput(
        visited_at=timezone.now(), outcome="met", lat=r.home_lat, lng=r.home_lng, accuracy_m=8, photos_expected=2
    )
    visit, _created = services.visit_record(actor=demo_users["worker"], resident=r, visit_id=uuid.uuid4(), data=data)
    services.visit_add_photos(actor=demo_users["worker"], visit=visit, uploads=[factories.jpeg()], keys=[uuid.uuid4()])
    client = client_for("worker")
    with django_assert_num_queries(9):  # as without photos to come: they are counted from the prefetched ones
        html = client.get(reverse("resident-detail", args=[r.pk])).content.decode()
    assert '<span class="row-meta photos-to-come">照片待上传（1 张）</span>' in html
    assert (
        "照片待上传（1 张）：照片还在网格员手机上"
        in client.get(reverse("visit-detail", args=[visit.pk])).content.decode()
    )
    services.visit_add_photos(
        actor=demo_users["worker"], visit=visit, uploads=[factories.jpeg(color=(0, 0, 200))], keys=[uuid.uuid4()]
    )
    assert "photos-to-come" not in client.get(reverse("resident-detail", args=[r.pk])).content.decode()
    assert "photos-to-come" not in client.get(reverse("visit-detail", args=[visit.pk])).content.decode()


def test_reveal_national_id_is_audited(client_for, residents):
    r = residents["overdue"]
    client = client_for("worker")
    response = client.post(reverse("resident-national-id", args=[r.pk]), headers={"HX-Request": "true"})
    plain = services.crypto.decrypt(Resident.objects.get(pk=r.pk).national_id_cipher)
    assert plain in response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.NATIONAL_ID_REVEALED)
    assert event.resident == r and event.actor.username == "worker"


def test_worker2_gets_404_on_everything_of_worker(client_for, residents, demo_users):
    r = residents["overdue"]
    visit = factories.visit(
        actor=demo_users["worker"], resident=r, at=timezone.now(), accuracy_m=8, uploads=[factories.jpeg()]
    )
    photo = visit.photos.get()
    client = client_for("worker2")
    for url in [
        reverse("resident-detail", args=[r.pk]),
        reverse("resident-edit", args=[r.pk]),
        reverse("visit-create", args=[r.pk]),
        reverse("visit-detail", args=[visit.pk]),
        reverse("visit-correct", args=[visit.pk]),
        reverse("photo", args=[photo.pk]),
        reverse("photo-thumb", args=[photo.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("resident-national-id", args=[r.pk]), headers={"HX-Request": "true"}).status_code == 404
    assert client.post(reverse("visit-create", args=[r.pk]), {"id": uuid.uuid4(), "outcome": "met"}).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.NATIONAL_ID_REVEALED).exists()
    assert client.get(reverse("resident-detail", args=[residents["other"].pk])).status_code == 200


def test_photos_are_served_only_through_the_checked_view(client_for, residents, demo_users, settings):
    r = residents["overdue"]
    visit = factories.visit(
        actor=demo_users["worker"], resident=r, at=timezone.now(), accuracy_m=8, uploads=[factories.jpeg()]
    )
    photo = visit.photos.get()
    response = client_for("street").get(reverse("photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert (
        not settings.MEDIA_URL
        or client_for("street").get(f"/{settings.MEDIA_URL.strip('/')}/{photo.image}").status_code == 404
    )


def test_visit_form_records_a_visit_and_the_resident_leaves_the_overdue_list(client_for, residents):
    r = residents["overdue"]
    client = client_for("worker")
    form_id = str(uuid.uuid4())
    payload = {
        "id": form_id,
        "outcome": "met",
        "lat": r.home_lat + 0.0003,
        "lng": r.home_lng,
        "accuracy_m": 12,
        "health": "fair",
        "hazards": ["gas", "fall"],
        "needs": "高龄津贴认证",
        "photos": [factories.jpeg()],
    }
    response = client.post(reverse("visit-create", args=[r.pk]), payload)
    assert response.status_code == 302 and response.url == reverse("home")
    visit = Visit.objects.get(pk=form_id)
    assert visit.location_check == "near_home" and 30 < visit.distance_m < 40
    assert visit.photos.count() == 1
    response = client.get(reverse("home"))
    sections = {s["bucket"]: [row.name for row in s["rows"]] for s in response.context["sections"]}
    assert sections["overdue"] == [] and "王阿婆" not in sum(sections.values(), [])
    assert [str(m) for m in response.context["messages"]] and "王阿婆" in response.content.decode()  # the confirmation
    # the same form sent again (double tap, retry) is stored once
    payload["photos"] = [factories.jpeg()]
    assert client.post(reverse("visit-create", args=[r.pk]), payload).status_code == 302
    assert Visit.objects.filter(resident=r).count() == 1


def test_visit_form_errors_write_nothing(client_for, residents):
    r = residents["overdue"]
    client = client_for("worker")
    bad_photo = factories.jpeg()
    bad_photo.file.write(b"")
    from django.core.files.uploadedfile import SimpleUploadedFile

    html_photo = SimpleUploadedFile("x.jpg", b"<html><body>not a photo</body></html>", content_type="image/jpeg")
    response = client.post(
        reverse("visit-create", args=[r.pk]),
        {
            "id": uuid.uuid4(),
            "outcome": "met",
            "lat": r.home_lat,
            "lng": r.home_lng,
            "accuracy_m": 10,
            "photos": [factories.jpeg(), html_photo],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["photos"]
    response = client.post(reverse("visit-create", args=[r.pk]), {"id": uuid.uuid4(), "outcome": "met"})
    assert response.context["form"].errors["no_location_reason"]
    response = client.post(
        reverse("visit-create", args=[r.pk]),
        {"id": uuid.uuid4(), "outcome": "met", "lat": 120.07, "lng": 29.3, "accuracy_m": 10},
    )
    assert response.context["form"].errors["no_location_reason"]  # swapped coordinates explained there
    assert not Visit.objects.filter(resident=r).exists() and not VisitPhoto.objects.exists()


def test_visit_correction_by_author_within_a_day(client_for, residents, demo_users):
    r = residents["overdue"]
    visit = factories.visit(actor=demo_users["worker"], resident=r, at=timezone.now(), accuracy_m=8)
    response = client_for("worker").post(
        reverse("visit-correct", args=[visit.pk]), {"outcome": "not_home", "reason": "记错了，老人不在家"}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.outcome == "not_home" and visit.corrections.get().previous == {"outcome": "met"}
    assert Resident.objects.get(pk=r.pk).last_met_on is None
    html = client_for("worker").get(reverse("visit-detail", args=[visit.pk])).content.decode()
    assert "记错了" in html
    Visit.objects.filter(pk=visit.pk).update(created_at=timezone.now() - timedelta(hours=25))
    response = client_for("worker").post(reverse("visit-correct", args=[visit.pk]), {"outcome": "met", "reason": "x"})
    assert response.status_code == 302
    assert Visit.objects.get(pk=visit.pk).outcome == "not_home"
    assert client_for("station").get(reverse("visit-detail", args=[visit.pk])).context["may_correct"] is False


def test_register_resident_and_refuse_a_duplicate_id(client_for):
    client = client_for("station")
    nid = factories.national_id(born="19380506", male=False)
    data = {
        "name": "周阿姨",
        "national_id": nid,
        "address": "绣湖社区工人路9号",
        "grid": factories.grid().pk,
        "care_level": "B",
        "consent_basis": "written",
        "categories": ["alone", "aged80"],
    }
    response = client.post(reverse("resident-create"), data)
    assert response.status_code == 302
    resident = Resident.objects.get(name="周阿姨")
    assert resident.sex == "F" and str(resident.birth_date) == "1938-05-06"
    assert nid not in resident.national_id_cipher and resident.national_id_masked.endswith(nid[-4:])
    response = client.post(reverse("resident-create"), {**data, "name": "周阿姨二"})
    assert response.status_code == 200 and response.context["form"].errors["national_id"]
    response = client.post(
        reverse("resident-create"),
        {**data, "name": "坏号", "national_id": nid[:-1] + "0" if nid[-1] != "0" else nid[:-1] + "1"},
    )
    assert response.context["form"].errors["national_id"]
    assert Resident.objects.filter(name__startswith="周阿姨").count() == 1
    # a grid outside the station's community is not even offered
    other = factories.grid("绣湖社区第1网格").parent.parent.children.exclude(name="绣湖社区").first().children.first()
    response = client.post(reverse("resident-create"), {**data, "name": "外人", "national_id": "", "grid": other.pk})
    assert response.context["form"].errors["grid"]


def test_stale_edit_is_refused_with_the_current_record(client_for, residents):
    r = residents["later"]
    client = client_for("station")
    form = client.get(reverse("resident-edit", args=[r.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(grid=r.grid_id, categories=[], phone="13900000001")
    assert client.post(reverse("resident-edit", args=[r.pk]), data).status_code == 302
    # a second edit still based on the old version
    data.update(phone="13900000002")
    response = client.post(reverse("resident-edit", args=[r.pk]), data)
    assert response.status_code == 200 and response.context["conflict"] is not None
    assert Resident.objects.get(pk=r.pk).phone == "13900000001"


@pytest.mark.parametrize("model", ["resident", "visit", "visitphoto", "visitcorrection", "auditevent"])
def test_outreach_admin_lists_open_read_only(client_for, residents, model):
    response = client_for("admin").get(reverse(f"admin:outreach_{model}_changelist"))
    assert response.status_code == 200
    assert client_for("admin").get(reverse(f"admin:outreach_{model}_changelist") + "add/").status_code == 403


def test_outreach_admin_never_shows_the_plain_id(client_for, residents):
    r = residents["overdue"]
    html = client_for("admin").get(reverse("admin:outreach_resident_change", args=[r.pk])).content.decode()
    assert r.national_id_masked in html
    assert services.crypto.decrypt(Resident.objects.get(pk=r.pk).national_id_cipher) not in html
    assert Resident.objects.get(pk=r.pk).national_id_cipher not in html


def test_import_button_only_for_roles_that_may_import(client_for, residents):
    url = reverse("roster-import")
    assert url not in client_for("worker").get(reverse("resident-list")).content.decode()
    assert url in client_for("station").get(reverse("resident-list")).content.decode()


# --- review: one person, two hats; error reports -----------------------------------------


@pytest.fixture
def paired_grid(demo_users):
    """The secretary also works grid 1 of 绣湖社区, and their branch is paired with the grid
    point of a grid in another town: they may look at that point, not put residents there."""
    from datetime import date

    from grid.models import Area, JointBranch, Pairing, Role, Scope, ServicePoint

    own = factories.grid("绣湖社区第1网格")
    Scope.objects.create(user=demo_users["secretary"], role=Role.GRID_WORKER, area=own)
    far = (
        Area.objects.filter(level=Area.Level.GRID)
        .exclude(path__startswith=own.parent.parent.path)
        .order_by("code")
        .first()
    )
    Pairing.objects.create(
        branch=JointBranch.objects.get(number=1),
        since=date(2024, 1, 1),
        point=ServicePoint.objects.get(area=far, tier=ServicePoint.Tier.GRID_POINT),
    )
    return far


def test_a_paired_grid_is_no_place_to_register_a_resident(client_for, paired_grid):
    client = client_for("secretary")
    form = client.get(reverse("resident-create")).context["form"]
    offered = {str(value) for value, _label in form.fields["grid"].choices}
    assert str(factories.grid("绣湖社区第1网格").pk) in offered
    assert str(paired_grid.pk) not in offered
    response = client.post(
        reverse("resident-create"),
        {"name": "外网格", "address": "某路1号", "grid": paired_grid.pk, "care_level": "C", "consent_basis": "written"},
    )
    assert response.status_code == 200 and response.context["form"].errors["grid"]
    assert not Resident.objects.filter(name="外网格").exists()


def test_a_resident_cannot_be_moved_into_a_paired_grid(client_for, demo_users, paired_grid):
    resident = factories.resident(actor=demo_users["admin"], name="搬不走")
    client = client_for("secretary")
    data = {
        k: v
        for k, v in client.get(reverse("resident-edit", args=[resident.pk])).context["form"].initial.items()
        if v is not None
    }
    data.update(grid=paired_grid.pk, categories=[])
    response = client.post(reverse("resident-edit", args=[resident.pk]), data)
    assert response.status_code == 200 and response.context["form"].errors["grid"]
    assert Resident.objects.get(pk=resident.pk).grid_id == resident.grid_id


@pytest.mark.parametrize("url_name", ["resident-create", "resident-edit"])
def test_a_typed_national_id_never_reaches_an_error_report(
    client_for, demo_users, monkeypatch, error_reports, url_name
):
    """The national ID typed into the form must show as stars in the POST data and in the
    local variables of the view and the services below it."""
    resident = factories.resident(actor=demo_users["admin"], name="报错")
    nid = factories.national_id(born="19400101")

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(
        services, {"resident-create": "resident_create", "resident-edit": "resident_update"}[url_name], broken
    )
    client = client_for("station")
    client.raise_request_exception = False
    args = [resident.pk] if url_name == "resident-edit" else []
    data = {
        "name": "报错",
        "national_id": nid,
        "address": "绣湖路1号",
        "grid": resident.grid_id,
        "care_level": "C",
        "consent_basis": "written",
        "status": "active",
        "version": resident.version,
    }
    response = client.post(reverse(url_name, args=args), data)
    assert response.status_code == 500
    reports = error_reports()
    assert len(reports) == 3 and all("boom" in report and "national_id" in report for report in reports)
    assert not [report for report in reports if nid in report]


def test_a_visit_form_sent_twice_at_once_is_recorded_once_without_an_error(client_for, residents, monkeypatch):
    """A double tap sends the form twice at once: both look the id up before either is
    stored, so the second meets the first when inserting, with a later server time. It
    is the same visit (the service's replay rule): the worker sees it recorded, not a
    conflict."""
    from unittest import mock

    r = residents["overdue"]
    url = reverse("visit-create", args=[r.pk])
    visit_id = str(uuid.uuid4())
    payload = {"id": visit_id, "outcome": "met", "lat": r.home_lat, "lng": r.home_lng, "accuracy_m": 10}
    assert client_for("worker").post(url, payload).status_code == 302
    # the second send looked the id up before the first was stored
    looked_up = Visit.objects.filter

    def lookup_before_the_first_was_stored(*args, **kwargs):
        return (
            looked_up(*args, **kwargs).none() if kwargs == {"pk": uuid.UUID(visit_id)} else looked_up(*args, **kwargs)
        )

    monkeypatch.setattr(Visit.objects, "filter", lookup_before_the_first_was_stored)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(seconds=5)):
        response = client_for("worker").post(url, payload)
        assert response.status_code == 302
        # someone else's form under that id is still a conflict
        response = client_for("station").post(url, payload)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert Visit.objects.filter(resident=r).count() == 1


def test_sms_consent_is_recorded_on_the_form_with_the_number_it_names(client_for, demo_users):
    resident = factories.resident(actor=demo_users["admin"], name="短信", phone="13900000001")
    client = client_for("worker")
    url = reverse("resident-edit", args=[resident.pk])
    form = client.get(url).context["form"]
    assert form.fields["sms_consent"].label and form.fields["sms_to"].label
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(grid=resident.grid_id, categories=[], sms_consent="on", sms_to="guardian")
    response = client.post(url, data)  # the family contact's number is not there
    assert response.status_code == 200 and response.context["form"].errors["sms_to"]
    data.update(sms_to="resident")
    assert client.post(url, data).status_code == 302
    resident.refresh_from_db()
    assert resident.sms_consent and resident.sms_to == "resident" and resident.sms_consent_at is not None
    detail = AuditEvent.objects.filter(resident=resident, action=AuditEvent.Action.RESIDENT_UPDATED).last().detail
    assert detail["changes"]["sms_consent"] == [False, True]
