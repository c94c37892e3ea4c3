"""Who may do what: the predicates on Reach (grid.access) answer every "which roles
may…" of the app, and each link, button and tab shows exactly for the users its page
lets in, because both ask the same predicate."""

import pytest
from django.urls import reverse

from grid.access import reach_of
from grid.models import JointBranch, Role, Scope, User

USERS = ["worker", "worker2", "station", "street", "secretary", "member", "admin"]

# DESIGN.md §1 and the complaints window (§2), written out: predicate → the users it lets in.
EXPECTED = {
    "is_field_worker": {"worker", "worker2"},
    "is_only_field_worker": {"worker", "worker2"},
    "has_areas": {"worker", "worker2", "station", "street", "admin"},
    "sees_areas_as_field_worker": {"worker", "worker2"},
    "sees_dashboard": set(USERS),
    "watches_coverage": {"street", "admin"},
    # kept by street centres, answered by the joint branches (secretary and members)
    "may_see_complaints": {"street", "secretary", "member", "admin"},
    "may_register_complaints": {"street", "admin"},
    "may_use_board": {"station", "street", "secretary", "admin"},
    "may_import_rosters": {"station", "street", "admin"},
    "may_reveal_national_ids": {"worker", "worker2", "station", "street", "admin"},
    "may_see_coverage_residents": {"worker", "worker2", "station", "street", "admin"},
}


@pytest.fixture
def people(demo_users) -> dict[str, User]:
    member = User.objects.create_user("member1", full_name="吴洁")
    Scope.objects.create(user=member, role=Role.BRANCH_MEMBER, branch=JointBranch.objects.get(number=1))
    return {**demo_users, "member": member}


@pytest.fixture
def login(client, people):
    def as_user(name: str):
        client.force_login(people[name])
        return client

    return as_user


@pytest.mark.parametrize("predicate", sorted(EXPECTED))
def test_each_predicate_lets_in_exactly_its_roles(people, predicate):
    allowed = {name for name in USERS if getattr(reach_of(people[name]), predicate)()}
    assert allowed == EXPECTED[predicate]


def shown(client, url_name: str, link: str) -> bool:
    """Linked from the page (where it leads: home is a branch's workspace for its people)."""
    return reverse(link) in client.get(reverse(url_name), follow=True).content.decode()


def opens(client, link: str) -> bool:
    status = client.get(reverse(link)).status_code
    assert status in (200, 404)
    return status == 200


@pytest.mark.parametrize("username", USERS)
def test_the_complaints_tile_shows_exactly_for_who_the_complaints_list_lets_in(login, username):
    """The home page once spelled its own set (no branch members), the list another."""
    client = login(username)
    assert (
        shown(client, "home", "complaint-list")
        == opens(client, "complaint-list")
        == (username in EXPECTED["may_see_complaints"])
    )


@pytest.mark.parametrize("username", USERS)
def test_the_register_button_shows_exactly_for_who_may_register(login, username):
    client = login(username)
    may_register = username in EXPECTED["may_register_complaints"]
    assert opens(client, "complaint-create") == may_register
    if opens(client, "complaint-list"):
        assert shown(client, "complaint-list", "complaint-create") == may_register


@pytest.mark.parametrize("username", USERS)
def test_the_import_button_shows_exactly_for_who_may_import(login, username):
    client = login(username)
    may_import = username in EXPECTED["may_import_rosters"]
    assert opens(client, "roster-import") == may_import
    if opens(client, "resident-list"):
        assert shown(client, "resident-list", "roster-import") == may_import


@pytest.mark.parametrize("username", USERS)
def test_the_errands_tab_shows_exactly_for_who_the_board_lets_in(login, username):
    client = login(username)
    tabs = [item["url"] for item in client.get(reverse("network-list")).context["nav_items"]]
    assert (reverse("errand-board") in tabs) == opens(client, "errand-board")


@pytest.mark.parametrize("username", [u for u in USERS if u not in EXPECTED["is_field_worker"]])
def test_the_dashboard_tile_shows_exactly_for_who_has_a_dashboard(login, username):
    client = login(username)
    assert shown(client, "home", "dashboard") == opens(client, "dashboard")


@pytest.mark.parametrize("username", USERS)
def test_workers_land_on_today_and_others_on_the_overview(login, username):
    """…or, for a member of one joint branch with no area, on the branch's workspace."""
    response = login(username).get(reverse("home"), follow=True)
    landed = response.templates[0].name
    if username in EXPECTED["is_field_worker"]:
        assert landed == "outreach/residents/today.html"
    elif username in ("secretary", "member"):
        assert landed == "outreach/branches/home.html" and response.redirect_chain
    else:
        assert landed == "grid/home.html"
