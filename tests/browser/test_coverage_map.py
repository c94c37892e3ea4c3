"""A street official opens the coverage map on a desktop (1280×800) and a phone (390×844):
the areas are drawn in their colours with no tile server, a click on a community drills
into it, the missed list follows, the community's tables download as XLSX with the
figures on the screen, Back returns to the town, and the page never scrolls sideways."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from grid.models import Area, JointBranch, User
from tests import factories
from tests.browser.conftest import PHONE, horizontal_overflow, scroll_top_after_swap, shot
from tests.browser.test_accessibility import axe_violations
from tests.tables import split_rows
from tests.tasks import run_tasks

# app.css: band-s0 (below 50 %), band-s2 (50–70 %), band-s8 (95 % or more), band-none, with
# the default bands
BAND_COLOURS = {
    "s0": "rgb(165, 0, 38)",
    "s2": "rgb(244, 109, 67)",
    "s8": "rgb(49, 54, 149)",
    "none": "rgb(158, 158, 158)",
}


@pytest.fixture
def crafted(demo_city):
    """绣湖社区: one resident never visited (missed), one met today (50 %, orange-red); a
    neighbouring community: one met today (100 %, dark blue); the rest of the town: grey."""
    admin, worker = User.objects.get(username="admin"), User.objects.get(username="worker")
    town = Area.objects.get(name="稠城街道")
    neighbour = (
        Area.objects.filter(level=Area.Level.GRID, path__startswith=town.path)
        .exclude(parent__name="绣湖社区")
        .order_by("code")
        .first()
    )
    missed = factories.resident(actor=admin, name="漏访张大爷", care_level="A", registered_days_ago=30)
    for grid_name, name in [("绣湖社区第1网格", "准时李奶奶"), (neighbour.name, "邻社区王伯")]:
        resident = factories.resident(
            actor=admin, grid_name=grid_name, name=name, care_level="C", registered_days_ago=30
        )
        factories.visit(
            actor=worker if grid_name.startswith("绣湖") else admin,
            resident=resident,
            at=timezone.now() - timedelta(hours=1),
        )
    return {"missed": missed, "xiuhu": Area.objects.get(name="绣湖社区"), "neighbour": neighbour.parent, "town": town}


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_street_drills_into_a_community_and_sees_who_was_missed(log_in, live_site, crafted, viewport):
    page = log_in("street")
    page.set_viewport_size(viewport)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.get_by_role("navigation", name="主导航").get_by_role("link", name=re.compile("地图|Map")).click()
    expect(page.locator("#coverage-map")).to_have_attribute("data-area", str(crafted["town"].pk))
    town_areas = Area.objects.filter(parent=crafted["town"]).count()
    expect(page.locator("#coverage-map")).to_have_attribute("data-features", str(town_areas))
    expect(page.locator(".coverage-title")).to_contain_text("稠城街道")

    # No tile server: the communities are drawn anyway, each in its band's colour.
    xiuhu, neighbour = crafted["xiuhu"], crafted["neighbour"]
    for area, band in [(xiuhu, "s2"), (neighbour, "s8")]:
        polygon = page.locator(f"#coverage-map path.coverage-area.area-{area.pk}")
        expect(polygon).to_have_class(re.compile(f"band-{band}"))
        assert polygon.evaluate("p => getComputedStyle(p).fill") == BAND_COLOURS[band]
    assert page.locator("#coverage-map path.coverage-area.band-none").count() == town_areas - 2
    missed_list = page.locator(".missed-list")
    expect(missed_list).to_contain_text("漏访张大爷")

    # Markers off (the toggles below the map), then a click on the community drills in.
    for toggle in page.locator("input[data-layer]").all():
        toggle.uncheck()
    expect(page.locator("#coverage-map .leaflet-marker-icon")).to_have_count(0)
    page.locator(f"#coverage-map path.area-{xiuhu.pk}").click()
    expect(page.locator("#coverage-map")).to_have_attribute("data-area", str(xiuhu.pk))
    expect(page).to_have_url(re.compile(f"area={xiuhu.pk}"))
    expect(page.locator(".coverage-title")).to_contain_text("绣湖社区")
    expect(page.locator("#coverage-map")).to_have_attribute("data-features", "2")  # its two grids
    expect(page.locator(".breadcrumb")).to_contain_text("稠城街道")
    expect(missed_list).to_contain_text("漏访张大爷")
    expect(page.locator(".coverage-table tbody tr")).to_have_count(2)
    assert horizontal_overflow(page) == 0

    # The community's tables as spreadsheets: the same figures as the screen, in Chinese.
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX – 分区域走访覆盖率", exact=True).click()
    assert download.value.suggested_filename.endswith(".xlsx") and "绣湖社区" in download.value.suggested_filename
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    table = split_rows(list(sheet.iter_rows(values_only=True)))
    assert table.header[0] == "区域" and sheet.freeze_panes == "A2"
    on_screen = {
        tr.locator("th").inner_text(): tr.locator("td.share").inner_text()
        for tr in page.locator(".coverage-table tbody tr").all()
    }
    in_file = {row[0]: "–" if row[3] is None else f"{int(row[3] * 100 + 1e-9)} %" for row in table.rows}
    assert in_file == on_screen and table.total[0] == "合计" and table.notes
    assert "50 %" in on_screen.values()  # 绣湖社区第1网格: one of two met
    shown = [li.locator(".row-title").inner_text() for li in missed_list.locator("li").all()]
    # The missed list is made by a background job: the button opens its page, which
    # offers the file once the worker (played by the test thread) has written it.
    page.get_by_role("button", name="XLSX – 漏访服务对象", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("漏访服务对象导出")
    with live_site.thread.httpd.lock:
        run_tasks()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("下载 漏访服务对象")).click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == shown and "漏访张大爷" in names
    page.go_back()  # from the job's page to the community's map
    expect(page.locator("#coverage-map")).to_have_attribute("data-area", str(xiuhu.pk))

    # The breadcrumb's way back up, and the browser's Back button.
    page.go_back()
    expect(page.locator("#coverage-map")).to_have_attribute("data-area", str(crafted["town"].pk))
    expect(page.locator(".coverage-title")).to_contain_text("稠城街道")
    assert horizontal_overflow(page) == 0

    # Drilling in from the table (below the map on a phone) brings the map and the new
    # area's figures back into view.
    link = page.locator(f'.coverage-table a[data-area-link="{xiuhu.pk}"]')
    link.scroll_into_view_if_needed()
    link.click()
    expect(page.locator("#coverage-map")).to_have_attribute("data-area", str(xiuhu.pk))
    expect(page.locator(".coverage-title")).to_contain_text("绣湖社区")
    assert scroll_top_after_swap(page) == 0
    assert errors == []  # no Content Security Policy complaint after the swaps either


# --- A map a street official can read (issue 12, section 4) ------------------------------


def texts(locator) -> list[str]:
    """The text of every match, shown or hidden (inner_text leaves hidden names out)."""
    return locator.evaluate_all("nodes => nodes.map(n => n.textContent)")


def visible_boxes(locator) -> list[dict]:
    return [box for node in locator.all() if node.is_visible() and (box := node.bounding_box())]


def overlapping(boxes: list[dict]) -> list[tuple[dict, dict]]:
    def meet(a, b):
        return not (
            a["x"] + a["width"] <= b["x"]
            or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"]
            or b["y"] + b["height"] <= a["y"]
        )

    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if meet(a, b)]


@pytest.fixture
def many_missed(crafted):
    """Thirty more residents of 绣湖社区第1网格, never visited, at the grid's middle: their
    markers would all sit on one spot."""
    admin = User.objects.get(username="admin")
    for i in range(30):
        factories.resident(actor=admin, name=f"漏访居民{i:02d}", care_level="A", registered_days_ago=30)
    return crafted


def test_street_reads_the_coverage_map_on_a_phone(log_in, live_site, many_missed):
    crafted = many_missed
    page = log_in("street")  # 390×844
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_site.url}/coverage/")
    town, xiuhu, neighbour = crafted["town"], crafted["xiuhu"], crafted["neighbour"]
    the_map = page.locator("#coverage-map")
    expect(the_map).to_have_attribute("data-area", str(town.pk))
    expect(the_map).to_have_attribute("data-overlaymissed", "31")
    expect(the_map).to_have_attribute("data-names", re.compile(r"^\d+$"))  # the names are placed

    # Graduated bands: 3 % and 100 % in different colours, each named by the legend on the map.
    fills = {
        area.name: page.locator(f"#coverage-map path.area-{area.pk}").evaluate("p => getComputedStyle(p).fill")
        for area in (xiuhu, neighbour)
    }
    assert fills == {xiuhu.name: BAND_COLOURS["s0"], neighbour.name: BAND_COLOURS["s8"]}
    legend = the_map.locator(".leaflet-control.coverage-legend-box")
    expect(legend).to_be_visible()
    assert legend.locator("li").all_inner_texts() == [
        "95 % 及以上", "90–95 %", "80–90 %", "70–80 %", "50–70 %", "低于 50 %", "无服务对象",
    ]  # fmt: skip
    assert legend.locator(".swatch.band-s2").evaluate("s => getComputedStyle(s).backgroundColor") == BAND_COLOURS["s2"]

    # Markers cluster: 31 missed residents in one grid are one cluster icon that says 31.
    cluster = the_map.locator(".map-cluster-missed")
    expect(cluster.first).to_be_visible()
    assert "31" in cluster.all_inner_texts()
    assert the_map.locator(".cov-icon.missed").count() < 31
    assert all(box["width"] >= 44 and box["height"] >= 44 for box in visible_boxes(cluster))
    shot(page, "coverage-town")

    # Names: several shown, none over another or over a control; fewer when zoomed out.
    names = the_map.locator(".area-name")
    controls = visible_boxes(the_map.locator(".leaflet-control"))
    shown = visible_boxes(names)
    assert len(shown) >= 5, shown
    assert overlapping(shown) == [] and overlapping(shown + controls) == []
    assert xiuhu.name in texts(names)
    page.get_by_role("button", name="缩小").click()
    page.get_by_role("button", name="缩小").click()
    page.wait_for_timeout(600)  # the zoom animation (≈250 ms each)
    fewer = visible_boxes(names)
    assert 0 < len(fewer) < len(shown) and overlapping(fewer) == []
    shot(page, "coverage-town-zoomed-out")
    page.get_by_role("button", name="放大").click()
    page.get_by_role("button", name="放大").click()
    page.wait_for_timeout(600)

    for toggle in page.locator("input[data-layer]").all():
        toggle.uncheck()
    expect(the_map.locator(".leaflet-marker-icon")).to_have_count(0)

    # The figures come from their own button, below the map; a tap then selects, not opens.
    figures_button = page.get_by_role("button", name="数据", exact=True)
    figures_button.click()
    expect(figures_button).to_have_attribute("aria-pressed", "true")
    panel = page.locator("#map-figures")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("稠城街道")
    expect(panel).to_contain_text("按时走访率: 6 % (2/33)")
    page.locator(f"#coverage-map path.area-{neighbour.pk}").click()
    expect(panel).to_contain_text(neighbour.name)
    expect(panel).to_contain_text("按时走访率: 100 % (1/1)")
    assert f"{neighbour.name}100 %" in texts(names)  # the names carry the share too
    expect(the_map).to_have_attribute("data-area", str(town.pk))
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    shot(page, "coverage-figures")

    # Figures off: one tap on an area opens it, with no popup.
    figures_button.click()
    expect(panel).to_be_hidden()
    page.locator(f"#coverage-map path.area-{xiuhu.pk}").click()
    expect(the_map).to_have_attribute("data-area", str(xiuhu.pk))
    expect(page.locator(".coverage-title")).to_contain_text("绣湖社区")
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    # The grids' names inside the community drop the community's name.
    expect(the_map.locator(".area-name")).to_have_count(2)  # the town's fade out in 200 ms
    assert sorted(texts(the_map.locator(".area-name"))) == ["第1网格", "第2网格"]
    shot(page, "coverage-community")

    # A grid row of the table opens that grid's missed list…
    grid = Area.objects.get(name="绣湖社区第1网格")
    row_link = page.locator(f'.coverage-table a[data-area-link="{grid.pk}"]')
    expect(row_link).to_have_text("绣湖社区第1网格")
    row_link.click()
    expect(page).to_have_url(re.compile(f"area={grid.pk}"))
    expect(page.locator(".coverage-title")).to_contain_text("绣湖社区第1网格")
    expect(page.locator(".missed-list")).to_contain_text("漏访居民00")  # most overdue first, 20 a page
    expect(page.locator("#missed-title")).to_be_in_viewport()
    expect(page.locator("#missed-title .count")).to_have_text("31")
    shot(page, "coverage-grid-missed")
    # … and so does one tap on the grid on the map.
    page.go_back()
    expect(the_map).to_have_attribute("data-area", str(xiuhu.pk))
    page.evaluate("window.scrollTo(0, 0)")
    page.locator(f"#coverage-map path.area-{grid.pk}").click()
    expect(the_map).to_have_attribute("data-area", str(grid.pk))
    expect(page.locator(".missed-list")).to_contain_text("漏访居民00")  # most overdue first, 20 a page
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    assert horizontal_overflow(page) == 0
    assert errors == []


def settled_counts(page, clusters) -> list[int]:
    """The clusters' counts once the map has stopped zooming: during markercluster's zoom
    animation (.leaflet-cluster-anim) the old and the new clusters are both on the map."""
    previous = None
    for _tick in range(50):
        if page.locator(".leaflet-cluster-anim").count() == 0:
            counts = [int(text) for text in clusters.all_inner_texts()]
            if counts == previous:
                return counts
            previous = counts
        page.wait_for_timeout(200)
    raise AssertionError("the map never stopped zooming")


def test_the_network_map_clusters_the_city_s_points(log_in, live_site):
    page = log_in("admin")
    page.goto(f"{live_site.url}/network/map/")
    clusters = page.locator("#network-map .map-cluster-points")
    expect(clusters.first).to_be_visible()
    counts = settled_counts(page, clusters)
    points = int(page.locator("#network-map").get_attribute("data-features") or 0)
    assert sum(counts) + page.locator("#network-map .map-pin").count() <= points
    assert max(counts) >= 10 and page.locator("#network-map .map-pin").count() < 100
    shot(page, "network-map")


def test_the_branch_map_clusters_its_paired_points(log_in, live_site):
    page = log_in("secretary")
    branch = JointBranch.objects.get(secretary__username="secretary")
    page.goto(f"{live_site.url}/branches/{branch.pk}/")
    the_map = page.locator("#branch-map")
    expect(the_map.locator(".map-cluster").first).to_be_visible()
    shown = sum(settled_counts(page, the_map.locator(".map-cluster")))  # not mid-zoom: see above
    assert shown + the_map.locator(".map-pin").count() == int(the_map.get_attribute("data-features") or 0) == 100
    # a cluster holding a neglected point is red, one without is green
    neglected = int(the_map.get_attribute("data-neglected") or 0)
    if neglected:
        assert the_map.locator(".map-cluster-neglected").count() + the_map.locator(".point-neglected").count() >= 1
    shot(page, "branch-map")


def test_on_a_touch_screen_one_tap_opens_an_area(browser, live_site, crafted, settings):
    """A real touch phone (no hover): the first tap on a community opens it, no popup."""
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    try:
        page = context.new_page()
        page.goto(f"{live_site.url}/account/login/")
        page.get_by_label("用户名").fill("street")
        page.get_by_label("密码").fill(settings.DAIBAN_DEMO_PASSWORD)
        page.get_by_role("button", name="登录", exact=True).tap()
        page.wait_for_url(re.compile(re.escape(live_site.url) + r"/(\?.*)?$"))
        page.goto(f"{live_site.url}/coverage/")
        assert page.evaluate("matchMedia('(hover: none)').matches")
        the_map = page.locator("#coverage-map")
        expect(the_map).to_have_attribute("data-area", str(crafted["town"].pk))
        for toggle in page.locator("input[data-layer]").all():
            toggle.uncheck()
        expect(the_map.locator(".leaflet-marker-icon")).to_have_count(0)
        page.locator(f"#coverage-map path.area-{crafted['xiuhu'].pk}").tap()
        expect(the_map).to_have_attribute("data-area", str(crafted["xiuhu"].pk))
        expect(page.locator(".leaflet-popup")).to_have_count(0)
    finally:
        context.close()


def test_the_city_s_past_period_counts_the_missed_and_sends_to_a_town(log_in, live_site, crafted):
    """The city administrator opens a past week's map on a phone: the number of missed
    residents and the download, a line saying to open a town for names; the missed
    layer says the same on the map. A town's page lists them."""
    page = log_in("admin")
    page.set_viewport_size(PHONE)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    end = timezone.localdate() - timedelta(days=1)  # the seven days to yesterday: a past period
    page.goto(f"{live_site.url}/coverage/?period=custom&start={end - timedelta(days=6)}&end={end}")
    section = page.locator(".coverage-missed")
    expect(section.locator("#missed-by-town")).to_contain_text("请在上方表格中打开街道")
    expect(section.locator(".missed-list")).to_have_count(0)
    assert int(section.locator(".count").inner_text()) >= 1  # 漏访张大爷, never visited
    expect(section.get_by_role("button", name=re.compile("XLSX"))).to_be_visible()  # the list, as a job
    page.locator('input[data-layer="missed"]').check()
    expect(page.locator("#map-status")).to_have_text("往期全市漏访对象不在地图上标出：请打开街道查看。")
    section.scroll_into_view_if_needed()
    shot(page, "coverage-city-past")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    assert errors == []
