"""The dashboard through the front door: the figures on crafted data are what the screen
shows, per child area and in total; each role sees its own scope (404 outside it); the
SVG trend; fixed query counts that do not grow with the data."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from grid.models import Area, Department, JointBranch, Role, Scope, ServicePoint, User
from outreach.complaints import services as complaint_services
from outreach.errands import services as errand_services
from outreach.models import Errand, ErrandEvent, ServiceType
from outreach.reporting import tallies
from outreach.reporting.coverage import selectors as coverage
from outreach.residents import services
from tests import factories

pytestmark = pytest.mark.django_db

DASHBOARD = "dashboard"
DAY = timedelta(days=1)


def period_query(**extra) -> dict:
    """The last seven days, today included: every crafted date below falls inside."""
    today = timezone.localdate()
    return {"period": "custom", "start": (today - 6 * DAY).isoformat(), "end": today.isoformat(), **extra}


def visit(actor, resident, *, outcome="met", ago=timedelta(hours=1)):
    services.visit_record(
        actor=actor,
        resident=resident,
        visit_id=uuid.uuid4(),
        data=services.VisitInput(
            visited_at=timezone.now() - ago,
            outcome=outcome,
            lat=resident.home_lat,
            lng=resident.home_lng,
            accuracy_m=10,
        ),
    )


def errand(actor, resident, code, *, ago) -> Errand:
    created, _ = errand_services.errand_create(
        actor=actor,
        errand_id=uuid.uuid4(),
        resident=resident,
        service=ServiceType.objects.get(code=code),
        source="visit",
        requested_at=timezone.now() - ago,
    )
    return created


def act(actor, e: Errand, *actions) -> Errand:
    for action in actions:
        e = errand_services.errand_transition(actor=actor, errand=e, action=action, expected_version=e.version)
    return e


def complete(actor, e: Errand, *, after) -> Errand:
    """Accept, start and complete; the completion dated ``after`` the request (the
    services stamp it with the clock, so the test moves the event and the errand's
    completion time)."""
    e = act(actor, e, "accept", "start", "complete")
    ErrandEvent.objects.filter(errand=e, action="complete").update(at=e.requested_at + after)
    Errand.objects.filter(pk=e.pk).update(completed_at=e.requested_at + after)
    tallies.rebuild()  # history rewritten: recounted from the facts, as ``rebuild_tallies`` does
    e.refresh_from_db()
    return e


def other_grid(*, same_town: bool) -> Area:
    grids = Area.objects.filter(level=Area.Level.GRID).exclude(parent__name="绣湖社区").order_by("code")
    town = Area.objects.get(name="稠城街道")
    grids = grids.filter(path__startswith=town.path) if same_town else grids.exclude(path__startswith=town.path)
    return grids.first()


@pytest.fixture(autouse=True)
def _catalogue(db):
    call_command("loaddata", "service_catalogue", verbosity=0)


@pytest.fixture
def crafted(demo_users):
    """In 稠城街道: 绣湖社区 (r1 in grid 1, r2 in grid 2) and one other community (r3).

    visits in the period: r1 met by worker, r1 not home (admin), r2 not home (worker2),
    r3 met (admin) → 绣湖 3 visits, other 1; on time r1 and r3 (r2 never met) → 2 of 3.
    errands: e1 r1 requested 3 days ago, completed after 2 days, delivered (5 stars, one
    trip saved); e2 r2 requested 20 days ago, still open → overdue; e3 r3 requested a day
    ago, completed after 1 day; e4 r1 requested 2 days ago, escalated to the demo joint
    branch (社会保障联合支部). complaints at 稠城街道代办中心: one on the spot, one to the branch.
    """
    admin, worker, worker2 = demo_users["admin"], demo_users["worker"], demo_users["worker2"]
    street, station, secretary = demo_users["street"], demo_users["station"], demo_users["secretary"]
    r1 = factories.resident(admin, name="甲", registered_days_ago=100, care_level="C")
    r2 = factories.resident(admin, grid_name="绣湖社区第2网格", name="乙", registered_days_ago=100, care_level="C")
    r3 = factories.resident(
        admin, grid_name=other_grid(same_town=True).name, name="丙", registered_days_ago=100, care_level="C"
    )
    visit(worker, r1)
    visit(admin, r1, outcome="not_home", ago=timedelta(hours=2))
    visit(worker2, r2, outcome="not_home")
    visit(admin, r3, ago=2 * DAY)

    e1 = complete(worker, errand(worker, r1, "YB-CB", ago=3 * DAY), after=2 * DAY)
    e1 = errand_services.errand_deliver(
        actor=worker, errand=Errand.objects.get(pk=e1.pk), expected_version=e1.version, via="in_person", satisfaction=5
    )
    e2 = errand(worker2, r2, "MZ-GL", ago=20 * DAY)
    e3 = complete(admin, errand(admin, r3, "YL-RZ", ago=DAY), after=DAY)
    e4 = errand(worker, r1, "SB-SZ", ago=2 * DAY)  # held at the community station
    e4 = act(station, e4, "escalate")
    e4 = act(street, e4, "escalate")
    assert e4.holder_branch.secretary_id == secretary.pk

    centre = ServicePoint.objects.get(name="稠城街道代办中心")
    department = Department.objects.get(name="社会保险事业管理中心")
    for on_spot in (True, False):
        complaint_services.complaint_register(
            actor=street,
            point=centre,
            name="来访人",
            phone="13800000000",
            service=None,
            department=department,
            what_happened="跑了两次",
            trips=2,
            handled_on_spot=on_spot,
            resolution="当场办结" if on_spot else "",
        )
    return {"r1": r1, "r2": r2, "r3": r3, "e1": e1, "e2": e2, "e3": e3, "e4": e4}


def tile_values(html: str) -> dict[str, str]:
    """What each figure tile shows: {data-figure: the big number}."""
    return dict(re.findall(r'data-figure="([a-z_]+)">\s*<dt>[^<]*</dt>\s*<dd class="dash-value">([^<]*)</dd>', html))


def town() -> Area:
    return Area.objects.get(name="稠城街道")


def test_street_figures_on_crafted_data_are_what_the_screen_shows(client_for, crafted):
    response = client_for("street").get(reverse(DASHBOARD), period_query(area=town().pk))
    assert response.status_code == 200
    board = response.context["board"]
    total = board.total
    assert (total.visits, total.coverage.active, total.coverage.on_time, total.missed) == (4, 3, 2, 1)
    assert (total.errands_received, total.errands_completed, total.errands_overdue) == (3, 2, 1)
    assert total.turnaround_days == pytest.approx(1.5, abs=1e-3)
    assert (total.trips_saved, total.satisfaction, total.satisfaction_count) == (1, 5.0, 1)
    assert (total.complaints, total.complaints_on_spot, total.on_spot_share) == (2, 1, 0.5)
    assert tile_values(response.content.decode()) == {
        "visits": "4",
        "coverage": "66 %",
        "missed": "1",
        "received": "3",
        "completed": "2",
        "overdue": "1",
        "turnaround": "1.5",
        "trips": "1",
        "satisfaction": "5.0",
        "complaints": "2",
        "on_spot": "50 %",
    }
    rows = {row.area.name: row.figures for row in board.rows}
    assert len(rows) == town().children.count()  # every community has a row, with or without data
    xiuhu, other = rows["绣湖社区"], rows[crafted["r3"].grid.parent.name]
    assert (xiuhu.visits, xiuhu.coverage_percent, xiuhu.missed) == (3, 50, 1)
    assert (xiuhu.errands_received, xiuhu.errands_completed, xiuhu.errands_overdue, xiuhu.trips_saved) == (2, 1, 1, 1)
    assert xiuhu.turnaround_days == pytest.approx(2.0, abs=1e-3)
    assert (other.visits, other.coverage_percent, other.errands_received, other.errands_completed) == (1, 100, 1, 1)
    assert other.turnaround_days == pytest.approx(1.0, abs=1e-3) and other.satisfaction is None
    # Complaints are registered at the street centre: the town's total, no community's row.
    assert xiuhu.complaints == 0 and other.complaints == 0
    html = response.content.decode()
    row_html = re.search(rf'data-area-row="{xiuhu_id(board)}">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row_html)[:8] == ["3", "50 %", "1", "2", "1", "1", "2.0", "1"]


@pytest.mark.parametrize("username", ["street", "admin", "station"])
def test_the_day_tallies_give_the_figures_the_facts_give(crafted, demo_users, monkeypatch, username):
    """The area lens reads its parts' day tallies; counted from the facts instead (as for
    a worker or a branch), every figure of every row and of the trend is the same."""
    from outreach.reporting.dashboard import selectors as dashboard

    subject = dashboard.subject_for_user_or_404(demo_users[username])
    period = coverage.period_for(
        "custom", today=timezone.localdate(), start=timezone.localdate() - 30 * DAY, end=timezone.localdate()
    )
    tallied = dashboard.dashboard_for(subject=subject, period=period)
    assert dashboard._tallied_parts(subject) == subject.place.parts
    monkeypatch.setattr(dashboard, "_tallied_parts", lambda subject: [])
    counted = dashboard.dashboard_for(subject=subject, period=period)
    assert tallied.total == counted.total and tallied.trend == counted.trend
    assert [(r.area, r.figures) for r in tallied.rows] == [(r.area, r.figures) for r in counted.rows]
    assert tallied.total.errands_received > 0 and any(w.completed for w in tallied.trend.weeks)


def test_a_station_in_a_joint_branch_counts_only_its_own_residents(crafted, demo_users, client):
    """Its overview adds the branch's paired areas: their residents are not the station's
    to count (figures from the facts, within its own areas: none); its own community's
    come from the tallies and equal the street official's row of it."""
    user = User.objects.create_user("mixed", password="x")
    xiuhu = Area.objects.get(name="绣湖社区")
    Scope.objects.create(user=user, role=Role.STATION_STAFF, area=xiuhu)
    Scope.objects.create(user=user, role=Role.BRANCH_MEMBER, branch=JointBranch.objects.get(number=1))
    client.force_login(user)
    board = client.get(reverse(DASHBOARD), period_query()).context["board"]
    rows = {row.area.pk: row.figures for row in board.rows}
    assert len(rows) > 1 and xiuhu.pk in rows
    street = client_for_user(demo_users["street"]).get(reverse(DASHBOARD), period_query(area=town().pk))
    theirs = next(row.figures for row in street.context["board"].rows if row.area.pk == xiuhu.pk)
    mine = rows[xiuhu.pk]
    assert (
        (mine.errands_received, mine.errands_completed, mine.trips_saved, mine.turnaround_days)
        == (theirs.errands_received, theirs.errands_completed, theirs.trips_saved, theirs.turnaround_days)
        == (2, 1, 1, 2.0)
    )
    for pk, figures in rows.items():
        if pk != xiuhu.pk:
            assert (figures.errands_received, figures.errands_completed, figures.trips_saved) == (0, 0, 0)
    assert board.total.errands_received == 2


def client_for_user(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other


def xiuhu_id(board) -> int:
    return next(row.area.pk for row in board.rows if row.area.name == "绣湖社区")


def test_trend_counts_this_week_and_draws_an_svg_without_style_attributes(client_for, crafted):
    response = client_for("street").get(reverse(DASHBOARD), period_query(area=town().pk))
    weeks = response.context["board"].trend.weeks
    assert len(weeks) == 12 and weeks[-1].start <= timezone.localdate() <= weeks[-1].end
    assert sum(w.visits for w in weeks) == 4
    assert sum(w.received for w in weeks) == 4  # e2 (20 days ago) is within the 12 weeks too
    assert sum(w.completed for w in weeks) == 2
    html = response.content.decode()
    assert html.count('<svg class="chart"') == 2 and 'class="chart-bar series-visits"' in html
    assert "style=" not in html and "<script>" not in html


def test_a_past_period_counts_nothing_of_this_week(client_for, crafted):
    today = timezone.localdate()
    query = {
        "period": "custom",
        "start": (today - 60 * DAY).isoformat(),
        "end": (today - 30 * DAY).isoformat(),
        "area": town().pk,
    }
    total = client_for("street").get(reverse(DASHBOARD), query).context["board"].total
    assert (total.visits, total.errands_received, total.errands_completed, total.trips_saved, total.complaints) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert total.errands_overdue == 1  # overdue is counted today, whatever the period shown
    assert total.coverage.on_time == 0 and total.missed == 3  # nobody was met by then


def test_worker_sees_their_own_visits_and_errands(client_for, crafted, demo_users):
    response = client_for("worker").get(reverse(DASHBOARD), period_query())
    board = response.context["board"]
    assert board.subject.lens == "worker" and board.rows == []
    total = board.total
    # Grid 1: r1 only. Two visits there in the period, one of them the worker's.
    assert total.coverage.active == 1 and total.visits == 1
    # e1 (taken and delivered by the worker), e4 (opened by the worker, now at the branch).
    assert (total.errands_received, total.errands_completed, total.trips_saved) == (2, 1, 1)
    assert total.complaints is None and "complaints" not in tile_values(response.content.decode())


def test_station_sees_its_community_by_grid_without_complaints(client_for, crafted):
    board = client_for("station").get(reverse(DASHBOARD), period_query()).context["board"]
    assert board.subject.area.name == "绣湖社区"
    assert [row.area.name for row in board.rows] == ["绣湖社区第1网格", "绣湖社区第2网格"]
    assert [row.figures.visits for row in board.rows] == [2, 1]
    assert board.total.errands_received == 2 and board.total.complaints is None


def test_secretary_sees_the_branch_errands_and_complaints(client_for, crafted):
    response = client_for("secretary").get(reverse(DASHBOARD), period_query())
    board = response.context["board"]
    assert board.subject.lens == "branch" and board.rows == [] and board.total.coverage is None
    assert (board.total.errands_received, board.total.errands_completed, board.total.errands_overdue) == (1, 0, 0)
    assert (board.total.complaints, board.total.complaints_on_spot) == (1, 0)
    assert set(tile_values(response.content.decode())) == {
        "received",
        "completed",
        "overdue",
        "turnaround",
        "trips",
        "satisfaction",
        "complaints",
        "on_spot",
    }
    assert not board.trend.shows_visits and response.content.decode().count('<svg class="chart"') == 1


def test_drill_down_and_breadcrumb(client_for, crafted):
    client = client_for("street")
    community = Area.objects.get(name="绣湖社区")
    html = client.get(reverse(DASHBOARD), period_query()).content.decode()
    assert f"?area={community.pk}&amp;period=custom" in html  # the row links down
    response = client.get(reverse(DASHBOARD), period_query(area=community.pk))
    assert [row.area.name for row in response.context["board"].rows] == ["绣湖社区第1网格", "绣湖社区第2网格"]
    assert [a.name for a, _url in response.context["trail"]] == ["稠城街道"]


@pytest.mark.parametrize(
    "username, area",
    [
        ("worker", "绣湖社区第2网格"),
        ("worker", "绣湖社区"),
        ("station", "稠城街道"),
        ("station", "绣湖社区第1网格X"),
        ("street", "北苑街道"),
        ("secretary", "绣湖社区"),
        ("secretary", "稠城街道"),
    ],
)
def test_areas_outside_the_scope_are_404(client_for, username, area):
    pk = Area.objects.filter(name=area).values_list("pk", flat=True).first() or 999_999
    assert client_for(username).get(reverse(DASHBOARD), {"area": pk}).status_code == 404


def test_no_scope_no_dashboard_and_login_required(client, db):
    assert client.get(reverse(DASHBOARD)).status_code == 302
    client.force_login(User.objects.create_user("nobody"))
    assert client.get(reverse(DASHBOARD)).status_code == 404
    assert client.get(reverse(DASHBOARD), {"area": "x"}).status_code == 404


def test_bad_period_shows_the_error_and_this_month(client_for, crafted):
    today = timezone.localdate()
    response = client_for("street").get(
        reverse(DASHBOARD), {"period": "custom", "start": today.isoformat(), "end": (today - 3 * DAY).isoformat()}
    )
    assert response.status_code == 200
    assert response.context["period"].kind == "month" and response.context["period_errors"]
    assert 'class="form-error"' in response.content.decode()


def test_htmx_gets_the_panel_only(client_for, crafted):
    response = client_for("street").get(reverse(DASHBOARD), period_query(), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'class="dash-tiles"' in html


def test_navigation_and_home_tile(client_for):
    for username, in_bar in [("secretary", True), ("street", False), ("station", False), ("admin", False)]:
        response = client_for(username).get(reverse("home"))
        items = response.context["nav_items"]
        assert len(items) <= 5
        assert any(i["url"] == reverse(DASHBOARD) for i in items) is in_bar
        assert f'class="tile" href="{reverse(DASHBOARD)}"' in response.content.decode()
    items = client_for("worker").get(reverse("home")).context["nav_items"]
    assert not any(i["url"] == reverse(DASHBOARD) for i in items)


def grow(demo_users, count: int) -> None:
    """More of everything, in several grids and communities: residents, visits, errands
    (open, completed, delivered), complaints."""
    admin, worker, street = demo_users["admin"], demo_users["worker"], demo_users["street"]
    grids = ["绣湖社区第1网格", "绣湖社区第2网格", other_grid(same_town=True).name, other_grid(same_town=False).name]
    centre = ServicePoint.objects.get(name="稠城街道代办中心")
    for i in range(count):
        r = factories.resident(admin, grid_name=grids[i % len(grids)], name=f"加{i}", registered_days_ago=50)
        visit(worker if i % 4 == 0 else admin, r, ago=timedelta(days=i % 5, hours=1))
        e = errand(worker if i % 4 == 0 else admin, r, "YB-CB", ago=timedelta(days=i % 6, hours=2))
        if i % 2:
            e = complete(admin, e, after=timedelta(hours=5 + i))
            errand_services.errand_deliver(
                actor=admin,
                errand=Errand.objects.get(pk=e.pk),
                expected_version=e.version,
                via="express",
                satisfaction=4,
            )
        complaint_services.complaint_register(
            actor=street,
            point=centre,
            name=f"来访{i}",
            phone="13800000001",
            service=None,
            department=Department.objects.get(name="民政局"),
            what_happened="跑了两次",
            trips=3,
            handled_on_spot=bool(i % 2),
            resolution="当场办结" if i % 2 else "",
        )


# session, user, scopes; the area with its ancestors, its child areas (none below a grid);
# the grids' paths (when there is a table); coverage 2; then
# - an area lens (street, admin, station): the parts' day tallies, errands overdue,
#   completions, complaints (street, admin), the trend from the tallies 1;
# - a worker (their own facts): visits, received, trips, overdue, completions, trend 3;
# - a branch (its own errands, no residents): received, trips, overdue, completions,
#   complaints, trend 2 (received, completed).
@pytest.mark.parametrize(
    "username, queries",
    [
        ("street", 13),
        ("admin", 13),
        ("station", 12),
        ("worker", 14),
        ("secretary", 10),
    ],
)
def test_query_count_does_not_grow_with_data(
    client_for, crafted, demo_users, username, queries, django_assert_num_queries
):
    client = client_for(username)
    client.get(reverse(DASHBOARD))
    with django_assert_num_queries(queries):
        assert client.get(reverse(DASHBOARD), period_query()).status_code == 200
    grow(demo_users, 12)
    with django_assert_num_queries(queries):
        response = client.get(reverse(DASHBOARD), period_query())
    assert response.status_code == 200
    with django_assert_num_queries(queries):
        client.get(reverse(DASHBOARD), {"period": "last_month"}, headers={"HX-Request": "true"})
