"""Screens of the "跑一次没办成" complaints window: the list (open / overdue / closed and
the share handled on the spot), the registration form at a street centre, and the
complaint page where the joint branch answers. Thin: parse, call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grid.access import reach_of
from outreach.common import due
from outreach.common.errors import Conflict
from outreach.common.requests import CountedPaginator
from outreach.complaints import selectors, services
from outreach.complaints.forms import ComplaintForm, ResolveForm
from outreach.complaints.selectors import Tab
from outreach.models import Complaint

COMPLAINTS_PER_PAGE = 30

TAB_LABELS = {Tab.OPEN: gettext_lazy("Open"), Tab.OVERDUE: gettext_lazy("Overdue"), Tab.CLOSED: gettext_lazy("Closed")}


# --- views ------------------------------------------------------------------------------


def _require_complaint_user(user) -> None:
    if not reach_of(user).may_see_complaints():
        raise Http404


@require_GET
@login_required
def complaint_list(request):
    _require_complaint_user(request.user)
    tab = request.GET.get("tab", Tab.OPEN)
    tab = tab if tab in Tab.ALL else Tab.OPEN
    today = timezone.localdate()
    counts = selectors.complaint_counts(user=request.user, today=today)
    complaints = selectors.complaints_list(user=request.user, today=today, tab=tab)
    page = CountedPaginator(complaints, COMPLAINTS_PER_PAGE, count=getattr(counts, tab)).get_page(
        request.GET.get("page")
    )
    for complaint in page:
        complaint.is_overdue = due.complaint_is_overdue(state=complaint.state, deadline=complaint.deadline, today=today)
        complaint.days_overdue = (today - complaint.deadline).days if complaint.is_overdue else 0
    context = {
        "tab": tab,
        "tabs": [(key, TAB_LABELS[key], getattr(counts, key)) for key in Tab.ALL],
        "counts": counts,
        "page": page,
    }
    template = "outreach/complaints/list.html#results" if request.htmx else "outreach/complaints/list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
def complaint_create(request):
    points = selectors.complaint_points_for(user=request.user)
    if not points:  # evaluated once here; the form reuses the result to spot a single centre
        raise Http404
    form = ComplaintForm(
        request.POST or None,
        points=points,
        areas=selectors.complaint_areas_for(user=request.user),
        departments=selectors.departments_for_complaints(),
        service_types=selectors.services_for_complaints(),
        initial={"deadline": due.complaint_default_deadline(timezone.localdate())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.complaint_register(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if complaint.handled_on_spot:
                messages.success(
                    request,
                    _("Complaint %(number)s is registered as handled on the spot.") % {"number": complaint.number},
                )
            else:
                messages.success(
                    request,
                    _("Complaint %(number)s went to %(branch)s, to be answered by %(deadline)s.")
                    % {
                        "number": complaint.number,
                        "branch": complaint.branch,
                        "deadline": complaint.deadline.isoformat(),
                    },
                )
            return redirect("complaint-detail", pk=complaint.pk)
    return render(request, "outreach/complaints/form.html", {"form": form})


def _detail_context(request, complaint, *, form=None, conflict: str = "", answered: bool = False) -> dict:
    today = timezone.localdate()
    is_overdue = due.complaint_is_overdue(state=complaint.state, deadline=complaint.deadline, today=today)
    answers = selectors.may_resolve(request.user, complaint)
    if answers and form is None:
        form = ResolveForm(initial={"version": complaint.version})
    return {
        "complaint": complaint,
        "is_overdue": is_overdue,
        "days_overdue": (today - complaint.deadline).days if is_overdue else 0,
        "form": form if answers else None,
        "conflict": conflict,
        "answered": answered,
    }


@require_GET
@login_required
def complaint_detail(request, pk: int):
    complaint = selectors.complaint_for_user_or_404(request.user, pk)
    return render(request, "outreach/complaints/detail.html", _detail_context(request, complaint))


@require_POST
@login_required
def complaint_resolve(request, pk: int):
    complaint = selectors.complaint_for_user_or_404(request.user, pk)
    if not selectors.answers_for_branch(request.user, complaint):
        raise Http404  # seen by the centre, answered only by the branch
    template = "outreach/complaints/detail.html#complaint" if request.htmx else "outreach/complaints/detail.html"
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return render(request, template, _detail_context(request, complaint, form=form))
    try:
        complaint = services.complaint_resolve(
            actor=request.user,
            complaint=complaint,
            resolution=form.cleaned_data["resolution"],
            expected_version=form.cleaned_data["version"],
        )
    except Conflict as error:
        # Show what is stored now; a fresh form (the current version) only if it is still open.
        return render(request, template, _detail_context(request, error.current, conflict=error.message))
    except ValidationError as error:
        if complaint.state != Complaint.State.OPEN:  # answered already: there is no form to put the error on
            return render(request, template, _detail_context(request, complaint, conflict=" ".join(error.messages)))
        form.add_service_errors(error)
        return render(request, template, _detail_context(request, complaint, form=form))
    if request.htmx:
        return render(request, template, _detail_context(request, complaint, answered=True))
    messages.success(request, _("Your answer is saved and the complaint is closed."))
    return redirect("complaint-detail", pk=complaint.pk)
