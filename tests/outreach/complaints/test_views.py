"""The "跑一次没办成" complaints window through the front door: registering (on the spot
or to the department's joint branch), the branch's answer, conflicts, the list's tabs
and on-the-spot share, overdue, scope for every role, and fixed query counts."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from grid.models import Department, JointBranch, Role, Scope, ServicePoint, User
from outreach.common import due
from outreach.common.errors import Conflict
from outreach.complaints import services as complaint_services
from outreach.models import Complaint, Notification, ServiceType

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

PENSION = "城乡居民养老保险待遇资格认证"  # 社会保险事业管理中心 → 社会保障联合支部 (the demo secretary's branch)
HOME_CENTRE = "稠城街道代办中心"  # the demo street official's centre
OTHER_CENTRE = "北苑街道代办中心"


@pytest.fixture
def other_secretary(db) -> User:
    """The secretary of 民政救助联合支部, which handles 民政局's windows."""
    user = User.objects.create_user("secretary3", full_name="吴敏")
    branch = JointBranch.objects.get(name="民政救助联合支部")
    Scope.objects.create(user=user, role=Role.BRANCH_SECRETARY, branch=branch)
    branch.secretary = user
    branch.save(update_fields=["secretary"])
    return user


def centre(name: str = HOME_CENTRE) -> ServicePoint:
    return ServicePoint.objects.get(name=name, tier=ServicePoint.Tier.STREET_CENTRE)


def register(
    actor,
    *,
    point=None,
    on_spot: bool = False,
    department: str | None = None,
    service: str | None = PENSION,
    name: str = "陈阿姨",
    trips: int = 2,
    deadline: date | None = None,
    **extra,
) -> Complaint:
    return complaint_services.complaint_register(
        actor=actor,
        point=point or centre(),
        name=name,
        phone="13900001111",
        service=ServiceType.objects.get(name=service) if service else None,
        department=Department.objects.get(name=department) if department else None,
        what_happened="养老资格认证跑了两次，第二次说缺户口本复印件。",
        trips=trips,
        handled_on_spot=on_spot,
        resolution="当场由窗口代为认证。" if on_spot else "",
        deadline=deadline,
        **extra,
    )


def form_data(**overrides) -> dict:
    data = {
        "point": centre().pk,
        "name": "陈阿姨",
        "phone": "139 0000 1111",
        "service": ServiceType.objects.get(name=PENSION).pk,
        "department": "",
        "what_happened": "跑了两次都没办成。",
        "trips": "3",
        "resolution": "",
        "deadline": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def make_overdue(complaint: Complaint, days: int = 2) -> None:
    # Registration only takes future deadlines; time passing is simulated by moving it back.
    Complaint.objects.filter(pk=complaint.pk).update(deadline=timezone.localdate() - timedelta(days=days))


# --- registering ------------------------------------------------------------------------


def test_register_on_the_spot_is_closed_and_counts_in_the_share(client_for, demo_users):
    client = client_for("street")
    response = client.post(reverse("complaint-create"), form_data(handled_on_spot="on", resolution="当场补办。"))
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response.url == reverse("complaint-detail", args=[complaint.pk])
    assert re.fullmatch(r"TS\d{6}-[0-9A-F]{6}", complaint.number)
    assert complaint.number.startswith(f"TS{timezone.localdate():%y%m%d}-")
    assert (complaint.state, complaint.handled_on_spot, complaint.branch, complaint.deadline) == (
        "closed",
        True,
        None,
        None,
    )
    assert complaint.resolution == "当场补办。" and complaint.resolved_by == demo_users["street"]
    assert complaint.department.name == "社会保险事业管理中心"  # filled from the service
    assert complaint.phone == "139 0000 1111" and complaint.trips == 3
    assert not Notification.objects.exists()  # nothing for a branch to do

    counts = client.get(reverse("complaint-list")).context["counts"]
    assert (counts.open, counts.closed, counts.on_spot, counts.total, counts.on_spot_percent) == (0, 1, 1, 1, 100)


def test_register_assigned_goes_to_the_departments_branch_with_a_deadline(client_for, demo_users):
    response = client_for("street").post(reverse("complaint-create"), form_data())
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    today = timezone.localdate()
    assert complaint.state == "open" and not complaint.handled_on_spot and complaint.resolution == ""
    assert complaint.branch.name == "社会保障联合支部"
    assert complaint.deadline == due.complaint_default_deadline(today) > today
    notice = Notification.objects.get()
    assert (notice.user, notice.kind, notice.complaint) == (demo_users["secretary"], "complaint", complaint)
    assert complaint.number in notice.text
    assert "陈阿姨" not in notice.text and "1111" not in notice.text  # may leave by SMS: no name, no phone


def test_chosen_department_beats_the_services_and_picks_its_branch(demo_users, other_secretary):
    complaint = register(demo_users["street"], department="民政局", deadline=timezone.localdate() + timedelta(days=3))
    assert complaint.department.name == "民政局" and complaint.service.name == PENSION
    assert complaint.branch.name == "民政救助联合支部"
    assert complaint.deadline == timezone.localdate() + timedelta(days=3)
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["secretary3"]


def test_default_deadline_is_five_working_days():
    friday, monday = date(2026, 11, 27), date(2026, 11, 30)
    assert due.complaint_default_deadline(friday) == date(2026, 12, 4)
    assert due.complaint_default_deadline(monday) == date(2026, 12, 7)
    assert due.complaint_default_deadline(date(2026, 11, 28)) == date(2026, 12, 4)  # from a Saturday


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"trips": "1"}, "trips"),
        ({"trips": "0"}, "trips"),
        ({"trips": "两"}, "trips"),
        ({"name": " "}, "name"),
        ({"phone": "call me"}, "phone"),
        ({"what_happened": ""}, "what_happened"),
        ({"service": "", "department": ""}, "department"),
        ({"handled_on_spot": "on", "resolution": " "}, "resolution"),
        ({"deadline": "TODAY"}, "deadline"),
        ({"deadline": "2020-01-01"}, "deadline"),
    ],
)
def test_bad_registrations_are_refused_field_by_field(client_for, overrides, field):
    if overrides.get("deadline") == "TODAY":
        overrides["deadline"] = timezone.localdate().isoformat()
    response = client_for("street").post(reverse("complaint-create"), form_data(**overrides))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert response.context["form"].errors[field][0]  # a message to show
    assert not Complaint.objects.exists() and not Notification.objects.exists()


def test_an_empty_form_shows_every_error_at_once(client_for):
    response = client_for("street").post(reverse("complaint-create"), {"point": centre().pk, "handled_on_spot": "on"})
    errors = response.context["form"].errors
    assert set(errors) == {"name", "phone", "department", "what_happened", "trips", "resolution"}
    assert not Complaint.objects.exists()


def test_the_service_refuses_fewer_than_two_trips_too(demo_users):
    with pytest.raises(ValidationError) as caught:
        register(demo_users["street"], trips=1)
    assert set(caught.value.message_dict) == {"trips"}
    assert not Complaint.objects.exists()


def test_a_department_no_branch_answers_for_must_be_handled_on_the_spot(demo_users):
    Department.objects.create(code="D9901", name="无窗口部门")
    with pytest.raises(ValidationError) as caught:
        register(demo_users["street"], service=None, department="无窗口部门")
    assert set(caught.value.message_dict) == {"department"}
    assert register(demo_users["street"], service=None, department="无窗口部门", on_spot=True).state == "closed"


def test_street_official_registers_only_at_their_own_centre(client_for):
    client = client_for("street")
    form = client.get(reverse("complaint-create")).context["form"]
    assert form.single_point == centre()  # nothing to choose: the field is hidden
    response = client.post(reverse("complaint-create"), form_data(point=centre(OTHER_CENTRE).pk))
    assert list(response.context["form"].errors) == ["point"]
    assert not Complaint.objects.exists()


def test_city_admin_picks_any_street_centre(client_for):
    client = client_for("admin")
    form = client.get(reverse("complaint-create")).context["form"]
    assert form.single_point is None
    assert len(form.fields["point"].queryset) == ServicePoint.objects.filter(tier="street_centre").count() == 14
    assert client.post(reverse("complaint-create"), form_data(point=centre(OTHER_CENTRE).pk)).status_code == 302
    assert Complaint.objects.get().point == centre(OTHER_CENTRE)


def test_form_works_without_scripts(client_for):
    html = client_for("street").get(reverse("complaint-create")).content.decode()
    # Both follow-ups are in the page; the script only hides the one that does not apply.
    assert 'id="field-resolution"' in html and 'id="field-deadline"' in html and " hidden" not in html
    assert 'name="handled_on_spot"' in html and "complaints.js" in html and "<script>" not in html
    assert f'value="{due.complaint_default_deadline(timezone.localdate()).isoformat()}"' in html


# --- the branch's answer -----------------------------------------------------------------


def test_the_branch_resolves_and_closes(client_for, demo_users):
    complaint = register(demo_users["street"])
    client = client_for("secretary")
    page = client.get(reverse("complaint-detail", args=[complaint.pk]))
    assert page.context["form"] is not None
    assert reverse("complaint-resolve", args=[complaint.pk]) in page.content.decode()
    response = client.post(
        reverse("complaint-resolve", args=[complaint.pk]),
        {"resolution": "已联系社保中心，上门完成认证。", "version": complaint.version},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.state, complaint.resolved_by, complaint.version) == ("closed", demo_users["secretary"], 2)
    assert complaint.resolution == "已联系社保中心，上门完成认证。" and complaint.resolved_at is not None
    assert client.get(reverse("complaint-detail", args=[complaint.pk])).context["form"] is None  # answered once


def test_htmx_resolve_returns_the_complaint_partial(client_for, demo_users):
    complaint = register(demo_users["street"])
    response = client_for("secretary").post(
        reverse("complaint-resolve", args=[complaint.pk]),
        {"resolution": "已办结。", "version": 1},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and response.context["answered"]
    assert "<html" not in html and 'id="complaint"' in html
    assert Complaint.objects.get().state == "closed"


def test_empty_answer_is_refused(client_for, demo_users):
    complaint = register(demo_users["street"])
    response = client_for("secretary").post(
        reverse("complaint-resolve", args=[complaint.pk]), {"resolution": "  ", "version": 1}
    )
    assert response.status_code == 200 and list(response.context["form"].errors) == ["resolution"]
    assert Complaint.objects.get().state == "open"


def test_only_the_assigned_branch_resolves(client_for, demo_users, other_secretary):
    complaint = register(demo_users["street"])  # → 社会保障联合支部
    url = reverse("complaint-resolve", args=[complaint.pk])
    client = client_for("street")
    assert client.get(reverse("complaint-detail", args=[complaint.pk])).context["form"] is None
    assert client.post(url, {"resolution": "街道自己答复", "version": 1}).status_code == 404  # sees it, does not answer
    assert client_for("admin").post(url, {"resolution": "管理员答复", "version": 1}).status_code == 404
    client.force_login(other_secretary)
    assert client.get(reverse("complaint-detail", args=[complaint.pk])).status_code == 404
    assert client.post(url, {"resolution": "别的支部答复", "version": 1}).status_code == 404
    with pytest.raises(ValidationError):
        complaint_services.complaint_resolve(
            actor=other_secretary, complaint=complaint, resolution="x", expected_version=1
        )
    assert Complaint.objects.get().state == "open"


def test_stale_resolve_is_a_conflict(client_for, demo_users):
    complaint = register(demo_users["street"])
    secretary = demo_users["secretary"]
    complaint_services.complaint_resolve(
        actor=secretary, complaint=complaint, resolution="第一次答复", expected_version=1
    )
    with pytest.raises(Conflict) as caught:
        complaint_services.complaint_resolve(
            actor=secretary, complaint=complaint, resolution="第二次答复", expected_version=1
        )
    assert caught.value.current.state == "closed" and caught.value.current.resolution == "第一次答复"

    response = client_for("secretary").post(
        reverse("complaint-resolve", args=[complaint.pk]), {"resolution": "第三次答复", "version": 1}
    )
    assert response.status_code == 200 and response.context["conflict"]
    assert response.context["complaint"].resolution == "第一次答复" and response.context["form"] is None
    assert Complaint.objects.get().resolution == "第一次答复"  # nothing overwritten

    # A second answer with the current version: still no overwrite, and a message to read.
    response = client_for("secretary").post(
        reverse("complaint-resolve", args=[complaint.pk]),
        {"resolution": "第四次答复", "version": 2},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and response.context["conflict"] and response.context["form"] is None
    assert Complaint.objects.get().resolution == "第一次答复"


# --- the list ------------------------------------------------------------------------------


@pytest.fixture
def crafted(demo_users):
    """At the demo street centre: 2 handled on the spot, 1 answered by the branch, 3
    open of which 1 overdue (plus one open with today as deadline: not overdue)."""
    street, secretary = demo_users["street"], demo_users["secretary"]
    spot = [register(street, on_spot=True, name=f"当场{i}") for i in range(2)]
    answered = register(street, name="已答复")
    complaint_services.complaint_resolve(actor=secretary, complaint=answered, resolution="已办结", expected_version=1)
    make_overdue(answered, days=9)  # answered late: closed, so not overdue
    late = register(street, name="已逾期")
    make_overdue(late, days=2)
    due_today = register(street, name="今天到期")
    Complaint.objects.filter(pk=due_today.pk).update(deadline=timezone.localdate())
    fresh = register(street, name="刚登记")
    return {"spot": spot, "answered": answered, "late": late, "due_today": due_today, "fresh": fresh}


def names(response) -> list[str]:
    return [c.name for c in response.context["page"]]


def test_tabs_counts_and_on_the_spot_share(client_for, crafted):
    client = client_for("street")
    response = client.get(reverse("complaint-list"))
    counts = response.context["counts"]
    assert (counts.open, counts.overdue, counts.closed, counts.on_spot, counts.total) == (3, 1, 3, 2, 6)
    assert counts.on_spot_percent == 33
    assert [(key, count) for key, _label, count in response.context["tabs"]] == [
        ("open", 3),
        ("overdue", 1),
        ("closed", 3),
    ]
    assert names(response) == ["已逾期", "今天到期", "刚登记"]  # soonest deadline first
    assert [c.is_overdue for c in response.context["page"]] == [True, False, False]
    assert names(client.get(reverse("complaint-list"), {"tab": "overdue"})) == ["已逾期"]
    closed = names(client.get(reverse("complaint-list"), {"tab": "closed"}))
    assert sorted(closed) == ["已答复", "当场0", "当场1"] and closed[0] == "已答复"  # latest answer first
    assert names(client.get(reverse("complaint-list"), {"tab": "nonsense"})) == ["已逾期", "今天到期", "刚登记"]


def test_tabs_work_as_links_and_as_htmx(client_for, crafted):
    client = client_for("street")
    html = client.get(reverse("complaint-list")).content.decode()
    assert 'href="/complaints/?tab=overdue"' in html and 'hx-get="/complaints/?tab=overdue"' in html
    response = client.get(reverse("complaint-list"), {"tab": "overdue"}, headers={"HX-Request": "true"})
    partial = response.content.decode()
    assert "<html" not in partial and "complaint-tabs" in partial and "已逾期" in partial and "刚登记" not in partial


def test_overdue_is_the_one_function():
    today = date(2026, 11, 28)
    assert due.complaint_is_overdue(state="open", deadline=today - timedelta(days=1), today=today)
    assert not due.complaint_is_overdue(state="open", deadline=today, today=today)
    assert not due.complaint_is_overdue(state="closed", deadline=today - timedelta(days=5), today=today)
    assert not due.complaint_is_overdue(state="closed", deadline=None, today=today)


def test_list_overdue_matches_the_function_row_by_row(client_for, crafted):
    today = timezone.localdate()
    rows = Complaint.objects.all()
    by_q = set(rows.filter(due.complaint_overdue_q(today)).values_list("pk", flat=True))
    by_function = {c.pk for c in rows if due.complaint_is_overdue(state=c.state, deadline=c.deadline, today=today)}
    assert by_q == by_function == {crafted["late"].pk}
    response = client_for("street").get(reverse("complaint-list"), {"tab": "overdue"})
    assert {c.pk for c in response.context["page"]} == by_function


# --- scope ---------------------------------------------------------------------------------


@pytest.fixture
def spread(demo_users, other_secretary):
    """One complaint of each kind of reach: at the demo centre to the demo branch, at
    the demo centre to another branch, at the demo centre on the spot, and at another
    town's centre to the demo branch."""
    street, admin = demo_users["street"], demo_users["admin"]
    return {
        "home_mine": register(street, name="本街道社保"),
        "home_other_branch": register(street, name="本街道民政", department="民政局"),
        "home_spot": register(street, name="本街道当场", on_spot=True),
        "away_mine": register(admin, point=centre(OTHER_CENTRE), name="北苑社保"),
    }


@pytest.mark.parametrize(
    "username, visible",
    [
        ("worker", None),
        ("station", None),
        ("street", {"home_mine", "home_other_branch", "home_spot"}),
        ("secretary", {"home_mine", "away_mine"}),
        ("secretary3", {"home_other_branch"}),
        ("admin", {"home_mine", "home_other_branch", "home_spot", "away_mine"}),
    ],
)
def test_scope_per_role(client, demo_users, other_secretary, spread, username, visible):
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse("complaint-list"))
    if visible is None:
        assert response.status_code == 404
        assert (
            client.get(reverse("complaint-list"), {"tab": "closed"}, headers={"HX-Request": "true"}).status_code == 404
        )
    else:
        listed = {
            c.pk
            for tab in ("open", "closed")
            for c in client.get(reverse("complaint-list"), {"tab": tab}).context["page"]
        }
        assert listed == {spread[key].pk for key in visible}
    for key, complaint in spread.items():
        status = client.get(reverse("complaint-detail", args=[complaint.pk])).status_code
        assert status == (200 if visible and key in visible else 404), key
    assert client.get(reverse("complaint-detail", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "username, status",
    [
        ("worker", 404),
        ("station", 404),
        ("secretary", 404),
        ("street", 200),
        ("admin", 200),
    ],
)
def test_who_may_register(client_for, username, status):
    client = client_for(username)
    assert client.get(reverse("complaint-create")).status_code == status
    assert client.post(reverse("complaint-create"), form_data()).status_code in {status, 302}
    assert Complaint.objects.exists() == (status == 200)


def test_home_tile_for_the_roles_that_use_the_window(client_for):
    url = reverse("complaint-list")
    for username in ("street", "secretary", "admin"):
        assert url in client_for(username).get(reverse("home"), follow=True).content.decode(), username
    for username in ("station", "worker"):
        assert url not in client_for(username).get(reverse("home")).content.decode(), username


def test_list_page_shows_the_share_only_where_complaints_are_registered(client_for, spread):
    assert client_for("street").get(reverse("complaint-list")).content.decode().count("share-figure") == 1
    assert "share-figure" not in client_for("secretary").get(reverse("complaint-list")).content.decode()


# --- query counts --------------------------------------------------------------------------


def grow(demo_users, count: int) -> None:
    street, secretary, admin = demo_users["street"], demo_users["secretary"], demo_users["admin"]
    for i in range(count):
        register(street, name=f"增{i}", on_spot=i % 3 == 0)
        answered = register(admin, point=centre(OTHER_CENTRE), name=f"北{i}")
        if i % 2:
            complaint_services.complaint_resolve(
                actor=secretary, complaint=answered, resolution="已办", expected_version=1
            )
        else:
            make_overdue(answered)


@pytest.mark.parametrize("username", ["street", "secretary", "admin"])
def test_list_query_count_does_not_grow(client_for, demo_users, spread, username, django_assert_num_queries):
    # Every tab has rows from the start (an empty tab skips the page query).
    make_overdue(spread["home_mine"])
    grow(demo_users, 2)
    client = client_for(username)
    client.get(reverse("complaint-list"))  # warm the session
    # session, user, scopes, the counts aggregate, the page of complaints (with point, department, service, branch)
    for params in ({}, {"tab": "overdue"}, {"tab": "closed"}):
        with django_assert_num_queries(5):
            assert client.get(reverse("complaint-list"), params).status_code == 200
        with django_assert_num_queries(5):
            client.get(reverse("complaint-list"), params, headers={"HX-Request": "true"})
    grow(demo_users, 20)
    for params in ({}, {"tab": "overdue"}, {"tab": "closed"}, {"tab": "closed", "page": "2"}):
        with django_assert_num_queries(5):
            response = client.get(reverse("complaint-list"), params)
        assert len(response.context["page"]) > 0
    with django_assert_num_queries(5):
        client.get(reverse("complaint-list"), {"tab": "overdue"}, headers={"HX-Request": "true"})


def test_detail_query_count(client_for, demo_users, spread, django_assert_num_queries):
    client = client_for("secretary")
    url = reverse("complaint-detail", args=[spread["home_mine"].pk])
    client.get(url)
    # session, user, scopes, the complaint with its point, department, service, branch and people
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200


# --- the community a complaint concerns --------------------------------------------------


def test_the_street_names_the_community_the_person_lives_in(client_for, django_assert_num_queries):
    """The form offers the street's own communities; the complaint keeps the one chosen
    and shows it; one of another street is refused in Chinese, nothing written."""
    from grid.models import Area

    client = client_for("street")
    client.get(reverse("complaint-create"))
    # session, user, scopes; the centres, the communities, the departments, the services
    with django_assert_num_queries(7):
        page = client.get(reverse("complaint-create"))
    choices = dict(page.context["form"].fields["area"].choices)
    xiuhu = Area.objects.get(name="绣湖社区")
    assert xiuhu.pk in {getattr(value, "value", value) for value in choices}
    assert "— 不清楚或外地 —" in page.content.decode() and "所在社区（村）" in page.content.decode()
    elsewhere = Area.objects.filter(level=Area.Level.COMMUNITY, parent__name="北苑街道").first()
    response = client.post(reverse("complaint-create"), form_data(area=elsewhere.pk))
    assert response.status_code == 200 and not Complaint.objects.exists()
    assert "请选择登记投诉的街道下属的社区（村），或留空。" in response.content.decode()
    response = client.post(reverse("complaint-create"), form_data(area=xiuhu.pk))
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.area == xiuhu
    detail = client.get(reverse("complaint-detail", args=[complaint.pk])).content.decode()
    assert "所在社区（村）" in detail and "绣湖社区" in detail


def test_the_service_refuses_a_community_outside_the_centres_town(demo_users):
    from grid.models import Area

    with pytest.raises(ValidationError) as error:
        register(demo_users["street"], area=Area.objects.get(name="稠城街道"))  # the town itself is no community
    assert "area" in error.value.message_dict
    assert not Complaint.objects.exists()


def test_a_complaint_registered_in_the_past_is_numbered_by_that_day(demo_users):
    registered_at = timezone.now() - timedelta(days=12)
    complaint = register(demo_users["street"], on_spot=True, registered_at=registered_at)
    day = timezone.localdate(registered_at)
    assert complaint.number.startswith(f"TS{day:%y%m%d}-")
    assert complaint.registered_at == complaint.resolved_at == registered_at
