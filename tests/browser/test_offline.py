"""Offline-first on a 390×844 phone with its position shared: an afternoon of visits and
an errand step without signal arrives exactly once; a sync cut off after the server
stored an item but before its reply sends it again without a duplicate; an expired
session loses nothing; logout wipes what the phone kept.

The network is cut with Playwright's offline mode (the page and its service worker) and
with page.route (one request at a time)."""

import re
import time
import uuid

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from grid.models import User
from outreach.models import Errand, ErrandEvent, Visit, VisitPhoto
from outreach.residents import services
from tests import factories
from tests.browser.conftest import horizontal_overflow, landing_logged_out, shot

CARD = "SB-BH"  # 社会保障卡补换: a grid point handles it, so the worker who opens it keeps it
PHONE_CAMERA = (2400, 1800)  # a photo's size as a phone takes it
WAIT = 20_000  # ms: a sync is a few requests to the live server

# What the phone keeps: every IndexedDB database with the records of each store, and
# every Cache Storage entry with its body (to look for personal data in it).
STORAGE_JS = """async () => {
  const dbs = {};
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, fail) => {
      const open = indexedDB.open(info.name);
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(open.error);
    });
    dbs[info.name] = {};
    for (const store of Array.from(db.objectStoreNames)) {
      dbs[info.name][store] = await new Promise((ok) => {
        const req = db.transaction(store).objectStore(store).getAllKeys();
        req.onsuccess = () => ok(req.result.map(String));
      });
    }
    db.close();
  }
  const caches_ = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    caches_[name] = [];
    for (const request of await cache.keys()) {
      const body = await (await cache.match(request)).text();
      caches_[name].push({ url: request.url, body: body });
    }
  }
  return { dbs: dbs, caches: caches_ };
}"""

# The long edge of each photo kept in the outbox, as the phone stored it.
PHOTO_EDGES_JS = """async () => {
  const store = idbKeyval.createStore("daiban-outbox", "items");
  const edges = [];
  for (const item of await idbKeyval.values(store)) {
    if (item.kind !== "photo") continue;  // each photo its own item, after its visit
    const bitmap = await createImageBitmap(item.blob);
    edges.push([item.blob.type, Math.max(bitmap.width, bitmap.height)]);
  }
  return edges;
}"""


@pytest.fixture
def afternoon(demo_city):
    """Three overdue residents in worker's grid and an errand the worker holds."""
    factories.load_catalogue()
    admin, worker = User.objects.get(username="admin"), User.objects.get(username="worker")
    residents = [
        factories.resident(actor=admin, name=name, registered_days_ago=days)
        for name, days in [("王阿婆", 12), ("李大伯", 10), ("赵奶奶", 9)]
    ]
    errand = factories.errand(actor=worker, resident=residents[0], code=CARD)
    assert errand.assignee == worker and errand.state == "requested"
    return {"residents": residents, "errand": errand, "worker": worker}


@pytest.fixture
def worker_page(log_in, live_site, afternoon):
    page = log_in("worker")
    home = afternoon["residents"][0]
    page.context.grant_permissions(["geolocation"], origin=live_site.url)
    page.context.set_geolocation({"latitude": home.home_lat, "longitude": home.home_lng, "accuracy": 12})
    ready_for_offline(page)
    yield page
    page.unroute_all(behavior="ignoreErrors")  # a route still in flight must not outlive its test


def wait_until(page, script: str, timeout_ms: int = WAIT):
    """Poll a script in the page (wait_for_function compiles its predicate, which the
    app's CSP forbids; evaluate does not)."""
    # evaluate has no timeout of its own: a promise that never settles (a service worker
    # that never activates) would block the test for good, so each try gives up after 2 s.
    bounded = (
        f"Promise.race([Promise.resolve().then(() => ({script})),"
        " new Promise((resolve) => setTimeout(() => resolve(false), 2000))])"
    )
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if page.evaluate(bounded):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


def ready_for_offline(page):
    """The service worker controls the page and the Today list is kept on the phone."""
    wait_until(page, "navigator.serviceWorker.ready.then((r) => r.active.state === 'activated')")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        # The worker was installed while this page was on its way (the login redirects
        # here): it controls the pages opened from now on, as on a phone.
        page.reload()
    wait_until(page, "navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#offline-status[data-kept-at]", state="attached", timeout=WAIT)


def status(page):
    return page.locator("#offline-status")


def log_visit(page, live_site, name: str, photo_name: str):
    """From the offline Today: the visit form drawn from the phone, a photo, save."""
    page.get_by_role("link", name=f"开始走访：{name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"走访 {name}")
    expect(page.locator("#gps-status")).to_contain_text("±12")
    page.get_by_text("见到本人", exact=True).click()
    page.get_by_label("照片").set_input_files([factories.browser_jpeg(name=photo_name, size=PHONE_CAMERA)])
    assert horizontal_overflow(page) == 0
    page.get_by_role("button", name="保存走访").click()
    page.wait_for_url(f"{live_site.url}/")
    expect(page.locator("#offline-view .due-section").first).to_be_visible()


def take_step(page, live_site, errand: Errand, step: str):
    page.locator(f'#offline-view a[href="/errands/{errand.pk}/"]').click()
    page.wait_for_url(f"{live_site.url}/errands/{errand.pk}/")
    form = page.locator(f"form[data-step={step}]")
    expect(form).to_be_visible()
    assert horizontal_overflow(page) == 0
    form.get_by_role("button").click()
    expect(page.locator(".offline-pending")).to_be_visible()


def accepted(errand: Errand) -> int:
    return ErrandEvent.objects.filter(errand=errand, action="accept").count()


def test_an_afternoon_offline_arrives_exactly_once(worker_page, live_site, afternoon):
    page, residents, errand = worker_page, afternoon["residents"], afternoon["errand"]
    context = page.context
    context.set_offline(True)
    page.reload()  # no signal: the service worker's offline page draws Today from the phone
    expect(page.locator("#offline-notice")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("今日走访")
    assert horizontal_overflow(page) == 0

    for index, resident in enumerate(residents):
        log_visit(page, live_site, resident.name, f"home-{index}.jpg")
        expect(status(page)).to_have_attribute("data-waiting", str(index + 1))
    take_step(page, live_site, errand, "accept")
    expect(status(page)).to_have_attribute("data-waiting", "4")
    # Photos were made smaller on the phone before they were kept.
    assert page.evaluate(PHOTO_EDGES_JS) == [["image/jpeg", 1600]] * 3

    page.goto(f"{live_site.url}/")  # a reload without signal: the outbox is still there
    expect(status(page)).to_have_attribute("data-waiting", "4")
    assert Visit.objects.count() == 0 and accepted(errand) == 0

    context.set_offline(False)  # the "online" event sends the outbox
    expect(status(page)).to_have_attribute("data-waiting", "0", timeout=WAIT)
    assert sorted(Visit.objects.values_list("resident__name", flat=True)) == sorted(r.name for r in residents)
    assert VisitPhoto.objects.count() == 3
    assert all(v.location_check == "near_home" and v.outcome == "met" for v in Visit.objects.all())
    assert accepted(errand) == 1
    errand.refresh_from_db()
    assert errand.state == "accepted"

    page.locator("#offline-sync").click()  # sync again
    expect(status(page)).to_have_attribute("data-tone", "ok", timeout=WAIT)
    page.reload()
    expect(status(page)).to_have_attribute("data-waiting", "0")
    assert Visit.objects.count() == 3 and VisitPhoto.objects.count() == 3 and accepted(errand) == 1


def test_a_sync_cut_off_after_the_server_stored_resends_without_duplicates(worker_page, live_site, afternoon):
    page, resident, errand = worker_page, afternoon["residents"][1], afternoon["errand"]
    page.context.set_offline(True)
    page.reload()
    log_visit(page, live_site, resident.name, "door.jpg")
    take_step(page, live_site, errand, "accept")
    expect(status(page)).to_have_attribute("data-waiting", "2")

    cut = []

    def store_then_drop(route):
        # The first send of each item reaches the server, which stores it; the answer is lost.
        if route.request.method == "POST" and route.request.url not in cut:
            cut.append(route.request.url)
            response = route.fetch()
            assert response.status in (200, 201)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/visits", store_then_drop)
    page.route("**/api/v1/errands/*/transitions", store_then_drop)
    page.context.set_offline(False)
    for _tick in range(WAIT // 100):
        if cut:
            break
        page.wait_for_timeout(100)
    # The visit was stored, its answer lost: it stays on the phone until the server confirms.
    expect(status(page)).to_have_attribute("data-syncing", "0", timeout=WAIT)
    assert status(page).get_attribute("data-tone") == "offline"  # "no connection"
    assert Visit.objects.filter(resident=resident).count() == 1
    assert page.locator("#offline-status").get_attribute("data-waiting") == "2"

    # Records go a few at a time: the step went beside the visit, and its answer was lost
    # too. Sync now: the visit again (200: removed), the step again (its version is taken,
    # 409, by this very step: removed), then the visit's photo.
    assert len(cut) == 2
    page.locator("#offline-sync").click()
    expect(status(page)).to_have_attribute("data-waiting", "0", timeout=WAIT)
    assert VisitPhoto.objects.filter(visit__resident=resident).count() == 1
    assert Visit.objects.filter(resident=resident).count() == 1
    assert accepted(errand) == 1
    assert status(page).get_attribute("data-attention") == "0"  # the step's 409 was its own echo


def test_an_expired_session_loses_nothing(worker_page, live_site, afternoon, settings):
    page, resident = worker_page, afternoon["residents"][2]
    page.context.set_offline(True)
    page.reload()
    log_visit(page, live_site, resident.name, "kitchen.jpg")
    Session.objects.all().delete()  # the working day's session ran out meanwhile

    page.context.set_offline(False)
    expect(status(page)).to_have_attribute("data-tone", "problem", timeout=WAIT)
    assert status(page).get_attribute("data-waiting") == "1"
    assert Visit.objects.count() == 0
    page.locator("#offline-summary").click()
    page.locator("#offline-panel").get_by_role("link", name="登录", exact=True).click()
    expect(status(page)).to_have_attribute("data-waiting", "1")  # shown on the login page too
    page.get_by_label("用户名").fill("worker")
    page.get_by_label("密码").fill(settings.DAIBAN_DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{live_site.url}/")
    expect(status(page)).to_have_attribute("data-waiting", "0", timeout=WAIT)
    assert Visit.objects.filter(resident=resident).count() == 1
    assert Visit.objects.get(resident=resident).photos.count() == 1


def test_logout_wipes_what_the_phone_kept(worker_page, live_site, afternoon):
    page, resident = worker_page, afternoon["residents"][0]
    kept = page.evaluate(STORAGE_JS)
    assert "today" in kept["dbs"]["daiban-offline"]["data"]
    assert (
        any(resident.name in entry["body"] for entry in [*(e for entries in kept["caches"].values() for e in entries)])
        is False
    )  # pages are never cached

    # A visit waits (the server cannot be reached): logging out warns before deleting it.
    page.route("**/api/v1/visits", lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(True)
    page.reload()
    log_visit(page, live_site, resident.name, "yard.jpg")
    page.context.set_offline(False)
    page.goto(f"{live_site.url}/account/")
    expect(status(page)).to_have_attribute("data-waiting", "1")
    page.get_by_role("button", name="退出登录").click()
    warning = page.locator("#logout-warning")
    expect(warning).to_be_visible()
    assert horizontal_overflow(page) == 0
    assert page.url == f"{live_site.url}/account/"  # not logged out yet
    expect(warning).to_contain_text("你有 1 条内容尚未发送")
    warning.locator("button[data-action=delete]").click()
    assert page.url == f"{live_site.url}/account/"  # one tap only asks
    expect(warning.locator("button[data-action=delete-confirmed]")).to_have_text("确定删除这 1 条并退出登录")
    shot(page, "logout-delete-confirm")
    with landing_logged_out(page, live_site):
        warning.locator("button[data-action=delete-confirmed]").click()
    wait_until(page, "navigator.serviceWorker.ready.then(() => true)")

    after = page.evaluate(STORAGE_JS)
    for name, stores in after["dbs"].items():
        assert all(keys == [] for keys in stores.values()), (name, stores)
    for entries in after["caches"].values():
        for entry in entries:
            assert "/offline/today.json" not in entry["url"] and "/api/" not in entry["url"]
            assert resident.name not in entry["body"] and "王丽" not in entry["body"], entry["url"]  # nor the worker
    expect(status(page)).to_be_hidden()
    assert Visit.objects.count() == 0


def test_a_step_pressed_on_the_errand_page_without_signal_waits(worker_page, live_site, afternoon):
    page, errand = worker_page, afternoon["errand"]
    page.goto(f"{live_site.url}/errands/{errand.pk}/")
    page.context.set_offline(True)  # the signal drops while the page is open
    page.locator("form.action-form", has=page.locator("input[value=accept]")).get_by_role("button").click()
    expect(page.locator(".offline-pending")).to_be_visible()  # the offline page's view of the errand
    expect(status(page)).to_have_attribute("data-waiting", "1")
    assert accepted(errand) == 0
    page.context.set_offline(False)
    expect(status(page)).to_have_attribute("data-waiting", "0", timeout=WAIT)
    assert accepted(errand) == 1


def test_the_kept_list_is_deleted_after_the_configured_days(worker_page, live_site):
    page = worker_page
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#offline-view .due-section").first).to_be_visible()
    # The list was kept nine days ago (DAIBAN_OFFLINE_DAYS is 8) and never refreshed since.
    page.evaluate("""async () => {
      const store = idbKeyval.createStore("daiban-offline", "data");
      await idbKeyval.update("today", (kept) => Object.assign(kept, { savedAt: Date.now() - 9 * 24 * 3600 * 1000 }), store);
    }""")
    page.reload()
    expect(page.locator("#offline-view .empty")).to_be_visible()
    assert "today" not in page.evaluate(STORAGE_JS)["dbs"]["daiban-offline"]["data"]


def test_a_conflict_and_a_refusal_let_the_worker_choose(worker_page, live_site, afternoon):
    page, (first, second, _third) = worker_page, afternoon["residents"]
    page.context.set_offline(True)
    page.reload()
    log_visit(page, live_site, first.name, "a.jpg")
    log_visit(page, live_site, second.name, "b.jpg")
    ids = page.evaluate("""async () => {
      const store = idbKeyval.createStore("daiban-outbox", "items");
      const items = (await idbKeyval.values(store)).filter((item) => item.kind === "visit")  // not their photos
        .sort((a, b) => a.createdAt < b.createdAt ? -1 : 1);
      // The second visit was garbled on the phone: the server will refuse it (422).
      await idbKeyval.update(items[1].id, (item) => { item.fields.outcome = "flying"; return item; }, store);
      return items.map((item) => item.id);
    }""")
    # Meanwhile another visit is stored under the first one's id (409).
    services.visit_record(
        actor=afternoon["worker"],
        resident=first,
        visit_id=uuid.UUID(ids[0]),
        data=services.VisitInput(visited_at=timezone.now(), outcome="not_home", no_location_reason="from the office"),
    )

    page.context.set_offline(False)
    panel = page.locator("#offline-panel")
    expect(panel).to_be_visible(timeout=WAIT)  # opened by itself: the worker must choose
    expect(status(page)).to_have_attribute("data-attention", "2")
    conflict = panel.locator(f'[data-item="{ids[0]}"]')
    expect(conflict).to_have_class(re.compile("state-conflict"))
    assert horizontal_overflow(page) == 0
    conflict.locator("button[data-action=renew]").click()  # keep mine: sent as a visit of its own
    expect(status(page)).to_have_attribute("data-waiting", "1", timeout=WAIT)  # sent; the refused one waits
    assert status(page).get_attribute("data-attention") == "1"
    assert Visit.objects.filter(resident=first).count() == 2
    assert Visit.objects.get(pk=ids[0]).outcome == "not_home"  # the stored one is untouched

    refused = panel.locator(f'[data-item="{ids[1]}"]')
    expect(refused).to_have_class(re.compile("state-invalid"))
    refused.get_by_role("link").click()  # fix it: the visit form, filled in, the field marked
    expect(page.locator("#field-outcome .outbox-error")).to_be_visible()
    expect(page.locator("#visit-kept-photos")).to_be_visible()
    page.get_by_text("见到本人", exact=True).click()
    page.get_by_role("button", name="保存走访").click()
    expect(status(page)).to_have_attribute("data-waiting", "0", timeout=WAIT)
    visit = Visit.objects.get(pk=ids[1])
    assert visit.resident == second and visit.outcome == "met" and visit.photos.count() == 1
    assert Visit.objects.count() == 3


def test_discarding_takes_two_taps(worker_page, live_site, afternoon):
    page, resident = worker_page, afternoon["residents"][0]
    page.context.set_offline(True)
    page.reload()
    log_visit(page, live_site, resident.name, "a.jpg")
    page.evaluate("""async () => {
      const store = idbKeyval.createStore("daiban-outbox", "items");
      const [item] = (await idbKeyval.values(store)).filter((i) => i.kind === "visit");
      await idbKeyval.update(item.id, (i) => { i.fields.outcome = "flying"; return i; }, store);
    }""")
    page.context.set_offline(False)
    discard = page.locator("#offline-panel button[data-action=discard]")
    expect(discard).to_be_visible(timeout=WAIT)
    discard.click()
    expect(status(page)).to_have_attribute("data-waiting", "1")  # one tap only asks
    page.locator("#offline-panel button[data-action=discard-confirmed]").click()
    expect(status(page)).to_have_attribute("data-waiting", "0")
    expect(status(page)).to_have_attribute("data-photos", "0")  # its photo went with it
    assert Visit.objects.count() == 0
