"""The outbox's sync bar on a 390×844 phone: one row of at most 48 px with the pending
count in sight, for grid workers on every page; office staff never see it (nor load the
outbox scripts) unless their phone holds unsent items."""

from playwright.sync_api import expect

from grid.models import User
from tests import factories
from tests.browser.conftest import shot

WAIT = 20_000  # ms


def test_a_grid_worker_sees_one_row_with_the_count(log_in, live_site):
    page = log_in("worker")
    bar = page.locator("#offline-status")
    expect(bar).to_be_visible()
    expect(page.locator("#offline-count")).to_have_text("0 条待发送")
    expect(page.get_by_role("button", name="立即同步")).to_be_visible()
    assert bar.bounding_box()["height"] <= 48
    shot(page, "sync-bar-worker-today")
    page.goto(f"{live_site.url}/network/")  # on every page of theirs
    expect(page.locator("#offline-count")).to_have_text("0 条待发送")
    assert page.locator("#offline-status").bounding_box()["height"] <= 48


def test_office_staff_see_it_only_when_their_phone_holds_items(log_in, live_site):
    resident = factories.resident(actor=User.objects.get(username="admin"), name="王阿婆", registered_days_ago=12)
    station = User.objects.get(username="station")
    page = log_in("station")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#offline-status")).to_be_hidden()
    assert page.evaluate("typeof window.DaibanOffline") == "undefined"  # the outbox scripts stay off
    shot(page, "sync-bar-station-home")

    # The visit form uses the outbox whoever opens it; a visit saved there waits (the
    # server cannot be reached), and from then on the bar shows on every page.
    page.route("**/api/v1/visits", lambda route: route.abort("internetdisconnected"))
    page.goto(f"{live_site.url}/residents/{resident.pk}/visit/")
    for _tick in range(WAIT // 100):
        if page.evaluate("!!(window.DaibanOffline && window.idbKeyval)"):
            break
        page.wait_for_timeout(100)
    expect(page.locator("#offline-status")).to_be_hidden()  # nothing waits yet
    page.evaluate(
        """async ([user, resident]) => {
          await window.DaibanOffline.put([{
            id: crypto.randomUUID(), kind: "visit", user: user, createdAt: new Date().toISOString(), state: "waiting",
            fields: { resident: resident, outcome: "met" }, photos: [], label: { name: "王阿婆" },
          }]);
        }""",
        [station.pk, resident.pk],
    )
    page.goto(f"{live_site.url}/")
    expect(page.locator("#offline-status")).to_be_visible(timeout=WAIT)
    expect(page.locator("#offline-count")).to_have_text("1 条待发送")
    assert page.locator("#offline-status").bounding_box()["height"] <= 48
    shot(page, "sync-bar-station-with-an-item")
    page.unroute_all(behavior="ignoreErrors")


# Every layout shift of the page, from its first paint (Playwright's init scripts are not
# subject to the page's CSP).
RECORD_SHIFTS_JS = """window.__shifts = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__shifts.push(e.value); })
  .observe({ type: "layout-shift", buffered: true });"""


def test_the_page_does_not_jump_when_the_bar_or_the_install_hint_appears(log_in, live_site):
    page = log_in("worker")
    page.context.add_init_script(RECORD_SHIFTS_JS)
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#offline-count")).to_have_text("0 条待发送")
    # As when the browser offers to install the app, seconds after loading.
    page.evaluate("document.getElementById('offline-install').hidden = false")
    expect(page.get_by_role("button", name="暂不")).to_be_visible()
    assert page.evaluate("window.__shifts") == []
    assert page.locator("#offline-status").bounding_box()["height"] <= 48
    shot(page, "sync-bar-worker-install-hint")
