"""The work inbox an office opens on: live counts of what waits for it, each a link to the
list that shows those items — errands it can hand out, overdue errands, online orders
waiting, complaints due, residents overdue for a visit in its grids — and, for a street
or the city, this month's coverage with the three areas furthest behind. Each figure comes
from the selector its list uses, so the count and the list never disagree — but residents
overdue, which come from the due tallies of the user's areas (counting them from the
residents reads every resident of a city); the tallies move with every change of a
resident, in its transaction, and ``rebuild_tallies --check`` compares them nightly."""

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from grid.access import reach_of
from grid.models import Area, User
from outreach.common import due
from outreach.complaints import selectors as complaint_selectors
from outreach.errands.board.selectors import Tab, board_tab_counts
from outreach.errands.orders.selectors import pending_orders_count
from outreach.reporting import tallies
from outreach.reporting.coverage.selectors import Figures, coverage_of_place, place_for_user_or_404, sort_rows
from outreach.reporting.periods import month_period

WORST_SHOWN = 3


@dataclass(frozen=True)
class InboxItem:
    label: str
    count: int
    url: str
    urgent: bool = False  # shown in the warning colour while the count is not zero


@dataclass(frozen=True)
class CoverageSummary:
    """This month's on-time coverage of the user's place and its parts furthest behind."""

    figures: Figures
    worst: list[tuple[Area, Figures]]
    url: str


def _url(name: str, **query: object) -> str:
    return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)


def inbox_for(*, user: User, today: date) -> list[InboxItem]:
    """What waits for the user's offices, one query a line."""
    reach = reach_of(user)
    items: list[InboxItem] = []
    if reach.may_use_board():
        tabs = board_tab_counts(user=user, today=today)
        items.append(
            InboxItem(_("Errands to hand out"), tabs[Tab.UNASSIGNED], _url("errand-board", tab=Tab.UNASSIGNED))
        )
        items.append(
            InboxItem(_("Errands overdue"), tabs[Tab.OVERDUE], _url("errand-board", tab=Tab.OVERDUE), urgent=True)
        )
    if reach.area_paths and reach.may_use_board():  # orders wait at the points of the user's areas
        items.append(InboxItem(_("Online orders waiting"), pending_orders_count(user=user), reverse("order-list")))
    if reach.may_see_complaints():
        counts = complaint_selectors.complaint_counts(user=user, today=today)
        items.append(
            InboxItem(
                _("Complaints to answer"),
                counts.open,
                _url("complaint-list", tab=complaint_selectors.Tab.OPEN),
                urgent=counts.overdue > 0,
            )
        )
    if reach.has_areas():
        # From the due tallies of the user's areas: the same residents the list shows
        # (active, overdue, in those areas), without counting a city's residents.
        overdue = tallies.residents_overdue(paths=reach.area_paths, today=today)
        items.append(
            InboxItem(
                _("Residents overdue for a visit"),
                overdue,
                _url("resident-list", due=due.Due.OVERDUE),
                urgent=True,
            )
        )
    return items


def coverage_summary(*, user: User, today: date) -> CoverageSummary | None:
    """For those who watch coverage (streets, the city): this month so far. Three queries."""
    if not reach_of(user).watches_coverage():
        return None
    place = place_for_user_or_404(user)
    by_part, total = coverage_of_place(place=place, period=month_period(today.replace(day=1), today=today))
    rows = sort_rows([(part, by_part[part.pk]) for part in place.parts])  # worst first
    worst = [row for row in rows if row[1].active][:WORST_SHOWN]
    return CoverageSummary(figures=total, worst=worst, url=reverse("coverage-map"))
