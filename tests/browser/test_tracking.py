"""The resident's side on a phone: someone who ordered from a QR poster follows the
request to delivery on the progress page without logging in, and rates it once; the
public pages (order form, thank-you, progress page) pass axe-core at 390×844 and at
360×640, keep their text at 18 px or more and their buttons at 48 px or more, and the
大字 switch enlarges them further (issue 15 §1, §2)."""

import re

import pytest
from playwright.sync_api import expect

from grid.models import ServicePoint, User
from outreach.errands import services as errand_services
from outreach.errands.orders import services as order_services
from outreach.models import Errand, OnlineOrder, ServiceType
from tests import factories
from tests.browser.conftest import horizontal_overflow, shot
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_public_order import fill_order

POINT = "绣湖社区第1网格代办点"
CARD = "SB-BH"  # a grid point handles it
# The smallest text of the page's main content, and the smallest of its buttons and fields.
SMALLEST_TEXT_JS = """() => Math.min(...Array.from(document.querySelectorAll(
  "main p, main li, main dt, main dd, main label, main legend, main .button, main input, main select, main textarea"),
  (e) => parseFloat(getComputedStyle(e).fontSize)))"""
SMALLEST_TARGET_JS = """() => Math.min(...Array.from(document.querySelectorAll(
  "main .button, main button, main input:not([type=hidden]):not([type=radio]), main select, main .track-stars label, .big-text-switch"),
  (e) => e.getBoundingClientRect().height).filter((h) => h > 0))"""


def order_and_read_the_code(page, live_site) -> str:
    point = ServicePoint.objects.get(name=POINT)
    page.goto(f"{live_site.url}/order/{point.public_code}/")
    fill_order(page, phone="13800134321")
    page.get_by_role("button", name="提交").click()
    code = page.locator(".order-code")
    expect(code).to_be_visible()
    return code.inner_text().strip()


def look_up(page, digits: str) -> None:
    page.get_by_label("手机号后四位").fill(digits)
    page.get_by_role("button", name="查看进度").click()


def test_a_resident_follows_an_order_from_the_poster_to_delivery_and_rates_it_once(page, live_site, demo_city):
    factories.load_catalogue()
    code = order_and_read_the_code(page, live_site)
    shot(page, "track-thanks", full_page=True)
    page.get_by_role("link", name="查看办理进度").click()
    expect(page.get_by_label("进度码")).to_have_value(code)  # filled in from the thank-you page
    look_up(page, "4321")
    expect(page.get_by_role("status")).to_contain_text("您的点单已收到")
    shot(page, "track-order", full_page=True)

    # The station confirms the order for a resident and the errand runs its course.
    worker, station = User.objects.get(username="worker"), User.objects.get(username="station")
    resident = factories.resident(actor=worker, name="王秀英", phone="13800134321")
    errand = order_services.order_confirm(
        actor=station,
        order=OnlineOrder.objects.get(),
        resident=resident,
        service=ServiceType.objects.get(code=CARD),
    )
    errand = factories.errand_walk(errand=errand, actor=worker, actions=["accept", "start"])
    page.get_by_role("link", name="查询其他代办").click()
    page.get_by_label("进度码").fill(code.lower().replace("-", " "))  # as an old hand types it
    look_up(page, "4321")
    expect(page.get_by_role("status")).to_contain_text("正在为您办理")
    expect(page.locator("[aria-current=step]")).to_have_text("办理中")
    expect(page.get_by_text("王*英")).to_be_visible()
    call = page.get_by_role("link", name=re.compile("^致电"))
    assert call.get_attribute("href").startswith("tel:") and call.bounding_box()["height"] >= 48
    shot(page, "track-in-progress", full_page=True)

    errand = Errand.objects.get(pk=errand.pk)
    errand.materials_collected = list(errand.service.materials)
    errand.save(update_fields=["materials_collected"])
    errand = factories.errand_walk(errand=errand, actor=worker, actions=["complete"])
    errand_services.errand_deliver(
        actor=worker, errand=errand, expected_version=errand.version, via="in_person", satisfaction=4
    )
    page.goto(f"{live_site.url}/track/?c={code}")  # the slip's QR code
    look_up(page, "4321")
    expect(page.get_by_role("status")).to_contain_text("已送到您家")
    expect(page.get_by_text("本次为您少跑")).to_be_visible()
    page.get_by_text("5 星").click()
    shot(page, "track-delivered", full_page=True)
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("谢谢您的评价！")).to_be_visible()
    assert Errand.objects.get(pk=errand.pk).resident_rating == 5
    expect(page.get_by_role("button", name="提交评价")).to_have_count(0)  # once only
    assert horizontal_overflow(page) == 0


@pytest.mark.parametrize("size", [(390, 844), (360, 640)], ids=["390x844", "360x640"])
def test_the_public_pages_are_made_for_older_eyes(page, live_site, demo_city, size):
    factories.load_catalogue()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    worker = User.objects.get(username="worker")
    resident = factories.resident(actor=worker, name="张桂英", phone="13857901234")
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    point = ServicePoint.objects.get(name=POINT)
    screens = {
        "order-form": f"/order/{point.public_code}/",
        "track-form": f"/track/?c={errand.progress_code}",
    }
    for name, path in screens.items():
        page.goto(f"{live_site.url}{path}")
        assert axe_violations(page) == [], name
        assert page.evaluate(SMALLEST_TEXT_JS) >= 18, name
        assert page.evaluate(SMALLEST_TARGET_JS) >= 48, name
        assert horizontal_overflow(page) == 0, name
        shot(page, f"{name}-{size[0]}", full_page=True)

    look_up(page, "1234")  # the progress page itself
    expect(page.get_by_role("status")).to_contain_text("已受理")
    assert axe_violations(page) == []
    assert page.evaluate(SMALLEST_TEXT_JS) >= 18
    assert page.evaluate(SMALLEST_TARGET_JS) >= 48
    assert horizontal_overflow(page) == 0
    normal = page.evaluate(SMALLEST_TEXT_JS)

    page.locator(".big-text-switch").click()  # 大字: everything a quarter larger, kept on the phone
    assert page.evaluate(SMALLEST_TEXT_JS) >= normal * 1.2
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    shot(page, f"track-large-{size[0]}", full_page=True)
    page.goto(f"{live_site.url}/order/{point.public_code}/")
    expect(page.locator("#big-text")).to_be_checked()
    assert page.evaluate(SMALLEST_TEXT_JS) >= normal * 1.2


def test_the_printed_poster_and_progress_slip_pass_axe_on_a_phone(page, live_site, log_in):
    factories.load_catalogue()
    worker = User.objects.get(username="worker")
    resident = factories.resident(actor=worker, name="张桂英", phone="13857901234")
    errand = factories.errand(actor=worker, resident=resident, code=CARD)
    point = ServicePoint.objects.get(name=POINT)
    log_in("worker")
    for name, path in {"poster": f"/network/{point.pk}/qr/", "slip": f"/errands/{errand.pk}/slip/"}.items():
        page.goto(f"{live_site.url}{path}")
        # the sync bar's button is named by its script (the count lives on the phone)
        expect(page.locator("#offline-summary")).to_have_text(re.compile(r"\S"))
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == [], name
        assert horizontal_overflow(page) == 0, name
        shot(page, f"printed-{name}", full_page=True)
    expect(page.locator(".track-code").first).to_have_text(errand.progress_code[:5] + "-" + errand.progress_code[5:])
    expect(page.locator(".slip-qr svg")).to_be_visible()
