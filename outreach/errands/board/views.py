"""The assignment board (代办调度台): station staff, street officials, joint branch
secretaries and the city admin see the open errands in their scope, filter them, and
assign, reassign or escalate them in place. Thin: parse, call the errand services,
re-render one row (htmx) or go back to the board (plain forms)."""

from dataclasses import dataclass, field
from enum import StrEnum

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from grid.access import reach_of
from grid.models import Role, Scope
from outreach.common import due
from outreach.errands.selectors import (
    ERRAND_RELATED,
    errand_for_user_or_404,
    errands_list,
    errands_visible_to,
    is_errand_staff,
    service_types_offered,
)
from outreach.errands.services import OPEN_STATES, errand_assign, errand_transition, may_act, next_actions
from outreach.models import Errand, ErrandEvent
from outreach.residents.services import Conflict

ROWS_PER_PAGE = 30
NOTE_MAX_LENGTH = 500

# The open states in lifecycle order, for the state filter.
BOARD_STATES = [(value, label) for value, label in Errand.State.choices if value in OPEN_STATES]

# assignable_users (errand_services) gives an errand to the people whose areas cover the
# resident (these roles) and to the members of the branch holding it; the board applies
# the same rule to a whole page at once (tests/outreach/test_board.py checks they agree).
ASSIGNABLE_AREA_ROLES = (Role.GRID_WORKER, Role.STATION_STAFF, Role.STREET_OFFICIAL)
ROLE_ORDER: dict[str, int] = {
    role: rank
    for rank, role in enumerate([Role.GRID_WORKER, Role.STATION_STAFF, Role.STREET_OFFICIAL, Role.BRANCH_SECRETARY])
}


class Tab(StrEnum):
    UNASSIGNED = "unassigned"
    OVERDUE = "overdue"
    OPEN = "open"
    ASSIGNEE = "assignee"


TAB_LABELS = {
    Tab.UNASSIGNED: gettext_lazy("Unassigned"),
    Tab.OVERDUE: gettext_lazy("Overdue"),
    Tab.OPEN: gettext_lazy("All open"),
    Tab.ASSIGNEE: gettext_lazy("By assignee"),
}


class BoardFilterForm(forms.Form):
    """The board's query string. A value that does not parse is ignored, not an error:
    the filters are links and selects, never typed in."""

    tab = forms.ChoiceField(choices=[(t.value, TAB_LABELS[t]) for t in Tab], required=False)
    service = forms.IntegerField(min_value=1, required=False)
    state = forms.ChoiceField(choices=BOARD_STATES, required=False)
    holder = forms.RegexField(regex=r"^(point|branch):\d+$", required=False)
    assignee = forms.RegexField(regex=r"^(me|none|\d+)$", required=False)


@dataclass
class BoardRow:
    """One errand on the board with what the user may do to it."""

    errand: Errand
    candidates: list[Scope] = field(default_factory=list)
    may_act: bool = False
    can_escalate: bool = False
    overdue: bool = False
    days_overdue: int = 0
    detail_url: str | None = None
    heading: dict | None = None  # the "by assignee" tab starts a group here
    message: str = ""  # what the last action did
    error: str = ""
    conflict: bool = False


def _staff_only(user) -> None:
    if not is_errand_staff(user):
        raise Http404


def errand_detail_url(errand_id) -> str | None:
    """The errand page, once its URL exists (it is written alongside the board)."""
    try:
        return reverse("errand-detail", args=[errand_id])
    except NoReverseMatch:
        return None


# --- reads -------------------------------------------------------------------------------


def board_open_errands(
    *, user, today, service: int | None = None, state: str = "", holder: str = "", assignee: str = ""
) -> QuerySet[Errand]:
    """The open errands of the user's scope under the board's filters, most urgent first."""
    return errands_list(user=user, today=today, state=state, service=service, holder=holder, assignee=assignee).filter(
        state__in=OPEN_STATES
    )


def board_errands(*, user, today, tab: str = Tab.UNASSIGNED, **filters) -> QuerySet[Errand]:
    """The errands on one tab of the board (grouped by assignee on that tab)."""
    errands = board_open_errands(user=user, today=today, **filters)
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


def board_tab_counts(*, user, today, **filters) -> dict[str, int]:
    """How many errands each tab holds under the current filters: one query."""
    counts = board_open_errands(user=user, today=today, **filters).aggregate(
        open=Count("pk"),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        overdue=Count("pk", filter=due.errand_overdue_q(today)),
    )
    return {
        Tab.UNASSIGNED: counts["unassigned"],
        Tab.OVERDUE: counts["overdue"],
        Tab.OPEN: counts["open"],
        Tab.ASSIGNEE: counts["open"],
    }


def board_facets(*, user) -> dict[str, list[dict]]:
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


def assignable_for(errands: list[Errand]) -> dict:
    """``errand_services.assignable_users`` for many errands in one query: errand id →
    the scopes of the people it may be given to, one per person, lowest tier first."""
    codes_of = {e.pk: {*e.resident.grid.ancestor_codes[1:], e.resident.grid.code} for e in errands}
    all_codes = set().union(*codes_of.values()) if errands else set()
    branch_ids = {e.holder_branch_id for e in errands if e.holder_branch_id}
    if not all_codes and not branch_ids:
        return {}
    q = Q(area__code__in=all_codes, role__in=ASSIGNABLE_AREA_ROLES)
    if branch_ids:
        q |= Q(branch_id__in=branch_ids)
    scopes = sorted(
        Scope.objects.filter(q).select_related("user", "area", "branch"),
        key=lambda s: (ROLE_ORDER.get(s.role, 9), s.user.display_name, s.user_id),
    )
    result = {}
    for errand in errands:
        codes, seen, chosen = codes_of[errand.pk], set(), []
        for scope in scopes:
            fits = (scope.area is not None and scope.area.code in codes and scope.role in ASSIGNABLE_AREA_ROLES) or (
                scope.branch_id and scope.branch_id == errand.holder_branch_id
            )
            if fits and scope.user_id not in seen:
                seen.add(scope.user_id)
                chosen.append(scope)
        result[errand.pk] = chosen
    return result


def board_rows(*, user, errands: list[Errand], today) -> list[BoardRow]:
    candidates = assignable_for(errands)
    rows = []
    for errand in errands:
        acting = may_act(user, errand)
        rows.append(
            BoardRow(
                errand=errand,
                candidates=candidates.get(errand.pk, []),
                may_act=acting,
                can_escalate=acting and ErrandEvent.Action.ESCALATE in next_actions(errand),
                overdue=due.errand_is_overdue(state=errand.state, due_on=errand.due_on, today=today),
                days_overdue=due.errand_days_overdue(due_on=errand.due_on, today=today),
                detail_url=errand_detail_url(errand.pk),
            )
        )
    return rows


def _with_headings(rows: list[BoardRow], errands: QuerySet[Errand]) -> None:
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


# --- views -------------------------------------------------------------------------------


@require_GET
@login_required
def board(request):
    _staff_only(request.user)
    form = BoardFilterForm(request.GET)  # bound even when empty: every filter is optional
    form.is_valid()  # whatever did not parse is left out of cleaned_data
    filters = {name: form.cleaned_data.get(name) or "" for name in ("state", "holder", "assignee")}
    filters["service"] = form.cleaned_data.get("service")
    tab = form.cleaned_data.get("tab") or Tab.UNASSIGNED
    today = timezone.localdate()
    errands = board_errands(user=request.user, today=today, tab=tab, **filters)
    page = Paginator(errands, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    rows = board_rows(user=request.user, errands=list(page), today=today)
    facets = board_facets(user=request.user)
    tab_counts = board_tab_counts(user=request.user, today=today, **filters)
    if tab == Tab.ASSIGNEE:
        _with_headings(rows, errands)
    context = {
        "tab": tab,
        "tabs": [{"value": t.value, "label": TAB_LABELS[t], "count": tab_counts[t]} for t in Tab],
        "filters": filters,
        "services": service_types_offered(),
        "states": BOARD_STATES,
        "holders": facets["holders"],
        "people": facets["people"],
        "page": page,
        "rows": rows,
        "back": request.get_full_path(),
        "today": today,
        # Orders wait at points in the user's areas (order_selectors); a branch has none.
        "shows_orders": bool(reach_of(request.user).area_paths),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    return render(
        request, "outreach/errands/board/board.html#board" if partial else "outreach/errands/board/board.html", context
    )


def version_posted(data) -> int:
    # A missing or garbled version can only be stale: the service answers with a Conflict
    # and the row shows the errand as it is now.
    value = data.get("version", "")
    return int(value) if value.isdigit() else 0


def _back(request) -> str:
    """Where a plain (no-JS) form returns to: the board with the filters it was sent from."""
    back = request.POST.get("back", "")
    board_url = reverse("errand-board")
    return back if back == board_url or back.startswith(board_url + "?") else board_url


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _answer(request, pk, *, message: str = "", error: str = "", conflict: bool = False):
    """After an action: htmx gets the errand's row as it is now (with what happened);
    a plain form goes back to the board with the same words as a message."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif message:
            messages.success(request, message)
        return redirect(_back(request))
    today = timezone.localdate()
    errand = errands_visible_to(user=request.user).select_related(*ERRAND_RELATED).filter(pk=pk).first()
    if errand is None:  # given to someone outside the user's scope (a secretary handing it back)
        return render(request, "outreach/errands/board/board.html#gone", {"pk": pk, "message": message})
    row = board_rows(user=request.user, errands=[errand], today=today)[0]
    row.message, row.error, row.conflict = message, error, conflict
    return render(request, "outreach/errands/board/board.html#row", {"row": row, "back": _back(request)})


@require_POST
@login_required
def board_assign(request, pk):
    _staff_only(request.user)
    errand = errand_for_user_or_404(request.user, pk)
    chosen = request.POST.get("assignee", "")
    candidates = assignable_for([errand]).get(errand.pk, [])
    assignee = next((scope.user for scope in candidates if str(scope.user_id) == chosen), None)
    if assignee is None:
        return _answer(
            request,
            pk,
            error=_("Errand %(number)s: choose who gets it from the list of people serving this resident's area.")
            % {"number": errand.number},
        )
    try:
        errand_assign(
            actor=request.user,
            errand=errand,
            assignee=assignee,
            expected_version=version_posted(request.POST),
            note=request.POST.get("note", "").strip()[:NOTE_MAX_LENGTH],
        )
    except Conflict as conflict:
        return _answer(request, pk, error=conflict.message, conflict=True)
    except ValidationError as error:
        return _answer(request, pk, error=_error_text(error))
    return _answer(
        request,
        pk,
        message=_("Errand %(number)s is assigned to %(name)s.")
        % {"number": errand.number, "name": assignee.display_name},
    )


@require_POST
@login_required
def board_escalate(request, pk):
    _staff_only(request.user)
    errand = errand_for_user_or_404(request.user, pk)
    try:
        escalated = errand_transition(
            actor=request.user,
            errand=errand,
            action=ErrandEvent.Action.ESCALATE,
            expected_version=version_posted(request.POST),
            note=request.POST.get("note", "").strip()[:NOTE_MAX_LENGTH],
        )
    except Conflict as conflict:
        return _answer(request, pk, error=conflict.message, conflict=True)
    except ValidationError as error:
        return _answer(request, pk, error=_error_text(error))
    return _answer(
        request,
        pk,
        message=_("Errand %(number)s is escalated to %(holder)s.")
        % {"number": errand.number, "holder": escalated.holder},
    )
