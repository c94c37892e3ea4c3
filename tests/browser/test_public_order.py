"""On a 390×844 phone: the public order form sends with its page's token, says which
limit was hit when one is, and refuses a post from a page elsewhere; a grid worker who
types an ID registered outside their areas reads the neutral answer, and a station whose
roster holds more IDs than are left today reads why (issue 13 §3, §5)."""

from playwright.sync_api import expect

from grid.models import Area, ServicePoint
from outreach.models import OnlineOrder
from tests import factories
from tests.browser.conftest import horizontal_overflow, shot
from tests.outreach.residents.test_roster import good_row, xlsx
from tests.tasks import run_tasks


def fill_order(page, *, phone: str) -> None:
    page.locator("#id_name").fill("王秀英")
    page.locator("#id_phone").fill(phone)
    page.locator("#id_service").select_option(index=1)
    page.locator("#id_description").fill("我妈妈82岁，想申请高龄津贴。")


def test_the_order_form_sends_once_and_says_which_limit_was_hit(page, live_site, demo_city, settings):
    factories.load_catalogue()
    point = ServicePoint.objects.get(name="绣湖社区第1网格代办点")
    url = f"{live_site.url}/order/{point.public_code}/"
    page.goto(url)
    fill_order(page, phone="13800138000")
    shot(page, "order-form", full_page=True)
    send = page.get_by_role("button", name="提交")
    assert send.bounding_box()["height"] >= 44
    send.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert OnlineOrder.objects.count() == 1
    # The point's hour is full: the page says so, in Chinese, and keeps what was typed.
    settings.DAIBAN_ORDER_LIMIT_PER_POINT_PER_HOUR = 1
    page.goto(url)
    fill_order(page, phone="13900139000")
    page.get_by_role("button", name="提交").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("一小时")
    expect(page.locator("#id_phone")).to_have_value("13900139000")
    assert horizontal_overflow(page) == 0
    shot(page, "order-limit", full_page=True)
    assert OnlineOrder.objects.count() == 1


def test_a_page_elsewhere_cannot_post_an_order(page, live_site, demo_city):
    factories.load_catalogue()
    point = ServicePoint.objects.get(name="绣湖社区第1网格代办点")
    page.set_content(
        f"""<form method="post" action="{live_site.url}/order/{point.public_code}/">
        <input name="name" value="王秀英"><input name="phone" value="13800138000">
        <input name="service" value="other"><input name="description" value="spam">
        <button>go</button></form>"""
    )
    page.get_by_role("button", name="go").click()
    expect(page.get_by_role("alert")).to_contain_text("此页面打开时间过长")
    assert not OnlineOrder.objects.exists()


def test_a_worker_reads_the_neutral_answer_for_an_id_registered_elsewhere(log_in, live_site, demo_users):
    number = factories.national_id(born="19400101")
    factories.resident(
        actor=demo_users["admin"],
        grid_name=factories.other_grid(same_town=False).name,
        name="远方的人",
        national_id=number,
    )
    page = log_in("worker")
    page.goto(f"{live_site.url}/residents/new/")
    page.locator("#id_name").fill("试探者")
    page.locator("#id_national_id").fill(number)
    page.locator("#id_address").fill("绣湖社区工人路9号")
    page.locator("select[name=grid]").select_option(index=1)
    page.locator("input[name=consent_basis]").first.check()
    page.get_by_role("button", name="保存").click()
    error = page.locator("#field-national_id")
    expect(error).to_contain_text("该身份证号无法在此登记")
    expect(error).to_contain_text("市级管理员")
    expect(page.locator("body")).not_to_contain_text("远方的人")
    assert horizontal_overflow(page) == 0
    error.scroll_into_view_if_needed()
    shot(page, "resident-neutral")


def test_a_roster_over_the_days_limit_says_so_on_the_phone(log_in, live_site, settings):
    settings.DAIBAN_ID_CHECKS_PER_DAY = 2
    grids = {"grid1": Area.objects.get(name="绣湖社区第1网格")}
    page = log_in("station")
    page.goto(f"{live_site.url}/residents/import/")
    page.locator("input[type=file]").set_input_files(
        {
            "name": "花名册.xlsx",
            "mimeType": "application/octet-stream",
            "buffer": xlsx([good_row(grids, i) for i in range(1, 4)]),
        }
    )
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("#job-progress")).to_be_visible()
    with live_site.thread.httpd.lock:  # the worker, played by the test thread (tests/tasks.py)
        run_tasks()
    alert = page.locator(".roster-file-errors")
    expect(alert).to_contain_text("今天只能再查验 2 个")
    assert horizontal_overflow(page) == 0
    shot(page, "roster-limit")
