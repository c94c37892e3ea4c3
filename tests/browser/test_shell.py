"""A grid worker on a 390×844 phone: logs in, sees the Chinese shell, opens the network map."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import horizontal_overflow


def test_worker_logs_in_and_opens_the_network_map(log_in, live_site):
    page = log_in("worker")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("今日走访")
    expect(page.get_by_role("banner")).to_contain_text("红色代办")
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav).to_be_visible()
    for label in ["今日", "居民", "网络", "我的"]:
        link = nav.get_by_role("link", name=label)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["height"] >= 48 and box["width"] >= 48, (label, box)
    assert horizontal_overflow(page) == 0

    nav.get_by_role("link", name="网络").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("代办网络")
    page.get_by_role("link", name="在地图上查看").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("网络地图")
    # No tile server in tests: the grid outline and its three points are drawn anyway.
    expect(page.locator("#network-map")).to_have_attribute("data-features", "4")
    expect(page.locator("#network-map path.leaflet-interactive")).to_have_count(1)  # the grid's outline
    grid_point = page.locator("#network-map .map-pin:has(.tier-grid_point)")  # points are markers (they cluster)
    assert grid_point.bounding_box()["width"] >= 44
    grid_point.click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("绣湖社区第1网格代办点")
    assert horizontal_overflow(page) == 0
    assert errors == []


def test_directory_search_updates_in_place(log_in, live_site):
    page = log_in("street")
    page.goto(f"{live_site.url}/network/")
    expect(page.get_by_role("heading", level=1)).to_have_text("代办网络")
    page.get_by_label("搜索代办站点").fill("绣湖")
    expect(page.locator("#results")).to_contain_text("共 3 个代办站点")
    assert "q=%E7%BB%A3%E6%B9%96" in page.url  # the search is in the address bar, so Back works
    page.get_by_role("group", name="层级").get_by_text("网格代办点").click()
    expect(page.locator("#results")).to_contain_text("共 2 个代办站点")
    page.get_by_role("link", name=re.compile("绣湖社区第1网格代办点")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("绣湖社区第1网格代办点")
    expect(page.locator("#point-map path.leaflet-interactive").first).to_be_visible()
    assert horizontal_overflow(page) == 0
