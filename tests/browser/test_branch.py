"""A joint branch secretary on a 390×844 phone and a 1280×800 desktop: from the overview
home to the branch, log an activity at two neglected points with a photo, and see the
neglected flag clear for exactly those two — in the list and on the map."""

import pytest
from playwright.sync_api import expect

from grid.models import JointBranch
from outreach.models import BranchActivity
from tests import factories
from tests.browser.conftest import horizontal_overflow

DESKTOP = {"width": 1280, "height": 800}


def neglected_on_map(page) -> int:
    expect(page.locator("#branch-map[data-features]")).to_have_count(1)  # the map data has arrived
    return int(page.locator("#branch-map").get_attribute("data-neglected"))


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["phone", "desktop"])
def test_secretary_logs_an_activity_and_the_neglected_flag_clears(log_in, live_site, viewport):
    branch = JointBranch.objects.get(secretary__username="secretary")
    page = log_in("secretary")
    if viewport:
        page.set_viewport_size(viewport)
    # a secretary of one branch logs in straight to it
    expect(page.get_by_role("heading", level=1)).to_have_text(branch.name)
    assert horizontal_overflow(page) == 0
    # nothing was ever held at the demo territory's paired points: every one is neglected
    rows = page.locator("li.point-row")
    expect(rows.first).to_have_class("point-row is-neglected")
    first_id = rows.nth(0).get_attribute("id")
    second_id = rows.nth(1).get_attribute("id")
    names = {row_id: page.locator(f"#{row_id} .row-title").inner_text() for row_id in (first_id, second_id)}
    second_pk = second_id.removeprefix("point-")
    before_on_map = neglected_on_map(page)
    assert before_on_map == 100

    page.locator(f"#{first_id} a.log-here").click()
    expect(page.locator("input[name=points]:checked")).to_have_count(1)
    page.locator("input[name=kind][value=policy_outreach]").check()
    page.locator(f"input[name=points][value='{second_pk}']").check()
    expect(page.locator("#picked-count")).to_contain_text("2")
    page.locator("#id_people_reached").fill("35")
    page.locator("input[name=topics][value=social_insurance]").check()
    page.locator("input[name=topics][value=elderly_care]").check()
    page.locator("#id_notes").fill("宣讲城乡居民养老保险新政")
    page.locator("#id_photos").set_input_files(
        [
            {
                "name": "talk.jpg",
                "mimeType": "image/jpeg",
                "buffer": factories.image_bytes(size=(1200, 900), color=(200, 120, 40)),
            }
        ]
    )
    assert horizontal_overflow(page) == 0
    page.locator("form.activity-form button[type=submit]").click()

    expect(page.locator(".photo-grid img")).to_have_count(1)
    # the photo loads through its scope-checked view (lazily: wait for it)
    page.locator(".photo-grid img").first.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const img = document.querySelector('.photo-grid img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    assert horizontal_overflow(page) == 0
    activity = BranchActivity.objects.get()
    assert activity.status == "held" and activity.people_reached == 35 and activity.points.count() == 2
    assert activity.photos.count() == 1

    page.goto(f"{live_site.url}/branches/{branch.pk}/")
    assert neglected_on_map(page) == before_on_map - 2
    # neglected points come first; the two now sit among the visited ones: search for each
    for row_id, name in names.items():
        page.locator("#point-q").fill(name)
        row = page.locator(f"#point-list #{row_id}")
        expect(row).to_have_count(1)
        expect(row).not_to_have_class("point-row is-neglected")
        expect(row.locator(".badge.neglected")).to_have_count(0)
        expect(row.locator(".last-activity")).to_contain_text(activity.held_on.isoformat())
    page.locator("#point-q").fill("")
    expect(page.locator("#point-list li.point-row.is-neglected").first).to_be_visible()  # the others still are
    assert horizontal_overflow(page) == 0

    # the neglected-only filter (htmx, no reload) leaves the two out
    page.locator("input[name=show][value=neglected]").check(force=True)
    expect(page.locator(f"#point-list #{first_id}")).to_have_count(0)
    expect(page.locator(f"#point-list #{second_id}")).to_have_count(0)
    assert horizontal_overflow(page) == 0
