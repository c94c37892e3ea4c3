"""The joint branches' workspace through the front door: scope for every role (a
secretary or member of one branch gets 404 on another's; street officials and the city
administrator read every branch and write nothing), members, pairings, activities (web
form with photos, the idempotent API), the neglected flag and the monthly figures on
crafted data (screen and XLSX agree), the queue, and fixed query counts."""

import io
import re
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from grid.access import reach_of
from grid.models import Department, JointBranch, Pairing, Role, Scope, ServicePoint, User
from outreach.branches import selectors as branch_selectors
from outreach.branches import services as branch_services
from outreach.complaints import services as complaint_services
from outreach.errands import services as errand_services
from outreach.models import (
    BranchActivity,
    BranchActivityPhoto,
    BranchActivityPoint,
    BranchEvent,
    Complaint,
    Errand,
    ErrandEvent,
)
from tests import factories
from tests.tables import split_rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue", "media_root")]

HELD, PLANNED = BranchActivity.Status.HELD, BranchActivity.Status.PLANNED
SOCIAL_SECURITY_CARD = "SB-SL"  # 人力资源和社会保障局 → 社会保障联合支部, the demo secretary's branch


@pytest.fixture
def branch(db) -> JointBranch:
    return JointBranch.objects.get(number=1)


@pytest.fixture
def other_branch(db) -> JointBranch:
    return JointBranch.objects.get(number=2)


@pytest.fixture
def member(branch) -> User:
    user = User.objects.create_user("member1", full_name="吴洁")
    Scope.objects.create(user=user, role=Role.BRANCH_MEMBER, branch=branch)
    return user


@pytest.fixture
def other_secretary(other_branch) -> User:
    user = User.objects.create_user("secretary2", full_name="钱芳")
    Scope.objects.create(user=user, role=Role.BRANCH_SECRETARY, branch=other_branch)
    other_branch.secretary = user
    other_branch.save(update_fields=["secretary"])
    return user


@pytest.fixture
def login(client, demo_users, member, other_secretary):
    people = {**demo_users, "member": member, "other_secretary": other_secretary}

    def as_user(name: str):
        client.force_login(people[name])
        return client

    return as_user


def paired_points(branch, n: int | None = None) -> list[ServicePoint]:
    points = ServicePoint.objects.filter(pairings__branch=branch, pairings__until__isnull=True).order_by("area__path")
    points = list(points)
    return points[:n] if n else points


def not_paired_with(branch, other) -> ServicePoint:
    """One of ``other``'s paired points that ``branch`` is not paired with."""
    return next(p for p in paired_points(other) if not p.pairings.filter(branch=branch, until__isnull=True).exists())


def unpaired_station(branch, index: int = 0) -> ServicePoint:
    stations = (
        ServicePoint.objects.filter(tier=ServicePoint.Tier.COMMUNITY_STATION)
        .exclude(pairings__branch=branch)
        .order_by("area__path")
    )
    return stations[index]


def log(
    actor,
    branch,
    points,
    *,
    days_ago: int = 1,
    status: str = HELD,
    people: int = 12,
    uploads=(),
    kind: str = "policy_outreach",
    activity_id=None,
) -> BranchActivity:
    held_on = timezone.localdate() - timedelta(days=days_ago)
    data = branch_services.ActivityInput(
        kind=kind,
        status=status,
        held_on=held_on,
        point_ids=tuple(p.pk for p in points),
        people_reached=people if status == HELD else 0,
        topics=("social_insurance",),
    )
    activity, _created = branch_services.activity_record(
        actor=actor, branch=branch, activity_id=activity_id or uuid.uuid4(), data=data, uploads=uploads
    )
    return activity


def backdate_activity(activity: BranchActivity, held_on: date) -> None:
    """The services refuse activities more than a year old; older history is crafted."""
    BranchActivity.objects.filter(pk=activity.pk).update(held_on=held_on)


def branch_errand(admin, *, name: str = "张大爷", days_ago: int = 0) -> Errand:
    """An errand climbed to 社会保障联合支部 (three escalations from the grid point)."""
    resident = factories.resident(actor=admin, name=name)
    errand = factories.errand(actor=admin, resident=resident, code=SOCIAL_SECURITY_CARD, ago=timedelta(days=days_ago))
    return factories.errand_walk(errand=errand, actor=admin, actions=["escalate"] * 3)


def api_activity(at, **overrides) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "kind": "business_guidance",
        "status": "held",
        "held_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "points": [p.pk for p in at],
        "people_reached": 15,
        "topics": ["social_insurance", "employment"],
        "topics_other": "灵活就业参保",
        "notes": "在代办站讲解社保卡申领",
    }
    body.update(overrides)
    return body


def branch_urls(branch) -> list[str]:
    return [
        reverse("branch-home", args=[branch.pk]),
        reverse("branch-points-geojson", args=[branch.pk]),
        reverse("branch-activities", args=[branch.pk]),
        reverse("branch-queue", args=[branch.pk]),
        reverse("branch-report", args=[branch.pk]),
        reverse("branch-report-xlsx", args=[branch.pk]),
        reverse("branch-pairings", args=[branch.pk]),
        f"/api/v1/branches/{branch.pk}/points",
        f"/api/v1/branches/{branch.pk}/activities",
    ]


# --- roles and the database --------------------------------------------------------------


def test_a_branch_member_scope_needs_a_branch_and_no_area(branch, demo_users):
    user = demo_users["worker"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Scope.objects.create(user=user, role=Role.BRANCH_MEMBER, area=factories.grid())
    with pytest.raises(IntegrityError), transaction.atomic():
        Scope.objects.create(user=user, role=Role.BRANCH_MEMBER)
    Scope.objects.create(user=user, role=Role.BRANCH_MEMBER, branch=branch)


def test_members_belong_to_the_branch_but_do_not_lead_it(branch, member, demo_users):
    assert reach_of(member).branch_ids == (branch.pk,) and reach_of(member).led_branch_ids == ()
    secretary = reach_of(demo_users["secretary"])
    assert secretary.branch_ids == (branch.pk,) and secretary.led_branch_ids == (branch.pk,)
    assert reach_of(demo_users["street"]).reads_all_branches and not reach_of(demo_users["street"]).branch_ids


# --- scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["secretary", "member"])
def test_secretary_and_member_get_404_on_another_branch(login, other_branch, branch, username):
    client = login(username)
    for url in branch_urls(other_branch):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("branch-activity-create", args=[other_branch.pk])).status_code == 404
    assert (
        client.post(
            f"/api/v1/branches/{other_branch.pk}/activities",
            api_activity(paired_points(other_branch, 1)),
            content_type="application/json",
        ).status_code
        == 404
    )
    # and their own branch opens
    for url in branch_urls(branch):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("username", ["secretary", "member"])
def test_another_branchs_activities_and_photos_are_404(login, branch, other_branch, other_secretary, username):
    activity = log(other_secretary, other_branch, paired_points(other_branch, 1), uploads=[factories.jpeg()])
    photo = activity.photos.get()
    client = login(username)
    assert client.get(reverse("branch-activity-detail", args=[other_branch.pk, activity.pk])).status_code == 404
    # nor through the user's own branch
    assert client.get(reverse("branch-activity-detail", args=[branch.pk, activity.pk])).status_code == 404
    assert client.get(reverse("branch-activity-photo", args=[photo.pk])).status_code == 404
    assert client.get(reverse("branch-activity-photo-thumb", args=[photo.pk])).status_code == 404
    assert (
        client.post(
            reverse("branch-activity-held", args=[other_branch.pk, activity.pk]),
            {"held_on": timezone.localdate().isoformat(), "people_reached": "3"},
        ).status_code
        == 404
    )


@pytest.mark.parametrize("username", ["worker", "station"])
def test_people_outside_the_branches_get_404(login, branch, username):
    client = login(username)
    assert client.get(reverse("branch-list")).status_code == 404
    for url in branch_urls(branch):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/branches").json() == []


@pytest.mark.parametrize("username", ["street", "admin"])
def test_street_officials_and_the_city_admin_read_every_branch(login, branch, other_branch, username):
    client = login(username)
    for the_branch in (branch, other_branch):
        for url in branch_urls(the_branch):
            assert client.get(url).status_code == 200, url
    html = client.get(reverse("branch-home", args=[branch.pk])).content.decode()
    assert reverse("branch-activity-create", args=[branch.pk]) not in html  # no "log" button
    assert reverse("branch-member-add", args=[branch.pk]) not in html
    pairings = client.get(reverse("branch-pairings", args=[branch.pk])).content.decode()
    assert "/end/" not in pairings and reverse("branch-pairing-add", args=[branch.pk]) not in pairings
    listing = client.get(reverse("branch-list"))
    assert len(listing.context["figures"]) == 13
    assert len(client.get("/api/v1/branches").json()) == 13


@pytest.mark.parametrize("username", ["street", "admin"])
def test_readers_get_404_on_every_write(login, branch, member, demo_users, username):
    activity = log(demo_users["secretary"], branch, paired_points(branch, 1), status=PLANNED, days_ago=-3)
    pairing = Pairing.objects.filter(branch=branch, until__isnull=True).first()
    errand = branch_errand(demo_users["admin"])
    client = login(username)
    writes = [
        (reverse("branch-member-add", args=[branch.pk]), {"username": "worker2"}),
        (reverse("branch-member-remove", args=[branch.pk, member.pk]), {}),
        (reverse("branch-pairing-add", args=[branch.pk]), {"point": unpaired_station(branch).pk}),
        (reverse("branch-pairing-end", args=[branch.pk, pairing.pk]), {}),
        (reverse("branch-pairing-liaison", args=[branch.pk, pairing.pk]), {"liaison": member.pk}),
        (reverse("branch-activity-create", args=[branch.pk]), {}),
        (reverse("branch-activity-held", args=[branch.pk, activity.pk]), {"people_reached": "5"}),
        (
            reverse("branch-queue-assign", args=[branch.pk, errand.pk]),
            {"assignee": member.pk, "version": errand.version},
        ),
    ]
    for url, data in writes:
        assert client.post(url, data).status_code == 404, url
    assert client.get(reverse("branch-activity-create", args=[branch.pk])).status_code == 404
    response = client.post(
        f"/api/v1/branches/{branch.pk}/activities",
        api_activity(paired_points(branch, 1)),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Scope.objects.filter(branch=branch, role=Role.BRANCH_MEMBER).count() == 1
    assert not Pairing.objects.filter(branch=branch, until__isnull=False).exists()
    assert BranchActivity.objects.count() == 1
    errand.refresh_from_db()
    assert errand.assignee_id is None


def test_branch_list_shows_a_secretary_their_own_branch(login, branch):
    response = login("secretary").get(reverse("branch-list"))
    assert [f.branch for f in response.context["figures"]] == [branch]
    data = login("member").get("/api/v1/branches").json()
    assert [(b["id"], b["you_work_here"], b["you_lead"]) for b in data] == [(branch.pk, True, False)]
    data = login("secretary").get("/api/v1/branches").json()
    assert data[0]["paired_points"] == 100 and data[0]["you_lead"] is True


def test_the_overview_home_leads_to_the_branch(login, branch):
    # a member of one branch and no area lands on it; its tab stays in the bar
    for username in ("secretary", "member"):
        response = login(username).get(reverse("home"))
        assert response.status_code == 302 and response.url == reverse("branch-home", args=[branch.pk])
    assert reverse("branch-list") in login("street").get(reverse("home")).content.decode()
    assert reverse("branch-list") not in login("station").get(reverse("home")).content.decode()


# --- members -------------------------------------------------------------------------------


def test_the_secretary_adds_and_removes_members(login, branch, demo_users, member):
    client = login("secretary")
    newcomer = User.objects.create_user("window7", full_name="楼建华")
    response = client.post(reverse("branch-member-add", args=[branch.pk]), {"username": "window7"})
    assert response.status_code == 302
    assert Scope.objects.filter(user=newcomer, role=Role.BRANCH_MEMBER, branch=branch).exists()
    assert BranchEvent.objects.filter(branch=branch, action="member_added", detail__username="window7").exists()
    # the new member sees the branch and its queue
    assert login("member").get(reverse("branch-queue", args=[branch.pk])).status_code == 200

    client = login("secretary")
    pairing = Pairing.objects.filter(branch=branch, until__isnull=True).first()
    branch_services.pairing_set_liaison(actor=demo_users["secretary"], pairing=pairing, liaison=member)
    response = client.post(reverse("branch-member-remove", args=[branch.pk, member.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert [s.user for s in response.context["people"]] == [demo_users["secretary"], newcomer]
    assert not Scope.objects.filter(user=member, branch=branch).exists()
    pairing.refresh_from_db()
    assert pairing.liaison is None and pairing.liaison_name == ""  # the pairing waits for a new liaison
    assert login("member").get(reverse("branch-home", args=[branch.pk])).status_code == 404


def test_adding_a_member_explains_what_is_wrong(login, branch, member):
    client = login("secretary")
    url = reverse("branch-member-add", args=[branch.pk])
    response = client.post(url, {"username": "nobody-here"}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and response.context["member_form"].errors["username"]
    response = client.post(url, {"username": "member1"}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and response.context["member_form"].errors["username"]
    response = client.post(url, {"username": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert Scope.objects.filter(branch=branch, role=Role.BRANCH_MEMBER).count() == 1


def test_members_do_not_manage_members_or_pairings(login, branch, member):
    client = login("member")
    pairing = Pairing.objects.filter(branch=branch, until__isnull=True).first()
    assert client.post(reverse("branch-member-add", args=[branch.pk]), {"username": "worker"}).status_code == 404
    assert client.post(reverse("branch-pairing-end", args=[branch.pk, pairing.pk])).status_code == 404
    assert (
        client.post(reverse("branch-pairing-add", args=[branch.pk]), {"point": unpaired_station(branch).pk}).status_code
        == 404
    )
    with pytest.raises(ValidationError):
        branch_services.branch_member_add(actor=member, branch=branch, username="worker")


# --- pairings ------------------------------------------------------------------------------


def test_the_secretary_pairs_ends_and_sees_the_history(login, branch, member):
    client = login("secretary")
    station = unpaired_station(branch)
    response = client.get(
        reverse("branch-pairings", args=[branch.pk]),
        {"find": station.area.name},
        headers={"HX-Request": "true", "HX-Target": "candidates"},
    )
    assert station in response.context["candidates"]
    today = timezone.localdate()
    response = client.post(
        reverse("branch-pairing-add", args=[branch.pk]),
        {"point": station.pk, "since": (today - timedelta(days=3)).isoformat(), "liaison": member.pk},
    )
    assert response.status_code == 302
    pairing = Pairing.objects.get(branch=branch, point=station, until__isnull=True)
    assert (pairing.since, pairing.liaison, pairing.liaison_name) == (today - timedelta(days=3), member, "吴洁")

    client.post(reverse("branch-pairing-add", args=[branch.pk]), {"point": station.pk})  # again: refused, said why
    assert Pairing.objects.filter(branch=branch, point=station).count() == 1
    response = client.get(reverse("branch-pairings", args=[branch.pk]))
    assert any("already paired" in str(m) or station.name in str(m) for m in response.context["messages"])

    response = client.post(reverse("branch-pairing-end", args=[branch.pk, pairing.pk]), {"until": today.isoformat()})
    assert response.status_code == 302
    pairing.refresh_from_db()
    assert pairing.until == today
    response = client.get(reverse("branch-pairings", args=[branch.pk]))
    assert pairing in list(response.context["history"])
    assert station not in [row.point for row in response.context["page"].object_list]
    with pytest.raises(ValidationError) as ended_twice:
        branch_services.pairing_end(actor=User.objects.get(username="secretary"), pairing=pairing)
    assert list(ended_twice.value.message_dict) == ["until"]
    # paired again later: a new row, the old one stays in the history
    branch_services.pairing_add(actor=User.objects.get(username="secretary"), branch=branch, point=station)
    assert Pairing.objects.filter(branch=branch, point=station).count() == 2


def test_pairings_are_checked(branch, member, demo_users):
    secretary = demo_users["secretary"]
    today = timezone.localdate()
    grid_point = ServicePoint.objects.filter(tier=ServicePoint.Tier.GRID_POINT).first()
    with pytest.raises(ValidationError) as error:
        branch_services.pairing_add(actor=secretary, branch=branch, point=grid_point)
    assert "point" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        branch_services.pairing_add(
            actor=secretary, branch=branch, point=unpaired_station(branch), since=today + timedelta(days=1)
        )
    assert "since" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        branch_services.pairing_add(
            actor=secretary, branch=branch, point=unpaired_station(branch), liaison=demo_users["worker"]
        )
    assert "liaison" in error.value.message_dict
    pairing = Pairing.objects.filter(branch=branch, until__isnull=True).first()
    with pytest.raises(ValidationError) as error:
        branch_services.pairing_end(actor=secretary, pairing=pairing, until=pairing.since - timedelta(days=1))
    assert "until" in error.value.message_dict
    with pytest.raises(ValidationError):
        branch_services.pairing_set_liaison(actor=secretary, pairing=pairing, liaison=demo_users["street"])
    branch_services.pairing_set_liaison(actor=secretary, pairing=pairing, liaison=member)
    pairing.refresh_from_db()
    assert pairing.liaison == member


# --- the neglected flag -----------------------------------------------------------------------


def test_is_neglected_at_the_edges():
    today = date(2026, 11, 27)
    long_ago = date(2024, 1, 1)
    assert selectors_neglected(None, long_ago, today)
    assert selectors_neglected(today - timedelta(days=91), long_ago, today)
    assert not selectors_neglected(today - timedelta(days=90), long_ago, today)
    assert not selectors_neglected(today, long_ago, today)
    # a pairing younger than the period is not flagged yet, then is
    assert not selectors_neglected(None, today - timedelta(days=89), today)
    assert selectors_neglected(None, today - timedelta(days=90), today)


def selectors_neglected(last, since, today, days=90):
    return branch_selectors.is_neglected(last_activity_on=last, paired_since=since, today=today, days=days)


def test_the_neglected_flag_on_crafted_data(login, branch, other_branch, other_secretary, demo_users, settings):
    settings.DAIBAN_BRANCH_NEGLECT_DAYS = 90
    secretary = demo_users["secretary"]
    recent, boundary, stale, planned_only, elsewhere, *rest = paired_points(branch)
    log(secretary, branch, [recent], days_ago=10)
    log(secretary, branch, [boundary], days_ago=90)
    log(secretary, branch, [stale], days_ago=91)
    log(secretary, branch, [planned_only], status=PLANNED, days_ago=-5)
    # another branch's activity at the same point does not count for this branch
    if not Pairing.objects.filter(branch=other_branch, point=elsewhere, until__isnull=True).exists():
        Pairing.objects.create(branch=other_branch, point=elsewhere, since=date(2024, 1, 1))
    log(other_secretary, other_branch, [elsewhere], days_ago=1)
    fresh = unpaired_station(branch)
    branch_services.pairing_add(
        actor=secretary, branch=branch, point=fresh, since=timezone.localdate() - timedelta(days=20)
    )

    data = login("secretary").get(f"/api/v1/branches/{branch.pk}/points", {"limit": 200}).json()
    flags = {row["id"]: row["neglected"] for row in data["items"]}
    last = {row["id"]: row["last_activity_on"] for row in data["items"]}
    assert flags[recent.pk] is False and flags[boundary.pk] is False
    assert flags[stale.pk] is True and flags[planned_only.pk] is True and flags[elsewhere.pk] is True
    assert flags[fresh.pk] is False  # paired 20 days ago: given the time
    assert last[recent.pk] == (timezone.localdate() - timedelta(days=10)).isoformat() and last[planned_only.pk] is None
    assert all(flags[p.pk] for p in rest)  # nothing ever happened there
    assert data["count"] == 101
    neglected = (
        login("secretary").get(f"/api/v1/branches/{branch.pk}/points", {"neglected": "true", "limit": 200}).json()
    )
    assert {row["id"] for row in neglected["items"]} == {pk for pk, flag in flags.items() if flag}

    # the home, the map data and the setting agree
    response = login("secretary").get(reverse("branch-home", args=[branch.pk]), {"show": "neglected"})
    assert response.context["neglected_count"] == sum(flags.values())
    geojson = login("secretary").get(reverse("branch-points-geojson", args=[branch.pk])).json()
    assert {f["properties"]["id"]: f["properties"]["neglected"] for f in geojson["features"]} == flags
    settings.DAIBAN_BRANCH_NEGLECT_DAYS = 10
    data = login("secretary").get(f"/api/v1/branches/{branch.pk}/points", {"limit": 200}).json()
    assert {row["id"]: row["neglected"] for row in data["items"]}[boundary.pk] is True


# --- activities -------------------------------------------------------------------------------


def test_secretary_logs_an_activity_with_a_photo_in_the_web_form(login, branch):
    client = login("secretary")
    first, second = paired_points(branch, 2)
    url = reverse("branch-activity-create", args=[branch.pk])
    page = client.get(url, {"point": first.pk})
    assert page.status_code == 200 and page.context["form"]["points"].value() == [first.pk]
    activity_id = uuid.uuid4()
    data = {
        "id": str(activity_id),
        "kind": "policy_outreach",
        "status": "held",
        "held_on": timezone.localdate().isoformat(),
        "points": [first.pk, second.pk],
        "people_reached": "30",
        "topics": ["social_insurance", "elderly_care"],
        "topics_other": "",
        "notes": "宣讲社保新政",
        "photos": [factories.jpeg()],
    }
    response = client.post(url, data)
    activity = BranchActivity.objects.get(pk=activity_id)
    assert response.status_code == 302
    assert response.url == reverse("branch-activity-detail", args=[branch.pk, activity_id])
    assert set(activity.points.all()) == {first, second} and activity.people_reached == 30
    assert activity.topics == ["elderly_care", "social_insurance"] and activity.photos.count() == 1
    # the same form sent twice is one activity
    data["photos"] = [factories.jpeg()]
    assert client.post(url, data).status_code == 302
    assert BranchActivity.objects.count() == 1 and BranchActivityPhoto.objects.count() == 1
    # the same id with other content is the clear conflict the API gives, not the stored
    # activity in silence (the page used to keep its own replay rule: same author, any content)
    refused = client.post(url, {**data, "people_reached": "31", "photos": []})
    assert refused.status_code == 200
    assert refused.context["form"].non_field_errors() == ["该编号下已保存了另一条不同的活动记录。"]
    activity.refresh_from_db()
    assert activity.people_reached == 30 and BranchActivity.objects.count() == 1
    photo = activity.photos.get()
    detail = client.get(response.url)
    assert reverse("branch-activity-photo-thumb", args=[photo.pk]) in detail.content.decode()
    shown = client.get(reverse("branch-activity-photo", args=[photo.pk]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert login("street").get(reverse("branch-activity-photo", args=[photo.pk])).status_code == 200
    assert login("worker").get(reverse("branch-activity-photo", args=[photo.pk])).status_code == 404


def test_the_activity_form_shows_every_error_at_once(login, branch):
    client = login("member")
    outside = not_paired_with(branch, JointBranch.objects.get(number=2))
    url = reverse("branch-activity-create", args=[branch.pk])
    response = client.post(
        url,
        {
            "id": str(uuid.uuid4()),
            "kind": "policy_outreach",
            "status": "held",
            "held_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "points": [outside.pk],
            "people_reached": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "points" in errors  # not one of the branch's paired points: not even a choice
    response = client.post(
        url,
        {
            "id": str(uuid.uuid4()),
            "kind": "policy_outreach",
            "status": "held",
            "held_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "points": [paired_points(branch, 1)[0].pk],
            "people_reached": "0",
        },
    )
    errors = response.context["form"].errors
    assert {"held_on", "people_reached", "topics"} <= set(errors)
    assert not BranchActivity.objects.exists()


def test_a_planned_activity_is_recorded_as_held(login, branch, member):
    points = paired_points(branch, 2)
    activity = log(member, branch, points, status=PLANNED, days_ago=-2)
    assert activity.people_reached == 0
    client = login("member")
    detail = client.get(reverse("branch-activity-detail", args=[branch.pk, activity.pk]))
    assert detail.context["held_form"] is not None
    url = reverse("branch-activity-held", args=[branch.pk, activity.pk])
    response = client.post(url, {"held_on": timezone.localdate().isoformat(), "people_reached": "0"})
    assert response.status_code == 422 and "people_reached" in response.context["held_form"].errors
    response = client.post(
        url,
        {
            "held_on": timezone.localdate().isoformat(),
            "people_reached": "41",
            "notes": "如期举行",
            "photos": [factories.jpeg()],
        },
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.status, activity.people_reached, activity.held_on) == (HELD, 41, timezone.localdate())
    assert activity.photos.count() == 1
    with pytest.raises(ValidationError):  # already recorded as held
        branch_services.activity_record_held(
            actor=member, activity=activity, held_on=timezone.localdate(), people_reached=3
        )
    activity.refresh_from_db()
    assert activity.people_reached == 41


def test_activities_page_has_the_month_calendar_and_whats_coming(login, branch, member):
    points = paired_points(branch, 3)
    today = timezone.localdate()
    held = log(member, branch, points[:1], days_ago=0)
    planned = log(member, branch, points[1:2], status=PLANNED, days_ago=-40)
    response = login("secretary").get(reverse("branch-activities", args=[branch.pk]))
    assert held in response.context["activities"] and planned in response.context["upcoming"]
    cells = [cell for week in response.context["weeks"] for cell in week if cell]
    assert len(cells) == branch_selectors.month_bounds(today)[1].day
    assert next(c for c in cells if c["day"] == today)["held"] == 1
    later = login("secretary").get(reverse("branch-activities", args=[branch.pk]), {"month": "1999-01"})
    assert later.status_code == 200 and later.context["month_error"]


# --- the API ------------------------------------------------------------------------------------


def test_api_logs_an_activity_once(login, branch):
    client = login("member")
    url = f"/api/v1/branches/{branch.pk}/activities"
    body = api_activity(paired_points(branch, 2))
    first = client.post(url, body, content_type="application/json")
    assert first.status_code == 201, first.json()
    stored = first.json()
    assert stored["people_reached"] == 15 and len(stored["points"]) == 2 and stored["branch"] == branch.pk
    again = client.post(url, body, content_type="application/json")
    assert again.status_code == 200 and again.json() == stored
    changed = client.post(url, {**body, "people_reached": 16}, content_type="application/json")
    assert changed.status_code == 409 and changed.json()["activity"]["id"] == body["id"]
    assert BranchActivity.objects.count() == 1
    listed = client.get(url).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]


def test_api_refuses_bad_activities_with_field_errors(login, branch, other_branch):
    client = login("secretary")
    url = f"/api/v1/branches/{branch.pk}/activities"
    cases = [
        ({"points": [not_paired_with(branch, other_branch).pk]}, "points"),
        ({"points": []}, "points"),
        ({"held_on": (timezone.localdate() + timedelta(days=1)).isoformat()}, "held_on"),
        ({"status": "planned"}, "people_reached"),  # a planned activity has reached nobody yet
        ({"kind": "party"}, "kind"),
        ({"topics": ["gossip"]}, "topics"),
        ({"people_reached": 0}, "people_reached"),
    ]
    for overrides, field in cases:
        response = client.post(
            url, api_activity(paired_points(branch, 1), **overrides), content_type="application/json"
        )
        assert response.status_code == 422, overrides
        assert field in {e["field"].split(".")[0] for e in response.json()["errors"]}, (overrides, response.json())
    assert not BranchActivity.objects.exists()


def test_api_takes_photos_as_multipart(login, branch):
    client = login("secretary")
    body = api_activity(paired_points(branch, 1))
    response = client.post(
        f"/api/v1/branches/{branch.pk}/activities",
        {**body, "photos": [factories.jpeg(name="a.jpg"), factories.jpeg(name="b.jpg", color=(1, 2, 3))]},
    )
    assert response.status_code == 201, response.json()
    assert len(response.json()["photos"]) == 2
    assert client.get(response.json()["photos"][0]["thumbnail_url"]).status_code == 200
    bad = client.post(
        f"/api/v1/branches/{branch.pk}/activities",
        {
            **api_activity(paired_points(branch, 1)),
            "photos": [factories.jpeg(name="x.jpg")],
            "status": "planned",
            "people_reached": 0,
            "held_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        },
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "photos"


# --- the queue ------------------------------------------------------------------------------------


def test_the_queue_assigns_to_a_member_and_answers_back_down(login, branch, member, demo_users):
    admin = demo_users["admin"]
    kept = branch_errand(admin, name="张大爷")
    sent_down = branch_errand(admin, name="李奶奶")
    register = complaint_services.complaint_register(
        actor=demo_users["street"],
        point=ServicePoint.objects.get(name="稠城街道代办中心"),
        name="陈阿姨",
        phone="13900001111",
        service=None,
        department=Department.objects.get(name="人力资源和社会保障局"),
        what_happened="社保卡跑了两次",
        trips=2,
        handled_on_spot=False,
    )
    client = login("member")
    page = client.get(reverse("branch-queue", args=[branch.pk]))
    assert {row["errand"] for row in page.context["rows"]} == {kept, sent_down}
    assert page.context["complaints"] == [register]
    row = next(r for r in page.context["rows"] if r["errand"] == kept)
    assert member in [s.user for s in row["in_branch"]] and demo_users["worker"] in [s.user for s in row["down"]]

    response = client.post(
        reverse("branch-queue-assign", args=[branch.pk, kept.pk]), {"assignee": member.pk, "version": kept.version}
    )
    assert response.status_code == 302
    kept.refresh_from_db()
    assert (kept.holder_branch, kept.assignee) == (branch, member)  # stays with the branch
    response = client.post(
        reverse("branch-queue-assign", args=[branch.pk, sent_down.pk]),
        {"assignee": demo_users["worker"].pk, "version": sent_down.version},
    )
    sent_down.refresh_from_db()
    assert sent_down.holder_branch is None and sent_down.holder_point.tier == "grid_point"
    assert sent_down.assignee == demo_users["worker"]
    # a stale version is refused with a message, nothing changes
    client.post(reverse("branch-queue-assign", args=[branch.pk, kept.pk]), {"assignee": member.pk, "version": 1})
    messages = [str(m) for m in client.get(reverse("branch-queue", args=[branch.pk])).context["messages"]]
    assert any(kept.number in m for m in messages)
    # the errand answered down has left the queue; the member can no longer act on it there
    assert (
        client.post(
            reverse("branch-queue-assign", args=[branch.pk, sent_down.pk]),
            {"assignee": member.pk, "version": sent_down.version},
        ).status_code
        == 404
    )
    # the member answers the complaint through the complaints window
    assert client.get(reverse("complaint-detail", args=[register.pk])).status_code == 200


def test_the_queue_refuses_a_note_too_long_instead_of_cutting_it(login, branch, member, demo_users):
    kept = branch_errand(demo_users["admin"])
    limit = errand_services.NOTE_MAX_LENGTH
    client = login("member")
    assert f'maxlength="{limit}"' in client.get(reverse("branch-queue", args=[branch.pk])).content.decode()
    response = client.post(
        reverse("branch-queue-assign", args=[branch.pk, kept.pk]),
        {"assignee": member.pk, "version": kept.version, "note": "注" * (limit + 1)},
        follow=True,
    )
    message = f"备注最多 {limit} 个字（当前 {limit + 1} 个）。"  # the branch pages speak Chinese
    assert any(message in str(m) for m in response.context["messages"])
    before = kept.version
    kept.refresh_from_db()
    assert (kept.version, kept.assignee) == (before, None)


# --- the monthly report -------------------------------------------------------------------------


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _timeline(
    errand: Errand,
    *,
    arrived: datetime,
    completed: datetime | None = None,
    cancelled: datetime | None = None,
    due_on: date,
) -> None:
    """Move an errand's crafted timeline into the past: created and escalated in the
    hours before it reached the branch at ``arrived``, then handled, then completed or
    cancelled."""
    events = list(ErrandEvent.objects.filter(errand=errand).order_by("at", "pk"))
    arrival = max(i for i, e in enumerate(events) if e.action == "escalate")
    for i, event in enumerate(events):
        if event.action == "complete":
            at = completed
        elif event.action == "cancel":
            at = cancelled
        else:
            at = arrived + timedelta(hours=i - arrival)
        ErrandEvent.objects.filter(pk=event.pk).update(at=at)
    Errand.objects.filter(pk=errand.pk).update(due_on=due_on, completed_at=completed)


def _complete(errand: Errand, actor) -> Errand:
    return factories.errand_walk(errand=errand, actor=actor, actions=["accept", "start", "complete"])


@pytest.fixture
def crafted_month(branch, other_branch, demo_users, other_secretary):
    """Last month of a branch, crafted: what the report must count, and what it must not."""
    today = timezone.localdate()
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # the first of last month
    end = today.replace(day=1) - timedelta(days=1)
    before = start - timedelta(days=5)
    secretary, admin = demo_users["secretary"], demo_users["admin"]
    p1, p2, p3, p4 = paired_points(branch, 4)

    for points, people, day in (([p1, p2], 10, start + timedelta(days=2)), ([p2, p3], 20, start + timedelta(days=9))):
        backdate_activity(log(secretary, branch, points, people=people), day)
    backdate_activity(log(secretary, branch, [p4], people=99), before)  # the month before
    planned = log(secretary, branch, [p4], status=PLANNED, days_ago=-1)
    BranchActivity.objects.filter(pk=planned.pk).update(held_on=start + timedelta(days=3))  # planned: never counts
    elsewhere = log(other_secretary, other_branch, paired_points(other_branch, 1), people=7)
    backdate_activity(elsewhere, start + timedelta(days=4))

    # pairings: one ended before the month (not paired in it), one ended during it (paired in it)
    ended_before = Pairing.objects.filter(branch=branch, until__isnull=True).order_by("-pk")[0]
    Pairing.objects.filter(pk=ended_before.pk).update(until=before, since=min(ended_before.since, before))
    ended_during = Pairing.objects.filter(branch=branch, until__isnull=True).order_by("-pk")[0]
    Pairing.objects.filter(pk=ended_during.pk).update(until=start + timedelta(days=10))

    # errands
    resolved_in_month = branch_errand(admin, name="甲")
    _complete(resolved_in_month, secretary)
    _timeline(
        resolved_in_month,
        arrived=_at(start + timedelta(days=2)),
        completed=_at(start + timedelta(days=4)),
        due_on=start + timedelta(days=9),
    )
    arrived_before = branch_errand(admin, name="乙")
    _complete(arrived_before, secretary)
    _timeline(
        arrived_before, arrived=_at(before), completed=_at(start + timedelta(days=5)), due_on=start + timedelta(days=1)
    )
    still_open = branch_errand(admin, name="丙")
    _timeline(still_open, arrived=_at(start + timedelta(days=7)), due_on=start + timedelta(days=12))
    cancelled = branch_errand(admin, name="丁")
    errand_services.errand_transition(
        actor=secretary, errand=cancelled, action="cancel", reason="重复", expected_version=cancelled.version
    )
    _timeline(
        cancelled,
        arrived=_at(start + timedelta(days=8)),
        cancelled=_at(start + timedelta(days=11)),
        due_on=start + timedelta(days=9),
    )
    late = branch_errand(admin, name="戊")
    _complete(late, secretary)
    _timeline(
        late,
        arrived=_at(start + timedelta(days=6)),
        completed=_at(end + timedelta(days=1)),
        due_on=start + timedelta(days=8),
    )
    after = branch_errand(admin, name="己")  # reached the branch after the month
    _timeline(after, arrived=_at(end + timedelta(days=1)), due_on=end)

    # complaints
    centre = ServicePoint.objects.get(name="稠城街道代办中心")
    department = Department.objects.get(name="人力资源和社会保障局")

    def complaint(resolved: datetime | None, deadline: date, registered: datetime) -> Complaint:
        item = complaint_services.complaint_register(
            actor=demo_users["street"],
            point=centre,
            name="陈阿姨",
            phone="13900001111",
            service=None,
            department=department,
            what_happened="跑了两次",
            trips=2,
            handled_on_spot=False,
        )
        if resolved:
            item = complaint_services.complaint_resolve(
                actor=secretary, complaint=item, resolution="已协调办结", expected_version=item.version
            )
        Complaint.objects.filter(pk=item.pk).update(resolved_at=resolved, deadline=deadline, registered_at=registered)
        return item

    complaint(_at(start + timedelta(days=5)), start + timedelta(days=6), _at(start + timedelta(days=1)))  # in time
    # answered at 23:00 on the deadline's day: in time
    complaint(_at(start + timedelta(days=9), hour=23), start + timedelta(days=9), _at(start + timedelta(days=2)))
    # 06:00 in Yiwu is still the day before in UTC: a day late all the same
    complaint(_at(start + timedelta(days=11), hour=6), start + timedelta(days=10), _at(start + timedelta(days=3)))
    complaint(_at(before), before, _at(before - timedelta(days=3)))  # answered the month before
    complaint(None, start + timedelta(days=20), _at(start + timedelta(days=14)))  # still open

    return {
        "month": start,
        "activities_held": 2,
        "people_reached": 30,
        "points_reached": 3,
        "points_paired": 99,
        "errands_received": 4,
        "errands_resolved": 2,
        "errands_overdue": 2,
        "median_resolution_days": round(((2) + (start + timedelta(days=5) - before).days) / 2, 1),
        "complaints_received": 4,
        "complaints_resolved": 3,
        "complaints_resolved_in_time": 2,
    }


FIGURES = [
    "activities_held",
    "people_reached",
    "points_reached",
    "points_paired",
    "errands_received",
    "errands_resolved",
    "errands_overdue",
    "median_resolution_days",
    "complaints_received",
    "complaints_resolved",
    "complaints_resolved_in_time",
]
XLSX_HEADERS = {
    "activities_held": "开展活动(次)",
    "people_reached": "覆盖人数",
    "points_reached": "走访代办点(个)",
    "points_paired": "结对代办点(个)",
    "errands_received": "收到代办(件)",
    "errands_resolved": "办结代办(件)",
    "errands_overdue": "逾期代办(件)",
    "median_resolution_days": "办结用时中位数(天)",
    "complaints_received": "收到投诉(件)",
    "complaints_resolved": "办结投诉(件)",
    "complaints_resolved_in_time": "按时办结投诉(件)",
}


def xlsx_rows(content: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    table = split_rows(list(sheet.iter_rows(values_only=True)))
    return [dict(zip(table.header, row)) for row in table.rows]


def same(shown: str, stored) -> bool:
    """A figure on screen and in the spreadsheet: the same number (6.0 may read back as 6)."""
    if stored is None:
        return shown == "—"
    return float(shown) == float(stored)


def screen_figures(html: str, branch_id: int | None = None) -> dict:
    if branch_id is not None:
        html = re.search(rf'<tr data-branch="{branch_id}">(.*?)</tr>', html, re.S).group(1)
    found = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))
    return {key: value.strip() for key, value in found.items()}


def test_the_monthly_report_counts_the_crafted_month(login, branch, crafted_month):
    month = crafted_month["month"]
    client = login("secretary")
    response = client.get(reverse("branch-report", args=[branch.pk]), {"month": f"{month:%Y-%m}"})
    figures = response.context["figures"]
    assert {name: getattr(figures, name) for name in FIGURES} == {name: crafted_month[name] for name in FIGURES}
    assert figures.complaints_in_time_percent == 67 and figures.points_reached_percent == 3

    shown = screen_figures(response.content.decode())
    xlsx = client.get(reverse("branch-report-xlsx", args=[branch.pk]), {"month": f"{month:%Y-%m}"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    (row,) = xlsx_rows(xlsx.content)
    for name in FIGURES:
        assert same(shown[name], row[XLSX_HEADERS[name]]), name
        assert row[XLSX_HEADERS[name]] == crafted_month[name], name
    assert row["支部"] == branch.name and row["月份"] == f"{month:%Y-%m}"
    activities = load_workbook(io.BytesIO(xlsx.content))["活动"]
    assert activities.max_row == 1 + 2 and activities.freeze_panes == "A2"


def test_the_city_view_shows_the_same_figures_side_by_side(login, branch, other_branch, crafted_month):
    month = crafted_month["month"]
    client = login("admin")
    response = client.get(reverse("branch-list"), {"month": f"{month:%Y-%m}"})
    by_branch = {f.branch.pk: f for f in response.context["figures"]}
    assert {name: getattr(by_branch[branch.pk], name) for name in FIGURES} == {n: crafted_month[n] for n in FIGURES}
    assert by_branch[other_branch.pk].activities_held == 1 and by_branch[other_branch.pk].errands_received == 0
    html = response.content.decode()
    rows = xlsx_rows(client.get(reverse("branch-list-xlsx"), {"month": f"{month:%Y-%m}"}).content)
    assert len(rows) == 13
    for the_branch in (branch, other_branch):
        shown = screen_figures(html, the_branch.pk)
        row = next(r for r in rows if r["支部"] == the_branch.name)
        for name in FIGURES:
            assert same(shown[name], row[XLSX_HEADERS[name]]), (the_branch, name)


def test_the_running_months_overdue_is_the_one_definition(login, branch, demo_users):
    """For this month the report's overdue errands are those due.errand_overdue_q counts now."""
    from outreach.common.due import errand_overdue_q

    overdue = branch_errand(demo_users["admin"], days_ago=20)  # promised 7 days
    branch_errand(demo_users["admin"], name="王阿姨")  # not yet due
    figures = login("secretary").get(reverse("branch-report", args=[branch.pk])).context["figures"]
    assert figures.errands_received == 2 and figures.errands_overdue == 1
    assert Errand.objects.filter(errand_overdue_q(timezone.localdate()), holder_branch=branch).get() == overdue


def test_a_month_that_is_not_a_month_says_so(login, branch):
    client = login("secretary")
    for value in ("2026-13", "last month", "2999-01"):
        response = client.get(reverse("branch-report", args=[branch.pk]), {"month": value})
        assert response.status_code == 200 and response.context["month_error"]
        assert response.context["figures"].month == timezone.localdate().replace(day=1)


# --- fixed query counts ---------------------------------------------------------------------------


def grow(branch, demo_users, n: int) -> None:
    """More pairings, activities (with points and photos), errands and complaints."""
    secretary = demo_users["secretary"]
    points = paired_points(branch)  # paired long ago: activities in the past days fit
    for _ in range(n):
        branch_services.pairing_add(actor=secretary, branch=branch, point=unpaired_station(branch))
    for i in range(n):
        log(
            secretary, branch, points[i : i + 3], days_ago=i, uploads=[factories.jpeg(color=(i, 9, 9))] if i < 2 else ()
        )
        log(secretary, branch, points[i + 3 : i + 4], status=PLANNED, days_ago=-i - 1)
    for i in range(2):
        branch_errand(demo_users["admin"], name=f"新{i}", days_ago=i * 10)


@pytest.mark.parametrize(
    "name, queries",
    [
        # session, user, scopes, branch; points (pairings with open errands, last activities);
        # windows; people; queue counts (errands, complaints)
        ("branch-home", 10),
        # session, user, scopes, branch; pairings with open errands, last activities
        ("branch-points-geojson", 6),
        # session, user, scopes, branch; activities held, points reached, paired, errand
        # arrivals, errands, complaints
        ("branch-report", 10),
        # session, user, scopes, branch; the month's activities + their points + photos;
        # upcoming (+ points, photos); planned and passed (+ points, photos)
        ("branch-activities", 13),
        # session, user, scopes, branch; the page's errands (count + rows) and who they may go
        # to; complaints; queue counts (errands, complaints)
        ("branch-queue", 10),
        # session, user, scopes, branch; paired points (2); ended pairings; people
        ("branch-pairings", 8),
    ],
)
def test_branch_pages_query_count_does_not_grow(login, branch, demo_users, django_assert_num_queries, name, queries):
    client = login("secretary")
    url = reverse(name, args=[branch.pk])
    branch_errand(demo_users["admin"])
    # one of each (an empty prefetch costs no query): held with a photo, planned, planned and passed
    log(demo_users["secretary"], branch, paired_points(branch, 2), days_ago=0, uploads=[factories.jpeg()])
    log(demo_users["secretary"], branch, paired_points(branch, 1), status=PLANNED, days_ago=-2)
    passed = log(demo_users["secretary"], branch, paired_points(branch, 1), status=PLANNED, days_ago=-2)
    backdate_activity(passed, timezone.localdate() - timedelta(days=3))
    client.get(url)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    grow(branch, demo_users, 6)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "name, params, target, queries",
    [
        # session, user, scopes, branch; pairings with open errands, last activities
        ("branch-home", {"show": "neglected", "page": "2"}, "point-list", 6),
        # session, user, scopes, branch; liaison choices; pairings with open errands, last activities
        ("branch-pairings", {"q": "社区", "page": "2"}, "pairing-list", 7),
        # session, user, scopes, branch; liaison choices; points to pair with
        ("branch-pairings", {"find": "村"}, "candidates", 6),
    ],
)
def test_htmx_partials_query_count_does_not_grow(
    login, branch, demo_users, django_assert_num_queries, name, params, target, queries
):
    client = login("secretary")
    url = reverse(name, args=[branch.pk])
    headers = {"HX-Request": "true", "HX-Target": target}
    log(demo_users["secretary"], branch, paired_points(branch, 2))
    client.get(url, params, headers=headers)
    with django_assert_num_queries(queries):
        assert client.get(url, params, headers=headers).status_code == 200
    grow(branch, demo_users, 6)
    with django_assert_num_queries(queries):
        response = client.get(url, params, headers=headers)
    assert response.status_code == 200 and "<html" not in response.content.decode()


@pytest.mark.parametrize(
    "url, queries",
    [
        # session, user, scopes, branch; pairings with open errands, last activities
        ("/api/v1/branches/{pk}/points", 6),
        # session, user, scopes, branch; count, activities, their points, their photos
        ("/api/v1/branches/{pk}/activities", 8),
        # session, user, scopes, branches with their paired counts
        ("/api/v1/branches", 4),
    ],
)
def test_branch_api_query_count_does_not_grow(login, branch, demo_users, django_assert_num_queries, url, queries):
    client = login("secretary")
    url = url.format(pk=branch.pk)
    log(demo_users["secretary"], branch, paired_points(branch, 2), uploads=[factories.jpeg()])
    client.get(url)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    grow(branch, demo_users, 6)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_city_view_query_count_does_not_grow(login, branch, demo_users, django_assert_num_queries):
    client = login("admin")
    client.get(reverse("branch-list"))
    # session, user, scopes, branches; activities held, points reached, paired, errand
    # arrivals, errands, complaints
    with django_assert_num_queries(10):
        assert client.get(reverse("branch-list")).status_code == 200
    grow(branch, demo_users, 4)
    with django_assert_num_queries(10):
        assert client.get(reverse("branch-list")).status_code == 200


# --- the demo ---------------------------------------------------------------------------------------


def test_the_demo_branch_has_members_points_a_year_of_activities_and_a_queue(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    branch = JointBranch.objects.get(secretary__username="secretary")
    assert Scope.objects.filter(branch=branch, role=Role.BRANCH_MEMBER).count() >= 2
    rows = branch_selectors.branch_points(branch=branch, today=timezone.localdate())
    assert len(rows) == 100 and 5 <= sum(r.neglected for r in rows) <= 40
    assert Pairing.objects.filter(branch=branch, until__isnull=False).exists()
    held = BranchActivity.objects.filter(branch=branch, status=HELD)
    oldest = held.order_by("held_on").first().held_on
    assert (timezone.localdate() - oldest).days >= 300 and held.count() >= 100
    assert BranchActivity.objects.filter(branch=branch, status=PLANNED, held_on__gte=timezone.localdate()).exists()
    assert BranchActivityPoint.objects.filter(activity__branch=branch).count() > held.count()
    assert Errand.objects.filter(holder_branch=branch).exists()
    assert Complaint.objects.filter(branch=branch, state="open").exists()
    assert Complaint.objects.filter(branch=branch, state="closed").exists()
    today = timezone.localdate()
    figures = branch_selectors.branch_figures(branches=[branch], month=today, today=today)[0]
    assert figures.activities_held and figures.errands_received


def test_the_report_writes_peoples_formulas_as_text(login, branch, demo_users):
    """Issue 13 §1: a topic typed by a member, a point's name and a person's name that a
    spreadsheet would run come back as text in the branch's report and the city's list."""
    evil_topic, evil_point, evil_person = '=HYPERLINK("http://e.vil","点击")', "@SUM(1+1)", "-2+3"
    point = paired_points(branch, 1)[0]
    ServicePoint.objects.filter(pk=point.pk).update(name=evil_point)
    User.objects.filter(username="secretary").update(full_name=evil_person)
    secretary = User.objects.get(username="secretary")
    data = branch_services.ActivityInput(
        kind="policy_outreach",
        status=HELD,
        held_on=timezone.localdate(),
        point_ids=(point.pk,),
        people_reached=3,
        topics_other=evil_topic,
    )
    branch_services.activity_record(actor=secretary, branch=branch, activity_id=uuid.uuid4(), data=data, uploads=())
    client = login("secretary")
    month = f"{timezone.localdate():%Y-%m}"
    book = load_workbook(
        io.BytesIO(client.get(reverse("branch-report-xlsx", args=[branch.pk]), {"month": month}).content)
    )
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    (activity,) = list(book["活动"].iter_rows(min_row=2, values_only=True))
    assert activity[2] == evil_point and evil_topic in activity[4] and activity[5] == evil_person
    city = load_workbook(io.BytesIO(login("admin").get(reverse("branch-list-xlsx"), {"month": month}).content))
    assert [c for s in city.worksheets for r in s.iter_rows() for c in r if c.data_type == "f"] == []
