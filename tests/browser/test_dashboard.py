"""A street official opens the dashboard on a phone (390×844): the figures, the trend and
the child-area table fit the screen (the table scrolls inside its card with the area's
name kept in view), a tap on a community drills into it and brings its figures into view
at the top, and the page reports no error (no Content Security Policy complaint either)."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from grid.models import Area, User
from outreach.common import due
from outreach.reporting.coverage import days as coverage_days
from tests import factories
from tests.browser.conftest import horizontal_overflow, scroll_top_after_swap, shot


def test_street_reads_the_dashboard_and_drills_into_a_community(log_in, live_site, demo_city):
    admin, worker = User.objects.get(username="admin"), User.objects.get(username="worker")
    resident = factories.resident(actor=admin, name="看板李奶奶", care_level="C", registered_days_ago=30)
    factories.visit(actor=worker, resident=resident, at=timezone.now() - timedelta(minutes=5))
    xiuhu = Area.objects.get(name="绣湖社区")
    page = log_in("street")
    page.set_viewport_size({"width": 390, "height": 844})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_site.url}/dashboard/")
    expect(page.locator(".dash-title")).to_contain_text("稠城街道")
    assert horizontal_overflow(page) == 0
    row = page.locator(f'.dash-table tr[data-area-row="{xiuhu.pk}"]')
    expect(row.locator("td").first).to_have_text("1")  # the visit just recorded, from the day tallies

    # The table is wider than the phone: it scrolls in its card, the names stay in view.
    scroller = page.locator(".dash-children .table-scroll")
    scroller.scroll_into_view_if_needed()
    name = row.locator("th")
    left = name.bounding_box()["x"]
    scroller.evaluate("box => box.scrollLeft = box.scrollWidth")
    assert scroller.evaluate("box => box.scrollLeft") > 0
    assert abs(name.bounding_box()["x"] - left) < 1
    assert horizontal_overflow(page) == 0

    row.get_by_role("link", name="绣湖社区").click()
    expect(page).to_have_url(re.compile(f"area={xiuhu.pk}"))
    expect(page.locator(".dash-title")).to_contain_text("绣湖社区")
    assert scroll_top_after_swap(page) == 0
    expect(page.locator(".dash-table tbody tr")).to_have_count(Area.objects.filter(parent=xiuhu).count())
    assert horizontal_overflow(page) == 0
    assert errors == []


def test_a_past_period_reads_the_written_days_and_a_late_visit_shows_at_once(log_in, live_site, demo_city):
    """A past period's coverage is the same whether the nightly run has written its days
    or the page counts the visit history; a visit of its last day sent only now shows at
    once (that day and those after it are counted from the history again)."""
    admin, worker = User.objects.get(username="admin"), User.objects.get(username="worker")
    end = timezone.localdate() - timedelta(days=5)
    period = f"period=custom&start={end - timedelta(days=20)}&end={end}"
    resident = factories.resident(actor=admin, name="上月王大爷", care_level="C", registered_days_ago=90)
    page = log_in("street")
    page.set_viewport_size({"width": 390, "height": 844})
    missed = page.locator('[data-figure="missed"] .dash-value')
    on_time = page.locator('[data-figure="coverage"] .dash-value')

    page.goto(f"{live_site.url}/dashboard/?{period}")
    from_history = (on_time.inner_text(), missed.inner_text())
    with live_site.thread.httpd.lock:  # the nightly run, between two requests
        assert end in coverage_days.fill(days=62)
    page.reload()
    assert (on_time.inner_text(), missed.inner_text()) == from_history
    shot(page, "dashboard-past-period")
    assert horizontal_overflow(page) == 0

    with live_site.thread.httpd.lock:  # the worker's phone sends a visit of the period's last day
        factories.visit(actor=worker, resident=resident, at=due.day_start(end) + timedelta(hours=10))
    page.reload()
    assert int(missed.inner_text()) == int(from_history[1]) - 1
    assert on_time.inner_text() != from_history[0]
