"""An errand on a 390×844 phone, end to end: the worker opens it from a visit and
escalates it; the station assigns it back from the board with a note; the worker ticks
the checklist, completes and delivers it with a satisfaction score; the timeline shows
every step."""

from playwright.sync_api import expect

from grid.models import User
from outreach.models import Errand
from tests import factories
from tests.browser.conftest import PHONE, horizontal_overflow, shot


def fresh_login(browser, live_site, username: str, password: str):
    """Another person's phone: a new browser context, with no service worker or outbox of
    the previous user in it."""
    import re

    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(f"{live_site.url}/account/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(re.compile(re.escape(live_site.url) + r"/(\?.*)?$"))
    return page


def test_errand_from_visit_to_delivery(log_in, live_site, browser, settings):
    factories.load_catalogue()
    resident = factories.resident(actor=User.objects.get(username="admin"), name="王阿婆", registered_days_ago=9)
    page = log_in("worker")
    page.context.grant_permissions(["geolocation"], origin=live_site.url)
    page.context.set_geolocation({"latitude": resident.home_lat, "longitude": resident.home_lng, "accuracy": 10})

    # the worker visits, notes a need and opens an errand from the visit form
    page.goto(f"{live_site.url}/residents/{resident.pk}/visit/")
    expect(page.locator("#gps-status")).to_contain_text("±10")
    page.get_by_text("见到本人", exact=True).click()
    page.get_by_label("发现的需求").fill("想申领高龄津贴，腿脚不便")
    page.get_by_label("同时创建代办").select_option(label="高龄津贴申领（民政局）")
    assert horizontal_overflow(page) == 0
    page.get_by_role("button", name="保存走访").click()
    # the phone sends the visit, then the errand (through its outbox), and opens the errand
    expect(page.get_by_role("heading", level=1)).to_have_text("高龄津贴申领", timeout=20000)
    errand = Errand.objects.get(resident=resident)
    assert errand.source == "visit" and errand.assignee.username == "worker"

    # …and escalates it to the community station
    escalate = page.locator("form.action-form", has=page.locator("input[value=escalate]"))
    escalate.locator("textarea").fill("需要社区盖章证明")
    escalate.get_by_role("button", name="上报至 绣湖社区代办站").click()  # it says where, before the press
    expect(page.locator("dl.facts")).to_contain_text("绣湖社区代办站")
    assert horizontal_overflow(page) == 0

    # the station sees it on the board and assigns it back with a note
    page = fresh_login(browser, live_site, "station", settings.DAIBAN_DEMO_PASSWORD)
    page.goto(f"{live_site.url}/errands/board/")
    row = page.locator("li", has_text=errand.number).first
    expect(row).to_be_visible()
    row.locator("summary").click()
    expect(row.locator("select[name=assignee]")).to_be_visible()  # fetched as 指派 opened
    shot(page, "board-actions-open")
    row.locator("select[name=assignee]").select_option(str(User.objects.get(username="worker").pk))
    row.locator("input[name=note]").first.fill("章已盖好，请继续办理")
    row.get_by_role("button", name="指派").click()
    expect(page.locator("li", has_text=errand.number).first).to_contain_text("王丽")
    assert horizontal_overflow(page) == 0

    # the worker completes and delivers it
    page = fresh_login(browser, live_site, "worker", settings.DAIBAN_DEMO_PASSWORD)
    page.locator(".errand-strip").click()  # Today's strip leads to 我的代办
    page.locator(".my-errands").get_by_text("高龄津贴申领").click()
    for label in ["受理", "开始办理"]:
        page.get_by_role("button", name=label, exact=True).click()
        expect(page.get_by_role("status").first).to_be_visible()
    # every material in before it is done (otherwise the button asks why they are not)
    materials = errand.service.materials
    for name in materials:
        page.locator(".checklist button", has_text=name).click()
        expect(page.locator(".checklist button", has_text=name)).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="已办结", exact=True).click()
    expect(page.get_by_role("status").first).to_be_visible()
    page.get_by_role("link", name="送达结果").click()
    page.get_by_text("当面送达", exact=True).click()
    page.get_by_text("5 · 非常满意", exact=True).click()
    page.get_by_role("button", name="确认送达").click()
    expect(page.locator(".badge.state-delivered")).to_be_visible()

    steps = page.locator("ol.timeline > li")
    expect(steps).to_have_count(7 + len(materials))
    for text in ["创建", "上报", "章已盖好，请继续办理", "受理", "开始", "办结", "送达"]:
        expect(page.locator("ol.timeline")).to_contain_text(text)
    errand.refresh_from_db()
    assert errand.state == "delivered" and errand.satisfaction == 5 and errand.trips_saved.trips == 2
    assert horizontal_overflow(page) == 0
