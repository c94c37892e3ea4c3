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

from grid.models import Area, User
from tests import factories
from tests.browser.conftest import horizontal_overflow, scroll_top_after_swap
from tests.tables import split_rows

BAND_COLOURS = {"good": "rgb(46, 125, 50)", "poor": "rgb(198, 40, 40)", "none": "rgb(158, 158, 158)"}


@pytest.fixture
def crafted(demo_city):
    """绣湖社区: one resident never visited (missed), one met today (50 %, red); a
    neighbouring community: one met today (100 %, green); the rest of the town: grey."""
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
    for area, band in [(xiuhu, "poor"), (neighbour, "good")]:
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
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX – 漏访服务对象", exact=True).click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [li.locator(".row-title").inner_text() for li in missed_list.locator("li").all()]
    assert "漏访张大爷" in names

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
