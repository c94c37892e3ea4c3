"""axe-core finds nothing wrong on the screens people use most, at 390×844 in Chinese:
Today, the visit form, an errand, the assignment board, the coverage map, a joint
branch's home and the public order form; and once their scripts have run, they still
show no English.

axe-core (MPL-2.0) is vendored under tests/browser/vendor/ and never served: it is put
into the page with page.evaluate, which the pages' CSP (no inline scripts) allows, so
each screen is checked under its real policy."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from grid.models import JointBranch, ServicePoint, User
from tests import factories
from tests.browser.conftest import horizontal_overflow
from tests.browser.test_sync_bar import shot
from tests.test_screens_in_chinese import english_fragments

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
VIOLATIONS_JS = """() => axe.run(document).then((result) => result.violations.map(
  (v) => v.id + " (" + v.impact + "): " + v.nodes.map((n) => n.target.join(" ")).join(", ")))"""
# What the page shows and says once its scripts have run (map controls, the sync bar…).
WORDS_JS = """() => [document.body.innerText, ...Array.from(
  document.querySelectorAll("[title], [aria-label], [placeholder], img[alt]"),
  (e) => [e.title, e.getAttribute("aria-label"), e.placeholder, e.alt].filter(Boolean).join(" "))].join(" ")"""
SCREENS = ["today", "visit-form", "errand", "board", "coverage-map", "branch-home", "order-form"]


def axe_violations(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(VIOLATIONS_JS)


@pytest.fixture
def screens(demo_city) -> dict[str, tuple[str | None, str]]:
    """Who opens each screen, and where: (user name or None for the public, path)."""
    factories.load_catalogue()
    admin, worker = User.objects.get(username="admin"), User.objects.get(username="worker")
    resident = factories.resident(actor=admin, name="王阿婆", registered_days_ago=12)
    errand = factories.errand(actor=worker, resident=resident, code="SB-BH")
    branch = JointBranch.objects.get(secretary__username="secretary")
    point = ServicePoint.objects.filter(tier=ServicePoint.Tier.GRID_POINT).order_by("pk").first()
    return {
        "today": ("worker", "/"),
        "visit-form": ("worker", f"/residents/{resident.pk}/visit/"),
        "errand": ("worker", f"/errands/{errand.pk}/"),
        "board": ("station", "/errands/board/"),
        "coverage-map": ("street", "/coverage/"),
        "branch-home": ("secretary", f"/branches/{branch.pk}/"),
        "order-form": (None, f"/order/{point.public_code}/"),
    }


@pytest.mark.parametrize("screen", SCREENS)
def test_no_axe_violations(page, log_in, live_site, screens, screen):
    username, path = screens[screen]
    if username:
        log_in(username)
    page.goto(f"{live_site.url}{path}")
    page.wait_for_load_state("networkidle")  # htmx partials and map data in place
    assert axe_violations(page) == []
    assert english_fragments(page.evaluate(WORDS_JS)) == set()  # the scripts' words too
    assert horizontal_overflow(page) == 0
    shot(page, f"axe-{screen}")


def test_the_bell_has_a_name_before_its_count_arrives(page, log_in, live_site):
    page.route("**/notifications/count/**", lambda route: route.abort())  # htmx never fills it
    log_in("station")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("link", name="通知", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    page.unroute_all(behavior="ignoreErrors")
