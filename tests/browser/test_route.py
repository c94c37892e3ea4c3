"""今日路线 in Chromium at 390×844: the planner on known layouts (never longer than the
obvious walk, never longer than the list in urgency order or nearest-neighbour alone),
and the route page of a grid worker: stops numbered in walking order from the grid
point, on the map as numbered markers, and again from the phone's position."""

import random
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from grid.models import ServicePoint, User
from outreach.models import Resident
from tests import factories
from tests.browser.conftest import horizontal_overflow, shot
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_offline import ready_for_offline

POINT = "绣湖社区第1网格代办点"
STEP = 0.001  # degrees of longitude: about 100 m here


def plan(page, start, stops) -> dict:
    return page.evaluate(
        """([start, stops]) => {
          const r = DaibanRoute.plan(start, stops);
          return { order: r.order.map((s) => s.id), metres: r.metres, minutes: r.minutes,
                   unordered: DaibanRoute.length(start, stops) };
        }""",
        [start, stops],
    )


def nearest_neighbour_length(page, start, stops) -> float:
    return page.evaluate(
        """([start, stops]) => {
          let here = start, left = stops.slice(), total = 0;
          while (left.length) {
            let best = 0;
            left.forEach((s, i) => { if (DaibanRoute.metres(here, s) < DaibanRoute.metres(here, left[best])) best = i; });
            total += DaibanRoute.metres(here, left[best]); here = left.splice(best, 1)[0];
          }
          return total;
        }""",
        [start, stops],
    )


def test_the_planner_walks_a_street_end_to_end_and_beats_the_list(page, live_site, log_in):
    log_in("worker")
    page.goto(f"{live_site.url}/today/route/")
    start = {"lat": 29.3, "lng": 120.07}
    street = [{"id": i, "lat": 29.3, "lng": 120.07 + (i + 1) * STEP} for i in range(10)]
    shuffled = street[:]
    random.Random(7).shuffle(shuffled)
    walk = plan(page, start, shuffled)
    assert walk["order"] == list(range(10))  # the obvious walk: one end to the other
    obvious = 10 * STEP * 111_320 * 0.8725  # 10 steps of 0.001° of longitude at 29.3° N
    assert abs(walk["metres"] - obvious) < 5

    # Two rows of houses either side of a lane: no longer than up one side and down the other.
    rows = [
        {"id": f"{side}{i}", "lat": 29.3 + side * 0.0002, "lng": 120.07 + (i + 1) * STEP}
        for side in (0, 1)
        for i in range(8)
    ]
    random.Random(3).shuffle(rows)
    lane = plan(page, start, rows)
    up_and_back = page.evaluate(
        "([s, a, b]) => DaibanRoute.length(s, a.concat(b))",
        [
            start,
            sorted((r for r in rows if r["id"].startswith("0")), key=lambda r: r["lng"]),
            sorted((r for r in rows if r["id"].startswith("1")), key=lambda r: -r["lng"]),
        ],
    )
    assert lane["metres"] <= up_and_back + 1

    # Forty homes scattered over a grid: never longer than the list or nearest-neighbour alone.
    rng = random.Random(11)
    homes = [{"id": i, "lat": 29.3 + rng.uniform(0, 0.01), "lng": 120.07 + rng.uniform(0, 0.01)} for i in range(40)]
    scattered = plan(page, start, homes)
    assert sorted(scattered["order"]) == list(range(40))
    assert scattered["metres"] <= nearest_neighbour_length(page, start, homes) + 0.01
    assert scattered["metres"] < scattered["unordered"] * 0.5


NAMES = ["最远的", "第三家", "第二家", "最近的"]  # the most urgent farthest away


def four_homes_east_of_the_grid_point() -> ServicePoint:
    worker = User.objects.get(username="worker")
    point = ServicePoint.objects.get(name=POINT)
    for i, name in enumerate(NAMES):
        resident = factories.resident(actor=worker, name=name, home_lat=point.lat, home_lng=point.lng + (4 - i) * STEP)
        Resident.objects.filter(pk=resident.pk).update(due_on=timezone.localdate() - timedelta(days=10 - i))
    nowhere = factories.resident(actor=worker, name="无坐标", home_lat=None, home_lng=None)
    Resident.objects.filter(pk=nowhere.pk).update(due_on=timezone.localdate())
    # the demo's own residents of the worker's grid are due too: move them out of today's way
    Resident.objects.exclude(name__in=[*NAMES, "无坐标"]).update(due_on=timezone.localdate() + timedelta(days=30))
    return point


def test_a_worker_walks_the_days_stops_in_order_from_the_grid_point_or_from_where_she_stands(
    page, live_site, log_in, context
):
    factories.load_catalogue()
    point = four_homes_east_of_the_grid_point()
    log_in("worker")
    page.get_by_role("link", name="今日路线").click()
    expect(page.locator("#route-list[data-planned]")).to_be_attached()
    titles = page.locator("#route-list .row-title")
    expect(titles).to_have_text(["最近的", "第二家", "第三家", "最远的"])
    expect(page.locator("#route-list .route-number")).to_have_text(["1", "2", "3", "4"])
    expect(page.locator("#route-summary")).to_contain_text("从您的网格代办点出发")
    expect(page.locator("#route-summary")).to_contain_text("4 站")
    expect(page.locator(".route-marker")).to_have_count(4)
    expect(page.get_by_text("无坐标")).to_be_visible()
    visit = page.get_by_role("link", name="开始走访：最近的")
    assert visit.bounding_box()["height"] >= 44
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    shot(page, "route-from-point", full_page=True)

    # She stands at the far end: the route turns round.
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": point.lat, "longitude": point.lng + 5 * STEP})
    page.get_by_role("button", name="从我现在的位置出发").click()
    expect(page.locator("#route-summary")).to_contain_text("从您现在的位置出发")
    expect(titles).to_have_text(["最远的", "第三家", "第二家", "最近的"])
    shot(page, "route-from-here", full_page=True)


def test_without_signal_the_route_is_planned_from_the_list_kept_on_the_phone(page, live_site, log_in):
    four_homes_east_of_the_grid_point()
    log_in("worker")
    ready_for_offline(page)
    page.context.set_offline(True)
    page.reload()  # the offline page draws Today from the phone
    expect(page.locator("#offline-notice")).to_be_visible()
    page.get_by_role("button", name="今日路线").click()
    route = page.locator("#offline-route-list .row-title")
    expect(route).to_have_text(["最近的", "第二家", "第三家", "最远的"])
    expect(page.locator("#offline-route .route-summary")).to_contain_text("从您的网格代办点出发 · 4 站")
    visit = page.locator("#offline-route-list").get_by_role("link", name="开始走访：最近的")
    assert visit.bounding_box()["height"] >= 44
    assert horizontal_overflow(page) == 0
    shot(page, "route-offline", full_page=True)
