"""Screens of a joint branch's workspace (联合支部): the branch home (departments and
windows, paired points on a map and in a list, members), pairings, activities, the
branch queue (errands and complaints) and the monthly report, and the city view of the
13 branches side by side. Thin: parse, call a service or a selector, render.

Every view opens the branch through ``branch_for_user_or_404``; writes through
``branch_for_worker_or_404`` (secretary and members) or ``branch_for_secretary_or_404``
(members and pairings), so readers — street officials and the city administrator — get
404 on every POST, the same answer as for a branch they cannot see at all.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.db_router import reads_replica
from grid.geo import tile_position
from outreach.branches import exports, selectors, services
from outreach.branches.forms import ActivityForm, HeldForm, LiaisonForm, MemberAddForm, PairingAddForm, PairingEndForm
from outreach.common import due
from outreach.common.errors import Conflict
from outreach.common.requests import version_posted
from outreach.common.spreadsheets import xlsx_response
from outreach.errands.selectors import assignable_scopes, assignee_chosen
from outreach.errands.services import NOTE_MAX_LENGTH, errand_assign
from outreach.models import ActivityTopic, BranchActivity
from outreach.photos.pipeline import PhotoRejected
from outreach.reporting import periods

QUEUE_PER_PAGE = 30
POINTS_PER_PAGE = 25  # neglected points first, so the first page is the one to act on


# --- helpers -------------------------------------------------------------------------------------


def _month(request) -> tuple[date, str]:
    """The month asked for (?month=YYYY-MM), or this month and the reason the asked one
    was refused (``outreach.reporting.periods``, the same words as every other screen)."""
    today = timezone.localdate()
    try:
        return periods.month_parse(request.GET.get("month"), today=today), ""
    except ValidationError as error:
        return today.replace(day=1), error.messages[0]


def _month_nav(month: date) -> dict:
    return periods.month_nav(month, today=timezone.localdate())


def _bad_month(error: str) -> HttpResponse:
    """An export of a month that cannot be made: 400 and why, as the dashboard's exports."""
    return HttpResponse(f"month: {error}", status=400, content_type="text/plain; charset=utf-8")


def _branch_context(request, branch, section: str) -> dict:
    return {
        "branch": branch,
        "section": section,
        "may_work": selectors.may_work_in(request.user, branch),
        "may_manage": selectors.may_manage(request.user, branch),
    }


# --- the city view --------------------------------------------------------------------------------


@require_GET
@login_required
def branch_list(request):
    """The branches side by side with their month's figures: all 13 for the city
    administrator and street officials, one's own for a secretary or member."""
    branches = list(selectors.branches_list(user=request.user))
    if not branches:
        raise Http404
    month, month_error = _month(request)
    figures = selectors.branch_figures(branches=branches, month=month, today=timezone.localdate())
    return render(
        request,
        "outreach/branches/list.html",
        {
            "figures": figures,
            "total": selectors.branch_total(figures) if len(figures) > 1 else None,
            "month_error": month_error,
            **_month_nav(month),
            "neglect_days": selectors.neglect_days(),
        },
    )


@reads_replica
@require_GET
@login_required
def branch_list_xlsx(request):
    branches = list(selectors.branches_list(user=request.user))
    if not branches:
        raise Http404
    month, error = _month(request)
    if error:
        return _bad_month(error)
    figures = selectors.branch_figures(branches=branches, month=month, today=timezone.localdate())
    total = selectors.branch_total(figures) if len(figures) > 1 else None
    return xlsx_response(exports.report_tables(figures, total=total), f"branches-{month:%Y-%m}")


# --- the branch home -------------------------------------------------------------------------------


@require_GET
@login_required
def branch_home(request, pk: int):
    branch = selectors.branch_for_user_or_404(request.user, pk)
    today = timezone.localdate()
    show = request.GET.get("show", "")
    search = (request.GET.get("q") or "").strip()[:50]
    rows = selectors.branch_points(branch=branch, today=today, neglected_only=show == "neglected", search=search)
    context = {
        **_branch_context(request, branch, "home"),
        "page": Paginator(rows, POINTS_PER_PAGE).get_page(request.GET.get("page")),
        "show": show,
        "q": search,
        "today": today,
        "neglect_days": selectors.neglect_days(),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "outreach/branches/home.html#points", context)
    all_rows = rows if not show and not search else selectors.branch_points(branch=branch, today=today)
    context.update(
        {
            "paired_count": len(all_rows),
            "neglected_count": sum(row.neglected for row in all_rows),
            "departments": selectors.branch_departments(branch=branch),
            "people": selectors.branch_people(branch=branch),
            "member_form": MemberAddForm(),
            "counts": selectors.queue_counts(user=request.user, branch=branch, today=today),
            "map_config": {"dataUrl": reverse("branch-points-geojson", args=[branch.pk])},
        }
    )
    return render(request, "outreach/branches/home.html", context)


@require_GET
@login_required
def branch_points_geojson(request, pk: int):
    """The branch's paired points (and their communities' outlines) for the map, on the
    tile provider's datum: neglected or not, open errands, last activity."""
    branch = selectors.branch_for_user_or_404(request.user, pk)
    today = timezone.localdate()
    features = []
    for row in selectors.branch_points(branch=branch, today=today):
        point = row.point
        position = tile_position(point.lat, point.lng)
        if position is None:
            continue
        if row.last_activity_on:
            last = _("last activity %(date)s") % {"date": row.last_activity_on.isoformat()}
        else:
            last = _("no activity yet")
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [position[1], position[0]]},
                "properties": {
                    "id": point.pk,
                    "name": point.name,
                    "neglected": row.neglected,
                    "openErrands": row.open_errands,
                    "lastActivity": row.last_activity_on.isoformat() if row.last_activity_on else None,
                    "summary": ngettext(
                        "%(errands)d open errand · %(last)s", "%(errands)d open errands · %(last)s", row.open_errands
                    )
                    % {"errands": row.open_errands, "last": last},
                    "anchor": f"#point-{point.pk}",
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features}, json_dumps_params={"ensure_ascii": False})


# --- members ------------------------------------------------------------------------------------------


def _members_answer(request, branch, *, form=None, status: int = 200):
    if request.htmx:
        return render(
            request,
            "outreach/branches/home.html#members",
            {
                **_branch_context(request, branch, "home"),
                "people": selectors.branch_people(branch=branch),
                "member_form": form or MemberAddForm(),
                "members_partial": True,
            },
            status=status,
        )
    if form is not None and form.errors:
        for error in form.errors.get("username", []) + form.non_field_errors():
            messages.error(request, error)
    return redirect(reverse("branch-home", args=[branch.pk]) + "#members")


@require_POST
@login_required
def branch_member_add(request, pk: int):
    branch = selectors.branch_for_secretary_or_404(request.user, pk)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            user = services.branch_member_add(actor=request.user, branch=branch, username=form.cleaned_data["username"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(name)s is now a member of the branch.") % {"name": user.display_name})
            return _members_answer(request, branch)
    return _members_answer(request, branch, form=form, status=422)


@require_POST
@login_required
def branch_member_remove(request, pk: int, user_id: int):
    branch = selectors.branch_for_secretary_or_404(request.user, pk)
    member = selectors.branch_member_or_404(branch=branch, user_id=user_id)
    try:
        orphaned = services.branch_member_remove(actor=request.user, branch=branch, user=member)
    except ValidationError as error:  # removed meanwhile (another tab, a double tap)
        _flash_errors(request, error)
        return _members_answer(request, branch)
    text = _("%(name)s is no longer a member of the branch.") % {"name": member.display_name}
    if orphaned:
        text += " " + _("%(n)d paired points now need a new liaison.") % {"n": orphaned}
    messages.success(request, text)
    return _members_answer(request, branch)


# --- pairings -------------------------------------------------------------------------------------------


@require_GET
@login_required
def branch_pairings(request, pk: int):
    """The open pairings (filterable, a page at a time) with their liaison and the way
    to end them, the search for new points to pair with, and the ended pairings."""
    branch = selectors.branch_for_user_or_404(request.user, pk)
    today = timezone.localdate()
    find = (request.GET.get("find") or "").strip()[:50]
    search = (request.GET.get("q") or "").strip()[:50]
    context = _branch_context(request, branch, "pairings")
    people = selectors.liaison_choices(branch=branch) if context["may_manage"] else []
    context.update({"find": find, "q": search, "people": people, "today": today})
    if context["may_manage"]:
        context["candidates"] = selectors.pairable_points(branch=branch, search=find) if find else []
    target = request.htmx.target if request.htmx and not request.htmx.boosted else ""
    if target == "candidates":
        return render(request, "outreach/branches/pairings.html#candidates", context)
    rows = selectors.branch_points(branch=branch, today=today, search=search)
    context["page"] = Paginator(rows, POINTS_PER_PAGE).get_page(request.GET.get("page"))
    if target == "pairing-list":
        return render(request, "outreach/branches/pairings.html#pairings", context)
    context["history"] = selectors.pairing_history(branch=branch)
    return render(request, "outreach/branches/pairings.html", context)


def _pairings_redirect(branch, anchor: str = ""):
    return redirect(reverse("branch-pairings", args=[branch.pk]) + anchor)


def _flash_errors(request, error: ValidationError, prefix: str = "") -> None:
    for text in error.messages:
        messages.error(request, f"{prefix}{text}")


@require_POST
@login_required
def branch_pairing_add(request, pk: int):
    branch = selectors.branch_for_secretary_or_404(request.user, pk)
    people = selectors.liaison_choices(branch=branch)
    form = PairingAddForm(request.POST, people=people)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)  # type: ignore[arg-type]  # an ErrorList yields strings
        return _pairings_redirect(branch)
    point = selectors.point_or_none(form.cleaned_data["point"])
    if point is None:
        messages.error(request, _("That agency point no longer exists. Search again."))
        return _pairings_redirect(branch)
    liaison = next((u for u in people if u.pk == form.cleaned_data["liaison"]), None)
    try:
        pairing = services.pairing_add(
            actor=request.user, branch=branch, point=point, since=form.cleaned_data["since"], liaison=liaison
        )
    except ValidationError as error:
        _flash_errors(request, error)
        return _pairings_redirect(branch)
    messages.success(request, _("The branch is now paired with %(point)s.") % {"point": pairing.point})
    return _pairings_redirect(branch, f"#pairing-{pairing.pk}")


@require_POST
@login_required
def branch_pairing_end(request, pk: int, pairing_id: int):
    branch = selectors.branch_for_secretary_or_404(request.user, pk)
    pairing = selectors.pairing_for_branch_or_404(branch=branch, pk=pairing_id)
    form = PairingEndForm(request.POST)
    if not form.is_valid():
        for text in form.errors.get("until", []):
            messages.error(request, text)  # type: ignore[arg-type]  # an ErrorList yields strings
        return _pairings_redirect(branch)
    try:
        pairing = services.pairing_end(actor=request.user, pairing=pairing, until=form.cleaned_data["until"])
    except ValidationError as error:
        _flash_errors(request, error)
        return _pairings_redirect(branch)
    messages.success(
        request,
        _("The pairing with %(point)s ended on %(date)s; it stays in the history.")
        % {"point": pairing.point, "date": pairing.until.isoformat()},  # type: ignore[union-attr]  # just ended
    )
    return _pairings_redirect(branch, "#history")


@require_POST
@login_required
def branch_pairing_liaison(request, pk: int, pairing_id: int):
    branch = selectors.branch_for_secretary_or_404(request.user, pk)
    pairing = selectors.pairing_for_branch_or_404(branch=branch, pk=pairing_id)
    people = selectors.liaison_choices(branch=branch)
    form = LiaisonForm(request.POST, people=people)
    if not form.is_valid():
        messages.error(request, _("Choose the liaison from the branch's secretary and members."))
        return _pairings_redirect(branch, f"#pairing-{pairing.pk}")
    liaison = next((u for u in people if u.pk == form.cleaned_data["liaison"]), None)
    try:
        pairing = services.pairing_set_liaison(actor=request.user, pairing=pairing, liaison=liaison)
    except ValidationError as error:
        _flash_errors(request, error)
    else:
        messages.success(
            request,
            _("Liaison for %(point)s: %(name)s.")
            % {"point": pairing.point, "name": liaison.display_name if liaison else _("nobody")},
        )
    return _pairings_redirect(branch, f"#pairing-{pairing.pk}")


# --- activities ------------------------------------------------------------------------------------------


def _calendar(month: date, activities) -> list[list[dict | None]]:
    """The month as weeks (Monday first) of days with their activities."""
    start, end = selectors.month_bounds(month)
    by_day: dict[date, list] = {}
    for activity in activities:
        by_day.setdefault(activity.held_on, []).append(activity)
    weeks: list[list[dict | None]] = [[None] * start.weekday()]
    day = start
    while day <= end:
        if len(weeks[-1]) == 7:
            weeks.append([])
        items = by_day.get(day, [])
        weeks[-1].append(
            {"day": day, "held": sum(not a.is_planned for a in items), "planned": sum(a.is_planned for a in items)}
        )
        day = date.fromordinal(day.toordinal() + 1)
    weeks[-1] += [None] * (7 - len(weeks[-1]))
    return weeks


@require_GET
@login_required
def branch_activities(request, pk: int):
    branch = selectors.branch_for_user_or_404(request.user, pk)
    today = timezone.localdate()
    month, month_error = _month(request)
    start, end = selectors.month_bounds(month)
    activities = list(selectors.activities_between(branch=branch, start=start, end=end))
    context = {
        **_branch_context(request, branch, "activities"),
        **_month_nav(month),
        "month_error": month_error,
        "today": today,
        "activities": activities,
        "weeks": _calendar(month, activities),
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        "upcoming": list(selectors.upcoming_planned(branch=branch, today=today)[:10]),
        "overdue_planned": list(selectors.overdue_planned(branch=branch, today=today)[:10]),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "outreach/branches/activities.html#month", context)
    return render(request, "outreach/branches/activities.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def branch_activity_create(request, pk: int):
    branch = selectors.branch_for_worker_or_404(request.user, pk)
    today = timezone.localdate()
    rows = selectors.branch_points(branch=branch, today=today)
    preselected = [value for value in request.GET.getlist("point") if value.isdigit()]
    form = ActivityForm(
        request.POST or None, request.FILES or None, point_rows=rows, initial={"points": [int(v) for v in preselected]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            # A form sent twice carries the same id and the same content: the service's
            # replay rule answers with the stored activity (created=False).
            activity, created = services.activity_record(
                actor=request.user,
                branch=branch,
                activity_id=form.cleaned_data["id"],
                data=form.as_input(),
                uploads=form.cleaned_data["photos"],
            )
        except PhotoRejected as error:
            form.add_error("photos", str(error))
        except ValidationError as error:
            form.add_service_errors(error)
        except Conflict as error:
            form.add_error(None, error.message)
        else:
            if created:
                n = len(form.cleaned_data["points"])
                messages.success(
                    request,
                    ngettext("The activity is logged at %(n)d point.", "The activity is logged at %(n)d points.", n)
                    % {"n": n},
                )
            return redirect("branch-activity-detail", pk=branch.pk, activity_id=activity.pk)
    return render(
        request,
        "outreach/branches/activity_form.html",
        {
            **_branch_context(request, branch, "activities"),
            "form": form,
            "rows": rows,
            "today": today,
            "selected": {str(v) for v in (form["points"].value() or [])},
        },
    )


@require_GET
@login_required
def branch_activity_detail(request, pk: int, activity_id):
    branch = selectors.branch_for_user_or_404(request.user, pk)
    activity = selectors.activity_for_branch_or_404(branch=branch, pk=activity_id)
    context = _branch_context(request, branch, "activities")
    if context["may_work"] and activity.is_planned:
        context["held_form"] = HeldForm(initial={"held_on": min(activity.held_on, timezone.localdate())})
    return render(request, "outreach/branches/activity_detail.html", {**context, **_activity_context(activity)})


def _activity_context(activity) -> dict:
    return {
        "activity": activity,
        "topic_labels": [ActivityTopic(code).label for code in activity.topics if code in ActivityTopic.values],
    }


@require_POST
@login_required
def branch_activity_held(request, pk: int, activity_id):
    branch = selectors.branch_for_worker_or_404(request.user, pk)
    activity = selectors.activity_for_branch_or_404(branch=branch, pk=activity_id)
    form = HeldForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.activity_record_held(
                actor=request.user,
                activity=activity,
                held_on=data["held_on"],
                people_reached=data["people_reached"],
                notes=data["notes"],
                uploads=data["photos"],
            )
        except PhotoRejected as error:
            form.add_error("photos", str(error))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The activity is recorded as held."))
            return redirect("branch-activity-detail", pk=branch.pk, activity_id=activity.pk)
    context = {**_branch_context(request, branch, "activities"), **_activity_context(activity), "held_form": form}
    return render(request, "outreach/branches/activity_detail.html", context, status=422)


# --- the branch queue -----------------------------------------------------------------------------------


def _queue_rows(request, branch, errands, today):
    """Each errand with who it may go to: the branch's own people first, then the people
    serving the resident's area (answering back down the tiers)."""
    candidates = assignable_scopes(errands=errands) if selectors.may_work_in(request.user, branch) else {}
    rows = []
    for errand in errands:
        people = candidates.get(errand.pk, [])
        rows.append(
            {
                "errand": errand,
                "overdue": due.errand_is_overdue(state=errand.state, due_on=errand.due_on, today=today),
                "days_overdue": due.errand_days_overdue(due_on=errand.due_on, today=today),
                "in_branch": [s for s in people if s.branch_id == branch.pk],
                "down": [s for s in people if s.area_id],
            }
        )
    return rows


@require_GET
@login_required
def branch_queue(request, pk: int):
    branch = selectors.branch_for_user_or_404(request.user, pk)
    today = timezone.localdate()
    page = Paginator(selectors.queue_errands(user=request.user, branch=branch, today=today), QUEUE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    complaints = list(selectors.queue_complaints(user=request.user, branch=branch, today=today)[:QUEUE_PER_PAGE])
    for complaint in complaints:
        complaint.is_overdue = due.complaint_is_overdue(state=complaint.state, deadline=complaint.deadline, today=today)  # type: ignore[attr-defined]  # for the template
        complaint.days_overdue = (today - complaint.deadline).days if complaint.is_overdue else 0  # type: ignore[attr-defined, operator]  # likewise; overdue has a deadline
    return render(
        request,
        "outreach/branches/queue.html",
        {
            **_branch_context(request, branch, "queue"),
            "page": page,
            "rows": _queue_rows(request, branch, list(page), today),
            "complaints": complaints,
            "today": today,
            "counts": selectors.queue_counts(user=request.user, branch=branch, today=today),
            "note_max_length": NOTE_MAX_LENGTH,
        },
    )


@require_POST
@login_required
def branch_queue_assign(request, pk: int, errand_id):
    """Give one of the branch's errands to a member (or the secretary), or answer it back
    down to someone serving the resident's station or grid."""
    branch = selectors.branch_for_worker_or_404(request.user, pk)
    errand = (
        selectors.queue_errands(user=request.user, branch=branch, today=timezone.localdate())
        .filter(pk=errand_id)
        .first()
    )
    if errand is None:
        raise Http404
    assignee = assignee_chosen(errand=errand, posted=request.POST.get("assignee", ""))
    back = reverse("branch-queue", args=[branch.pk])
    if assignee is None:
        messages.error(request, _("Errand %(number)s: choose who takes it from the list.") % {"number": errand.number})
        return redirect(back)
    try:
        errand_assign(
            actor=request.user,
            errand=errand,
            assignee=assignee,
            expected_version=version_posted(request.POST),
            note=request.POST.get("note", ""),
        )
    except Conflict as conflict:
        messages.error(request, f"{errand.number}: {conflict.message}")
    except ValidationError as error:
        _flash_errors(request, error, f"{errand.number}: ")
    else:
        messages.success(
            request,
            _("Errand %(number)s is given to %(name)s.") % {"number": errand.number, "name": assignee.display_name},
        )
    return redirect(back)


# --- the monthly report ----------------------------------------------------------------------------------


@require_GET
@login_required
def branch_report(request, pk: int):
    branch = selectors.branch_for_user_or_404(request.user, pk)
    month, month_error = _month(request)
    figures = selectors.branch_figures(branches=[branch], month=month, today=timezone.localdate())[0]
    return render(
        request,
        "outreach/branches/report.html",
        {
            **_branch_context(request, branch, "report"),
            **_month_nav(month),
            "month_error": month_error,
            "figures": figures,
        },
    )


@reads_replica
@require_GET
@login_required
def branch_report_xlsx(request, pk: int):
    branch = selectors.branch_for_user_or_404(request.user, pk)
    month, error = _month(request)
    if error:
        return _bad_month(error)
    figures = selectors.branch_figures(branches=[branch], month=month, today=timezone.localdate())
    start, end = selectors.month_bounds(month)
    held = selectors.activities_between(branch=branch, start=start, end=end).filter(status=BranchActivity.Status.HELD)
    return xlsx_response(
        exports.report_tables(figures, activities=list(held)), f"branch-{branch.number:02d}-{month:%Y-%m}"
    )
