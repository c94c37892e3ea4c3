"""Coverage: the figures on crafted data (on time, late, never visited, not home only,
moved, every care level) and their roll-up from grids to communities, towns and the
city; the map page and its GeoJSON through the front door — scope per role (404 outside
it), gzip, simplification, GCJ-02 — with fixed query counts at two data sizes."""

import gzip
import io
import json
import uuid
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from grid.geo import coordinate_decimals, out_of_china, wgs84_to_gcj02
from grid.models import Area, JointBranch, Pairing, ServicePoint
from outreach.common import due
from outreach.models import CoverageDay, Resident, ServiceType, Visit
from outreach.reporting import periods, tallies
from outreach.reporting.coverage import days as coverage_days
from outreach.reporting.coverage import selectors as coverage
from outreach.residents import services
from tests import factories
from tests.tables import csv_table
from tests.tasks import run_tasks

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
MAP, AREAS, LAYERS = "coverage-map", "coverage-areas", "coverage-layers"


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def visit(resident: Resident, worker, day: date, *, outcome: str = "met", check: str = "near_home") -> Visit:
    """A visit on a given day, stored and counted as the services do (history older than
    the 30 days the visit form accepts, hence written directly), then the resident's due
    date refreshed by the services."""
    created = Visit.objects.create(
        resident=resident,
        worker=worker,
        visited_at=at(day),
        outcome=outcome,
        location_check=check,
        lat=None if check == "no_location" else resident.home_lat,
        lng=None if check == "no_location" else resident.home_lng,
        no_location_reason="楼道内无信号" if check == "no_location" else "",
        content_digest=uuid.uuid4().hex,
    )
    tallies.visit_recorded(created)
    services.resident_refresh_due(resident=resident)
    return created


def moved(resident: Resident, on: date, status: str = "moved") -> None:
    """An active resident moved away (or dead) since ``on``, written directly (a date
    earlier than a form could give it) and counted as the services do: the due tallies
    no longer count them."""
    due_on = Resident.objects.get(pk=resident.pk).due_on
    Resident.objects.filter(pk=resident.pk).update(status=status, status_on=on)
    tallies.resident_changed(before=tallies.due_key(grid=resident.grid, status="active", due_on=due_on), after=None)


def grid_named(name: str) -> Area:
    return Area.objects.get(name=name)


def other_community_grid() -> Area:
    """A grid of another community of 稠城街道."""
    town = Area.objects.get(name="稠城街道")
    return (
        Area.objects.filter(level=Area.Level.GRID, path__startswith=town.path)
        .exclude(parent__name="绣湖社区")
        .order_by("code")
        .first()
    )


def other_town_grid() -> Area:
    town = Area.objects.get(name="稠城街道")
    return Area.objects.filter(level=Area.Level.GRID).exclude(path__startswith=town.path).order_by("code").first()


@pytest.fixture
def past(db) -> periods.Period:
    """A past period: 20 days ending 10 days ago, judged on its last day (the history path)."""
    today = timezone.localdate()
    end = today - 10 * DAY
    return periods.period_for("custom", today=today, start=end - 19 * DAY, end=end)


@pytest.fixture
def crafted(demo_users, past):
    """Residents of 绣湖社区第1网格 (worker's grid), each a case of the definition, judged
    at ``past.as_of``; a few more in grid 2, another community and another town."""
    admin, worker = demo_users["admin"], demo_users["worker"]
    d = past.as_of
    long_ago = (timezone.localdate() - d).days + 200

    def make(name, level="A", grid="绣湖社区第1网格", registered=long_ago, **fields):
        return factories.resident(
            actor=admin, grid_name=grid, name=name, care_level=level, registered_days_ago=registered, **fields
        )

    r = {
        "a_on_time": make("甲准时"),
        "a_late": make("甲逾期"),
        "a_edge": make("甲恰好"),
        "b_on_time": make("乙准时", "B"),
        "b_late": make("乙逾期", "B"),
        "c_on_time": make("丙准时", "C"),
        "c_late": make("丙逾期", "C"),
        "never": make("从未走访"),
        "new_on_end": make("当日登记", registered=(timezone.localdate() - d).days),
        "not_home_only": make("只敲门", "C"),
        "met_after_end": make("事后走访"),
        "moved_mid": make("期中搬走", "C"),
        "moved_after": make("期后搬走", "C"),
        "registered_after": make("期后登记", registered=(timezone.localdate() - d).days - 3),
        "deceased_long_ago": make("早已去世", "C"),
    }
    visit(r["a_on_time"], worker, d - 3 * DAY)
    visit(r["a_late"], worker, d - 8 * DAY)  # due d-1: overdue at d
    visit(r["a_edge"], worker, d - 7 * DAY)  # due d itself: not overdue yet
    visit(r["b_on_time"], worker, d - 14 * DAY)
    visit(r["b_late"], worker, d - 15 * DAY)
    visit(r["c_on_time"], worker, d - 30 * DAY)
    visit(r["c_late"], worker, d - 31 * DAY, check="away")
    visit(r["not_home_only"], worker, d - 2 * DAY, outcome="not_home", check="no_location")
    visit(r["not_home_only"], worker, d - 1 * DAY, outcome="refused")
    visit(r["met_after_end"], worker, d - 20 * DAY)  # before the period: overdue at d ...
    visit(r["met_after_end"], worker, d + 2 * DAY)  # ... the visit after the end does not help
    visit(r["moved_mid"], worker, d - 40 * DAY)
    moved(r["moved_mid"], d - 5 * DAY)  # gone before the end: not counted
    visit(r["moved_after"], worker, d - 2 * DAY)
    moved(r["moved_after"], d + 3 * DAY)  # still there at the end: counted, on time
    visit(r["deceased_long_ago"], worker, d - 100 * DAY)
    moved(r["deceased_long_ago"], d - 60 * DAY, status="deceased")

    # grid 2 of the same community: one on time, one missed
    r["g2_on_time"] = make("二格准时", grid="绣湖社区第2网格")
    r["g2_late"] = make("二格逾期", "B", grid="绣湖社区第2网格")
    visit(r["g2_on_time"], demo_users["worker2"], d - 1 * DAY, check="away")
    visit(r["g2_late"], demo_users["worker2"], d - 20 * DAY)
    # another community of the town: one missed; another town: one on time
    r["community_late"] = make("邻社区逾期", "C", grid=other_community_grid().name)
    visit(r["community_late"], admin, d - 45 * DAY)
    r["town_on_time"] = make("外镇准时", "C", grid=other_town_grid().name)
    visit(r["town_on_time"], admin, d - 5 * DAY)
    return r


ON_TIME_IN_GRID1 = {"a_on_time", "a_edge", "b_on_time", "c_on_time", "new_on_end", "moved_after"}
MISSED_IN_GRID1 = {"a_late", "b_late", "c_late", "never", "not_home_only", "met_after_end"}


def names(crafted, keys) -> set[str]:
    return {crafted[k].name for k in keys}


# --- the definition on crafted data -------------------------------------------------------


def test_each_case_of_the_definition_in_one_grid(crafted, past):
    grid1 = grid_named("绣湖社区第1网格")
    figures = coverage.coverage_of(area=grid1, period=past)
    assert figures.active == len(ON_TIME_IN_GRID1 | MISSED_IN_GRID1) == 12
    assert figures.on_time == len(ON_TIME_IN_GRID1) == 6
    assert figures.missed == 6
    assert figures.share == 0.5 and figures.percent == 50
    # visits inside the period (d-19 … d): a_on_time, a_late, a_edge, b_on_time, b_late,
    # not home + refused, moved_after; the away visit (d-31) and d+2 are outside it
    assert figures.visits == 8
    assert (figures.visits_away, figures.visits_no_location, figures.visits_flagged) == (0, 1, 1)

    residents = Resident.objects.filter(grid=grid1)
    missed = coverage.mark_days_overdue(coverage.missed_residents(residents=residents, period=past), past)
    assert {r.name for r in missed} == names(crafted, MISSED_IN_GRID1)
    days = {r.name: r.days_overdue for r in missed}
    assert days[crafted["a_late"].name] == 1 and days[crafted["b_late"].name] == 1
    assert days[crafted["c_late"].name] == 1 and days[crafted["met_after_end"].name] == 13
    # never met: due since registration; most overdue first
    assert [r.days_overdue for r in missed] == sorted((r.days_overdue for r in missed), reverse=True)
    assert missed[0].name in names(crafted, {"never", "not_home_only"})


def test_the_figures_agree_with_the_one_due_rule_on_every_day(crafted, past):
    """For every day of the last ten weeks, coverage's database answer equals outreach.common.due
    applied resident by resident in Python (last met on or before the day)."""
    grid1 = grid_named("绣湖社区第1网格")
    today = timezone.localdate()
    residents = list(Resident.objects.filter(grid=grid1))
    met = {}
    for v in Visit.objects.filter(resident__grid=grid1, outcome="met"):
        met.setdefault(v.resident_id, []).append(timezone.localdate(v.visited_at))
    for back in range(0, 70, 3):
        day = today - back * DAY
        period = periods.period_for("custom", today=today, start=day - 6 * DAY, end=day)
        expected_active = expected_on_time = 0
        for r in residents:
            if r.registered_on > day or (r.status != "active" and r.status_on <= day):
                continue
            expected_active += 1
            last = max((m for m in met.get(r.pk, []) if m <= day), default=None)
            due_on = due.due_on_for(last_met_on=last, registered_on=r.registered_on, care_level=r.care_level)
            expected_on_time += not due.is_overdue(due_on, day)
        figures = coverage.coverage_of(area=grid1, period=period)
        assert (figures.active, figures.on_time) == (expected_active, expected_on_time), day


def test_a_running_period_uses_the_stored_due_date_and_agrees_with_the_history(crafted):
    today = timezone.localdate()
    town = Area.objects.get(name="稠城街道")
    for kind in ["week", "month"]:
        period = periods.period_for(kind, today=today)
        assert period.is_running and period.as_of == today
        stored = coverage.resident_figures(within=[town.path], period=period)
        history = coverage.resident_figures(within=[town.path], period=period, use_stored_due=False)
        assert stored == history and sum(f.active for f in stored.values()) > 0


def test_roll_up_from_grids_to_community_town_and_city(crafted, past, demo_users):
    xiuhu, town = Area.objects.get(name="绣湖社区"), Area.objects.get(name="稠城街道")
    grid1, grid2 = grid_named("绣湖社区第1网格"), grid_named("绣湖社区第2网格")

    station = coverage.place_for_user_or_404(demo_users["station"])
    by_part, total = coverage.coverage_of_place(place=station, period=past)
    assert [p.name for p in station.parts] == [grid1.name, grid2.name]
    assert (by_part[grid1.pk].active, by_part[grid1.pk].on_time) == (12, 6)
    assert (by_part[grid2.pk].active, by_part[grid2.pk].on_time, by_part[grid2.pk].visits_away) == (2, 1, 1)
    assert (total.active, total.on_time, total.visits) == (14, 7, 9)  # g2_late's visit was before the period

    street = coverage.place_for_user_or_404(demo_users["street"])
    by_part, total = coverage.coverage_of_place(place=street, period=past)
    assert street.area == town and all(p.level == Area.Level.COMMUNITY for p in street.parts)
    assert (by_part[xiuhu.pk].active, by_part[xiuhu.pk].on_time) == (14, 7)
    neighbour = other_community_grid().parent
    assert (by_part[neighbour.pk].active, by_part[neighbour.pk].on_time) == (1, 0)
    assert (total.active, total.on_time) == (15, 7)
    assert sum(f.active for f in by_part.values()) == total.active
    assert all(by_part[p.pk] == coverage.Figures() for p in street.parts if p.pk not in {xiuhu.pk, neighbour.pk})

    city = coverage.place_for_user_or_404(demo_users["admin"])
    by_part, total = coverage.coverage_of_place(place=city, period=past)
    assert (by_part[town.pk].active, by_part[town.pk].on_time) == (15, 7)
    assert (total.active, total.on_time) == (16, 8)


def test_bands_come_from_the_settings(settings):
    settings.DAIBAN_COVERAGE_BANDS = (0.95, 0.9, 0.8, 0.7, 0.5)
    shares = [(100, 100), (100, 95), (100, 94), (100, 90), (100, 85), (100, 75), (100, 66), (100, 25)]
    assert [str(coverage.Figures(active=a, on_time=o).band) for a, o in shares] == [
        "s8", "s8", "s6", "s6", "s5", "s3", "s2", "s0",
    ]  # fmt: skip
    assert coverage.Figures().band == coverage.NO_RESIDENTS
    with translation.override("zh-hans"):
        assert [str(label) for _band, label in coverage.legend()] == [
            "95 % 及以上", "90–95 %", "80–90 %", "70–80 %", "50–70 %", "低于 50 %", "无服务对象",
        ]  # fmt: skip
    # Fewer bounds: the bands still run from the darkest red to the darkest blue.
    settings.DAIBAN_COVERAGE_BANDS = (0.8, 0.6, 0.4, 0.2)
    assert [b.value for b in coverage.bands()] == ["s8", "s6", "s4", "s2", "s0"]
    assert str(coverage.Figures(active=10, on_time=6).band) == "s6"
    # 89.99 % is not shown as 90 %, nor coloured as such
    settings.DAIBAN_COVERAGE_BANDS = (0.95, 0.9, 0.8, 0.7, 0.5)
    assert coverage.Figures(active=10_000, on_time=8_999).percent == 89
    assert str(coverage.Figures(active=10_000, on_time=8_999).band) == "s5"


def test_sorting_puts_areas_without_residents_last():
    a, b, c = (Area(code=code, name=code) for code in ["1", "2", "3"])
    rows = [(a, coverage.Figures(10, 9)), (b, coverage.Figures()), (c, coverage.Figures(10, 2))]
    assert [r[0].code for r in coverage.sort_rows(rows, "share")] == ["3", "1", "2"]
    assert [r[0].code for r in coverage.sort_rows(rows, "-share")] == ["1", "3", "2"]
    assert [r[0].code for r in coverage.sort_rows(rows, "-missed")] == ["3", "1", "2"]
    assert [r[0].code for r in coverage.sort_rows(rows, "nonsense")] == ["3", "1", "2"]


# --- past days as written by the nightly run ------------------------------------------------


def every_area_on(day: date, **how) -> dict[int, tuple[int, int]]:
    """{area id: (active, on time)} at the end of ``day``, level by level (each level's
    areas are disjoint subtrees, as coverage_by_area asks)."""
    period = periods.Period(periods.PeriodKind.CUSTOM, day, day, timezone.localdate())
    cities = [city.path for city in Area.objects.filter(parent__isnull=True)]
    found = {}
    for level in Area.Level:
        areas = list(Area.objects.filter(level=level))
        for pk, f in coverage.coverage_by_area(areas=areas, period=period, within=cities, **how).items():
            found[pk] = (f.active, f.on_time)
    return found


def test_a_written_day_gives_every_area_the_figures_of_the_history(crafted, past):
    """The nightly run writes each past day once; what a past period then reads from it is,
    for every area of every level, what counting the residents' visit history gives."""
    days = [past.as_of - 3 * DAY, past.as_of, past.as_of + 2 * DAY, timezone.localdate() - DAY]
    for day in days:
        assert coverage.written_day(areas=list(Area.objects.filter(level=Area.Level.TOWN)), day=day) is None
    written = coverage_days.fill(days=14)
    assert written == [timezone.localdate() - n * DAY for n in range(14, 0, -1)]
    assert coverage_days.fill(days=14) == []  # written once
    for day in days:
        from_history = every_area_on(day, use_stored_due=False)
        with CaptureQueriesContext(connection) as read:
            assert every_area_on(day) == from_history
        assert not [
            q["sql"][:300]
            for q in read.captured_queries
            if "outreach_resident" in q["sql"] or "outreach_visit" in q["sql"]
        ]
        assert sum(on_time for _active, on_time in from_history.values()) > 0
    grid1 = grid_named("绣湖社区第1网格")
    figures = coverage.coverage_of(area=grid1, period=past)  # the crafted cases, read from the written day
    assert (figures.active, figures.on_time, figures.visits) == (12, 6, 8)


def test_a_late_fact_makes_the_written_days_from_its_day_on_stale(crafted, past, demo_users):
    """A visit sent days after it was made, a corrected outcome, a death dated back: the
    past days they change are counted from the history again (so the figures include
    them at once), until the nightly run writes those days anew. A visit of today leaves
    every written day alone."""
    worker, today = demo_users["worker"], timezone.localdate()
    coverage_days.fill(days=20)
    never = crafted["never"]
    before = coverage.coverage_of(area=never.grid, period=past)

    factories.visit(actor=worker, resident=crafted["a_on_time"])  # today's
    assert coverage_days.days_to_write(today=today, days=20) == []

    late = factories.visit(actor=worker, resident=never, at=coverage.due.day_start(past.as_of) + timedelta(hours=10))
    assert coverage_days.days_to_write(today=today, days=20) == [past.as_of + n * DAY for n in range(10)]
    after = coverage.coverage_of(area=never.grid, period=past)  # from the history: met on the day
    assert (after.active, after.on_time) == (before.active, before.on_time + 1)
    coverage_days.fill(days=20)
    assert coverage.coverage_of(area=never.grid, period=past) == after  # the same, written

    services.visit_correct(actor=worker, visit=late, outcome="not_home")
    assert coverage_days.days_to_write(today=today, days=20) == [past.as_of + n * DAY for n in range(10)]
    assert coverage.coverage_of(area=never.grid, period=past).on_time == before.on_time
    coverage_days.fill(days=20)

    resident = Resident.objects.get(pk=crafted["a_on_time"].pk)
    services.resident_update(
        actor=demo_users["admin"],
        resident=resident,
        expected_version=resident.version,
        status="deceased",
        status_on=past.as_of - 2 * DAY,
    )
    assert coverage_days.days_to_write(today=today, days=20) == [past.as_of - 2 * DAY + n * DAY for n in range(12)]
    gone = coverage.coverage_of(area=never.grid, period=past)
    assert (gone.active, gone.on_time) == (before.active - 1, before.on_time - 1)
    coverage_days.fill(days=20)
    assert every_area_on(past.as_of) == every_area_on(past.as_of, use_stored_due=False)


def test_new_care_intervals_make_every_written_day_stale(crafted, past, settings):
    """Written days judged "on time" by the intervals of their night: after
    DAIBAN_CARE_INTERVAL_DAYS changes, recompute_due_dates leaves them all to be counted
    again, and what is written next is what the history gives under the new intervals."""
    coverage_days.fill(days=14)
    settings.DAIBAN_CARE_INTERVAL_DAYS = {"A": 3, "B": 7, "C": 10}
    call_command("recompute_due_dates", stdout=io.StringIO())
    today = timezone.localdate()
    assert coverage_days.days_to_write(today=today, days=14) == [today - n * DAY for n in range(14, 0, -1)]
    assert every_area_on(past.as_of) == every_area_on(past.as_of, use_stored_due=False)  # from the history
    coverage_days.fill(days=14)
    assert every_area_on(past.as_of) == every_area_on(past.as_of, use_stored_due=False)  # written anew


def test_a_day_is_written_only_with_every_city_s_row(crafted, past):
    """Two cities in one database (the demo's and a synthetic one beside it): a day
    written before the second city came is not written for it — its areas are counted
    from the history, not read as empty — and the next run writes the day for both."""
    coverage_days.fill(days=14)
    city = Area.objects.create(
        code="990001", name="第二市", level=Area.Level.CITY, path=Area.path_for(code="990001", parent=None)
    )
    grid = Area.objects.create(
        code="99000101",
        name="第二市网格",
        level=Area.Level.GRID,
        parent=city,
        path=Area.path_for(code="99000101", parent=city),
    )
    Resident.objects.create(
        grid=grid,
        name="第二市居民",
        address="一号",
        consent_basis="written",
        care_level="C",
        registered_on=past.as_of - 20 * DAY,
        due_on=past.as_of - 20 * DAY,  # never met: due on the day of registration
    )
    assert coverage.written_day(areas=[grid], day=past.as_of) is None
    assert coverage.coverage_by_area(areas=[grid], period=past)[grid.pk].active == 1
    assert past.as_of in coverage_days.days_to_write(today=past.today, days=14)
    coverage_days.fill(days=14)
    assert coverage.written_day(areas=[grid], day=past.as_of)[grid.pk].active == 1
    assert every_area_on(past.as_of) == every_area_on(past.as_of, use_stored_due=False)


def test_the_nightly_command_writes_the_missing_days(crafted, settings):
    settings.DAIBAN_COVERAGE_DAYS = 5
    out = io.StringIO()
    call_command("fill_coverage_days", stdout=out)
    assert out.getvalue().startswith("5 days of coverage written")
    out = io.StringIO()
    call_command("fill_coverage_days", "--days", "7", stdout=out)
    assert out.getvalue().startswith("2 days of coverage written")
    today = timezone.localdate()
    assert CoverageDay.objects.filter(day=today - 7 * DAY).exists()
    call_command("fill_coverage_days", stdout=io.StringIO())  # the nightly run: five days are kept
    assert not CoverageDay.objects.filter(day__lt=today - 5 * DAY).exists()
    assert CoverageDay.objects.filter(day=today - 5 * DAY).exists()


# --- the map page --------------------------------------------------------------------------


def period_query(past: periods.Period, **extra) -> dict:
    return {**past.query(), **extra}


def test_login_required(client):
    for name in [MAP, AREAS, LAYERS]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_street_sees_the_town_its_communities_and_the_missed_list(client_for, crafted, past):
    response = client_for("street").get(reverse(MAP), period_query(past))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["place"].area.name == "稠城街道" and ctx["total"].active == 15
    rows = {row.area.name: row for row in ctx["rows"]}
    assert rows["绣湖社区"].figures.on_time == 7 and rows["绣湖社区"].drillable
    assert rows["绣湖社区"].url in response.content.decode().replace("&amp;", "&")
    missed = [r.name for r in ctx["missed"]]
    assert set(missed) == names(crafted, MISSED_IN_GRID1 | {"g2_late", "community_late"})
    assert ctx["missed"].paginator.count == len(missed) == ctx["total"].missed == 8
    html = response.content.decode()
    assert reverse("resident-detail", args=[crafted["never"].pk]) in html
    assert 'id="coverage-map"' in html and "coverage-map.js" in html


def test_default_sort_is_worst_first_and_columns_sort_both_ways(client_for, crafted, past):
    client = client_for("street")
    shares = [row.figures.share for row in client.get(reverse(MAP), period_query(past)).context["rows"]]
    known = [s for s in shares if s is not None]
    assert known == sorted(known) and shares[len(known) :] == [None] * (len(shares) - len(known))
    rows = client.get(reverse(MAP), period_query(past, sort="-missed")).context["rows"]
    assert [row.figures.missed for row in rows][:2] == [7, 1]
    response = client.get(reverse(MAP), period_query(past, sort="-missed"))
    head = {h["key"]: h for h in response.context["head"]}
    assert head["missed"]["direction"] == "descending" and "sort=missed" in head["missed"]["url"]
    assert 'aria-sort="descending"' in response.content.decode()


def test_drill_down_to_a_grid_with_a_breadcrumb_back_up(client_for, crafted, past):
    client = client_for("street")
    xiuhu, grid1 = Area.objects.get(name="绣湖社区"), grid_named("绣湖社区第1网格")
    response = client.get(reverse(MAP), period_query(past, area=xiuhu.pk))
    assert [p.name for p in response.context["place"].parts] == ["绣湖社区第1网格", "绣湖社区第2网格"]
    assert [a.name for a, _ in response.context["trail"]] == ["稠城街道"]
    response = client.get(reverse(MAP), period_query(past, area=grid1.pk))
    place = response.context["place"]
    assert place.is_leaf and place.parts == [grid1] and not place.drillable
    assert [a.name for a, _ in response.context["trail"]] == ["稠城街道", "绣湖社区"]
    assert {r.name for r in response.context["missed"]} == names(crafted, MISSED_IN_GRID1)


def test_grid_rows_open_the_grid_s_missed_list(client_for, crafted, past, django_assert_num_queries):
    client = client_for("station")
    grid1 = grid_named("绣湖社区第1网格")
    response = client.get(reverse(MAP), period_query(past))
    html = response.content.decode().replace("&amp;", "&")
    rows = {row.area.name: row for row in response.context["rows"]}
    assert rows["绣湖社区第1网格"].drillable and rows["绣湖社区第1网格"].opens_missed
    link = f'<a href="{rows["绣湖社区第1网格"].url}#missed-title" data-area-link="{grid1.pk}"'
    assert link in html and 'hx-swap="innerHTML show:#missed-title:top"' in html
    with django_assert_num_queries(PAGE_QUERIES["station"] - 1 + HISTORY):  # no parts below a grid
        response = client.get(rows["绣湖社区第1网格"].url)
    html = response.content.decode()
    assert 'id="missed-title"' in html and response.context["place"].area == grid1
    assert {r.name for r in response.context["missed"]} == names(crafted, MISSED_IN_GRID1)
    # A worker's own grid is the bottom of the map: the row is the area itself, no link.
    response = client_for("worker").get(reverse(MAP), period_query(past))
    assert [row.drillable for row in response.context["rows"]] == [False]
    assert "data-area-link" not in response.content.decode()


@pytest.mark.parametrize(
    "username, visible, hidden",
    [
        ("worker", ["绣湖社区第1网格"], ["绣湖社区第2网格", "绣湖社区", "稠城街道", "义乌市"]),
        ("station", ["绣湖社区", "绣湖社区第2网格"], ["稠城街道", "义乌市"]),
        ("street", ["稠城街道", "绣湖社区第1网格"], ["义乌市", "佛堂镇"]),
        ("admin", ["义乌市", "佛堂镇", "绣湖社区第2网格"], []),
    ],
)
def test_areas_outside_the_scope_are_404_everywhere(client_for, username, visible, hidden):
    client = client_for(username)
    for name in visible:
        pk = Area.objects.get(name=name).pk
        assert client.get(reverse(MAP), {"area": pk}).status_code == 200
        assert client.get(reverse(AREAS), {"area": pk}).status_code == 200
        assert client.get(reverse(LAYERS), {"area": pk, "layer": "points"}).status_code == 200
    for name in hidden:
        pk = Area.objects.get(name=name).pk
        assert client.get(reverse(MAP), {"area": pk}).status_code == 404
        assert client.get(reverse(AREAS), {"area": pk}).status_code == 404
        for layer in ["points", "branch_points", "missed", "errands"]:
            assert client.get(reverse(LAYERS), {"area": pk, "layer": layer}).status_code == 404
    assert client.get(reverse(MAP), {"area": 99_999_999}).status_code == 404
    assert client.get(reverse(MAP), {"area": "abc"}).status_code == 404


def test_secretary_sees_the_paired_points_areas_and_no_residents(client_for, crafted, past, demo_users):
    client = client_for("secretary")
    branch = JointBranch.objects.get(scopes__user=demo_users["secretary"])
    paired = set(Pairing.objects.filter(branch=branch, until__isnull=True).values_list("point__area_id", flat=True))
    response = client.get(reverse(MAP), period_query(past))
    place = response.context["place"]
    assert place.area is None and {p.pk for p in place.parts} == paired and not place.drillable
    assert response.context["missed"] is None and "missed-list" not in response.content.decode()
    assert 'data-layer="missed"' not in response.content.decode()
    xiuhu = Area.objects.get(name="绣湖社区")
    assert xiuhu.pk in paired
    response = client.get(reverse(MAP), period_query(past, area=xiuhu.pk))
    assert response.status_code == 200 and response.context["place"].is_leaf
    assert response.context["total"].active == 14  # figures of the paired area, no names
    assert crafted["never"].name not in response.content.decode()
    for layer in ["missed", "errands"]:
        assert client.get(reverse(LAYERS), {"area": xiuhu.pk, "layer": layer}).status_code == 404
        assert client.get(reverse(LAYERS), {"layer": layer}).status_code == 404
    unpaired = Area.objects.filter(level=Area.Level.COMMUNITY).exclude(pk__in=paired).first()
    assert client.get(reverse(MAP), {"area": unpaired.pk}).status_code == 404
    assert client.get(reverse(AREAS), {"area": grid_named("绣湖社区第1网格").pk}).status_code == 404


def test_the_page_links_its_tables_downloads_the_dashboard_and_the_town_report(client_for, crafted, past):
    """Every table beside the map downloads for the area and period on the screen; a
    downloaded table holds the screen's figures; roles without residents get no list."""
    xiuhu = Area.objects.get(name="绣湖社区")
    client = client_for("street")
    response = client.get(reverse(MAP), period_query(past, area=xiuhu.pk))
    exports = response.context["exports"]
    assert set(exports) == {"coverage", "missed"}
    html = response.content.decode()
    for table in exports.values():
        for url in table.values():
            assert url.replace("&", "&amp;") in html and f"area={xiuhu.pk}" in url and f"start={past.start}" in url
    downloaded = csv_table(client.get(exports["coverage"]["csv"]).content)
    shown = {row.area.name: row.figures for row in response.context["rows"]}
    assert [row[0] for row in downloaded.rows] == sorted(shown, key=lambda n: grid_named(n).code)
    for name, active, on_time, *_ in downloaded.rows:
        assert (int(active), int(on_time)) == (shown[name].active, shown[name].on_time)
    # The missed residents are written by a background job: the buttons start it.
    assert f'<form method="post" action="{exports["missed"]["csv"].replace("&", "&amp;")}">' in html
    started = client.post(exports["missed"]["csv"])
    run_tasks()
    job = client.get(started.url).context["job"]
    download = client.get(reverse("job-download", args=[job.pk]))
    missed = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    assert len(missed) - 1 == response.context["missed"].paginator.count > 0
    assert response.context["dashboard_url"] == f"{reverse('dashboard')}?area={xiuhu.pk}&{urlencode(past.query())}"
    assert client.get(response.context["dashboard_url"]).status_code == 200
    assert response.context["report_url"] == ""  # the monthly report is a town's
    town = client.get(reverse(MAP), period_query(past))
    assert town.context["report_url"].startswith(reverse("coverage-report"))
    assert client.get(town.context["report_url"]).status_code == 200

    secretary = client_for("secretary").get(reverse(MAP), period_query(past, area=xiuhu.pk))
    assert set(secretary.context["exports"]) == {"coverage"}
    assert "table=missed" not in secretary.content.decode()
    assert client_for("secretary").get(secretary.context["dashboard_url"]).status_code == 200  # the branch's own


def test_a_bad_custom_period_shows_its_error_and_this_month(client_for, crafted):
    today = timezone.localdate()
    response = client_for("street").get(
        reverse(MAP), {"period": "custom", "start": today.isoformat(), "end": (today - 3 * DAY).isoformat()}
    )
    assert response.status_code == 200
    assert response.context["period_errors"] and response.context["period"].kind == "month"
    assert 'role="alert"' in response.content.decode()
    response = client_for("street").get(reverse(AREAS), {"period": "custom", "start": today.isoformat()})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"end"}
    response = client_for("street").get(reverse(MAP), {"period": "custom", "start": "2026-13-45", "end": "x"})
    assert response.status_code == 200 and len(response.context["period_errors"]) == 2
    response = client_for("street").get(reverse(AREAS), {"period": "decade"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"period"}


def test_htmx_gets_the_panel_and_a_history_restore_the_whole_page(client_for, crafted, past):
    client = client_for("street")
    html = client.get(reverse(MAP), period_query(past), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in html and 'id="coverage-state"' in html and "leaflet" not in html
    html = client.get(
        reverse(MAP), period_query(past), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    ).content.decode()
    assert "<html" in html and "hx-history-elt" in html
    # the period form sends a week's dates too; the address bar keeps what matters
    xiuhu = Area.objects.get(name="绣湖社区")
    response = client.get(
        reverse(MAP),
        {"area": xiuhu.pk, "period": "week", "start": "2020-01-01", "end": "2020-01-02", "sort": "-missed"},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Push-Url"] == f"{reverse(MAP)}?area={xiuhu.pk}&period=week&sort=-missed"


def test_the_page_has_no_inline_styles_or_handlers(client_for, crafted, past):
    html = client_for("street").get(reverse(MAP), period_query(past)).content.decode()
    assert " style=" not in html and "onclick" not in html
    assert 'id="coverage-labels" type="application/json"' in html  # the map's words, as data


def test_street_and_city_find_the_coverage_map_in_the_navigation(client_for):
    for username, has_map in [
        ("street", True),
        ("admin", True),
        ("station", False),
        ("worker", False),
        ("secretary", False),
    ]:
        items = client_for(username).get(reverse("home"), follow=True).context["nav_items"]
        assert any(i["url"] == reverse(MAP) for i in items) is has_map
        assert len(items) <= 5


# --- GeoJSON --------------------------------------------------------------------------------


def features(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    return response.json()["features"]


def test_areas_geojson_carries_the_figures_and_drill_links(client_for, crafted, past):
    response = client_for("street").get(reverse(AREAS), period_query(past))
    data = response.json()
    by_name = {f["properties"]["name"]: f["properties"] for f in data["features"]}
    xiuhu = by_name["绣湖社区"]
    figures = (xiuhu["active"], xiuhu["onTime"], xiuhu["missed"], xiuhu["percent"], xiuhu["band"])
    assert figures == (14, 7, 7, 50, "s2")  # 50–70 %
    assert xiuhu["drill"] and f"area={xiuhu['id']}" in xiuhu["url"]
    assert data["properties"]["total"]["active"] == 15 and data["properties"]["asOf"] == past.as_of.isoformat()
    assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"} for f in data["features"])
    assert sum(p["band"] == "none" for p in by_name.values()) == len(by_name) - 2


def test_areas_geojson_names_each_area_at_a_point_inside_it(client_for, crafted, past):
    from shapely.geometry import Point, shape

    data = client_for("station").get(reverse(AREAS), period_query(past)).json()
    assert data["properties"]["name"] == "绣湖社区"  # the figures button's heading for the whole
    for feature in data["features"]:
        lat, lng = feature["properties"]["labelAt"]
        assert shape(feature["geometry"]).contains(Point(lng, lat)), feature["properties"]["name"]
        assert feature["properties"]["drill"] and feature["properties"]["level"] == Area.Level.GRID
    assert client_for("street").get(reverse(AREAS), {"zoom": 10}).json()["properties"]["name"] == "稠城街道"


def test_colours_follow_the_band_settings(client_for, crafted, past, settings):
    client = client_for("station")

    def bands():
        response = client.get(reverse(AREAS), period_query(past))
        return {f["properties"]["name"]: f["properties"]["band"] for f in features(response)}

    assert bands() == {"绣湖社区第1网格": "s2", "绣湖社区第2网格": "s2"}
    settings.DAIBAN_COVERAGE_BANDS = (0.9, 0.75, 0.5, 0.25)
    assert bands() == {"绣湖社区第1网格": "s4", "绣湖社区第2网格": "s4"}
    html = client.get(reverse(MAP), period_query(past)).content.decode()
    assert "50–75 %" in html and "低于 25 %" in html


@pytest.mark.parametrize("value", ["95,90,80", "95,90,80,70,x", "95,90,80,0", "120,90,80,70"])
def test_bad_band_settings_are_refused_with_the_rule(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from config import settings as project_settings

    monkeypatch.setenv("DAIBAN_COVERAGE_BANDS", value)
    with pytest.raises(ImproperlyConfigured, match="4 to 10 whole percentages"):
        project_settings._coverage_bands()
    monkeypatch.setenv("DAIBAN_COVERAGE_BANDS", "50,70,80,90,95")
    assert project_settings._coverage_bands() == (0.95, 0.9, 0.8, 0.7, 0.5)


def coordinates(geometry) -> list[list[float]]:
    if geometry["type"] == "Polygon":
        rings = geometry["coordinates"]
    else:
        rings = [ring for polygon in geometry["coordinates"] for ring in polygon]
    return [pt for ring in rings for pt in ring]


def test_outlines_are_simplified_to_the_zoom_and_rounded(client_for):
    client = client_for("admin")
    coarse = features(client.get(reverse(AREAS), {"zoom": 8}))
    fine = features(client.get(reverse(AREAS), {"zoom": 17}))
    default = client.get(reverse(AREAS)).json()
    assert default["properties"]["zoom"] == 10  # the city's towns
    assert sum(len(coordinates(f["geometry"])) for f in coarse) < sum(len(coordinates(f["geometry"])) for f in fine)
    decimals = coordinate_decimals(8)
    for lng, lat in coordinates(coarse[0]["geometry"]):
        assert round(lng, decimals) == lng and round(lat, decimals) == lat
    assert client.get(reverse(AREAS), {"zoom": 99}).status_code == 400


def test_geojson_is_gzipped_when_the_browser_accepts_it(client_for):
    client = client_for("admin")
    response = client.get(reverse(AREAS), headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["type"] == "FeatureCollection"
    response = client.get(reverse(LAYERS), {"layer": "points"}, headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"


def test_point_layers_by_role(client_for, demo_users):
    def point_names(username, **query):
        return sorted(
            f["properties"]["name"]
            for f in features(client_for(username).get(reverse(LAYERS), {"layer": "points", **query}))
        )

    assert point_names("worker") == ["绣湖社区第1网格代办点"]
    assert point_names("station") == ["绣湖社区代办站", "绣湖社区第1网格代办点", "绣湖社区第2网格代办点"]
    street = point_names("street")
    town = Area.objects.get(name="稠城街道")
    stations = ServicePoint.objects.filter(area__parent=town, tier="community_station").count()
    assert "稠城街道代办中心" in street and len(street) == 1 + stations
    assert not any(name.endswith("网格代办点") for name in street)  # a town shows its centre and stations
    admin = client_for("admin").get(reverse(LAYERS), {"layer": "points"}).json()["features"]
    assert {f["properties"]["tier"] for f in admin} == {"street_centre"} and len(admin) == 14
    secretary = point_names("secretary")
    branch = JointBranch.objects.get(scopes__user=demo_users["secretary"])
    assert len(secretary) == Pairing.objects.filter(branch=branch, until__isnull=True).count()


def test_branch_points_layer(client_for, demo_users):
    data = features(client_for("station").get(reverse(LAYERS), {"layer": "branch_points"}))
    assert [f["properties"]["name"] for f in data] == ["绣湖社区代办站"]
    expected = sorted(
        Pairing.objects.filter(point__name="绣湖社区代办站", until__isnull=True).values_list("branch__name", flat=True)
    )
    assert sorted(data[0]["properties"]["branches"]) == expected
    assert len(features(client_for("worker").get(reverse(LAYERS), {"layer": "branch_points"}))) == 0
    secretary = features(client_for("secretary").get(reverse(LAYERS), {"layer": "branch_points"}))
    branch = JointBranch.objects.get(scopes__user=demo_users["secretary"])
    assert all(branch.name in f["properties"]["branches"] for f in secretary)


def test_missed_layer_is_scoped_and_at_the_homes(client_for, crafted, past):
    def missed(username, **query):
        return {
            f["properties"]["name"]: f
            for f in features(client_for(username).get(reverse(LAYERS), {"layer": "missed", **past.query(), **query}))
        }

    worker = missed("worker")
    assert set(worker) == names(crafted, MISSED_IN_GRID1)
    home = crafted["never"]
    assert worker[home.name]["geometry"]["coordinates"] == [round(home.home_lng, 5), round(home.home_lat, 5)]
    assert worker[home.name]["properties"]["url"] == reverse("resident-detail", args=[home.pk])
    assert set(missed("worker2")) == names(crafted, {"g2_late"})
    assert set(missed("street")) == names(crafted, MISSED_IN_GRID1 | {"g2_late", "community_late"})
    assert set(missed("street", area=grid_named("绣湖社区第2网格").pk)) == names(crafted, {"g2_late"})
    # The whole city in a past period: counted, not drawn (Place.names_missed); its towns are.
    city = client_for("admin").get(reverse(LAYERS), {"layer": "missed", **past.query()}).json()
    assert city["features"] == [] and city["properties"]["open_town"] is True
    town = Area.objects.get(name="稠城街道")
    assert set(missed("admin", area=town.pk)) == set(missed("street"))  # the other town's resident was on time
    current = client_for("admin").get(reverse(LAYERS), {"layer": "missed", "period": "month"}).json()
    assert "open_town" not in current["properties"]  # while the period runs, the stored due dates find them


def test_a_past_period_of_the_whole_city_counts_its_missed_and_names_them_by_town(client_for, crafted, past):
    """Who was missed last month in the whole city is tens of thousands of names at city
    scale, read from every resident's history: the city's page gives their number and the
    download, and a town's page lists its own."""
    client = client_for("admin")
    response = client.get(reverse(MAP), period_query(past))
    html = response.content.decode()
    assert response.context["missed"] is None and response.context["missed_count"] == response.context["total"].missed
    assert 'id="missed-by-town"' in html and "请在上方表格中打开街道" in html
    assert f'<span class="count">{response.context["total"].missed}</span>' in html
    assert "dashboard-export" not in html and reverse("dashboard-export", args=["xlsx"]) in html  # the download stays
    town = client.get(reverse(MAP), period_query(past, area=Area.objects.get(name="稠城街道").pk))
    assert {r.name for r in town.context["missed"]} >= names(crafted, MISSED_IN_GRID1)
    running = client.get(reverse(MAP), {"period": "month"})
    assert running.context["missed"] is not None  # this month: the stored due dates, by index


def test_missed_layer_stops_at_the_map_limit(client_for, crafted, past, settings):
    settings.DAIBAN_COVERAGE_MAP_LIMIT = 3
    data = client_for("station").get(reverse(LAYERS), {"layer": "missed", **past.query()}).json()
    assert len(data["features"]) == 3 and data["properties"]["truncated"] is True
    days = [f["properties"]["daysOverdue"] for f in data["features"]]
    assert days == sorted(days, reverse=True)


@pytest.fixture
def overdue_errand(demo_users, crafted, catalogue):
    return factories.errand(
        actor=demo_users["worker"],
        resident=crafted["a_on_time"],
        code=ServiceType.objects.order_by("promised_days").first().code,
        source="visit",
        ago=40 * DAY,
    )


def test_errands_layer_shows_overdue_errands_in_scope(client_for, overdue_errand):
    def numbers(username, **query):
        return [
            f["properties"]["number"]
            for f in features(client_for(username).get(reverse(LAYERS), {"layer": "errands", **query}))
        ]

    assert numbers("worker") == numbers("station") == numbers("street") == [overdue_errand.number]
    assert numbers("worker2") == []
    data = features(client_for("street").get(reverse(LAYERS), {"layer": "errands"}))[0]["properties"]
    assert data["daysOverdue"] > 0 and data["url"] == reverse("errand-detail", args=[overdue_errand.pk])
    assert client_for("street").get(reverse(LAYERS), {"layer": "nonsense"}).status_code == 400
    assert client_for("street").get(reverse(LAYERS)).status_code == 400


# --- GCJ-02 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wgs84, gcj02",
    [
        # Tiananmen, the reference point every GCJ-02 converter quotes
        ((39.908692, 116.397477), (39.910093, 116.403722)),
        # wandergis/coordtransform's documented example: wgs84togcj02(116.404, 39.915)
        ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
    ],
)
def test_gcj02_against_reference_points(wgs84, gcj02):
    lat, lng = wgs84_to_gcj02(*wgs84)
    assert abs(lat - gcj02[0]) < 1e-4 and abs(lng - gcj02[1]) < 1e-4


def test_gcj02_leaves_places_outside_china_alone():
    assert out_of_china(51.5, -0.12) and wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)


def test_amap_provider_shifts_areas_and_markers(client_for, crafted, past, settings):
    client = client_for("worker")
    plain_area = features(client.get(reverse(AREAS), period_query(past)))[0]["geometry"]
    plain_missed = features(client.get(reverse(LAYERS), {"layer": "missed", **past.query()}))
    settings.TILE_PROVIDER = "amap"
    shifted_area = features(client.get(reverse(AREAS), period_query(past)))[0]["geometry"]
    shifted_missed = features(client.get(reverse(LAYERS), {"layer": "missed", **past.query()}))
    (lng0, lat0), (lng1, lat1) = coordinates(plain_area)[0], coordinates(shifted_area)[0]
    # GCJ-02 moves Yiwu about 500 m east-south-east
    assert 0.003 < lng1 - lng0 < 0.007 and -0.004 < lat1 - lat0 < 0
    home = plain_missed[0]["geometry"]["coordinates"]
    expected_lat, expected_lng = wgs84_to_gcj02(home[1], home[0])
    moved_home = next(f for f in shifted_missed if f["properties"]["id"] == plain_missed[0]["properties"]["id"])
    assert moved_home["geometry"]["coordinates"] == pytest.approx([expected_lng, expected_lat], abs=2e-5)


# --- query counts: fixed, and the same with more data ---------------------------------------


def grow(demo_users, count: int) -> None:
    """More residents with visits in several grids, communities and a town, and an overdue
    errand or two: nothing the counts below may depend on."""
    admin, worker = demo_users["admin"], demo_users["worker"]
    grids = ["绣湖社区第1网格", "绣湖社区第2网格", other_community_grid().name, other_town_grid().name]
    today = timezone.localdate()
    for i in range(count):
        r = factories.resident(
            actor=admin, grid_name=grids[i % len(grids)], name=f"加{i}", care_level="ABC"[i % 3], registered_days_ago=90
        )
        for back in (3, 20, 45):
            visit(
                r,
                worker,
                today - (back + i % 7) * DAY,
                outcome="met" if i % 4 else "not_home",
                check=["near_home", "away", "no_location"][i % 3],
            )


# session, user, scopes, the area (with its ancestors), its parts (none to ask for below
# a grid), the residents' figures (the day as written, or the due tallies while the
# period runs), visits by grid, then (residents shown) the page of missed residents
# (their number comes from the figures); a secretary's overview is one query for the
# paired points' areas, and no residents. A past day not written yet takes one more:
# the look for it, then the residents by grid from the visit history (HISTORY).
PAGE_QUERIES = {"worker": 7, "station": 8, "street": 8, "admin": 8, "secretary": 6}
# session, user, scopes, the place (area, parts), the residents' figures, visits by grid
AREAS_QUERIES = {"worker": 6, "station": 7, "street": 7, "admin": 7, "secretary": 6}
HISTORY = 1
# The whole city in a past period lists no names (Place.names_missed): one query fewer on
# its page and its missed layer.
CITY_PAST = {"admin": 1}
# session, user, scopes, the place (area, parts), the layer
LAYER_QUERIES = {"worker": 5, "station": 6, "street": 6, "admin": 6, "secretary": 5}


@pytest.mark.parametrize("username", ["worker", "station", "street", "admin", "secretary"])
def test_query_counts_do_not_grow_with_data(
    client_for, crafted, past, overdue_errand, demo_users, username, django_assert_num_queries
):
    client = client_for(username)
    layers = ["points", "branch_points"] + (["missed", "errands"] if username != "secretary" else [])

    def measure(written: bool):
        past_page = PAGE_QUERIES[username] - CITY_PAST.get(username, 0) + (0 if written else HISTORY)
        with django_assert_num_queries(past_page):
            assert client.get(reverse(MAP), period_query(past)).status_code == 200
        with django_assert_num_queries(PAGE_QUERIES[username]):  # the running period: stored due dates
            assert client.get(reverse(MAP), {"period": "month"}, headers={"HX-Request": "true"}).status_code == 200
        with django_assert_num_queries(AREAS_QUERIES[username] + (0 if written else HISTORY)):
            assert client.get(reverse(AREAS), period_query(past)).status_code == 200
        for layer in layers:
            counted_only = CITY_PAST.get(username, 0) if layer == "missed" else 0  # the city's: no names
            with django_assert_num_queries(LAYER_QUERIES[username] - counted_only):
                assert client.get(reverse(LAYERS), {"layer": layer, **past.query()}).status_code == 200

    client.get(reverse(MAP))  # warm the session
    measure(written=False)  # the period's last day not written yet
    coverage_days.write_day(past.as_of, today=past.today)
    measure(written=True)
    grow(demo_users, 50)
    coverage_days.write_day(past.as_of, today=past.today)  # residents registered in the past made it stale
    measure(written=True)


def test_the_missed_list_pages_through_everyone_in_order(client_for, crafted, past, monkeypatch):
    from outreach.reporting.coverage import views as coverage_views

    monkeypatch.setattr(coverage_views, "MISSED_PER_PAGE", 3)
    client = client_for("station")
    pages = [client.get(reverse(MAP), period_query(past, page=n)).context["missed"] for n in (1, 2, 3)]
    assert [len(p.object_list) for p in pages] == [3, 3, 1] and pages[0].paginator.num_pages == 3
    listed = [r for p in pages for r in p.object_list]
    assert {r.name for r in listed} == names(crafted, MISSED_IN_GRID1 | {"g2_late"})
    assert [r.days_overdue for r in listed] == sorted((r.days_overdue for r in listed), reverse=True)


def test_a_station_that_is_also_in_a_branch_lists_only_its_own_residents(client, crafted, past):
    """Its overview adds the branch's paired areas (figures only): the missed list and its
    count stay with the residents it looks after."""
    from grid.models import Role, Scope, User

    neighbour = other_community_grid().parent
    user = User.objects.create_user("mixed", password="x")
    Scope.objects.create(user=user, role=Role.STATION_STAFF, area=neighbour)
    Scope.objects.create(user=user, role=Role.BRANCH_MEMBER, branch=JointBranch.objects.get(number=1))
    client.force_login(user)
    ctx = client.get(reverse(MAP), period_query(past)).context
    assert ctx["place"].area is None and Area.objects.get(name="绣湖社区") in ctx["place"].parts
    assert ctx["total"].missed == 8  # 绣湖社区's seven, as figures, and its own one
    assert [r.name for r in ctx["missed"]] == [crafted["community_late"].name]
    assert ctx["missed"].paginator.count == 1
