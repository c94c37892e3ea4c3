"""Each role's first screen on a 390×844 phone shows its own work: the worker's first due
resident and its 走访 button without scrolling, the station's inbox leading to the list it
counts, a branch secretary straight in the branch's workspace; on the errand page 上报
names where it goes and cancelling waits behind its own button."""

from playwright.sync_api import expect

from grid.models import User
from tests import factories
from tests.browser.conftest import PHONE, horizontal_overflow


def test_the_workers_first_due_resident_is_on_the_first_screen(log_in, live_site):
    admin = User.objects.get(username="admin")
    worker = User.objects.get(username="worker")
    factories.load_catalogue()
    resident = factories.resident(actor=admin, name="王阿婆", registered_days_ago=9)
    for _ in range(7):  # a busy week of errands must not push the visits down
        factories.errand(actor=worker, resident=resident, code="MZ-GL")
    page = log_in("worker")
    page.goto(f"{live_site.url}/")
    first = page.locator(".due-item").first
    button = first.locator(".visit-button")
    expect(button).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"] - 56  # above the bottom bar
    expect(page.locator(".errand-strip")).to_contain_text("7 件在办")
    assert page.locator(".my-errands").count() == 0  # no errand rows on Today
    assert horizontal_overflow(page) == 0


def test_the_station_inbox_leads_to_what_it_counts(log_in, live_site):
    admin = User.objects.get(username="admin")
    factories.load_catalogue()
    resident = factories.resident(actor=admin, name="王阿婆", registered_days_ago=9)
    for _ in range(2):
        factories.errand(actor=admin, resident=resident, code="MZ-GL")
    page = log_in("station")
    page.goto(f"{live_site.url}/")
    line = page.locator(".inbox-item", has_text="待指派的代办")
    count = int(line.locator(".inbox-count").inner_text())
    assert count >= 2
    assert horizontal_overflow(page) == 0
    line.click()
    expect(page.locator(".board-tabs input[value=unassigned]")).to_be_checked()
    expect(page.locator(".board-tabs label", has_text="未指派")).to_contain_text(str(count))


def test_a_secretary_logs_in_to_the_branch(log_in, live_site):
    page = log_in("secretary")
    page.goto(f"{live_site.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("社会保障联合支部")
    tab = page.locator(".mainnav a[aria-current=page]")
    expect(tab).to_contain_text("支部")
    assert horizontal_overflow(page) == 0


def test_escalation_names_its_destination_and_cancel_waits_behind_a_button(log_in, live_site):
    admin = User.objects.get(username="admin")
    factories.load_catalogue()
    resident = factories.resident(actor=admin, name="王阿婆")
    errand = factories.errand(actor=admin, resident=resident, code="GJJ-TQ")  # held by the station
    errand = factories.errand_act(errand=errand, action="accept", actor=User.objects.get(username="station"))
    page = log_in("station")
    page.goto(f"{live_site.url}/errands/{errand.pk}/")
    expect(page.get_by_role("button", name="上报至 稠城街道代办中心")).to_be_visible()
    reason = page.locator("#cancel-reason")
    expect(reason).to_be_hidden()
    page.locator(".cancel-box summary").click()
    expect(reason).to_be_visible()
    assert horizontal_overflow(page) == 0
    # the escalation asks why first
    page.get_by_role("button", name="上报至 稠城街道代办中心").click()
    assert page.url.endswith(f"/errands/{errand.pk}/")  # the browser kept the empty reason from going out
    page.locator("form.action-form", has=page.locator("input[value=escalate]")).locator("textarea").fill("需街道协调")
    page.get_by_role("button", name="上报至 稠城街道代办中心").click()
    expect(page.locator("dl.facts")).to_contain_text("稠城街道代办中心")
