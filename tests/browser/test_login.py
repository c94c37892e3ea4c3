"""A grid worker's phone at 390×844: the login lasts the field period (an office's the
working day), Today arrives gzipped, and logout still ends the long session."""

import re
import time

from playwright.sync_api import expect

from tests.browser.conftest import horizontal_overflow, shot

DAY = 24 * 60 * 60


def session_cookie_days(page) -> float:
    [cookie] = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    return (cookie["expires"] - time.time()) / DAY


def test_the_worker_stays_logged_in_for_a_fortnight_and_logout_ends_it(log_in, live_site):
    page = log_in("worker")
    assert 13.9 < session_cookie_days(page) <= 14

    today = page.goto(f"{live_site.url}/")  # as the app on the home screen opens it
    assert today.header_value("content-encoding") == "gzip"
    expect(page.get_by_role("heading", level=1)).to_have_text("今日走访")
    assert horizontal_overflow(page) == 0
    shot(page, "login-worker-today")

    page.goto(f"{live_site.url}/account/")
    logout = page.get_by_role("button", name="退出登录")
    assert logout.bounding_box()["height"] >= 44
    logout.click()
    page.wait_for_url(re.compile(re.escape(f"{live_site.url}/account/login/")))
    assert not [c for c in page.context.cookies() if c["name"] == "sessionid" and c["value"]]
    expect(page.get_by_label("用户名")).to_be_visible()
    shot(page, "login-after-logout")
    page.goto(f"{live_site.url}/")
    expect(page).to_have_url(re.compile(r"/account/login/\?next=/$"))


def test_an_office_on_the_same_phone_gets_the_working_day(log_in):
    page = log_in("station")
    assert 0.49 < session_cookie_days(page) <= 0.5
