"""Background jobs on a 390×844 phone: a station uploads a roster and watches its check's
bar turn into the report by itself (htmx asks every second), imports it and watches
again; a street official's missed list is made in the background and downloaded from its
page. axe-core finds nothing, the buttons are thumb-sized, nothing scrolls sideways.

The worker is played by the test thread (``run_tasks``), holding the live server's lock
so that it never uses the shared connection while a page's request does."""

import re

from playwright.sync_api import expect

from grid.models import Area, User
from tests import factories
from tests.browser.conftest import horizontal_overflow, shot
from tests.browser.test_accessibility import axe_violations
from tests.tasks import run_tasks

GRID = "绣湖社区第1网格"


def worker_runs(live_site) -> None:
    with live_site.thread.httpd.lock:
        assert run_tasks() >= 1


def assert_thumb_sized(locator) -> None:
    for target in locator.all():
        box = target.bounding_box()
        assert box is not None and box["height"] >= 44, target.evaluate("e => e.outerHTML")


def test_a_roster_is_checked_and_imported_in_the_background(log_in, live_site, tmp_path):

    code = Area.objects.get(name=GRID).code
    page = log_in("station")
    page.goto(f"{live_site.url}/residents/import/")
    roster = tmp_path / "花名册.csv"
    roster.write_text(f"姓名,住址,网格编码,照护等级,同意依据\n后台导入,绣湖路1号,{code},A,written\n", encoding="utf-8")
    page.get_by_label("花名册文件").set_input_files(str(roster))
    page.get_by_role("button", name="上传并检查").click()
    card = page.locator("#job-progress")
    expect(card).to_contain_text("花名册检查")
    expect(card).to_contain_text("正在排队")
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    shot(page, "job-roster-queued")

    page.wait_for_timeout(1500)  # a second look, by htmx: the card keeps its title
    expect(card.get_by_role("heading", level=2)).to_have_text("花名册检查")
    worker_runs(live_site)
    button = page.get_by_role("button", name=re.compile("导入 1 位服务对象"))
    expect(button).to_be_visible(timeout=10_000)  # the page moved on by itself
    assert_thumb_sized(button)
    shot(page, "job-roster-checked")
    button.click()
    expect(page.locator("#job-progress")).to_contain_text("花名册导入")
    worker_runs(live_site)
    expect(page.get_by_text(re.compile("从该文件导入 1 位服务对象"))).to_be_visible(timeout=10_000)
    assert axe_violations(page) == []
    shot(page, "job-roster-imported")


def test_the_missed_list_is_made_in_the_background_and_downloaded(log_in, live_site, demo_city):
    factories.resident(actor=User.objects.get(username="admin"), name="赵大妈", registered_days_ago=40)
    page = log_in("street")
    page.goto(f"{live_site.url}/coverage/?area={factories.town().pk}")
    start = page.get_by_role("button", name="XLSX – 漏访服务对象")
    assert_thumb_sized(start)
    start.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("漏访服务对象导出")
    assert axe_violations(page) == []
    worker_runs(live_site)
    download = page.get_by_role("link", name=re.compile(r"下载 漏访服务对象-.*\.xlsx"))
    expect(download).to_be_visible(timeout=10_000)
    assert_thumb_sized(download)
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    shot(page, "job-missed-done")
    with page.expect_download() as caught:
        download.click()
    assert caught.value.suggested_filename.startswith("漏访服务对象-") and caught.value.suggested_filename.endswith(
        ".xlsx"
    )


def test_a_station_chooses_where_notifications_reach_her(log_in, live_site, settings):
    """通知方式 at 390×844: the configured channels can be chosen, the others say they are
    not available; labels, thumb-sized controls, axe clean, no sideways scrolling."""
    settings.DAIBAN_WECOM_WEBHOOK = "http://127.0.0.1:9/cgi-bin/webhook/send?key=test"
    page = log_in("station")
    page.goto(f"{live_site.url}/account/")
    page.get_by_role("link", name="通知方式").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("通知方式")
    page.get_by_label("手机号").fill("13900000000")
    page.get_by_label(re.compile("企业微信")).check()
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    assert_thumb_sized(page.locator("main button, main input[type=text], main input[type=tel]"))
    shot(page, "notification-settings", full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_be_visible()
    page.goto(f"{live_site.url}/account/notifications/")
    expect(page.get_by_label(re.compile("企业微信"))).to_be_checked()
