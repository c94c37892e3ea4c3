"""The errand lifecycle services: every legal step and a table of illegal ones, escalation
up the three tiers to the joint branch whose windows handle the service, who may act,
assignment, materials, delivery with its receipt and the trips-saved ledger, overdue,
and two people changing one errand at once."""

import io
import threading
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.utils import timezone
from PIL import ExifTags, Image

from demo.territory import seed_territory
from grid.models import JointBranch, ServicePoint, ServiceWindow, User
from outreach.common import due
from outreach.common.errors import Conflict
from outreach.errands import selectors as errand_selectors
from outreach.errands import services as errand_services
from outreach.errands.chain import branch_for_service
from outreach.models import Errand, ErrandEvent, ErrandPhoto, Notification, ServiceType, TripsSaved
from outreach.photos.pipeline import PhotoRejected, photo_open
from tests import factories
from tests.races import concurrent_writers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

GRID1 = "绣湖社区第1网格"  # worker's grid; worker2 has 第2网格 of the same community
GRID_POINT, STATION, CENTRE = "绣湖社区第1网格代办点", "绣湖社区代办站", "稠城街道代办中心"
CARD = "SB-BH"  # 社会保障卡补换: a grid point handles it; 人力资源和社会保障局 (branch 1, the secretary's)
RELIEF = "MZ-DB"  # 最低生活保障申请: from a community station; 民政局
MORTGAGE = "BDC-DY"  # 不动产抵押登记: only a street centre; 不动产登记中心

S = Errand.State
OPEN = [S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.NEEDS_MATERIALS, S.COMPLETED]
ALL_STATES = [*OPEN, S.DELIVERED, S.CANCELLED]
ALL_ACTIONS = ["accept", "start", "return", "resume", "complete", "deliver", "escalate", "cancel"]

# DESIGN.md §3, written out: (from state, action) → state it leads to.
LEGAL = {
    (S.REQUESTED, "accept"): S.ACCEPTED,
    (S.ACCEPTED, "start"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "return"): S.NEEDS_MATERIALS,
    (S.NEEDS_MATERIALS, "resume"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "complete"): S.COMPLETED,
    (S.COMPLETED, "deliver"): S.DELIVERED,
    **{(state, "escalate"): S.REQUESTED for state in [S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.NEEDS_MATERIALS]},
    **{(state, "cancel"): S.CANCELLED for state in OPEN},
}
ILLEGAL = [(state, action) for state in ALL_STATES for action in ALL_ACTIONS if (state, action) not in LEGAL]

# The steps that bring a new errand to each state.
ROUTE = {
    S.REQUESTED: [],
    S.ACCEPTED: ["accept"],
    S.IN_PROGRESS: ["accept", "start"],
    S.NEEDS_MATERIALS: ["accept", "start", "return"],
    S.COMPLETED: ["accept", "start", "complete"],
    S.DELIVERED: ["accept", "start", "complete", "deliver"],
    S.CANCELLED: ["cancel"],
}


@pytest.fixture
def users(demo_users) -> dict[str, User]:
    return demo_users


@pytest.fixture
def resident(catalogue, users):
    return factories.resident(
        actor=users["worker"], grid_name=GRID1, name="王阿婆", national_id=factories.national_id()
    )


def errand_in(state: str, actor, resident, code: str = CARD) -> Errand:
    errand = factories.errand_walk(
        errand=factories.errand(actor=actor, resident=resident, code=code), actor=actor, actions=ROUTE[state]
    )
    assert errand.state == state
    return errand


def written(errand: Errand) -> dict:
    """Everything a refused step must leave as it was."""
    row = Errand.objects.get(pk=errand.pk)
    return {
        "state": row.state,
        "version": row.version,
        "holder": (row.holder_point_id, row.holder_branch_id),
        "assignee": row.assignee_id,
        "materials": row.materials_collected,
        "events": row.events.count(),
        "notifications": Notification.objects.filter(errand=row).count(),
        "trips": TripsSaved.objects.filter(errand=row).count(),
        "photos": ErrandPhoto.objects.filter(errand=row).count(),
    }


def point(tier: str, area) -> ServicePoint:
    return ServicePoint.objects.get(tier=tier, area=area)


def expected_branch(code: str) -> JointBranch:
    """The joint branch over the windows of the service's department, read off the
    window data (not off the service function)."""
    service = ServiceType.objects.get(code=code)
    branch_ids = set(
        ServiceWindow.objects.filter(department=service.department, branch__isnull=False).values_list(
            "branch_id", flat=True
        )
    )
    assert len(branch_ids) == 1, "the demo gives each department's windows to one branch"
    return JointBranch.objects.get(pk=branch_ids.pop())


def jpeg_with_gps(name: str = "receipt.jpg") -> SimpleUploadedFile:
    """factories.jpeg with a camera and a GPS position in its EXIF."""
    with Image.open(factories.jpeg(name=name)) as img:
        pixels = img.copy()
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CAMERA-MARKER"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (29.0, 18.0, 30.5),
            ExifTags.GPS.GPSMapDatum: "GPS-MARKER",
        }
    )
    out = io.BytesIO()
    pixels.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert b"GPS-MARKER" in data and b"CAMERA-MARKER" in data  # the upload really carries what must go
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def not_a_photo(name: str = "receipt.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"<html>not a photo</html>", content_type="image/jpeg")


# --- the lifecycle table ----------------------------------------------------------------------


def test_the_services_lifecycle_is_the_design_table():
    """The code's table and DESIGN.md §3 (written out above) say the same thing."""
    code = {
        (state, action): target
        for action, (sources, target) in errand_services.TRANSITIONS.items()
        for state in sources
    }
    assert code == LEGAL
    assert len(ILLEGAL) == len(ALL_STATES) * len(ALL_ACTIONS) - len(LEGAL) == 41


@pytest.mark.parametrize(("state", "action"), sorted(LEGAL), ids=lambda v: str(v))
def test_every_legal_step_moves_the_errand_and_writes_one_event(users, resident, state, action):
    worker = users["worker"]
    errand = errand_in(state, worker, resident)
    before = written(errand)
    note = "缺户口簿复印件" if action == "return" else "已电话告知居民"
    errand = factories.errand_act(errand=errand, action=action, actor=worker, note=note)
    row = Errand.objects.get(pk=errand.pk)
    assert row.state == errand.state == LEGAL[(state, action)]
    assert row.version == errand.version == before["version"] + 1
    assert row.events.count() == before["events"] + 1
    event = row.events.order_by("at", "pk").last()
    assert (event.action, event.actor, event.from_state, event.to_state) == (action, worker, state, row.state)
    assert event.from_holder == GRID_POINT
    assert event.to_holder == (STATION if action == "escalate" else GRID_POINT)
    assert event.note == ("居民已自行办理" if action == "cancel" else note)  # a cancel's note is its reason


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=lambda v: str(v))
def test_an_illegal_step_is_refused_and_writes_nothing(users, resident, state, action):
    admin = users["admin"]  # may act on every errand: only the state refuses
    errand = errand_in(state, admin, resident)
    before = written(errand)
    with pytest.raises(ValidationError) as refused:
        factories.errand_act(errand=errand, action=action, actor=admin)
    assert refused.value.message_dict["action"][0]
    assert written(errand) == before


@pytest.mark.parametrize("action", ["deliver", "teleport", ""])
def test_errand_transition_refuses_delivery_and_unknown_actions(users, resident, action):
    """Delivery has its own service (it needs how and how satisfied); anything else
    unknown is refused by name."""
    worker = users["worker"]
    errand = errand_in(S.COMPLETED, worker, resident)
    before = written(errand)
    with pytest.raises(ValidationError) as refused:
        errand_services.errand_transition(actor=worker, errand=errand, action=action, expected_version=errand.version)
    assert refused.value.message_dict["action"][0]
    assert written(errand) == before


@pytest.mark.parametrize(("note", "reason"), [("", ""), ("   ", "  \n")])
def test_cancel_needs_a_reason(users, resident, note, reason):
    worker = users["worker"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    before = written(errand)
    with pytest.raises(ValidationError) as refused:
        factories.errand_act(errand=errand, action="cancel", actor=worker, reason=reason, note=note)
    assert refused.value.message_dict["reason"][0]
    assert written(errand) == before
    errand = factories.errand_act(errand=errand, action="cancel", actor=worker, reason="  居民已自行办理  ")
    row = Errand.objects.get(pk=errand.pk)
    assert (row.state, row.cancel_reason) == (S.CANCELLED, "居民已自行办理")
    assert row.closed_at is not None
    assert row.events.last().note == "居民已自行办理"


def test_a_reason_too_long_to_store_is_refused_by_name(users, resident):
    """cancel_reason holds 200 characters: a longer one (also one given as the note) is
    a clear refusal, not a database error on PostgreSQL."""
    worker = users["worker"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    before = written(errand)
    for fields in ({"reason": "理" * 201}, {"reason": "", "note": "由" * 201}):
        with pytest.raises(ValidationError) as refused:
            factories.errand_act(errand=errand, action="cancel", actor=worker, **fields)
        assert refused.value.message_dict["reason"][0]
        assert written(errand) == before
    assert (
        factories.errand_act(errand=errand, action="cancel", actor=worker, reason="理" * 200).cancel_reason
        == "理" * 200
    )


NOTE_MAX = errand_services.NOTE_MAX_LENGTH
TOO_LONG = "注" * (NOTE_MAX + 1)
NOTE_TOO_LONG = f"备注最多 {NOTE_MAX} 个字（当前 {NOTE_MAX + 1} 个）。"  # the default language


@pytest.mark.parametrize(
    "state, action",
    [
        (S.REQUESTED, "assign"),
        (S.REQUESTED, "accept"),
        (S.REQUESTED, "escalate"),
        (S.IN_PROGRESS, "return"),
        (S.IN_PROGRESS, "complete"),
        (S.COMPLETED, "deliver"),
    ],
)
def test_a_note_too_long_is_refused_on_every_step_and_nothing_is_written(users, resident, state, action):
    """One limit for the timeline's notes (errand_services.NOTE_MAX_LENGTH), checked by
    the services: never cut, never a database error."""
    worker = users["worker"]
    errand = errand_in(state, worker, resident)
    before = written(errand)
    with pytest.raises(ValidationError) as refused:
        if action == "assign":
            errand_services.errand_assign(
                actor=worker, errand=errand, assignee=users["station"], expected_version=errand.version, note=TOO_LONG
            )
        else:
            factories.errand_act(errand=errand, action=action, actor=worker, note=TOO_LONG)
    assert refused.value.message_dict["note"] == [NOTE_TOO_LONG]
    assert written(errand) == before
    if action == "assign":
        kept = errand_services.errand_assign(
            actor=worker, errand=errand, assignee=users["station"], expected_version=errand.version, note=TOO_LONG[1:]
        )
    else:
        kept = factories.errand_act(
            errand=errand, action=action, actor=worker, note=f" {TOO_LONG[1:]} "
        )  # trimmed before counting
    assert kept.events.order_by("at", "pk").last().note == TOO_LONG[1:]


def test_the_note_limit_speaks_english_too(users, resident):
    from django.utils import translation

    errand = factories.errand(actor=users["worker"], resident=resident, code=CARD)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        factories.errand_act(errand=errand, action="escalate", actor=users["worker"], note=TOO_LONG)
    assert refused.value.message_dict["note"] == [
        f"Keep the note to at most {NOTE_MAX} characters (this one has {NOTE_MAX + 1})."
    ]


def test_return_needs_a_note_saying_what_is_missing(users, resident):
    worker = users["worker"]
    errand = errand_in(S.IN_PROGRESS, worker, resident)
    before = written(errand)
    with pytest.raises(ValidationError) as refused:
        factories.errand_act(errand=errand, action="return", actor=worker, note="  ")
    assert refused.value.message_dict["note"][0]
    assert written(errand) == before


def test_a_new_errand_opens_at_the_lowest_tier_with_one_event(users, resident):
    worker, station = users["worker"], users["station"]
    at_point = factories.errand(actor=worker, resident=resident, code=CARD, description=" 社保卡丢了 ")
    assert (at_point.holder_point.name, at_point.assignee, at_point.state, at_point.version) == (
        GRID_POINT,
        worker,
        S.REQUESTED,
        1,
    )
    assert at_point.description == "社保卡丢了"
    event = at_point.events.get()
    assert (event.action, event.actor, event.from_state, event.to_state, event.to_holder, event.assignee) == (
        "created",
        worker,
        "",
        S.REQUESTED,
        GRID_POINT,
        worker,
    )
    # The worker is no agent of the station: the errand waits there for its staff, who hear of it.
    at_station = factories.errand(actor=worker, resident=resident, code=RELIEF)
    assert (at_station.holder_point.name, at_station.assignee) == (STATION, None)
    assert Notification.objects.filter(errand=at_station, user=station, kind="escalated").count() == 1
    assert not Notification.objects.filter(errand=at_station, user=worker).exists()
    at_centre = factories.errand(actor=worker, resident=resident, code=MORTGAGE)
    assert at_centre.holder_point.name == CENTRE


def test_the_same_errand_sent_again_is_stored_once_and_other_content_is_a_conflict(users, resident):
    worker = users["worker"]
    errand_id, service = uuid.uuid4(), ServiceType.objects.get(code=CARD)
    first, created = errand_services.errand_create(
        actor=worker, errand_id=errand_id, resident=resident, service=service, source="phone", description="补卡"
    )
    again, created_again = errand_services.errand_create(
        actor=worker, errand_id=errand_id, resident=resident, service=service, source="phone", description=" 补卡 "
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    with pytest.raises(Conflict) as conflict:
        errand_services.errand_create(
            actor=worker, errand_id=errand_id, resident=resident, service=service, source="walk_in", description="补卡"
        )
    assert conflict.value.current.pk == first.pk
    assert Errand.objects.count() == 1 and ErrandEvent.objects.count() == 1


def test_two_ids_sharing_the_digits_of_the_errand_number_both_open(users, resident):
    """The number shows six hex digits of the client's id; two ids of one day that share
    them (about one pair in 17 million) must not make the second errand fail."""
    first_id = uuid.uuid4()
    twin_id = uuid.UUID(first_id.hex[:6] + ("0" if first_id.hex[6] != "0" else "1") + first_id.hex[7:])
    service = ServiceType.objects.get(code=CARD)
    first, _ = errand_services.errand_create(
        actor=users["worker"], errand_id=first_id, resident=resident, service=service, source="phone"
    )
    twin, created = errand_services.errand_create(
        actor=users["worker"], errand_id=twin_id, resident=resident, service=service, source="phone"
    )
    assert created and first.number != twin.number
    assert twin.number.startswith(first.number) and len(twin.number) == len(first.number) + 2
    assert Errand.objects.get(pk=twin_id).number == twin.number
    assert ErrandEvent.objects.filter(errand__in=[first, twin]).count() == 2


# --- escalation -------------------------------------------------------------------------------

ESCALATORS = {"grid_point": "worker", "community_station": "station", "street_centre": "street"}


@pytest.mark.parametrize(
    ("code", "branch_name"),
    [(CARD, "社会保障联合支部"), (RELIEF, "民政救助联合支部"), (MORTGAGE, "不动产登记联合支部")],
)
def test_escalation_climbs_one_tier_at_a_time_to_the_branch_over_the_departments_windows(
    users, resident, code, branch_name
):
    grid = resident.grid
    chain = [
        point("grid_point", grid),
        point("community_station", grid.parent),
        point("street_centre", grid.parent.parent),
    ]
    service = ServiceType.objects.get(code=code)
    chain = chain[[p.tier for p in chain].index(service.lowest_tier) :]
    errand = factories.errand(actor=users["worker"], resident=resident, code=code)
    assert errand.holder_point == chain[0]
    branch = expected_branch(code)
    assert branch.name == branch_name
    for here, there in zip(chain, [*chain[1:], branch]):
        actor = users[ESCALATORS[here.tier]]
        if errand.state == S.REQUESTED and here.tier != "grid_point":
            # escalating from further along still starts over up there
            errand = factories.errand_act(errand=errand, action="accept", actor=actor)
        errand = factories.errand_act(errand=errand, action="escalate", actor=actor, note="本级无法办理")
        row = Errand.objects.select_related("holder_point", "holder_branch").get(pk=errand.pk)
        assert (row.holder_point or row.holder_branch) == there
        assert (row.state, row.assignee) == (S.REQUESTED, None)
        event = row.events.last()
        assert (event.action, event.from_holder, event.to_holder, event.note) == (
            "escalate",
            here.name,
            there.name,
            "本级无法办理",
        )
    assert (errand.holder_point, errand.holder_branch) == (None, branch)
    assert branch_for_service(service) == branch


@pytest.mark.parametrize("state", [S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.NEEDS_MATERIALS])
def test_the_branch_is_the_top_no_one_escalates_further(users, resident, state):
    secretary = users["secretary"]
    errand = factories.errand_act(
        errand=factories.errand(actor=users["worker"], resident=resident, code=CARD),
        action="escalate",
        actor=users["admin"],
    )
    errand = factories.errand_walk(errand=errand, actor=users["admin"], actions=["escalate", "escalate"])
    assert errand.holder_branch == expected_branch(CARD) == secretary.branches_led.get()
    for action in ROUTE[state]:
        errand = factories.errand_act(errand=errand, action=action, actor=secretary)
    assert "escalate" not in errand_services.next_actions(errand)
    before = written(errand)
    for who in ("secretary", "admin"):
        with pytest.raises(ValidationError) as refused:
            factories.errand_act(errand=errand, action="escalate", actor=users[who])
        assert refused.value.message_dict["action"][0]
    assert written(errand) == before


def test_each_escalation_tells_the_staff_who_now_hold_it(users, resident):
    worker, station, street, secretary = (users[n] for n in ("worker", "station", "street", "secretary"))
    errand = factories.errand(actor=worker, resident=resident, code=CARD)

    def told() -> list[str]:
        notices = Notification.objects.filter(errand=errand, kind="escalated")
        return sorted(notices.values_list("user__username", flat=True))

    errand = factories.errand_act(errand=errand, action="escalate", actor=worker)
    assert told() == ["station"]
    errand = factories.errand_act(errand=errand, action="escalate", actor=station)
    errand = factories.errand_act(errand=errand, action="escalate", actor=street)
    assert errand.holder_branch.secretary == secretary
    assert told() == ["secretary", "station", "street"]


# --- who may act ---------------------------------------------------------------------------------

# Where the errand is held (a CARD errand of a resident of worker's grid, opened by the
# station so that no one is its assignee, escalated step by step) → who may change it there.
MAY_ACT = {
    "grid_point": {"worker", "station", "street", "admin"},
    "community_station": {"station", "street", "admin"},
    "street_centre": {"street", "admin"},
    "branch": {"secretary", "admin"},
}
CAN_SEE = {
    "grid_point": {"worker", "station", "street", "admin"},
    "community_station": {"worker", "station", "street", "admin"},
    "street_centre": {"worker", "station", "street", "admin"},
    "branch": {"worker", "station", "street", "admin", "secretary"},
}


@pytest.mark.parametrize("held_at", list(MAY_ACT))
def test_who_may_act_and_who_sees_the_errand_wherever_it_is_held(users, resident, held_at):
    errand = factories.errand(actor=users["station"], resident=resident, code=CARD)
    assert errand.assignee is None
    for _step in range(list(MAY_ACT).index(held_at)):
        errand = factories.errand_act(errand=errand, action="escalate", actor=users["admin"])
    for name, user in users.items():
        user = User.objects.get(pk=user.pk)  # a fresh reach for each check
        assert errand_services.may_act(user, errand) == (name in MAY_ACT[held_at]), name
        visible = errand_selectors.errands_visible_to(user=user).filter(pk=errand.pk).exists()
        assert visible == (name in CAN_SEE[held_at]), name


def test_worker_acts_on_their_point_but_not_after_escalating_to_the_station(users, resident):
    worker = users["worker"]
    errand = factories.errand_act(
        errand=factories.errand(actor=worker, resident=resident, code=CARD), action="accept", actor=worker
    )
    errand = factories.errand_act(errand=errand, action="escalate", actor=worker)
    assert errand.holder_point.name == STATION
    before = written(errand)
    with pytest.raises(ValidationError) as refused:
        factories.errand_act(errand=errand, action="accept", actor=worker)
    assert refused.value.messages[0]
    assert written(errand) == before
    # still on their list to follow, just not theirs to change
    assert errand_selectors.errand_for_user_or_404(worker, errand.pk) == errand


def test_worker2_never_reaches_workers_errands(users, resident):
    errand = factories.errand(actor=users["worker"], resident=resident, code=CARD)
    worker2 = users["worker2"]
    with pytest.raises(Http404):
        errand_selectors.errand_for_user_or_404(worker2, errand.pk)
    assert not errand_selectors.errands_list(user=worker2, today=timezone.localdate()).exists()
    before = written(errand)
    with pytest.raises(ValidationError):
        factories.errand_act(errand=errand, action="accept", actor=worker2)
    with pytest.raises(ValidationError):
        errand_services.errand_assign(actor=worker2, errand=errand, assignee=worker2, expected_version=errand.version)
    assert written(errand) == before


def test_the_assignee_may_act_wherever_the_errand_sits(users, resident):
    """Given an errand held at the street centre, a grid worker of its resident can
    run it: the holder follows the assignee down to their point."""
    worker, street = users["worker"], users["street"]
    errand = factories.errand(actor=worker, resident=resident, code=MORTGAGE)
    assert not errand_services.may_act(worker, errand)
    errand = errand_services.errand_assign(
        actor=street, errand=errand, assignee=worker, expected_version=errand.version
    )
    assert errand_services.may_act(worker, errand)
    assert factories.errand_act(errand=errand, action="accept", actor=worker).state == S.ACCEPTED


# --- assignment ---------------------------------------------------------------------------------


def test_assignment_moves_the_errand_to_the_assignees_point_and_tells_them(users, resident):
    worker, station = users["worker"], users["station"]
    errand = factories.errand_act(
        errand=factories.errand(actor=worker, resident=resident, code=CARD), action="accept", actor=worker
    )
    errand = factories.errand_act(errand=errand, action="escalate", actor=worker)
    errand = factories.errand_act(errand=errand, action="accept", actor=station)
    before = written(errand)
    errand = errand_services.errand_assign(
        actor=station, errand=errand, assignee=worker, expected_version=errand.version, note="请上门办理"
    )
    row = Errand.objects.select_related("holder_point").get(pk=errand.pk)
    assert (row.holder_point.name, row.assignee, row.state) == (GRID_POINT, worker, S.ACCEPTED)
    assert row.version == before["version"] + 1
    assert row.events.count() == before["events"] + 1
    event = row.events.last()
    assert (event.action, event.actor, event.assignee, event.from_state, event.to_state) == (
        "assign",
        station,
        worker,
        S.ACCEPTED,
        S.ACCEPTED,
    )
    assert (event.from_holder, event.to_holder, event.note) == (STATION, GRID_POINT, "请上门办理")
    notice = Notification.objects.get(errand=row, kind="assigned")
    assert notice.user == worker and errand.number in notice.text
    assert errand_services.may_act(worker, row)


@pytest.mark.parametrize(("assignee", "holder"), [("station", STATION), ("street", CENTRE), ("worker", GRID_POINT)])
def test_assignment_to_each_tier_moves_the_holder_along_the_residents_chain(users, resident, assignee, holder):
    errand = factories.errand(actor=users["worker"], resident=resident, code=RELIEF)
    errand = errand_services.errand_assign(
        actor=users["admin"], errand=errand, assignee=users[assignee], expected_version=errand.version
    )
    assert (errand.holder_point.name, errand.holder_branch, errand.assignee) == (holder, None, users[assignee])


def test_a_branch_keeps_an_errand_given_to_its_secretary_and_can_send_it_down(users, resident):
    secretary, worker = users["secretary"], users["worker"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    with pytest.raises(ValidationError):  # not held by the branch: its secretary does not serve this resident
        errand_services.errand_assign(
            actor=users["station"], errand=errand, assignee=secretary, expected_version=errand.version
        )
    for _step in range(3):
        errand = factories.errand_act(errand=errand, action="escalate", actor=users["admin"])
    branch = errand.holder_branch
    assert branch == secretary.branches_led.get()
    errand = errand_services.errand_assign(
        actor=users["admin"], errand=errand, assignee=secretary, expected_version=errand.version
    )
    assert (errand.holder_branch, errand.holder_point, errand.assignee) == (branch, None, secretary)
    errand = errand_services.errand_assign(
        actor=secretary, errand=errand, assignee=worker, expected_version=errand.version
    )
    assert (errand.holder_point.name, errand.holder_branch, errand.assignee) == (GRID_POINT, None, worker)
    with pytest.raises(Http404):  # sent down, it has left the branch's reach
        errand_selectors.errand_for_user_or_404(secretary, errand.pk)


@pytest.mark.parametrize("outsider", ["worker2", "secretary"])
def test_assigning_to_someone_outside_the_residents_area_is_refused(users, resident, outsider):
    station = users["station"]
    errand = factories.errand(actor=users["worker"], resident=resident, code=RELIEF)
    before = written(errand)
    with pytest.raises(ValidationError) as refused:
        errand_services.errand_assign(
            actor=station, errand=errand, assignee=users[outsider], expected_version=errand.version
        )
    assert refused.value.message_dict["assignee"][0]
    assert written(errand) == before


@pytest.mark.parametrize("state", [S.DELIVERED, S.CANCELLED])
def test_a_closed_errand_is_not_assigned(users, resident, state):
    errand = errand_in(state, users["worker"], resident)
    before = written(errand)
    with pytest.raises(ValidationError) as refused:
        errand_services.errand_assign(
            actor=users["station"], errand=errand, assignee=users["worker"], expected_version=errand.version
        )
    assert refused.value.message_dict["assignee"][0]
    assert written(errand) == before


# --- materials ------------------------------------------------------------------------------------


def test_ticking_materials_keeps_the_checklist_order(users, resident):
    worker = users["worker"]
    errand = factories.errand(actor=worker, resident=resident, code=RELIEF)  # five materials
    errand = errand_services.errand_assign(
        actor=users["station"], errand=errand, assignee=worker, expected_version=errand.version
    )
    checklist = errand.service.materials
    assert len(checklist) >= 4
    version, events = errand.version, errand.events.count()
    for material in reversed(checklist[1:4]):
        errand = errand_services.errand_set_material(actor=worker, errand=errand, material=material, collected=True)
    assert Errand.objects.get(pk=errand.pk).materials_collected == checklist[1:4]
    errand = errand_services.errand_set_material(actor=worker, errand=errand, material=checklist[2], collected=False)
    errand = errand_services.errand_set_material(actor=worker, errand=errand, material=checklist[0], collected=True)
    errand = errand_services.errand_set_material(actor=worker, errand=errand, material=checklist[0], collected=True)
    row = Errand.objects.get(pk=errand.pk)
    assert row.materials_collected == [checklist[0], checklist[1], checklist[3]]
    # every tick is on the timeline; ticks leave the version alone, so the page's other
    # buttons do not go stale (errand_set_material)
    assert row.events.count() == events + 6
    assert list(row.events.filter(action="materials").values_list("note", flat=True))[-2:] == [
        f"✓ {checklist[0]}",
        f"✓ {checklist[0]}",
    ]
    assert row.version == version


def test_a_material_off_the_checklist_or_on_a_closed_errand_is_refused(users, resident):
    worker = users["worker"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    before = written(errand)
    with pytest.raises(ValidationError) as refused:
        errand_services.errand_set_material(actor=worker, errand=errand, material="结婚证", collected=True)
    assert refused.value.message_dict["material"][0]
    assert written(errand) == before
    closed = errand_in(S.CANCELLED, worker, resident)
    before = written(closed)
    with pytest.raises(ValidationError) as refused:
        errand_services.errand_set_material(
            actor=worker, errand=closed, material=closed.service.materials[0], collected=True
        )
    assert refused.value.message_dict["material"][0]
    assert written(closed) == before


def test_materials_are_ticked_only_by_who_may_act(users, resident):
    worker = users["worker"]
    errand = factories.errand_act(
        errand=factories.errand(actor=worker, resident=resident, code=CARD), action="escalate", actor=worker
    )
    before = written(errand)
    with pytest.raises(ValidationError):
        errand_services.errand_set_material(
            actor=worker, errand=errand, material=errand.service.materials[0], collected=True
        )
    assert written(errand) == before


# --- delivery -------------------------------------------------------------------------------------


def test_delivery_records_how_and_how_satisfied_a_receipt_without_exif_and_the_trips_saved(users, resident):
    worker = users["worker"]
    errand = errand_in(S.COMPLETED, worker, resident)
    before = written(errand)
    errand = errand_services.errand_deliver(
        actor=worker,
        errand=errand,
        expected_version=errand.version,
        via="express",
        satisfaction=4,
        uploads=[jpeg_with_gps()],
        note="EMS 1234",
    )
    row = Errand.objects.get(pk=errand.pk)
    assert (row.state, row.delivered_via, row.satisfaction) == (S.DELIVERED, "express", 4)
    assert row.delivered_at is not None and row.closed_at == row.delivered_at
    assert row.version == before["version"] + 1
    event = row.events.last()
    assert (event.action, event.from_state, event.to_state, event.note) == (
        "deliver",
        S.COMPLETED,
        S.DELIVERED,
        "EMS 1234",
    )
    assert row.events.count() == before["events"] + 1
    ledger = TripsSaved.objects.get(errand=row)
    assert (ledger.resident, ledger.trips, ledger.recorded_on) == (
        resident,
        row.service.trips_saved,
        timezone.localdate(),
    )
    photo = ErrandPhoto.objects.get(errand=row)
    for name in (photo.image, photo.thumbnail):
        with photo_open(name) as stored:
            data = stored.read()
        assert b"GPS-MARKER" not in data and b"CAMERA-MARKER" not in data and b"Exif" not in data
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "JPEG" and len(img.getexif()) == 0
    assert (photo.width, photo.height) == (640, 480)


def test_a_bad_receipt_photo_writes_nothing(users, resident, settings):
    worker = users["worker"]
    errand = errand_in(S.COMPLETED, worker, resident)
    before = written(errand)
    with pytest.raises(PhotoRejected):
        errand_services.errand_deliver(
            actor=worker,
            errand=errand,
            expected_version=errand.version,
            via="in_person",
            satisfaction=5,
            uploads=[factories.jpeg(name="good.jpg"), not_a_photo()],
        )
    assert written(errand) == before
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_too_many_receipt_photos_are_refused_in_the_deliverys_words(users, resident, settings):
    worker = users["worker"]
    errand = errand_in(S.COMPLETED, worker, resident)
    before = written(errand)
    limit = settings.DAIBAN_PHOTOS_PER_VISIT
    photos = [factories.jpeg(name=f"{n}.jpg", color=(20 * n, 9, 9)) for n in range(limit + 1)]
    with pytest.raises(ValidationError) as refused:
        errand_services.errand_deliver(
            actor=worker,
            errand=errand,
            expected_version=errand.version,
            via="in_person",
            satisfaction=5,
            uploads=photos,
        )
    assert refused.value.message_dict["photos"] == [f"每次送达最多 {limit} 张回执照片。"]
    assert written(errand) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"via": "pigeon"}, "via"),
        ({"via": ""}, "via"),
        ({"satisfaction": 6}, "satisfaction"),
        ({"satisfaction": 0}, "satisfaction"),
    ],
)
def test_a_delivery_without_a_known_way_or_with_a_score_off_the_scale_is_refused(users, resident, fields, field):
    worker = users["worker"]
    errand = errand_in(S.COMPLETED, worker, resident)
    before = written(errand)
    with pytest.raises(ValidationError) as refused:
        factories.errand_act(errand=errand, action="deliver", actor=worker, **fields)
    assert refused.value.message_dict[field][0]
    assert written(errand) == before


# --- overdue ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ALL_STATES)
def test_overdue_is_past_requested_plus_promised_days_while_unfinished(users, resident, state):
    worker, today = users["worker"], timezone.localdate()
    promised = ServiceType.objects.get(code=CARD).promised_days
    late = factories.errand(
        actor=worker, resident=resident, code=CARD, requested_at=timezone.now() - timedelta(days=promised + 3)
    )
    for action in ROUTE[state]:
        late = factories.errand_act(errand=late, action=action, actor=worker)
    on_time = factories.errand(
        actor=worker, resident=resident, code=CARD, requested_at=timezone.now() - timedelta(days=promised)
    )
    assert late.due_on == today - timedelta(days=3) and on_time.due_on == today
    unfinished = state in {S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.NEEDS_MATERIALS}
    assert due.errand_is_overdue(state=late.state, due_on=late.due_on, today=today) is unfinished
    assert not due.errand_is_overdue(state=on_time.state, due_on=on_time.due_on, today=today)
    assert due.errand_days_overdue(due_on=late.due_on, today=today) == 3
    # the database filter says the same as the function, and the lists use it
    assert set(Errand.objects.filter(due.errand_overdue_q(today)).values_list("pk", flat=True)) == (
        {late.pk} if unfinished else set()
    )
    listed = errand_selectors.errands_list(user=worker, today=today, overdue=True)
    assert [e.pk for e in listed] == ([late.pk] if unfinished else [])
    # tomorrow the on-time errand is late too
    assert due.errand_is_overdue(state=on_time.state, due_on=on_time.due_on, today=today + timedelta(days=1))


# --- two people at once -------------------------------------------------------------------------------


def test_a_step_based_on_a_stale_version_is_a_conflict_and_writes_nothing(users, resident):
    """The race forced in one thread: worker and station both load version 1; the
    worker accepts first, and the station's cancel, still based on version 1, loses."""
    worker, station = users["worker"], users["station"]
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    seen_by_station = Errand.objects.get(pk=errand.pk)
    factories.errand_act(errand=errand, action="accept", actor=worker)
    before = written(errand)
    with pytest.raises(Conflict) as conflict:
        factories.errand_act(errand=seen_by_station, action="cancel", actor=station, version=seen_by_station.version)
    assert conflict.value.message
    assert (conflict.value.current.version, conflict.value.current.state) == (2, S.ACCEPTED)
    assert written(errand) == before
    with pytest.raises(Conflict):
        errand_services.errand_assign(actor=station, errand=seen_by_station, assignee=worker, expected_version=1)
    with pytest.raises(Conflict):
        errand_services.errand_deliver(
            actor=station, errand=seen_by_station, expected_version=1, via="in_person", satisfaction=5
        )
    assert written(errand) == before


@concurrent_writers("; the race is forced in one thread by the test above.")
def test_two_people_changing_one_errand_at_once_one_wins_the_other_gets_a_conflict():
    """Worker accepts and station cancels, in two threads with their own connections,
    both based on version 1. The barrier holds each inside its transaction just before
    the row lock, so both are under way when either writes: the lock makes the second
    wait for the first to commit, then it sees version 2 and is refused."""
    seed_territory()  # a transactional test starts from a flushed database
    factories.load_catalogue()
    worker, station = User.objects.get(username="worker"), User.objects.get(username="station")
    resident = factories.resident(actor=worker, grid_name=GRID1, name="王阿婆")
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    barrier = threading.Barrier(2, timeout=10)
    real_locked = errand_services._locked
    outcomes: dict[str, str] = {}

    def locked_after_both_arrived(*args, **kwargs):
        barrier.wait()
        return real_locked(*args, **kwargs)

    def run(name, actor, action, **fields):
        try:
            factories.errand_act(
                errand=Errand.objects.get(pk=errand.pk), action=action, actor=actor, version=1, **fields
            )
            outcomes[name] = "won"
        except Conflict:
            outcomes[name] = "conflict"
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            outcomes[name] = repr(exc)
        finally:
            connection.close()

    with mock.patch.object(errand_services, "_locked", locked_after_both_arrived):
        threads = [
            threading.Thread(target=run, args=("worker", worker, "accept")),
            threading.Thread(target=run, args=("station", station, "cancel"), kwargs={"reason": "重复登记"}),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "won"], outcomes
    row = Errand.objects.get(pk=errand.pk)
    winner = next(name for name, outcome in outcomes.items() if outcome == "won")
    assert row.version == 2
    assert row.state == {"worker": S.ACCEPTED, "station": S.CANCELLED}[winner]
    winning_action = {"worker": "accept", "station": "cancel"}[winner]
    assert list(row.events.values_list("action", flat=True)) == ["created", winning_action]
