"""The audit log on a 390×844 phone: the street official reaches it from the home's tile,
filters by action in place (htmx, the address follows), taps a name to see only that
person, and every control is a thumb-sized target with no sideways scrolling."""

from playwright.sync_api import expect

from grid.models import User
from outreach.residents import services as resident_services
from tests import factories
from tests.browser.conftest import horizontal_overflow


def assert_thumb_sized(targets) -> None:
    for target in targets.all():
        box = target.bounding_box()
        assert box is not None and box["height"] >= 44, target.evaluate("e => e.outerHTML")


def test_the_street_official_reads_and_filters_the_log(log_in, live_site, tmp_path):
    """(Screenshots in the test's tmp_path: run with --basetemp to keep them.)"""
    admin, worker = User.objects.get(username="admin"), User.objects.get(username="worker")
    resident = factories.resident(actor=admin, name="王阿婆", national_id=factories.national_id(male=False))
    resident_services.resident_reveal_national_id(actor=worker, resident=resident, address_ip="10.20.30.40")
    page = log_in("street")
    page.goto(f"{live_site.url}/")
    page.locator(".tile", has_text="审计日志").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "home.png"))
    page.locator(".tile", has_text="审计日志").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("审计日志")
    entries = page.locator(".audit-event")
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("查看身份证号")
    expect(entries.first).to_contain_text(resident.national_id_masked)
    assert horizontal_overflow(page) == 0
    assert_thumb_sized(page.locator(".audit-filters-card summary, .audit-downloads a, .audit-link"))
    page.screenshot(path=str(tmp_path / "audit-log.png"), full_page=True)

    page.locator(".audit-filters-card summary").click()  # folded until used: the entries come first
    page.get_by_label("操作").select_option("resident_created")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("登记服务对象")
    assert "action=resident_created" in page.url

    page.goto(f"{live_site.url}/audit/")
    entries.first.get_by_role("link", name="王丽").click()
    expect(entries).to_have_count(1)
    expect(page.get_by_label("人员")).to_have_value("worker")  # the filters open, showing what is on
    assert_thumb_sized(page.locator(".audit-filters input, .audit-filters select, .audit-filters button"))
    page.get_by_label("结束日期").fill("2020-01-01")
    page.get_by_label("开始日期").fill("2020-02-01")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator(".form-error")).to_contain_text("最后一天早于第一天")
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(tmp_path / "audit-log-error.png"), full_page=True)
