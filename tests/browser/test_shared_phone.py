"""A phone shared by two grid workers, at 390×844: 王丽's unsent visits are hers. Another
person's login and logout leave them on the phone, the login page and Today say whose
they are (never what they are), and they are sent under her name once she logs in again,
never under his. Her own logout warns about her own items only and may keep them.

The outbox is driven offline as in test_offline.py."""

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from grid.models import User
from outreach.models import Visit
from tests import factories
from tests.browser.conftest import horizontal_overflow, landing_logged_out, shot
from tests.browser.test_accessibility import WORDS_JS, axe_violations
from tests.browser.test_offline import STORAGE_JS, WAIT, log_visit, ready_for_offline, status
from tests.test_screens_in_chinese import english_fragments

NAMES = ["王阿婆", "李大伯", "赵奶奶", "钱爷爷", "孙阿姨"]
HER_NOTICE = "王丽有 5 条走访未发送，请王丽登录后发送"

# The outbox's items as the phone keeps them: whose, and how many.
AUTHORS_JS = """async () => {
  const store = idbKeyval.createStore("daiban-outbox", "items");
  return (await idbKeyval.values(store)).map((item) => [item.user, item.userName]);
}"""


@pytest.fixture
def residents(demo_city):
    """Five overdue residents in 王丽's (worker's) grid, none in 李强's (worker2's)."""
    admin = User.objects.get(username="admin")
    return [factories.resident(actor=admin, name=name, registered_days_ago=12) for name in NAMES]


@pytest.fixture
def her_phone(log_in, live_site, residents):
    page = log_in("worker")
    home = residents[0]
    page.context.grant_permissions(["geolocation"], origin=live_site.url)
    page.context.set_geolocation({"latitude": home.home_lat, "longitude": home.home_lng, "accuracy": 12})
    ready_for_offline(page)
    yield page
    page.unroute_all(behavior="ignoreErrors")


def log_in_on_this_phone(page, live_site, username: str, settings) -> None:
    """The login form of the page that is open (the phone is handed over, nobody clears it)."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(settings.DAIBAN_DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{live_site.url}/")


def log_out(page, live_site) -> None:
    page.goto(f"{live_site.url}/account/")
    page.get_by_role("button", name="退出登录").click()


def others_notice(page):
    return page.locator("#offline-others")


def assert_nothing_of_hers_shown(page) -> None:
    text = page.locator("body").inner_text()
    assert not any(name in text for name in NAMES), text


def assert_well_made(page) -> None:
    assert axe_violations(page) == []
    assert english_fragments(page.evaluate(WORDS_JS)) == set()
    assert horizontal_overflow(page) == 0


def test_her_unsent_visits_survive_his_login_and_logout_and_go_under_her_name(her_phone, live_site, settings):
    page = her_phone
    page.context.set_offline(True)
    page.reload()
    for index, name in enumerate(NAMES):
        log_visit(page, live_site, name, f"door-{index}.jpg")
    expect(status(page)).to_have_attribute("data-waiting", "5")
    worker = User.objects.get(username="worker")
    assert page.evaluate(AUTHORS_JS) == [[worker.pk, "王丽"]] * 10  # five visits, each with its photo

    Session.objects.all().delete()  # her session ends before she finds signal
    page.context.set_offline(False)
    expect(status(page)).to_have_attribute("data-tone", "problem", timeout=WAIT)  # "log in again to send"
    assert Visit.objects.count() == 0

    # 李强 picks up the phone: the login page says whose items wait, and nothing of them.
    page.goto(f"{live_site.url}/account/login/")
    expect(others_notice(page)).to_have_text(HER_NOTICE)
    expect(status(page)).to_have_attribute("data-waiting", "5")
    page.locator("#offline-summary").click()
    expect(page.locator("#offline-panel")).to_have_text("登录后才能查看和发送你在本机保存的内容。")
    assert_nothing_of_hers_shown(page)
    shot(page, "shared-phone-login")
    page.locator("#offline-summary").click()  # closed again (open, the panel is outside every landmark)
    assert_well_made(page)

    log_in_on_this_phone(page, live_site, "worker2", settings)
    page.wait_for_selector("#offline-status[data-kept-at]", state="attached", timeout=WAIT)  # his Today is kept
    expect(others_notice(page)).to_have_text(HER_NOTICE)
    expect(status(page)).to_have_attribute("data-waiting", "0")  # none of them is his
    expect(page.locator("#offline-text")).to_contain_text("5 条由其他账号保存")
    page.locator("#offline-summary").click()
    expect(page.locator("#offline-panel")).to_have_text("本机没有你待发送的内容。")  # and nothing of hers
    page.locator("#offline-summary").click()
    assert_nothing_of_hers_shown(page)
    assert_well_made(page)
    shot(page, "shared-phone-his-today")
    with page.expect_response("**/offline/csrf"):  # even asked to, his session sends nothing of hers
        page.locator("#offline-sync").click()
    expect(status(page)).to_have_attribute("data-syncing", "0", timeout=WAIT)
    assert Visit.objects.count() == 0

    # His logout: no warning (nothing of his waits); her items stay, his Today goes.
    with landing_logged_out(page, live_site):
        log_out(page, live_site)
    expect(others_notice(page)).to_have_text(HER_NOTICE)
    kept = page.evaluate(STORAGE_JS)
    assert len(kept["dbs"]["daiban-outbox"]["items"]) == 10  # five visits and their photos
    assert kept["dbs"]["daiban-offline"]["data"] == []  # his Today and who was logged in
    assert page.evaluate(AUTHORS_JS) == [[worker.pk, "王丽"]] * 10  # five visits, each with its photo

    # She logs in: her visits are sent, under her name.
    log_in_on_this_phone(page, live_site, "worker", settings)
    expect(status(page)).to_have_attribute("data-waiting", "0", timeout=WAIT)
    expect(others_notice(page)).to_be_hidden()
    assert sorted(Visit.objects.values_list("resident__name", flat=True)) == sorted(NAMES)
    assert set(Visit.objects.values_list("worker__username", flat=True)) == {"worker"}
    assert all(visit.photos.count() == 1 for visit in Visit.objects.all())


def test_her_logout_counts_her_own_items_and_may_keep_them(her_phone, live_site, settings):
    page = her_phone
    worker2 = User.objects.get(username="worker2")
    page.context.set_offline(True)
    page.reload()
    log_visit(page, live_site, NAMES[0], "door.jpg")
    # An item 李强 left on this phone earlier (an errand step of his, waiting for his login).
    page.evaluate(
        """async (user) => {
      const store = idbKeyval.createStore("daiban-outbox", "items");
      await idbKeyval.set("his-step", { id: "his-step", kind: "transition", user: user, userName: "李强",
        createdAt: new Date().toISOString(), state: "login", errand: "00000000-0000-0000-0000-000000000001",
        action: "accept", version: 1, label: { action: "受理", number: "", name: "" } }, store);
    }""",
        worker2.pk,
    )
    page.route("**/api/v1/visits", lambda route: route.abort("internetdisconnected"))  # no signal where she is
    page.context.set_offline(False)
    log_out(page, live_site)
    warning = page.locator("#logout-warning")
    expect(warning).to_contain_text("你有 1 条内容尚未发送。退出登录后它们仍留在本机")  # hers only, not his
    assert horizontal_overflow(page) == 0
    for button in warning.get_by_role("button").all():
        assert button.bounding_box()["height"] >= 44
    shot(page, "shared-phone-logout-warning")
    with landing_logged_out(page, live_site):
        warning.locator("button[data-action=keep]").click()
    expect(others_notice(page)).to_contain_text("王丽有 1 条走访未发送，请王丽登录后发送")
    expect(others_notice(page)).to_contain_text("李强有 1 条内容未发送，请李强登录后发送")
    assert len(page.evaluate(STORAGE_JS)["dbs"]["daiban-outbox"]["items"]) == 3  # her visit, its photo, his step
    shot(page, "shared-phone-login-two")

    page.unroute_all(behavior="ignoreErrors")
    log_in_on_this_phone(page, live_site, "worker", settings)
    expect(status(page)).to_have_attribute("data-waiting", "0", timeout=WAIT)
    assert Visit.objects.get().worker.username == "worker"
    expect(others_notice(page)).to_have_text("李强有 1 条内容未发送，请李强登录后发送")
    assert page.evaluate(AUTHORS_JS) == [[worker2.pk, "李强"]]  # his, still waiting for him


def test_an_item_saved_before_names_were_kept_is_still_announced(her_phone, live_site):
    page = her_phone
    page.evaluate(
        """async (item) => {
      const store = idbKeyval.createStore("daiban-outbox", "items");
      await idbKeyval.set(item.id, Object.assign(item, { createdAt: new Date().toISOString() }), store);
    }""",
        {"id": "old-step", "kind": "transition", "user": 999999, "state": "login", "action": "accept", "version": 1},
    )
    page.reload()
    expect(others_notice(page)).to_have_text("本机还有 1 条其他账号保存的内容未发送，请该账号登录后发送")
    expect(status(page)).to_have_attribute("data-waiting", "0")
