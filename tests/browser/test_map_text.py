"""Maps print people's words as text: an address or a name written like HTML shows as
those characters in the resident page's tooltip and in the coverage map's popup, and no
element is ever made of it (the CSP would stop a handler; the markup must not exist)."""

from playwright.sync_api import expect

from grid.models import Area, User
from tests import factories

HOSTILE_ADDRESS = '"><img src=x onerror=alert(1)>绣湖路1号'
HOSTILE_NAME = "<b>张</b>大爷"


def no_injected_markup(page) -> None:
    assert page.locator("img[src=x]").count() == 0
    assert page.locator(".leaflet-container b").count() == 0


def test_an_address_written_like_html_is_text_on_every_map(log_in, live_site):
    admin = User.objects.get(username="admin")
    resident = factories.resident(
        actor=admin, name=HOSTILE_NAME, care_level="A", registered_days_ago=30, address=HOSTILE_ADDRESS
    )
    page = log_in("street")

    # the resident's home on their page: the marker's tooltip
    page.goto(f"{live_site.url}/residents/{resident.pk}/")
    marker = page.locator("#home-map path.leaflet-interactive").first
    expect(marker).to_be_visible()
    marker.hover()
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_have_text(HOSTILE_ADDRESS)
    no_injected_markup(page)

    # the coverage map of the resident's grid: the missed resident's popup
    grid = Area.objects.get(name="绣湖社区第1网格")
    page.goto(f"{live_site.url}/coverage/?area={grid.pk}")
    missed = page.locator("#coverage-map .leaflet-marker-icon:has(.cov-icon.missed)").first
    expect(missed).to_be_visible()
    missed.dispatch_event("click")  # the grid point sits on the same spot, over it
    popup = page.locator(".leaflet-popup")
    expect(popup).to_contain_text(HOSTILE_NAME)
    expect(popup).to_contain_text(HOSTILE_ADDRESS)
    no_injected_markup(page)
