"""The assignment board (代办调度台): station staff, street officials, joint branch
secretaries and the city admin see the open errands in their scope, filter them, and
assign, reassign or escalate them in place. Thin: parse, call the errand services,
re-render one row (htmx) or go back to the board (plain forms)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from grid.access import reach_of
from outreach.common.errors import Conflict
from outreach.common.requests import version_posted
from outreach.errands.board.forms import BoardFilterForm
from outreach.errands.board.selectors import (
    BOARD_STATES,
    TAB_LABELS,
    Tab,
    board_errands,
    board_facets,
    board_page,
    board_rows,
    board_tab_counts,
    with_assignee_headings,
)
from outreach.errands.selectors import (
    ERRAND_RELATED,
    assignee_chosen,
    errand_for_user_or_404,
    errands_visible_to,
    service_types_offered,
)
from outreach.errands.services import NOTE_MAX_LENGTH, errand_assign, errand_transition
from outreach.models import ErrandEvent

ROWS_PER_PAGE = 30


def _staff_only(user) -> None:
    if not reach_of(user).may_use_board():
        raise Http404


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
    tab_counts = board_tab_counts(user=request.user, today=today, **filters)
    page, on_page = board_page(errands, count=tab_counts[tab], per_page=ROWS_PER_PAGE, number=request.GET.get("page"))
    rows = board_rows(user=request.user, errands=on_page, today=today)
    facets = board_facets(user=request.user)
    if tab == Tab.ASSIGNEE:
        with_assignee_headings(rows, errands)
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
        "back_query": urlencode({"back": request.get_full_path()}),
        "today": today,
        # Orders wait at points in the user's areas (outreach.errands.orders.selectors); a branch has none.
        "shows_orders": bool(reach_of(request.user).area_paths),
        "note_max_length": NOTE_MAX_LENGTH,
    }
    partial = request.htmx and not request.htmx.history_restore_request
    return render(
        request, "outreach/errands/board/board.html#board" if partial else "outreach/errands/board/board.html", context
    )


def _back(request) -> str:
    """Where a plain (no-JS) form returns to: the board with the filters it was sent from."""
    back = request.POST.get("back", "") or request.GET.get("back", "")
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
    row = board_rows(user=request.user, errands=[errand], today=today, forms=True)[0]
    row.message, row.error, row.conflict = message, error, conflict
    return render(
        request,
        "outreach/errands/board/board.html#row",
        {"row": row, "back": _back(request), "note_max_length": NOTE_MAX_LENGTH},
    )


@require_GET
@login_required
def board_actions(request, pk):
    """A row's assign and escalate forms, fetched when its 指派 is opened (htmx): the
    board's pages leave them out. An errand out of reach, or one the user may only
    watch, is 404."""
    _staff_only(request.user)
    errand = errand_for_user_or_404(request.user, pk)
    row = board_rows(user=request.user, errands=[errand], today=timezone.localdate(), forms=True)[0]
    if not row.may_act:
        raise Http404
    context = {"row": row, "back": _back(request), "note_max_length": NOTE_MAX_LENGTH}
    return render(request, "outreach/errands/board/board.html#actions", context)


@require_POST
@login_required
def board_assign(request, pk):
    _staff_only(request.user)
    errand = errand_for_user_or_404(request.user, pk)
    assignee = assignee_chosen(errand=errand, posted=request.POST.get("assignee", ""))
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
            note=request.POST.get("note", ""),
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
            note=request.POST.get("note", ""),
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
