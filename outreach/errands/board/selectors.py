"""Reads of the assignment board: the open errands of the user's scope under the
board's filters and tabs, the filter options with their counts, and who each errand may
be given to."""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grid.models import Scope, User
from outreach.common import due
from outreach.errands.buttons import errand_buttons
from outreach.errands.selectors import (
    ERRAND_RELATED,
    assignable_scopes,
    errands_acting_q,
    errands_list,
    errands_visible_to,
)
from outreach.errands.services import OPEN_STATES, may_act
from outreach.models import Errand, ErrandEvent

# The open states in lifecycle order, for the state filter.
BOARD_STATES = [(value, label) for value, label in Errand.State.choices if value in OPEN_STATES]


class Tab(StrEnum):
    UNASSIGNED = "unassigned"
    OVERDUE = "overdue"
    OPEN = "open"
    ASSIGNEE = "assignee"
    WATCHING = "watching"  # seen but held by others (escalated above the user): to follow, not to act on


TAB_LABELS = {
    Tab.UNASSIGNED: gettext_lazy("Unassigned"),
    Tab.OVERDUE: gettext_lazy("Overdue"),
    Tab.OPEN: gettext_lazy("All open"),
    Tab.ASSIGNEE: gettext_lazy("By assignee"),
    Tab.WATCHING: gettext_lazy("Escalated / watching"),
}


@dataclass
class BoardRow:
    """One errand on the board with what the user may do to it."""

    errand: Errand
    # The assign and escalate forms, with the people one may choose: on the row after an
    # action and when its actions are opened (``board_actions``); a page of the board
    # leaves them out (up to 30 lists of people a phone would download to open one).
    forms: bool = False
    candidates: list[Scope] = field(default_factory=list)
    may_act: bool = False
    can_escalate: bool = False
    escalate_label: str = ""  # 上报至 <where it goes>
    overdue: bool = False
    days_overdue: int = 0
    detail_url: str | None = None
    heading: dict | None = None  # the "by assignee" tab starts a group here
    message: str = ""  # what the last action did
    error: str = ""
    conflict: bool = False


def errand_detail_url(errand_id: UUID) -> str | None:
    """The errand page, once its URL exists (it is written alongside the board)."""
    try:
        return reverse("errand-detail", args=[errand_id])
    except NoReverseMatch:
        return None


def board_open_errands(
    *,
    user: User,
    today: date,
    service: int | None = None,
    state: str = "",
    holder: str = "",
    assignee: str = "",
    watching: bool | None = None,
) -> QuerySet[Errand]:
    """The open errands of the user's scope under the board's filters, most urgent first."""
    return errands_list(
        user=user, today=today, state=state, service=service, holder=holder, assignee=assignee, watching=watching
    ).filter(state__in=OPEN_STATES)


def board_errands(*, user: User, today: date, tab: str = Tab.UNASSIGNED, **filters: Any) -> QuerySet[Errand]:
    """The errands on one tab of the board (grouped by assignee on that tab): those the
    user may act on, except on the watching tab, which has the others."""
    errands = board_open_errands(user=user, today=today, watching=tab == Tab.WATCHING, **filters)
    if tab == Tab.UNASSIGNED:
        errands = errands.filter(assignee__isnull=True)
    elif tab == Tab.OVERDUE:
        errands = errands.filter(due.errand_overdue_q(today))
    elif tab == Tab.ASSIGNEE:
        errands = errands.order_by(
            F("assignee__full_name").asc(nulls_last=True),
            F("assignee_id").asc(nulls_last=True),
            "due_on",
            "requested_at",
            "pk",
        )
    return errands


def board_page(errands: QuerySet[Errand], *, count: int, per_page: int, number: Any) -> tuple[Page, list[Errand]]:
    """One page of a tab and its errands, in the tab's order: two queries. Its ids first,
    joining only what the filters need, then those errands with what their rows show
    (one query over the nine tables was 25 ms on a street of the 100,000-resident city,
    half of it the planner's; these two take 5 and 9). ``count``: the tab's count from
    ``board_tab_counts`` (the same filters), so the pager counts nothing again."""
    paginator = Paginator(errands.select_related(None).values_list("pk", flat=True), per_page)
    paginator.count = count  # a cached property: known already
    page = paginator.get_page(number)
    by_id = Errand.objects.filter(pk__in=list(page)).select_related(*ERRAND_RELATED).in_bulk()
    return page, [by_id[pk] for pk in page if pk in by_id]


def board_tab_counts(*, user: User, today: date, **filters: Any) -> dict[str, int]:
    """How many errands each tab holds under the current filters: one query."""
    acting = errands_acting_q(user=user)
    counts = board_open_errands(user=user, today=today, **filters).aggregate(
        open=Count("pk", filter=acting),
        unassigned=Count("pk", filter=acting & Q(assignee__isnull=True)),
        overdue=Count("pk", filter=acting & due.errand_overdue_q(today)),
        watching=Count("pk", filter=~acting),
    )
    return {
        Tab.UNASSIGNED: counts["unassigned"],
        Tab.OVERDUE: counts["overdue"],
        Tab.OPEN: counts["open"],
        Tab.ASSIGNEE: counts["open"],
        Tab.WATCHING: counts["watching"],
    }


def board_facets(*, user: User) -> dict[str, list[dict]]:
    """Who holds and who is assigned the open errands in the user's scope (whatever the
    filters), with counts: the options of the holder and assignee filters. One query."""
    groups = (
        errands_visible_to(user=user)
        .filter(state__in=OPEN_STATES)
        .values(
            "holder_point_id",
            "holder_point__name",
            "holder_branch_id",
            "holder_branch__name",
            "assignee_id",
            "assignee__full_name",
            "assignee__username",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    holders: dict[str, dict] = {}
    people: dict[int, dict] = {}
    for g in groups:
        if g["holder_point_id"]:
            key, name = f"point:{g['holder_point_id']}", g["holder_point__name"]
        else:
            key, name = f"branch:{g['holder_branch_id']}", g["holder_branch__name"]
        holders.setdefault(key, {"value": key, "name": name, "count": 0})["count"] += g["n"]
        if g["assignee_id"]:
            name = g["assignee__full_name"] or g["assignee__username"]
            person = people.setdefault(g["assignee_id"], {"value": str(g["assignee_id"]), "name": name, "count": 0})
            person["count"] += g["n"]
    return {
        "holders": sorted(holders.values(), key=lambda h: (h["value"].startswith("branch"), h["name"])),
        "people": sorted(people.values(), key=lambda p: p["name"]),
    }


def board_rows(*, user: User, errands: list[Errand], today: date, forms: bool = False) -> list[BoardRow]:
    """The board's rows; with ``forms``, each with the people it may be given to."""
    candidates = assignable_scopes(errands=errands) if forms else {}
    buttons = errand_buttons(user=user, errands=errands)
    rows = []
    for errand in errands:
        escalate = next(
            (b for b in buttons[errand.pk] if b["action"] == ErrandEvent.Action.ESCALATE and not b["problem"]), None
        )
        rows.append(
            BoardRow(
                errand=errand,
                forms=forms,
                candidates=candidates.get(errand.pk, []),
                may_act=may_act(user, errand),
                can_escalate=escalate is not None,
                escalate_label=escalate["label"] if escalate else "",
                overdue=due.errand_is_overdue(state=errand.state, due_on=errand.due_on, today=today),
                days_overdue=due.errand_days_overdue(due_on=errand.due_on, today=today),
                detail_url=errand_detail_url(errand.pk),
            )
        )
    return rows


def with_assignee_headings(rows: list[BoardRow], errands: QuerySet[Errand]) -> None:
    """On the "by assignee" tab, mark where each person's group starts on this page, with
    how many errands the group holds under the filters (one query)."""
    counts = dict(errands.order_by().values_list("assignee_id").annotate(n=Count("pk")))
    previous = object()
    for row in rows:
        assignee = row.errand.assignee
        key = assignee.pk if assignee else None
        if key != previous:
            row.heading = {
                "name": assignee.display_name if assignee else _("Not assigned yet"),
                "count": counts.get(key, 0),
            }
            previous = key
