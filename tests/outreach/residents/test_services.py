"""The resident and visit services: national IDs protected at rest, conflicts instead of
lost edits, the visit's location checked on the server, replays stored once, corrections
kept with their history."""

import hashlib
import json
import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from grid.models import Area
from outreach.common import crypto
from outreach.common.errors import Conflict
from outreach.models import AuditEvent, Resident, ResidentCategory, Visit, VisitCorrection
from outreach.residents import services
from outreach.residents.services import VisitInput
from tests import factories

pytestmark = pytest.mark.django_db

METRE_OF_LATITUDE = 1 / 111_195  # degrees per metre north–south
BORN = date(1950, 3, 7)  # the default birth date of these tests' IDs


def with_wrong_check_digit(number: str) -> str:
    wrong = next(d for d in "0123456789X" if d != number[-1])
    return number[:-1] + wrong


@pytest.fixture
def make_resident(grid1, demo_users):
    def make(**fields) -> Resident:
        fields = {"name": "王阿婆", "address": "绣湖路12号1单元201室", "consent_basis": "written", **fields}
        return services.resident_create(actor=demo_users["admin"], grid=fields.pop("grid", grid1), **fields)

    return make


@pytest.fixture
def at_home(make_resident, grid1) -> Resident:
    """A resident whose home is on the map, at the middle of the demo grid."""
    return make_resident(home_lat=grid1.centroid_lat, home_lng=grid1.centroid_lng)


def record(resident, actor, *, visit_id=None, **data) -> tuple[Visit, bool]:
    data = {"visited_at": timezone.now() - timedelta(minutes=5), "outcome": Visit.Outcome.MET, **data}
    if data.get("lat") is None and "no_location_reason" not in data:
        data["no_location_reason"] = "GPS off"
    return services.visit_record(
        actor=actor, resident=resident, visit_id=visit_id or uuid.uuid4(), data=VisitInput(**data)
    )


def error_codes(exc: pytest.ExceptionInfo, field: str) -> list[str]:
    assert field in exc.value.error_dict, exc.value.message_dict
    assert all(exc.value.message_dict[field]), "every error has a message"
    return [e.code for e in exc.value.error_dict[field]]


# --- national ID ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (with_wrong_check_digit(factories.national_id(born=BORN, male=False)), "checksum"),
        (factories.with_check_digit("33078219901332123"), "birth_date"),  # month 13
        (factories.with_check_digit("33078219500230123"), "birth_date"),  # 30 February
        (factories.with_check_digit("33078218500101123"), "birth_date"),  # before 1900
        (factories.with_check_digit("33078221500101123"), "birth_date"),  # in the future
        (factories.with_check_digit("99078219500101123"), "region"),
        ("3307821950010112", "length"),
        ("33078219500101123456", "length"),
        ("330782500101123", "length"),  # a first-generation 15-digit ID: stdnum takes it, the service may not
        ("3307821950010112A4", "format"),
        ("", "length"),
    ],
)
def test_bad_national_id_is_refused_on_its_field(make_resident, number, code):
    with pytest.raises(ValidationError) as exc:
        make_resident(national_id=number or " ")
    assert error_codes(exc, "national_id") == [code]
    assert not Resident.objects.filter(name="王阿婆").exists()


def test_elder_of_yiwu_is_accepted_although_the_county_code_is_younger_than_them(make_resident):
    # 330782 (Yiwu city) dates from 1988; stdnum's place check refused everyone born before.
    number = factories.national_id(born=date(1936, 11, 2), male=False)
    resident = make_resident(national_id=number)
    assert resident.birth_date == date(1936, 11, 2)


def test_birth_date_and_sex_come_from_the_id(make_resident):
    woman = make_resident(
        national_id=factories.national_id(born=date(1944, 2, 29), male=False), sex="M", birth_date=date(2000, 1, 1)
    )
    man = make_resident(name="李大爷", national_id=factories.national_id(born=date(1939, 12, 31), male=True).lower())
    assert (woman.birth_date, woman.sex) == (date(1944, 2, 29), Resident.Sex.FEMALE)
    assert (man.birth_date, man.sex) == (date(1939, 12, 31), Resident.Sex.MALE)


def test_national_id_is_stored_encrypted_digested_with_a_key_and_masked(make_resident, settings):
    born = next(
        date(1950, 1, 1) + timedelta(days=d)
        for d in range(366)
        if factories.with_check_digit(f"330782{date(1950, 1, 1) + timedelta(days=d):%Y%m%d}123")[-1] == "4"
    )
    number = f"330782{born:%Y%m%d}1234"
    resident = Resident.objects.get(pk=make_resident(national_id=number).pk)

    assert number not in resident.national_id_cipher and number[6:14] not in resident.national_id_cipher
    assert crypto.decrypt(resident.national_id_cipher) == number
    assert resident.national_id_masked == "330782********1234"
    assert resident.national_id_digest == crypto.digest(number)
    assert resident.national_id_digest != hashlib.sha256(number.encode()).hexdigest()

    settings.DAIBAN_FIELD_KEY = "another-field-key"
    assert crypto.digest(number) != resident.national_id_digest
    assert len(crypto.digest(number)) == 64


def test_creation_is_audited_without_the_id(make_resident):
    number = factories.national_id(born=BORN, male=False)
    resident = make_resident(national_id=number, categories=["alone", "aged80"])
    event = AuditEvent.objects.get(resident=resident)
    assert event.action == AuditEvent.Action.RESIDENT_CREATED
    assert number not in json.dumps(event.detail)
    assert sorted(resident.categories.values_list("category", flat=True)) == ["aged80", "alone"]
    assert resident.due_on == resident.registered_on == timezone.localdate() and resident.version == 1


def test_a_national_id_is_registered_once(make_resident):
    number = factories.national_id(born=BORN, male=False)
    make_resident(national_id=number)
    typed_otherwise = [
        f" {number[:6]} {number[6:14]} {number[14:].lower()} ",  # grouped with spaces
        number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")),  # full-width keyboard
    ]
    for typed in typed_otherwise:
        with pytest.raises(ValidationError) as exc:
            make_resident(name="王阿婆二号", national_id=typed)
        assert error_codes(exc, "national_id") == ["duplicate"]
    assert Resident.objects.filter(national_id_digest=crypto.digest(number)).count() == 1


def test_a_concurrent_registration_of_the_same_id_gets_the_same_answer(make_resident, grid1, monkeypatch):
    """Another registration lands between the duplicate check and the save: the unique
    constraint stops it, and the answer is the same field error, not a 500."""
    number = factories.national_id(born=BORN, male=False)
    check = services._check_resident

    def another_registration_lands(resident, categories):
        Resident.objects.create(
            name="抢先一步",
            address="x",
            grid=grid1,
            consent_basis="written",
            due_on=timezone.localdate(),
            national_id_digest=crypto.digest(number),
        )
        check(resident, categories)

    monkeypatch.setattr(services, "_check_resident", another_registration_lands)
    with pytest.raises(ValidationError) as exc:
        make_resident(national_id=number)
    assert error_codes(exc, "national_id") == ["duplicate"]


def test_every_field_to_fix_is_reported_at_once(make_resident):
    with pytest.raises(ValidationError) as exc:
        make_resident(
            national_id=with_wrong_check_digit(factories.national_id(born=BORN, male=False)),
            categories=["disabled"],
            home_lat=29.3,
            home_lng=None,
        )
    assert set(exc.value.message_dict) == {"national_id", "disability_grade", "home_lat"}


def test_disabled_resident_needs_a_grade(make_resident):
    with pytest.raises(ValidationError) as exc:
        make_resident(categories=["disabled"])
    assert "disability_grade" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_resident(categories=["disabled"], disability_grade=5)
    assert "disability_grade" in exc.value.message_dict
    assert make_resident(categories=["disabled"], disability_grade=2).disability_grade == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"categories": ["alone", "astronaut"]}, "categories"),
        ({"home_lat": 120.07, "home_lng": 29.31}, "home_lat"),
        ({"home_lat": 29.31}, "home_lat"),
        ({"status": "deceased"}, "status_on"),
        # a move or death is recorded once it happened (today's coverage counts the status)
        ({"status": "moved", "status_on": timezone.localdate() + timedelta(days=1)}, "status_on"),
    ],
)
def test_other_resident_fields_are_checked(make_resident, fields, field):
    with pytest.raises(ValidationError) as exc:
        make_resident(**fields)
    assert field in exc.value.message_dict
    assert not Resident.objects.filter(name="王阿婆").exists()


def test_a_resident_lives_in_a_grid_not_a_community(make_resident):
    with pytest.raises(ValidationError) as exc:
        make_resident(grid=Area.objects.get(name="绣湖社区"))
    assert "grid" in exc.value.message_dict


# --- resident_update ------------------------------------------------------------------------


def test_an_edit_based_on_a_replaced_version_is_a_conflict_and_writes_nothing(make_resident, demo_users):
    resident = make_resident()
    services.resident_update(actor=demo_users["worker"], resident=resident, expected_version=1, phone="13800001111")
    with pytest.raises(Conflict) as exc:
        services.resident_update(
            actor=demo_users["station"], resident=resident, expected_version=1, phone="13900002222", name="改错了"
        )
    assert exc.value.message
    assert exc.value.current.pk == resident.pk
    assert (exc.value.current.version, exc.value.current.phone) == (2, "13800001111")
    stored = Resident.objects.get(pk=resident.pk)
    assert (stored.version, stored.phone, stored.name) == (2, "13800001111", "王阿婆")
    assert AuditEvent.objects.filter(resident=resident, action=AuditEvent.Action.RESIDENT_UPDATED).count() == 1


def test_an_update_bumps_the_version_and_audits_what_changed(make_resident, demo_users):
    old_number, new_number = (
        factories.national_id(born=date(1941, 5, 6), male=False),
        factories.national_id(born=date(1942, 7, 8), male=True),
    )
    resident = make_resident(national_id=old_number, categories=["alone"])
    updated = services.resident_update(
        actor=demo_users["station"],
        resident=resident,
        expected_version=1,
        national_id=new_number,
        phone="13800001111",
        name="王阿婆",
        care_level="A",
        categories=["alone", "aged80"],
        address_ip="10.0.0.7",
    )
    assert updated.version == 2 and Resident.objects.get(pk=resident.pk).version == 2
    assert updated.due_on == resident.registered_on  # never met: still due since registration

    event = AuditEvent.objects.get(resident=resident, action=AuditEvent.Action.RESIDENT_UPDATED)
    assert (event.actor, event.address) == (demo_users["station"], "10.0.0.7")
    changes = event.detail["changes"]
    assert set(changes) == {"phone", "care_level", "categories", "national_id", "birth_date", "sex"}  # name unchanged
    assert changes["phone"] == ["", "13800001111"]
    assert changes["birth_date"] == ["1941-05-06", "1942-07-08"]
    assert changes["categories"] == [["alone"], ["aged80", "alone"]]
    assert changes["national_id"] == [crypto.mask(old_number), crypto.mask(new_number)]
    dumped = json.dumps(event.detail)
    assert old_number not in dumped and new_number not in dumped

    stored = Resident.objects.get(pk=resident.pk)
    assert crypto.decrypt(stored.national_id_cipher) == new_number
    assert (stored.birth_date, stored.sex) == (date(1942, 7, 8), "M")


def test_an_update_cannot_take_someone_elses_id(make_resident, demo_users):
    taken = factories.national_id(born=BORN, male=False)
    make_resident(name="张大爷", national_id=taken)
    resident = make_resident()
    with pytest.raises(ValidationError) as exc:
        services.resident_update(actor=demo_users["admin"], resident=resident, expected_version=1, national_id=taken)
    assert error_codes(exc, "national_id") == ["duplicate"]
    assert Resident.objects.get(pk=resident.pk).version == 1


def test_an_update_refuses_fields_that_are_not_editable(make_resident, demo_users):
    resident = make_resident()
    with pytest.raises(ValueError):
        services.resident_update(
            actor=demo_users["admin"], resident=resident, expected_version=1, due_on=date(2030, 1, 1)
        )


def test_revealing_the_national_id_is_audited(make_resident, demo_users):
    number = factories.national_id(born=BORN, male=False)
    resident = make_resident(national_id=number)
    revealed = services.resident_reveal_national_id(
        actor=demo_users["worker"], resident=resident, address_ip="10.1.2.3"
    )
    assert revealed == number
    event = AuditEvent.objects.get(resident=resident, action=AuditEvent.Action.NATIONAL_ID_REVEALED)
    assert (event.actor, event.address) == (demo_users["worker"], "10.1.2.3")
    assert number not in json.dumps(event.detail)


def test_revealing_a_missing_id_records_nothing(make_resident, demo_users):
    resident = make_resident()
    assert services.resident_reveal_national_id(actor=demo_users["worker"], resident=resident) == ""
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.NATIONAL_ID_REVEALED).exists()


# --- visit_record: location ------------------------------------------------------------------


def test_distance_is_computed_on_the_server_and_near_or_away_follows_the_setting(at_home, worker, settings):
    north = at_home.home_lat + 120 * METRE_OF_LATITUDE
    near, _ = record(at_home, worker, lat=north, lng=at_home.home_lng, accuracy_m=15)
    assert near.location_check == Visit.LocationCheck.NEAR_HOME
    assert near.distance_m == pytest.approx(120, abs=1)

    far, _ = record(at_home, worker, lat=at_home.home_lat + 201 * METRE_OF_LATITUDE, lng=at_home.home_lng)
    assert far.location_check == Visit.LocationCheck.AWAY and far.distance_m == pytest.approx(201, abs=1)

    settings.DAIBAN_VISIT_AWAY_METERS = 100
    stricter, _ = record(at_home, worker, lat=north, lng=at_home.home_lng)
    assert stricter.location_check == Visit.LocationCheck.AWAY


def test_a_visit_without_a_location_needs_a_reason(at_home, worker):
    with pytest.raises(ValidationError) as exc:
        record(at_home, worker, no_location_reason="   ")
    assert "no_location_reason" in exc.value.message_dict
    visit, _ = record(at_home, worker, no_location_reason=" 楼道内无信号 ")
    assert (visit.location_check, visit.distance_m, visit.no_location_reason) == (
        Visit.LocationCheck.NO_LOCATION,
        None,
        "楼道内无信号",
    )


def test_a_home_not_on_the_map_cannot_be_checked(make_resident, grid1, worker):
    resident = make_resident()
    visit, _ = record(resident, worker, lat=grid1.centroid_lat, lng=grid1.centroid_lng, no_location_reason="ignored")
    assert (visit.location_check, visit.distance_m) == (Visit.LocationCheck.HOME_UNKNOWN, None)
    assert visit.no_location_reason == ""  # a reason only goes with a missing location


@pytest.mark.parametrize(
    ("where", "field", "code"),
    [
        ({"lat": 95.0, "lng": 120.07}, "lat", "range"),
        ({"lat": 29.3, "lng": 190.0}, "lat", "range"),
        ({"lat": 120.07, "lng": 29.31}, "lat", "swapped"),
        ({"lat": 0.0, "lng": 0.0}, "lat", "outside_china"),
        ({"lat": 48.85, "lng": 2.35}, "lat", "outside_china"),
        ({"lat": 29.31, "lng": None}, "lat", "incomplete"),
        ({"lat": float("nan"), "lng": 120.07}, "lat", "invalid"),
        ({"lat": 29.31, "lng": 120.07, "accuracy_m": 5001}, "accuracy_m", "inaccurate"),
        ({"lat": 29.31, "lng": 120.07, "accuracy_m": -1}, "accuracy_m", "negative"),
        ({"lat": 29.31, "lng": 120.07, "accuracy_m": float("nan")}, "accuracy_m", "invalid"),
    ],
)
def test_coordinates_are_validated(at_home, worker, where, field, code):
    with pytest.raises(ValidationError) as exc:
        record(at_home, worker, no_location_reason="", **where)
    assert error_codes(exc, field) == [code]
    assert not Visit.objects.filter(resident=at_home).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"visited_at": timezone.now().replace(tzinfo=None)}, "visited_at"),
        ({"visited_at": timezone.now() + timedelta(hours=1)}, "visited_at"),
        ({"visited_at": timezone.now() - timedelta(days=31)}, "visited_at"),
        ({"outcome": "abducted"}, "outcome"),
        ({"health": "immortal"}, "health"),
        ({"hazards": ("gas", "dragons")}, "hazards"),
    ],
)
def test_other_visit_fields_are_validated(at_home, worker, data, field):
    with pytest.raises(ValidationError) as exc:
        record(at_home, worker, **data)
    assert field in exc.value.message_dict
    assert not Visit.objects.filter(resident=at_home).exists()


def test_a_recorded_visit_is_audited(at_home, worker):
    visit, created = record(at_home, worker, hazards=("gas", "fall", "gas"))
    assert created and visit.hazards == ["fall", "gas"]
    event = AuditEvent.objects.get(resident=at_home, action=AuditEvent.Action.VISIT_RECORDED)
    assert event.detail == {"visit": str(visit.pk), "outcome": "met", "photos": 0}


# --- visit_record: idempotency ---------------------------------------------------------------


def test_a_replayed_visit_is_stored_once(at_home, worker):
    visit_id, when = uuid.uuid4(), timezone.now() - timedelta(minutes=3)
    first, created = record(at_home, worker, visit_id=visit_id, visited_at=when, needs="医保报销")
    # A phone's retry may carry the time with other microseconds or in another time zone.
    again, created_again = record(
        at_home,
        worker,
        visit_id=visit_id,
        needs="医保报销",
        visited_at=when.replace(microsecond=0).astimezone(timezone.UTC),
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Visit.objects.filter(pk=visit_id).count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VISIT_RECORDED, resident=at_home).count() == 1


def test_the_same_id_with_other_content_is_a_conflict(at_home, make_resident, worker):
    visit_id, when = uuid.uuid4(), timezone.now() - timedelta(minutes=3)
    first, _ = record(at_home, worker, visit_id=visit_id, visited_at=when, needs="医保报销")
    with pytest.raises(Conflict) as exc:
        record(at_home, worker, visit_id=visit_id, visited_at=when, needs="高龄津贴")
    assert exc.value.current.pk == first.pk and exc.value.message
    with pytest.raises(Conflict):
        record(make_resident(name="李大爷"), worker, visit_id=visit_id, visited_at=when, needs="医保报销")
    assert Visit.objects.get(pk=visit_id).needs == "医保报销"


def test_a_web_form_sent_again_is_the_same_visit_when_the_same_worker_sent_it(
    at_home, make_resident, worker, demo_users
):
    """The web form's time is the server's, so its resend cannot repeat it: the service
    (not the view) decides that the same worker's form for the same resident is the
    same visit, photos and all left as the first send stored them."""
    visit_id = uuid.uuid4()

    def send(actor, resident=at_home, **data):
        data = {"visited_at": timezone.now(), "outcome": Visit.Outcome.MET, "no_location_reason": "GPS off", **data}
        return services.visit_record(
            actor=actor, resident=resident, visit_id=visit_id, data=VisitInput(**data), timed_by_server=True
        )

    first, created = send(worker, needs="医保报销")
    again, created_again = send(worker, needs="医保报销", visited_at=timezone.now() + timedelta(seconds=5))
    assert (created, created_again, again.pk) == (True, False, first.pk)
    with pytest.raises(Conflict):
        later = timezone.now() + timedelta(seconds=5)
        send(demo_users["station"], needs="医保报销", visited_at=later)  # someone else's form under that id
    with pytest.raises(Conflict):
        send(worker, resident=make_resident(name="李大爷"), needs="医保报销")
    with pytest.raises(Conflict):  # a phone's resend says when it was: another time is another visit
        record(at_home, worker, visit_id=visit_id, needs="医保报销")
    assert Visit.objects.filter(pk=visit_id).count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VISIT_RECORDED, resident=at_home).count() == 1


# --- visit_correct -------------------------------------------------------------------------


def test_the_author_corrects_a_visit_and_the_previous_values_are_kept(at_home, worker):
    visit, _ = record(at_home, worker, health="good", hazards=("gas",))
    corrected = services.visit_correct(
        actor=worker,
        visit=visit,
        reason="点错了",
        health="poor",
        hazards=["gas", "fall"],
        needs="",
        address_ip="10.0.0.9",
    )
    assert (corrected.health, corrected.hazards) == ("poor", ["fall", "gas"])
    assert corrected.corrected_at is not None
    stored = Visit.objects.get(pk=visit.pk)
    assert (stored.health, stored.hazards, stored.corrected_at) == ("poor", ["fall", "gas"], corrected.corrected_at)

    correction = VisitCorrection.objects.get(visit=visit)
    assert correction.previous == {"health": "good", "hazards": ["gas"]}  # needs did not change
    assert (correction.corrected_by, correction.reason) == (worker, "点错了")
    event = AuditEvent.objects.get(action=AuditEvent.Action.VISIT_CORRECTED)
    assert event.detail == {"visit": str(visit.pk), "fields": ["hazards", "health"]}
    assert event.address == "10.0.0.9"


def test_a_correction_that_changes_nothing_leaves_no_trace(at_home, worker):
    visit, _ = record(at_home, worker, hazards=("gas", "fall"))
    services.visit_correct(actor=worker, visit=visit, hazards=["gas", "fall"], outcome="met")  # form order
    assert not VisitCorrection.objects.exists()
    assert Visit.objects.get(pk=visit.pk).corrected_at is None


def test_only_the_author_may_correct(at_home, worker, demo_users):
    visit, _ = record(at_home, worker)
    with pytest.raises(ValidationError):
        services.visit_correct(actor=demo_users["worker2"], visit=visit, needs="改一下")
    assert not services.visit_correction_open(visit, demo_users["worker2"])
    assert not VisitCorrection.objects.exists() and Visit.objects.get(pk=visit.pk).needs == ""


def test_corrections_close_after_the_window(at_home, worker, settings):
    visit, _ = record(at_home, worker)
    Visit.objects.filter(pk=visit.pk).update(created_at=timezone.now() - timedelta(hours=23, minutes=50))
    services.visit_correct(actor=worker, visit=visit, needs="还来得及")
    Visit.objects.filter(pk=visit.pk).update(created_at=timezone.now() - timedelta(hours=24, minutes=10))
    with pytest.raises(ValidationError):
        services.visit_correct(actor=worker, visit=visit, needs="太晚了")
    assert Visit.objects.get(pk=visit.pk).needs == "还来得及"
    assert VisitCorrection.objects.filter(visit=visit).count() == 1

    settings.DAIBAN_VISIT_CORRECTION_HOURS = 48
    services.visit_correct(actor=worker, visit=visit, needs="窗口放宽了")
    assert VisitCorrection.objects.filter(visit=visit).count() == 2


def test_a_correction_is_validated_like_a_visit(at_home, worker):
    visit, _ = record(at_home, worker)
    with pytest.raises(ValidationError) as exc:
        services.visit_correct(actor=worker, visit=visit, outcome="abducted")
    assert "outcome" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.visit_correct(actor=worker, visit=visit, no_location_reason="")
    assert "no_location_reason" in exc.value.message_dict
    with pytest.raises(ValueError):
        services.visit_correct(actor=worker, visit=visit, lat=29.3)
    assert not VisitCorrection.objects.exists()


def test_correcting_to_moved_moves_the_resident_and_back_undoes_it(at_home, worker):
    visit, _ = record(at_home, worker, outcome=Visit.Outcome.NOT_HOME)
    services.visit_correct(actor=worker, visit=visit, outcome=Visit.Outcome.MOVED)
    moved = Resident.objects.get(pk=at_home.pk)
    assert (moved.status, moved.status_on, moved.version) == ("moved", timezone.localdate(visit.visited_at), 2)

    services.visit_correct(actor=worker, visit=visit, outcome=Visit.Outcome.NOT_HOME)
    back = Resident.objects.get(pk=at_home.pk)
    assert (back.status, back.status_on, back.version) == ("active", None, 3)


def test_correcting_away_from_moved_keeps_a_move_recorded_otherwise(at_home, worker, demo_users):
    services.resident_update(
        actor=demo_users["admin"],
        resident=at_home,
        expected_version=1,
        status="moved",
        status_on=timezone.localdate() - timedelta(days=2),
    )
    visit, _ = record(at_home, worker, outcome=Visit.Outcome.MOVED)
    services.visit_correct(actor=worker, visit=visit, outcome=Visit.Outcome.NOT_HOME)
    assert Resident.objects.get(pk=at_home.pk).status == "moved"


def test_resident_categories_are_replaced_on_update(make_resident, demo_users):
    resident = make_resident(categories=["alone", "ill"])
    services.resident_update(
        actor=demo_users["admin"], resident=resident, expected_version=1, categories=["ill", "aged80"]
    )
    assert sorted(ResidentCategory.objects.filter(resident=resident).values_list("category", flat=True)) == [
        "aged80",
        "ill",
    ]


def test_residents_go_only_into_the_actors_own_grids(demo_users):
    from tests import factories

    with pytest.raises(ValidationError) as caught:
        factories.resident(actor=demo_users["worker2"], name="越界")
    assert "grid" in caught.value.message_dict
    resident = factories.resident(actor=demo_users["worker"], name="本网格")
    with pytest.raises(ValidationError):
        services.resident_update(
            actor=demo_users["worker"],
            resident=resident,
            expected_version=resident.version,
            grid=factories.grid("绣湖社区第2网格"),
        )
    assert Resident.objects.get(pk=resident.pk).grid.name == "绣湖社区第1网格"
