"""The dashboard through the front door: the figures on crafted data are what the screen
shows, per child area and in total; each role sees its own scope (404 outside it); the
SVG trend; fixed query counts that do not grow with the data."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grid.models import Area, JointBranch, Role, Scope, ServicePoint, User
from outreach.reporting import periods
from outreach.reporting.coverage import days as coverage_days
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

DASHBOARD = "dashboard"
DAY = timedelta(days=1)


def tile_values(html: str) -> dict[str, str]:
    """What each figure tile shows: {data-figure: the big number}."""
    return dict(re.findall(r'data-figure="([a-z_]+)">\s*<dt>[^<]*</dt>\s*<dd class="dash-value">([^<]*)</dd>', html))


def test_street_figures_on_crafted_data_are_what_the_screen_shows(client_for, crafted):
    response = client_for("street").get(reverse(DASHBOARD), factories.period_query(area=factories.town().pk))
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
    assert len(rows) == factories.town().children.count()  # every community has a row, with or without data
    xiuhu, other = rows["绣湖社区"], rows[crafted["r3"].grid.parent.name]
    assert (xiuhu.visits, xiuhu.coverage_percent, xiuhu.missed) == (3, 50, 1)
    assert (xiuhu.errands_received, xiuhu.errands_completed, xiuhu.errands_overdue, xiuhu.trips_saved) == (2, 1, 1, 1)
    assert xiuhu.turnaround_days == pytest.approx(2.0, abs=1e-3)
    assert (other.visits, other.coverage_percent, other.errands_received, other.errands_completed) == (1, 100, 1, 1)
    assert other.turnaround_days == pytest.approx(1.0, abs=1e-3) and other.satisfaction is None
    # Both complaints name no community: no community's row holds them, the row of the
    # town's own complaints does, so the rows add up to the total.
    assert xiuhu.complaints == 0 and other.complaints == 0
    assert (board.unplaced.complaints, board.unplaced.complaints_on_spot) == (2, 1)
    html = response.content.decode()
    unplaced = re.search(r"<tr data-unplaced-row>(.*?)</tr>", html, re.S).group(1)
    assert "未注明社区（村）的投诉" in unplaced and re.findall(r"<td>([^<]*)</td>", unplaced)[-2:] == ["2", "50 %"]
    row_html = re.search(rf'data-area-row="{xiuhu_id(board)}">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row_html)[:8] == ["3", "50 %", "1", "2", "1", "1", "2.0", "1"]


@pytest.mark.parametrize("username", ["street", "admin", "station"])
def test_the_day_tallies_give_the_figures_the_facts_give(crafted, demo_users, monkeypatch, username):
    """The area lens reads its parts' day tallies; counted from the facts instead (as for
    a worker or a branch), every figure of every row and of the trend is the same."""
    from outreach.reporting.dashboard import selectors as dashboard

    subject = dashboard.subject_for_user_or_404(demo_users[username])
    period = periods.period_for(
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
    board = client.get(reverse(DASHBOARD), factories.period_query()).context["board"]
    rows = {row.area.pk: row.figures for row in board.rows}
    assert len(rows) > 1 and xiuhu.pk in rows
    street = client_for_user(demo_users["street"]).get(
        reverse(DASHBOARD), factories.period_query(area=factories.town().pk)
    )
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
    response = client_for("street").get(reverse(DASHBOARD), factories.period_query(area=factories.town().pk))
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
        "area": factories.town().pk,
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
    response = client_for("worker").get(reverse(DASHBOARD), factories.period_query())
    board = response.context["board"]
    assert board.subject.lens == "worker" and board.rows == []
    total = board.total
    # Grid 1: r1 only. Two visits there in the period, one of them the worker's.
    assert total.coverage.active == 1 and total.visits == 1
    # e1 (taken and delivered by the worker), e4 (opened by the worker, now at the branch).
    assert (total.errands_received, total.errands_completed, total.trips_saved) == (2, 1, 1)
    assert total.complaints is None and "complaints" not in tile_values(response.content.decode())


def test_station_sees_its_community_by_grid_without_complaints(client_for, crafted):
    board = client_for("station").get(reverse(DASHBOARD), factories.period_query()).context["board"]
    assert board.subject.area.name == "绣湖社区"
    assert [row.area.name for row in board.rows] == ["绣湖社区第1网格", "绣湖社区第2网格"]
    assert [row.figures.visits for row in board.rows] == [2, 1]
    assert board.total.errands_received == 2 and board.total.complaints is None


def test_secretary_sees_the_branch_errands_and_complaints(client_for, crafted):
    response = client_for("secretary").get(reverse(DASHBOARD), factories.period_query())
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
    html = client.get(reverse(DASHBOARD), factories.period_query()).content.decode()
    assert f"?area={community.pk}&amp;period=custom" in html  # the row links down
    response = client.get(reverse(DASHBOARD), factories.period_query(area=community.pk))
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
    response = client_for("street").get(reverse(DASHBOARD), factories.period_query(), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'class="dash-tiles"' in html


def test_navigation_and_home_tile(client_for):
    for username, in_bar in [("secretary", True), ("street", False), ("station", False), ("admin", False)]:
        response = client_for(username).get(reverse("home"), follow=True)
        items = response.context["nav_items"]
        assert len(items) <= 5
        assert any(i["url"] == reverse(DASHBOARD) for i in items) is in_bar
        assert f'class="tile" href="{reverse(DASHBOARD)}"' in response.content.decode()
    items = client_for("worker").get(reverse("home")).context["nav_items"]
    assert not any(i["url"] == reverse(DASHBOARD) for i in items)


# session, user, scopes; the area with its ancestors, its child areas (none below a grid);
# coverage 2; then
# - an area lens (street, admin, station): the parts' day tallies, errands overdue,
#   completions, complaints (street, admin), the trend from the tallies 1;
# - a worker (their own facts): visits, received, trips, overdue, completions, trend 3;
# - a branch (its own errands, no residents): received, trips, overdue, completions,
#   complaints, trend 2 (received, completed).
@pytest.mark.parametrize(
    "username, queries",
    [
        ("street", 12),
        ("admin", 12),
        ("station", 11),
        ("worker", 14),
        ("secretary", 10),
    ],
)
def test_query_count_does_not_grow_with_data(client_for, crafted, grow, username, queries, django_assert_num_queries):
    client = client_for(username)
    client.get(reverse(DASHBOARD))
    with django_assert_num_queries(queries):
        assert client.get(reverse(DASHBOARD), factories.period_query()).status_code == 200
    grow(12)
    with django_assert_num_queries(queries):
        response = client.get(reverse(DASHBOARD), factories.period_query())
    assert response.status_code == 200
    last_month = {"period": "last_month"}
    history = 0 if username == "secretary" else 1  # no written day yet: the look for it, then the history
    with django_assert_num_queries(queries + history):
        client.get(reverse(DASHBOARD), last_month, headers={"HX-Request": "true"})
    coverage_days.fill(days=62)  # the nightly run
    with django_assert_num_queries(queries):
        client.get(reverse(DASHBOARD), last_month, headers={"HX-Request": "true"})


def test_a_complaint_counts_in_the_community_it_concerns(client_for, crafted, demo_users, django_assert_num_queries):
    """A complaint that names the person's community is in that community's row on the
    street's dashboard, and in the town's row on the city's; the rows add up."""
    from outreach.complaints import services as complaint_services
    from outreach.models import Complaint, ServiceType

    xiuhu = Area.objects.get(name="绣湖社区")
    complaint_services.complaint_register(
        actor=demo_users["street"],
        point=ServicePoint.objects.get(name="稠城街道代办中心"),
        area=xiuhu,
        name="楼阿姨",
        phone="13800000001",
        service=ServiceType.objects.get(code="YL-SL"),
        department=None,
        what_happened="跑了三次",
        trips=3,
        handled_on_spot=True,
        resolution="当场办结",
    )
    assert Complaint.objects.count() == 3
    client = client_for("street")
    query = factories.period_query(area=factories.town().pk)
    client.get(reverse(DASHBOARD), query)
    with django_assert_num_queries(12):  # as test_query_count_does_not_grow_with_data says
        board = client.get(reverse(DASHBOARD), query).context["board"]
    rows = {row.area.name: row.figures for row in board.rows}
    assert (rows["绣湖社区"].complaints, rows["绣湖社区"].complaints_on_spot) == (1, 1)
    assert board.unplaced.complaints == 2 and board.total.complaints == 3
    assert sum(f.complaints for f in rows.values()) + board.unplaced.complaints == board.total.complaints
    city = client_for("admin").get(reverse(DASHBOARD), factories.period_query()).context["board"]
    by_town = {row.area.name: row.figures.complaints for row in city.rows}
    assert by_town["稠城街道"] == 3 and sum(by_town.values()) == city.total.complaints and city.unplaced is None
