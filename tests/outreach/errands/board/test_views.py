"""The assignment board: scope per role, tabs and filters, assign / reassign / escalate
in place (htmx rows) and without JS, conflicts, and fixed query counts — through the
front door."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from grid.models import ServicePoint
from outreach.errands import services as errand_services
from outreach.errands.selectors import assignable_scope, assignable_scopes
from outreach.models import ErrandEvent, Notification, ServiceType
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

BOARD = "errand-board"


@pytest.fixture
def errands(demo_users):
    """Open errands around 绣湖社区 and beyond, one closed, one at the demo joint branch."""
    admin, worker2 = demo_users["admin"], demo_users["worker2"]
    r1 = factories.resident(actor=admin, name="张大爷")
    r2 = factories.resident(actor=admin, grid_name="绣湖社区第2网格", name="孙老汉")
    near = factories.other_grid(same_town=True)
    far = factories.other_grid(same_town=False)
    r_near = factories.resident(actor=admin, grid_name=near.name, name="钱奶奶")
    r_far = factories.resident(actor=admin, grid_name=far.name, name="周爷爷")
    closed = factories.errand(actor=admin, resident=r1, code="YL-RZ")
    errand_services.errand_transition(
        actor=admin, errand=closed, action="cancel", reason="重复登记", expected_version=closed.version
    )
    return {
        "unassigned": factories.errand(
            actor=admin, resident=r1, code="MZ-GL"
        ),  # held at grid 1's point, due in 10 days
        "overdue": factories.errand(actor=admin, resident=r1, code="YB-CB", ago=timedelta(days=5)),  # promised 1 day
        "assigned": factories.errand(actor=worker2, resident=r2, code="SB-SL"),  # worker2 takes it at the door
        "station": factories.errand(actor=admin, resident=r1, code="GJJ-TQ"),  # lowest tier: the community station
        "branch": factories.errand_walk(
            errand=factories.errand(actor=admin, resident=r1, code="SB-SL"), actor=admin, actions=["escalate"] * 3
        ),  # → 社会保障联合支部
        "near": factories.errand(actor=admin, resident=r_near, code="MZ-GL"),
        "far": factories.errand(actor=admin, resident=r_far, code="MZ-GL"),
        "closed": closed,
    }


def board_numbers(response) -> set[str]:
    return {row.errand.number for row in response.context["rows"]}


def numbers(errands, *keys) -> set[str]:
    return {errands[k].number for k in keys}


def htmx_post(client, url, data):
    return client.post(url, data, headers={"HX-Request": "true"})


# --- scope -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, expected",
    [
        ("station", ["unassigned", "overdue", "assigned", "station"]),
        ("street", ["unassigned", "overdue", "assigned", "station", "near"]),
        ("admin", ["unassigned", "overdue", "assigned", "station", "branch", "near", "far"]),
        ("secretary", ["branch"]),
    ],
)
def test_board_shows_the_open_errands_of_the_users_scope(client_for, errands, username, expected):
    """What the user's points or branch hold (or they were given): theirs to act on. An
    errand escalated above them (to the branch) is on the watching tab, not here."""
    response = client_for(username).get(reverse(BOARD), {"tab": "open"})
    assert response.status_code == 200
    assert board_numbers(response) == numbers(errands, *expected)
    watching = client_for(username).get(reverse(BOARD), {"tab": "watching"})
    assert board_numbers(watching) == (numbers(errands, "branch") if username in ("station", "street") else set())
    assert all(not row.may_act for row in watching.context["rows"])
    html = response.content.decode()
    assert errands["closed"].number not in html
    if username != "admin":
        assert errands["far"].number not in html


@pytest.mark.parametrize("username", ["worker", "worker2"])
def test_grid_workers_get_404(client_for, errands, username):
    client = client_for(username)
    assert client.get(reverse(BOARD)).status_code == 404
    errand = errands["unassigned"]
    response = client.post(
        reverse("errand-board-assign", args=[errand.pk]),
        {"assignee": errand.holder_point.agents.get().pk, "version": errand.version},
    )
    assert response.status_code == 404
    response = client.post(reverse("errand-board-escalate", args=[errand.pk]), {"version": errand.version})
    assert response.status_code == 404


def test_login_required(client):
    response = client.get(reverse(BOARD))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_actions_on_errands_out_of_scope_are_404(client_for, errands, demo_users):
    client = client_for("station")
    near = errands["near"]
    response = client.post(
        reverse("errand-board-assign", args=[near.pk]), {"assignee": demo_users["worker"].pk, "version": near.version}
    )
    assert response.status_code == 404
    assert client.post(reverse("errand-board-escalate", args=[near.pk]), {"version": near.version}).status_code == 404
    assert client.post(reverse("errand-board-assign", args=[uuid.uuid4()]), {"version": 1}).status_code == 404
    near.refresh_from_db()
    assert near.assignee_id is None and near.version == 1


def test_staff_navigation_has_errands_instead_of_the_map(client_for, errands):
    def nav(username):
        return [item["url"] for item in client_for(username).get(reverse("network-list")).context["nav_items"]]

    assert nav("station")[:3] == [reverse("home"), reverse("resident-list"), reverse(BOARD)]
    for username in ("station", "street", "secretary", "admin"):
        items = nav(username)
        assert reverse(BOARD) in items and reverse("network-map") not in items and len(items) <= 5
    assert reverse(BOARD) not in nav("worker")


# --- tabs and filters ----------------------------------------------------------------


def test_the_board_leads_to_the_online_orders_waiting_at_the_points(client_for, errands):
    html = client_for("station").get(reverse(BOARD)).content.decode()
    assert f'href="{reverse("order-list")}"' in html and "线上点单" in html
    # A joint branch has no points of its own: no orders wait for it.
    assert reverse("order-list") not in client_for("secretary").get(reverse(BOARD)).content.decode()


def test_tabs_and_their_counts(client_for, errands):
    client = client_for("station")
    response = client.get(reverse(BOARD))  # unassigned is the default tab
    assert board_numbers(response) == numbers(errands, "unassigned", "overdue", "station")
    assert {t["value"]: t["count"] for t in response.context["tabs"]} == {
        "unassigned": 3,  # not the errand escalated to the branch: the station cannot assign it
        "overdue": 1,
        "open": 4,
        "assignee": 4,
        "watching": 1,
    }
    assert board_numbers(client.get(reverse(BOARD), {"tab": "overdue"})) == numbers(errands, "overdue")
    overdue_row = client.get(reverse(BOARD), {"tab": "overdue"}).context["rows"][0]
    assert overdue_row.overdue and overdue_row.days_overdue == 4


def test_by_assignee_groups_rows_under_each_person(client_for, errands):
    response = client_for("station").get(reverse(BOARD), {"tab": "assignee"})
    rows = response.context["rows"]
    assert rows[0].errand == errands["assigned"]  # people first, the unassigned after
    headings = [(r.heading["name"], r.heading["count"]) for r in rows if r.heading]
    assert headings == [("李强", 1), (headings[1][0], 3)]
    assert [p["name"] for p in response.context["people"]] == ["李强"]


def test_filters_by_service_state_holder_and_assignee(client_for, errands, demo_users):
    client = client_for("street")
    errand_services.errand_transition(
        actor=demo_users["station"],
        errand=errands["station"],
        action="accept",
        expected_version=errands["station"].version,
    )

    def shown(**query):
        return board_numbers(client.get(reverse(BOARD), {"tab": "open", **query}))

    assert shown(service=ServiceType.objects.get(code="YB-CB").pk) == numbers(errands, "overdue")
    assert shown(state="accepted") == numbers(errands, "station")
    grid2_point = ServicePoint.objects.get(name="绣湖社区第2网格代办点")
    assert shown(holder=f"point:{grid2_point.pk}") == numbers(errands, "assigned")
    assert shown(holder=f"branch:{errands['branch'].holder_branch_id}") == set()  # escalated above the street
    assert shown(holder=f"branch:{errands['branch'].holder_branch_id}", tab="watching") == numbers(errands, "branch")
    assert shown(assignee=str(demo_users["worker2"].pk)) == numbers(errands, "assigned")
    assert shown(assignee="none") == numbers(errands, "unassigned", "overdue", "station", "near")
    # A value that does not parse is ignored, never an error page.
    assert shown(state="delivered", holder="nowhere", service="x") == shown()
    holders = {h["value"]: h["count"] for h in client.get(reverse(BOARD)).context["holders"]}
    assert holders[f"point:{grid2_point.pk}"] == 1 and holders[f"branch:{errands['branch'].holder_branch_id}"] == 1


def test_htmx_filter_returns_the_board_without_the_page(client_for, errands):
    response = client_for("station").get(reverse(BOARD), {"tab": "overdue"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'id="board-results"' in html and errands["overdue"].number in html


def actions_of(client, errand) -> str:
    """A row's assign and escalate forms, as htmx fetches them when 指派 is opened."""
    response = client.get(
        reverse("errand-board-actions", args=[errand.pk]),
        {"back": "/errands/board/?tab=open"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    return response.content.decode()


def candidates(errand) -> list[str]:
    return [s.user.username for s in assignable_scopes(errands=[errand])[errand.pk]]


def test_who_may_be_given_an_errand(errands, demo_users):
    """The one rule (errand_selectors.assignable_scopes): the people serving the
    resident's grid, community and town, lowest tier first, and the members of the
    branch holding the errand; one query for a whole page of errands."""
    assert candidates(errands["unassigned"]) == ["worker", "station", "street"]  # grid 1: not worker2
    assert candidates(errands["assigned"]) == ["worker2", "station", "street"]
    assert candidates(errands["branch"]) == ["worker", "station", "street", "secretary"]
    assert candidates(errands["near"]) == ["street"]  # another community of the same town
    assert "admin" not in candidates(errands["far"])  # the city admin assigns, is not assigned
    page = [errands[k] for k in ("unassigned", "assigned", "branch", "near", "far")]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        by_errand = assignable_scopes(errands=page)
    assert len(queries) == 1
    assert {pk: [s.user.username for s in scopes] for pk, scopes in by_errand.items()} == {
        e.pk: candidates(e) for e in page
    }
    assert assignable_scope(errand=errands["branch"], user_id=demo_users["secretary"].pk).role == "branch_secretary"
    assert assignable_scope(errand=errands["unassigned"], user_id=demo_users["worker2"].pk) is None


def test_a_branch_member_who_also_serves_the_area_keeps_the_errand_with_the_branch(errands, demo_users):
    """A secretary who is also a street official over the resident's town is offered a
    branch's errand as its secretary: assigning it leaves it with the branch."""
    from grid.models import Area, Role, Scope

    errand, secretary = errands["branch"], demo_users["secretary"]
    Scope.objects.create(user=secretary, role=Role.STREET_OFFICIAL, area=Area.objects.get(name="稠城街道"))
    assert assignable_scope(errand=errand, user_id=secretary.pk).role == Role.BRANCH_SECRETARY
    assert candidates(errand) == ["worker", "station", "street", "secretary"]
    assigned = errand_services.errand_assign(
        actor=secretary, errand=errand, assignee=secretary, expected_version=errand.version
    )
    assert assigned.holder_branch_id == errand.holder_branch_id and assigned.holder_point_id is None
    # Held at a point, the same person is offered under their lowest tier, the street's.
    assert assignable_scope(errand=errands["unassigned"], user_id=secretary.pk).role == Role.STREET_OFFICIAL


def test_a_deactivated_person_is_offered_and_accepted_by_no_door(client_for, errands, demo_users):
    """The board used to offer (and give errands to) people whose account was switched
    off, which the errand page and the API refused: every door now asks the one rule."""
    errand, worker = errands["unassigned"], demo_users["worker"]
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert "worker" not in candidates(errand)
    client = client_for("station")
    row = next(r for r in client.get(reverse(BOARD), {"tab": "open"}).context["rows"] if r.errand.pk == errand.pk)
    assert worker.pk not in {s.user_id for s in row.candidates}
    assert worker.pk not in {
        p["user"].pk for p in client.get(reverse("errand-detail", args=[errand.pk])).context["assignable"]
    }
    htmx_post(
        client, reverse("errand-board-assign", args=[errand.pk]), {"assignee": worker.pk, "version": errand.version}
    )
    client.post(reverse("errand-assign", args=[errand.pk]), {"assignee": worker.pk, "version": errand.version})
    api = client.post(
        f"/api/v1/errands/{errand.pk}/transitions",
        {"action": "assign", "assignee": worker.pk, "version": errand.version},
        content_type="application/json",
    )
    assert api.status_code == 422
    errand.refresh_from_db()
    assert errand.assignee is None and errand.version == 1
    with pytest.raises(ValidationError):
        errand_services.errand_assign(actor=demo_users["station"], errand=errand, assignee=worker, expected_version=1)


def test_actions_are_offered_only_where_the_user_may_act(client_for, errands):
    rows = {r.errand.number: r for r in client_for("station").get(reverse(BOARD), {"tab": "open"}).context["rows"]}
    unassigned = rows[errands["unassigned"].number]
    assert unassigned.may_act and unassigned.can_escalate
    # Up only: from the station, above both the grid point that holds it and the station.
    assert unassigned.escalate_label == "上报至 稠城街道代办中心"
    watching = client_for("station").get(reverse(BOARD), {"tab": "watching"})
    assert not watching.context["rows"][0].may_act  # held by the joint branch
    # A page of the board names each row's actions; opening them fetches the forms.
    html = client_for("station").get(reverse(BOARD), {"tab": "open"}).content.decode()
    actions = reverse("errand-board-actions", args=[errands["unassigned"].pk])
    assert actions in html and reverse("errand-board-escalate", args=[errands["unassigned"].pk]) not in html
    forms = actions_of(client_for("station"), errands["unassigned"])
    assert reverse("errand-board-escalate", args=[errands["unassigned"].pk]) in forms
    assert "上报至 稠城街道代办中心" in forms
    assert reverse("errand-board-actions", args=[errands["branch"].pk]) not in watching.content.decode()
    # Only watched (held by the joint branch): its forms are not there to fetch either.
    assert client_for("station").get(reverse("errand-board-actions", args=[errands["branch"].pk])).status_code == 404
    secretary_row = client_for("secretary").get(reverse(BOARD)).context["rows"][0]
    assert secretary_row.may_act and not secretary_row.can_escalate  # a branch is the top of the chain


# --- assign and escalate in place ----------------------------------------------------


def test_assign_in_place(client_for, errands, demo_users):
    errand, worker = errands["unassigned"], demo_users["worker"]
    response = htmx_post(
        client_for("station"),
        reverse("errand-board-assign", args=[errand.pk]),
        {"assignee": worker.pk, "version": errand.version, "note": "周三上门", "back": "/errands/board/"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and html.strip().startswith(f'<li id="errand-{errand.pk}"')
    assert 'class="board-assignee">王丽<' in html
    errand.refresh_from_db()
    assert errand.assignee == worker and errand.version == 2
    assert f'name="version" value="{errand.version}"' in html  # the next action starts from the new version
    event = errand.events.get(action=ErrandEvent.Action.ASSIGN)
    assert event.actor == demo_users["station"] and event.assignee == worker and event.note == "周三上门"
    notice = Notification.objects.get(user=worker, errand=errand, kind=Notification.Kind.ASSIGNED)
    assert errand.number in notice.text


@pytest.mark.parametrize("url", ["errand-board-assign", "errand-board-escalate"])
def test_a_note_too_long_is_refused_not_cut(client_for, errands, demo_users, url):
    """The board used to cut notes at 500 characters without a word; the services'
    limit now answers, in the row (htmx) or as a message (plain form)."""
    errand, limit = errands["unassigned"], errand_services.NOTE_MAX_LENGTH
    client = client_for("station")
    assert f'maxlength="{limit}"' in actions_of(client, errand)
    message = f"备注最多 {limit} 个字（当前 {limit + 1} 个）。"
    data = {"assignee": demo_users["worker"].pk, "version": errand.version, "note": "注" * (limit + 1)}
    html = htmx_post(client, reverse(url, args=[errand.pk]), data).content.decode()
    assert message in html
    response = client.post(reverse(url, args=[errand.pk]), data, follow=True)
    assert message in [str(m) for m in response.context["messages"]]
    errand.refresh_from_db()
    assert (errand.version, errand.events.count(), errand.assignee) == (1, 1, None)


def test_reassign_to_the_station_moves_the_errand_up(client_for, errands, demo_users):
    errand, station = errands["assigned"], demo_users["station"]
    response = htmx_post(
        client_for("street"),
        reverse("errand-board-assign", args=[errand.pk]),
        {"assignee": station.pk, "version": errand.version},
    )
    assert 'class="board-assignee">陈静<' in response.content.decode()
    errand.refresh_from_db()
    assert errand.assignee == station and errand.holder_point.name == "绣湖社区代办站"


def test_assign_without_js_goes_back_to_the_board(client_for, errands, demo_users):
    errand = errands["unassigned"]
    back = reverse(BOARD) + "?tab=open&state=requested"
    client = client_for("station")
    response = client.post(
        reverse("errand-board-assign", args=[errand.pk]),
        {"assignee": demo_users["worker"].pk, "version": errand.version, "back": back},
    )
    assert response.status_code == 302 and response.url == back
    errand.refresh_from_db()
    assert errand.assignee == demo_users["worker"]
    page = client.get(back)
    assert [m.level_tag for m in page.context["messages"]] == ["success"]
    # Only the board itself is a place to go back to.
    response = client.post(
        reverse("errand-board-assign", args=[errand.pk]),
        {"assignee": demo_users["worker"].pk, "version": errand.version, "back": "https://evil.example/"},
    )
    assert response.url == reverse(BOARD)


def test_stale_version_shows_the_conflict_and_the_current_state(client_for, errands, demo_users):
    errand = errands["unassigned"]
    seen_version = errand.version
    # Someone else gives it to worker first.
    errand_services.errand_assign(
        actor=demo_users["street"], errand=errand, assignee=demo_users["worker"], expected_version=seen_version
    )
    response = htmx_post(
        client_for("station"),
        reverse("errand-board-assign", args=[errand.pk]),
        {"assignee": demo_users["station"].pk, "version": seen_version},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "has-conflict" in html and 'role="alert"' in html
    assert 'class="board-assignee">王丽<' in html  # the current state, not the one the user saw
    errand.refresh_from_db()
    assert errand.assignee == demo_users["worker"] and errand.version == seen_version + 1
    assert errand.events.filter(action=ErrandEvent.Action.ASSIGN).count() == 1
    assert not Notification.objects.filter(user=demo_users["station"], kind=Notification.Kind.ASSIGNED).exists()


def test_stale_version_without_js_is_an_error_message(client_for, errands, demo_users):
    errand = errands["unassigned"]
    client = client_for("station")
    response = client.post(
        reverse("errand-board-assign", args=[errand.pk]),
        {"assignee": demo_users["worker"].pk, "version": errand.version + 5},
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    errand.refresh_from_db()
    assert errand.assignee_id is None


def test_someone_outside_the_area_cannot_be_given_the_errand(client_for, errands, demo_users):
    errand = errands["unassigned"]
    response = htmx_post(
        client_for("street"),
        reverse("errand-board-assign", args=[errand.pk]),
        {"assignee": demo_users["secretary"].pk, "version": errand.version},
    )
    html = response.content.decode()
    assert 'role="alert"' in html and errand.number in html and "has-conflict" not in html
    errand.refresh_from_db()
    assert errand.assignee_id is None and errand.version == 1


def test_escalate_in_place(client_for, errands, demo_users):
    errand = errands["unassigned"]
    response = htmx_post(
        client_for("admin"),
        reverse("errand-board-escalate", args=[errand.pk]),
        {"version": errand.version, "note": "网格办不了"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "绣湖社区代办站" in html
    errand.refresh_from_db()
    assert errand.holder_point.name == "绣湖社区代办站" and errand.state == "requested"
    event = errand.events.get(action=ErrandEvent.Action.ESCALATE)
    assert event.note == "网格办不了" and event.from_holder == "绣湖社区第1网格代办点"
    assert Notification.objects.filter(
        user=demo_users["station"], errand=errand, kind=Notification.Kind.ESCALATED
    ).exists()


def test_escalate_with_a_stale_version_changes_nothing(client_for, errands, demo_users):
    errand = errands["unassigned"]
    response = htmx_post(
        client_for("station"), reverse("errand-board-escalate", args=[errand.pk]), {"version": errand.version - 1}
    )
    assert "has-conflict" in response.content.decode()
    errand.refresh_from_db()
    assert errand.holder_point.name == "绣湖社区第1网格代办点" and not errand.events.filter(action="escalate").exists()


def test_escalate_refused_at_the_top_of_the_chain(client_for, errands):
    errand = errands["branch"]
    response = htmx_post(
        client_for("secretary"), reverse("errand-board-escalate", args=[errand.pk]), {"version": errand.version}
    )
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    errand.refresh_from_db()
    assert errand.holder_branch_id is not None and errand.version == 4


def test_secretary_handing_an_errand_back_sees_it_leave_the_board(client_for, errands, demo_users):
    errand = errands["branch"]
    response = htmx_post(
        client_for("secretary"),
        reverse("errand-board-assign", args=[errand.pk]),
        {"assignee": demo_users["station"].pk, "version": errand.version},
    )
    assert response.status_code == 200 and f'id="errand-{errand.pk}"' in response.content.decode()
    errand.refresh_from_db()
    assert errand.assignee == demo_users["station"] and errand.holder_branch_id is None


# --- query counts --------------------------------------------------------------------


def grow(demo_users, count: int) -> None:
    """More open errands around 绣湖社区: unassigned, taken at the door, at the branch."""
    admin, worker = demo_users["admin"], demo_users["worker"]
    for i in range(count):
        resident = factories.resident(
            actor=admin, name=f"加{i}", grid_name="绣湖社区第1网格" if i % 2 else "绣湖社区第2网格"
        )
        if i % 3 == 0:
            factories.errand(actor=worker, resident=resident, code="SB-SL", ago=timedelta(days=i))
        elif i % 3 == 1:
            factories.errand_walk(
                errand=factories.errand(actor=admin, resident=resident, code="SB-SL"),
                actor=admin,
                actions=["escalate"] * 3,
            )
        else:
            factories.errand(actor=admin, resident=resident, code="GJJ-TQ", ago=timedelta(days=i))


@pytest.mark.parametrize(
    "username, tab, queries",
    [
        # session, user, scopes, the page's ids, its rows, where 上报 sends them (the points
        # above; a branch has none), service list, facets, tab counts (the people each
        # errand may be given to come when its actions are opened: below)
        ("station", "unassigned", 9),
        ("street", "open", 9),
        ("secretary", "unassigned", 8),
        ("admin", "overdue", 9),
        # … and the group sizes of the "by assignee" tab
        ("station", "assignee", 10),
    ],
)
def test_board_query_count_does_not_grow(
    client_for, errands, demo_users, django_assert_num_queries, username, tab, queries
):
    client = client_for(username)
    client.get(reverse(BOARD))
    with django_assert_num_queries(queries):
        assert client.get(reverse(BOARD), {"tab": tab}).status_code == 200
    grow(demo_users, 30)
    with django_assert_num_queries(queries):
        response = client.get(reverse(BOARD), {"tab": tab})
    assert len(response.context["rows"]) >= 1
    with django_assert_num_queries(queries):
        client.get(reverse(BOARD), {"tab": tab, "page": 2}, headers={"HX-Request": "true"})


def test_a_rows_actions_cost_the_same_however_many_people_serve_the_area(
    client_for, errands, demo_users, django_assert_num_queries
):
    """The forms fetched when 指派 is opened: session, user, scopes, the errand, whom it
    may be given to, where 上报 sends it (the points above) — the same with many more
    people in the area."""
    from grid.models import Area, Role, Scope, User

    client, errand = client_for("station"), errands["unassigned"]
    actions_of(client, errand)
    with django_assert_num_queries(6):
        before = actions_of(client, errand)
    community = Area.objects.get(name="绣湖社区")
    for i in range(20):
        Scope.objects.create(user=User.objects.create(username=f"helper{i}"), role=Role.STATION_STAFF, area=community)
    with django_assert_num_queries(6):
        after = actions_of(client, errand)
    assert after.count("<option") == before.count("<option") + 20


def test_full_page_holds_thirty_rows(client_for, errands, demo_users):
    grow(demo_users, 30)
    response = client_for("admin").get(reverse(BOARD), {"tab": "open"})
    assert len(response.context["rows"]) == 30 and response.context["page"].paginator.num_pages == 2


def test_row_partials_query_count_does_not_grow(client_for, errands, demo_users, django_assert_num_queries):
    client = client_for("station")
    client.get(reverse(BOARD))
    worker = demo_users["worker"]

    def assign(errand):
        return htmx_post(
            client, reverse("errand-board-assign", args=[errand.pk]), {"assignee": worker.pk, "version": errand.version}
        )

    def escalate_row(errand):
        return htmx_post(
            client,
            reverse("errand-board-escalate", args=[errand.pk]),
            {"version": errand.version, "note": "需街道协调"},
        )

    first, second = errands["unassigned"], errands["overdue"]
    # session, user, scopes, errand, its candidates; the service: savepoint, lock, chain point,
    # people, update, new version, event, notification, release; the row: errand, candidates,
    # where 上报 would send it
    with django_assert_num_queries(17):
        assert assign(first).status_code == 200
    # session, user, scopes, errand; the service: savepoint, lock, the point above (the
    # street centre: above the grid point and the station), update, new version, event,
    # holder staff, centre agents, notification, release; the row: errand, candidates
    with django_assert_num_queries(16):
        assert "has-conflict" not in escalate_row(second).content.decode()
    grow(demo_users, 30)
    first, second = (
        factories.errand(actor=demo_users["admin"], resident=first.resident, code="MZ-GL"),
        factories.errand(actor=demo_users["admin"], resident=second.resident, code="MZ-GL"),
    )
    with django_assert_num_queries(17):
        assign(first)
    with django_assert_num_queries(16):
        escalate_row(second)
    # A conflict writes nothing: session, user, scopes, errand, candidates, savepoint, lock,
    # rollback and release of the savepoint, the row (``first`` still has its first version)
    # with where 上报 would send it.
    with django_assert_num_queries(12):
        assert "has-conflict" in assign(first).content.decode()
