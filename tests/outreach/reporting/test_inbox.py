"""Each role opens on its own work: the grid worker's Today puts the day's visits first
with their errands as one strip; an office's home is an inbox of live counts that link to
the lists holding those items (a street adds this month's coverage and the communities
furthest behind); a member of one joint branch lands in its workspace, with a tab for it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from outreach.models import Errand
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]


@pytest.fixture
def work(demo_users):
    """Around 绣湖社区第1网格: a resident overdue for a visit, the worker's errands in every
    state, one unassigned errand at the grid point, one overdue, one escalated to the branch."""
    admin, worker = demo_users["admin"], demo_users["worker"]
    resident = factories.resident(actor=admin, name="王阿婆", registered_days_ago=10)
    mine = [factories.errand(actor=worker, resident=resident, code="MZ-GL") for _ in range(4)]
    factories.errand_walk(errand=mine[0], actor=worker, actions=["accept", "start", "complete"])  # to bring home
    factories.errand_walk(errand=mine[1], actor=worker, actions=["accept", "start", "complete", "deliver"])
    factories.errand_act(errand=mine[2], action="cancel", actor=worker)
    late = factories.errand(actor=worker, resident=resident, code="YB-CB", ago=timedelta(days=5))  # promised 1 day
    unassigned = factories.errand(actor=admin, resident=resident, code="MZ-GL")
    to_branch = factories.errand_walk(
        errand=factories.errand(actor=admin, resident=resident, code="SB-SL"), actor=admin, actions=["escalate"] * 3
    )
    return {"resident": resident, "mine": mine, "late": late, "unassigned": unassigned, "to_branch": to_branch}


def test_today_puts_the_visits_first_and_the_errands_in_one_strip(client_for, work):
    html = client_for("worker").get(reverse("home")).content.decode()
    strip = html[html.index('class="errand-strip') : html.index("</a>", html.index('class="errand-strip'))]
    # in hand: the open one and the late one; the cancelled and delivered ones are gone
    assert "2 件在办" in strip and "1 件逾期" in strip and "1 件待送达" in strip
    assert f'href="{reverse("errand-mine")}"' in strip
    assert html.index('class="errand-strip') < html.index(reverse("visit-create", args=[work["resident"].pk]))
    for errand in work["mine"]:  # no errand row on Today at all
        assert errand.number not in html


def test_my_errands_lists_what_is_in_hand_and_what_to_bring_home(client_for, work, django_assert_num_queries):
    client = client_for("worker")
    response = client.get(reverse("errand-mine"))
    in_hand = [row["errand"].pk for row in response.context["in_hand"]]
    assert in_hand == [work["late"].pk, work["mine"][3].pk]  # due soonest first
    assert [row["errand"].pk for row in response.context["to_deliver"]] == [work["mine"][0].pk]
    html = response.content.decode()
    assert work["mine"][1].number not in html and work["mine"][2].number not in html
    # session, user, scopes, the errands (resident, service, holder joined)
    with django_assert_num_queries(4):
        client.get(reverse("errand-mine"))
    for _ in range(5):
        factories.errand(actor=work["mine"][0].assignee, resident=work["resident"], code="MZ-GL")
    with django_assert_num_queries(4):
        assert len(client.get(reverse("errand-mine")).context["in_hand"]) == 7


def inbox(response) -> dict[str, tuple[int, str]]:
    return {str(item.label): (item.count, item.url) for item in response.context["inbox"]}


def test_the_station_opens_on_its_inbox(client_for, work):
    response = client_for("station").get(reverse("home"))
    items = inbox(response)
    # nobody on it and the station may act on it: the one at the grid point (not the branch's;
    # the worker's own were taken at the door)
    assert items["待指派的代办"] == (1, reverse("errand-board") + "?tab=unassigned")
    assert items["逾期代办"] == (1, reverse("errand-board") + "?tab=overdue")
    assert items["待处理的线上点单"] == (0, reverse("order-list"))
    assert items["走访逾期的服务对象"] == (1, reverse("resident-list") + "?due=overdue")
    assert "投诉待答复" not in items  # the complaints window is the street's
    assert response.context["coverage"] is None
    # each count is what the list it links to shows
    board = client_for("station").get(reverse("errand-board"), {"tab": "unassigned"})
    assert [row.errand for row in board.context["rows"]] == [work["unassigned"]]
    residents = client_for("station").get(reverse("resident-list"), {"due": "overdue"})
    assert [r.name for r in residents.context["page"]] == ["王阿婆"]
    # visited, she is no longer overdue on either (the count comes from the due tallies)
    factories.visit(actor=work["mine"][0].assignee, resident=work["resident"])
    assert inbox(client_for("station").get(reverse("home")))["走访逾期的服务对象"][0] == 0
    assert not client_for("station").get(reverse("resident-list"), {"due": "overdue"}).context["page"]


def test_the_street_adds_complaints_and_this_months_coverage(client_for, work, django_assert_num_queries):
    client = client_for("street")
    response = client.get(reverse("home"))
    items = inbox(response)
    assert items["投诉待答复"][1] == reverse("complaint-list") + "?tab=open"
    coverage = response.context["coverage"]
    assert coverage.figures.active >= 1 and len(coverage.worst) <= 3
    shares = [figures.share for _area, figures in coverage.worst]
    assert shares == sorted(shares)  # worst first
    html = response.content.decode()
    assert "本月按时走访" in html and f"{reverse('coverage-map')}?area={coverage.worst[0][0].pk}" in html
    # session, user, scopes, scopes listed, tab counts, orders, complaints, residents overdue,
    # the place and its parts, the coverage figures (residents, visits)
    with django_assert_num_queries(12):
        client.get(reverse("home"))
    factories.errand(actor=work["mine"][0].assignee, resident=work["resident"], code="MZ-GL")
    with django_assert_num_queries(12):
        client.get(reverse("home"))


def test_a_member_of_one_branch_lands_in_its_workspace_with_a_tab_for_it(client_for, demo_users):
    secretary = demo_users["secretary"]
    branch_id = secretary.scopes.get(role="branch_secretary").branch_id
    response = client_for("secretary").get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("branch-home", args=[branch_id])
    page = client_for("secretary").get(response.url)
    tabs = [(item["url"], str(item["label"])) for item in page.context["nav_items"]]
    assert tabs[0] == (reverse("branch-home", args=[branch_id]), "支部")
    assert 'aria-current="page"' in page.content.decode().split('class="mainnav"')[1].split("</nav>")[0]
    # the office roles still land on their home
    assert client_for("street").get(reverse("home")).status_code == 200


def test_the_office_home_never_counts_finished_work(client_for, work):
    Errand.objects.filter(pk=work["unassigned"].pk).update(
        state="cancelled", cancel_reason="重复", closed_at=timezone.now()
    )
    assert inbox(client_for("station").get(reverse("home")))["待指派的代办"][0] == 0
