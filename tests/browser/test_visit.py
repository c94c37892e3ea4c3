"""A grid worker's visit on a 390×844 phone: Today → visit form with GPS and a photo →
back on Today, where the resident has left the overdue list."""

from playwright.sync_api import expect

from grid.models import User
from outreach.models import Visit
from tests import factories
from tests.browser.conftest import horizontal_overflow


def test_worker_visits_an_overdue_resident(log_in, live_site):
    admin = User.objects.get(username="admin")
    overdue = factories.resident(actor=admin, name="王阿婆", registered_days_ago=12, care_level="A")
    factories.resident(actor=admin, name="李大伯", registered_days_ago=3, care_level="B")
    page = log_in("worker")
    expect(page.get_by_role("heading", level=1)).to_have_text("今日走访")
    overdue_section = page.locator("section.due-section").filter(has=page.get_by_role("heading", name="已逾期"))
    expect(overdue_section.get_by_text("王阿婆")).to_be_visible()
    expect(overdue_section.get_by_text("逾期 12 天")).to_be_visible()
    assert horizontal_overflow(page) == 0

    page.context.grant_permissions(["geolocation"], origin=live_site.url)
    page.context.set_geolocation({"latitude": overdue.home_lat + 0.0002, "longitude": overdue.home_lng, "accuracy": 15})
    overdue_section.get_by_role("link", name="开始走访：王阿婆").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("走访 王阿婆")
    expect(page.locator("#gps-status")).to_contain_text("±15")
    expect(page.locator("#gps-status")).to_contain_text("距住址约 22 米")
    page.get_by_text("见到本人", exact=True).click()
    page.get_by_text("一般", exact=True).click()
    page.get_by_text("燃气", exact=True).click()
    page.get_by_label("发现的需求").fill("想办高龄津贴")
    page.get_by_label("照片").set_input_files(
        [
            {
                "name": "home.jpg",
                "mimeType": "image/jpeg",
                "buffer": factories.image_bytes(size=(1200, 900), color=(90, 140, 200)),
            }
        ]
    )
    assert horizontal_overflow(page) == 0
    page.get_by_role("button", name="保存走访").click()

    expect(page.get_by_role("status").first).to_contain_text("已记录对 王阿婆 的走访")
    expect(page.get_by_role("heading", level=1)).to_have_text("今日走访")
    expect(
        page.locator("section.due-section").filter(has=page.get_by_role("heading", name="已逾期")).get_by_text("王阿婆")
    ).to_have_count(0)
    visit = Visit.objects.get(resident=overdue)
    assert visit.outcome == "met" and visit.location_check == "near_home" and visit.accuracy_m == 15
    # The record goes first; its photo follows it from the outbox.
    for _tick in range(200):
        if visit.photos.exists():
            break
        page.wait_for_timeout(100)
    assert visit.hazards == ["gas"] and visit.photos.count() == 1

    page.goto(f"{live_site.url}/residents/{overdue.pk}/")
    expect(page.locator(".thumbs img")).to_have_count(1)
    page.locator(".thumbs img").first.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const img = document.querySelector('.thumbs img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )  # loads through its view
    assert horizontal_overflow(page) == 0
