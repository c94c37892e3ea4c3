"""Screens of residents and visits: Today, the resident list and page, the visit form
and visit corrections (photos are served by outreach.photos.views). Thin: parse, call,
render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grid.access import reach_of
from grid.models import Area
from grid.selectors import areas_in_scope
from outreach.common.due import DUE_LABELS, Due, days_overdue, due_bucket
from outreach.common.errors import Conflict
from outreach.common.requests import client_address
from outreach.errands import selectors as errand_selectors
from outreach.errands import services as errand_services
from outreach.errands.forms import VisitErrandForm
from outreach.models import Errand, Hazard, Visit
from outreach.photos.pipeline import PhotoRejected
from outreach.reporting import inbox
from outreach.residents import selectors, services
from outreach.residents.forms import ResidentFilterForm, ResidentForm, VisitCorrectionForm, VisitForm
from outreach.residents.national_ids import IdCheckLimitReached
from outreach.residents.rows import resident_rows
from outreach.residents.validation import clean_position

RESIDENTS_PER_PAGE = 30


@require_GET
@login_required
def home(request):
    """Grid workers land on Today; a member of one joint branch only on its workspace;
    offices on their work inbox (what waits for them, with live counts)."""
    reach = reach_of(request.user)
    if reach.is_field_worker():
        return today(request)
    if reach.home_is_branch():
        return redirect("branch-home", pk=reach.branch_ids[0])
    today_date = timezone.localdate()
    scopes = list(request.user.scopes.select_related("area", "branch").order_by("role"))
    # Its tiles ask the user's reach (in every page's context) what they may open.
    context = {
        "scopes": scopes,
        "inbox": inbox.inbox_for(user=request.user, today=today_date),
        "coverage": inbox.coverage_summary(user=request.user, today=today_date),
    }
    return render(request, "grid/home.html", context)


def today(request):
    today_date = timezone.localdate()
    here = None
    try:
        lat, lng = clean_position(request.GET.get("lat"), request.GET.get("lng"))
        here = (lat, lng) if lat is not None else None
    except ValidationError:
        here = None
    residents = list(selectors.residents_due_for(user=request.user, today=today_date))
    categories = selectors.category_codes(residents)
    rows = resident_rows(residents, today=today_date, categories=categories, here=here, with_visit=True)
    if here:  # nearest first within each urgency
        rows.sort(key=lambda r: (r.distance_m is None, r.distance_m or 0))
    sections = [
        {"bucket": bucket, "label": DUE_LABELS[bucket], "rows": [r for r in rows if r.bucket == bucket]}
        for bucket in (Due.OVERDUE, Due.TODAY, Due.WEEK)
    ]
    context = {"sections": sections, "today": today_date, "here": here, "total": len(rows)}
    if request.htmx:
        return render(request, "outreach/residents/today.html#due-list", context)
    context["errand_counts"] = errand_selectors.own_errand_counts(user=request.user, today=today_date)
    return render(request, "outreach/residents/today.html", context)


@require_GET
@login_required
def resident_list(request):
    if not reach_of(request.user).area_paths:
        raise Http404
    form = ResidentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    today_date = timezone.localdate()
    residents = selectors.residents_list(
        user=request.user,
        today=today_date,
        search=filters.get("q", ""),
        category=filters.get("category", ""),
        care_level=filters.get("care_level", ""),
        due_bucket=filters.get("due", ""),
    )
    page = Paginator(residents, RESIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    categories = {r.pk: [c.category for c in r.category_list] for r in page}  # prefetched by the selector
    rows = resident_rows(list(page), today=today_date, categories=categories)
    context = {"form": form, "page": page, "rows": rows, "due_labels": DUE_LABELS}
    template = "outreach/residents/list.html#results" if request.htmx else "outreach/residents/list.html"
    return render(request, template, context)


@require_GET
@login_required
def resident_detail(request, pk: int):
    resident = selectors.resident_for_user_or_404(request.user, pk)
    return render(request, "outreach/residents/detail.html", _resident_context(request, resident))


def _resident_context(request, resident, revealed_id: str = "") -> dict:
    today_date = timezone.localdate()
    home = [resident.home_lat, resident.home_lng] if resident.has_home_location else None
    return {
        "resident": resident,
        "categories": list(resident.categories.order_by("category")),
        "bucket": due_bucket(resident.due_on, today_date),
        "bucket_label": DUE_LABELS[due_bucket(resident.due_on, today_date)],
        "days_overdue": days_overdue(resident.due_on, today_date),
        "visits": selectors.visits_of_resident(resident=resident),
        "errands": errand_selectors.errands_of_resident(resident=resident),
        "trips_saved": errand_selectors.trips_saved_by(resident=resident),
        "revealed_id": revealed_id,
        "map_config": {"markers": [{"lat": home[0], "lng": home[1], "label": resident.address}]} if home else None,
    }


@sensitive_variables()
@require_POST
@login_required
def resident_national_id(request, pk: int):
    """Show the full national ID to a role allowed to see it, and record that it was seen."""
    resident = selectors.resident_for_user_or_404(request.user, pk)
    if not reach_of(request.user).may_reveal_national_ids():
        raise Http404
    revealed = services.resident_reveal_national_id(
        actor=request.user, resident=resident, address_ip=client_address(request)
    )
    if request.htmx:
        return render(
            request,
            "outreach/residents/detail.html#national-id",
            {"resident": resident, "revealed_id": revealed},
        )
    return render(request, "outreach/residents/detail.html", _resident_context(request, resident, revealed))


def _visible_grids(user):
    # Not areas_visible_to: a secretary's paired points widen what they may look at, not
    # where they may put residents (whom they could not even see there).
    return areas_in_scope(user=user).filter(level=Area.Level.GRID).select_related("parent").order_by("path")


# A national ID is typed into these forms (and shown by the reveal): it must never reach
# an error report (the debug page, the mail to ADMINS) in plain text, neither as POST data
# nor as a local variable of the view or of the services below it.
@sensitive_variables()
@sensitive_post_parameters("national_id")
@require_http_methods(["GET", "POST"])
@login_required
def resident_create(request):
    if not reach_of(request.user).area_paths:
        raise Http404
    grids = _visible_grids(request.user)
    form = ResidentForm(request.POST or None, grids=grids)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            resident = services.resident_create(actor=request.user, address_ip=client_address(request), **data)
        except ValidationError as error:
            form.add_service_errors(error)
        except IdCheckLimitReached as error:
            form.add_error("national_id", error.message)
            status = 429
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": resident.name})
            return redirect("resident-detail", pk=resident.pk)
    return render(request, "outreach/residents/form.html", {"form": form, "resident": None}, status=status)


@sensitive_variables()
@sensitive_post_parameters("national_id")
@require_http_methods(["GET", "POST"])
@login_required
def resident_edit(request, pk: int):
    resident = selectors.resident_for_user_or_404(request.user, pk)
    grids = _visible_grids(request.user)
    initial = {f: getattr(resident, f) for f in services.RESIDENT_FIELDS}
    initial.update(
        grid=resident.grid_id,
        version=resident.version,
        categories=list(resident.categories.values_list("category", flat=True)),
    )
    form = ResidentForm(request.POST or None, initial=initial, grids=grids, editing=True)
    conflict, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version") or 0
        national_id = data.pop("national_id")
        categories = data.pop("categories")
        try:
            resident = services.resident_update(
                actor=request.user,
                resident=resident,
                expected_version=version,
                national_id=national_id,
                categories=categories,
                address_ip=client_address(request),
                **data,
            )
        except Conflict as error:
            conflict = error.current
            messages.error(request, error.message)
            form = ResidentForm(
                initial={
                    **{f: getattr(conflict, f) for f in services.RESIDENT_FIELDS},
                    "grid": conflict.grid_id,
                    "version": conflict.version,
                    "categories": list(conflict.categories.values_list("category", flat=True)),
                },
                grids=grids,
                editing=True,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except IdCheckLimitReached as error:
            form.add_error("national_id", error.message)
            status = 429
        else:
            messages.success(request, _("Changes to %(name)s are saved.") % {"name": resident.name})
            return redirect("resident-detail", pk=resident.pk)
    return render(
        request,
        "outreach/residents/form.html",
        {"form": form, "resident": resident, "conflict": conflict},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def visit_create(request, pk: int):
    resident = selectors.resident_for_user_or_404(request.user, pk)
    form = VisitForm(request.POST or None, request.FILES or None)
    errand_form = VisitErrandForm(request.POST or None, services=errand_selectors.service_types_offered())
    if request.method == "POST" and form.is_valid() and errand_form.is_valid():
        data = form.cleaned_data
        visit_input = services.VisitInput(
            visited_at=timezone.now(),
            outcome=data["outcome"],
            lat=data["lat"],
            lng=data["lng"],
            accuracy_m=data["accuracy_m"],
            no_location_reason=data["no_location_reason"],
            health=data["health"],
            health_notes=data["health_notes"],
            living_notes=data["living_notes"],
            hazards=tuple(data["hazards"]),
            hazard_notes=data["hazard_notes"],
            needs=data["needs"],
        )
        try:
            visit, created = services.visit_record(
                actor=request.user,
                resident=resident,
                visit_id=data["id"],
                data=visit_input,
                uploads=data["photos"],
                address_ip=client_address(request),
                timed_by_server=True,  # visited_at is timezone.now(): a resend cannot repeat it
            )
        except PhotoRejected as error:
            form.add_error("photos", str(error))
        except ValidationError as error:
            form.add_service_errors(error)
        except Conflict as error:
            form.add_error(None, error.message)
        else:
            if created:
                messages.success(request, _("Visit to %(name)s recorded.") % {"name": resident.name})
            errand = _errand_from_visit(request, resident, visit, errand_form.cleaned_data)
            if errand is not None:
                return redirect("errand-detail", pk=errand.pk)
            if reach_of(request.user).is_field_worker():
                return redirect("home")  # back to Today, where the resident has left the due list
            return redirect("resident-detail", pk=resident.pk)
    today_date = timezone.localdate()
    return render(
        request,
        "outreach/residents/visit_form.html",
        {
            "form": form,
            "errand_form": errand_form,
            "resident": resident,
            "bucket": due_bucket(resident.due_on, today_date),
            "days_overdue": days_overdue(resident.due_on, today_date),
            "due_labels": DUE_LABELS,
            "visit_config": {
                "home": [resident.home_lat, resident.home_lng] if resident.has_home_location else None,
                "awayMeters": settings.DAIBAN_VISIT_AWAY_METERS,
                "maxAccuracy": settings.DAIBAN_VISIT_MAX_ACCURACY_METERS,
            },
        },
    )


def _errand_from_visit(request, resident, visit, data):
    """The need noted at the door becomes an errand at once (最多跑一次). The visit is
    already stored; if the errand cannot be opened, say so and keep the visit."""
    service = data.get("errand_service")
    if service is None:
        return None
    try:
        errand, _created = errand_services.errand_create(
            actor=request.user,
            errand_id=errand_services.errand_id_for_visit(visit.pk),
            resident=resident,
            service=service,
            source=Errand.Source.VISIT,
            description=data.get("errand_description") or visit.needs,
            visit=visit,
        )
    except (ValidationError, Conflict) as error:
        messages.error(
            request,
            _("The visit is saved, but the errand could not be opened: %(reason)s")
            % {"reason": getattr(error, "message", None) or " ".join(error.messages)},
        )
        return None
    return errand


@require_GET
@login_required
def visit_detail(request, pk):
    visit = selectors.visit_for_user_or_404(request.user, pk)
    return render(
        request,
        "outreach/residents/visit_detail.html",
        {
            "visit": visit,
            "hazard_labels": [Hazard(code).label for code in visit.hazards if code in Hazard.values],
            "corrections": [_with_previous_shown(c) for c in visit.corrections.select_related("corrected_by")],
            "may_correct": services.visit_correction_open(visit, request.user),
        },
    )


def _with_previous_shown(correction):
    """Label a correction's earlier values as the form does (走访结果: 不在家), not as stored
    (outcome=not_home): (field label, text, hazard labels or None) per changed field."""
    shown = []
    for name, value in correction.previous.items():
        field = Visit._meta.get_field(name)
        if name == "hazards":
            shown.append((capfirst(field.verbose_name), "", [Hazard(c).label for c in value if c in Hazard.values]))
        else:
            shown.append(
                (
                    capfirst(field.verbose_name),
                    dict(field.flatchoices).get(value, value) if field.choices else value,
                    None,
                )
            )
    correction.previous_shown = shown
    return correction


@require_http_methods(["GET", "POST"])
@login_required
def visit_correct(request, pk):
    visit = selectors.visit_for_user_or_404(request.user, pk)
    if not services.visit_correction_open(visit, request.user):
        messages.error(
            request,
            _("This visit can no longer be corrected: only its author can, within %(hours)d hours.")
            % {"hours": settings.DAIBAN_VISIT_CORRECTION_HOURS},
        )
        return redirect("visit-detail", pk=visit.pk)
    initial = {f: getattr(visit, f) for f in services.CORRECTABLE_FIELDS if f != "no_location_reason"}
    form = VisitCorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        reason = changes.pop("reason")
        try:
            services.visit_correct(
                actor=request.user, visit=visit, reason=reason, address_ip=client_address(request), **changes
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The correction is saved; the earlier version is kept."))
            return redirect("visit-detail", pk=visit.pk)
    return render(request, "outreach/residents/visit_correct.html", {"form": form, "visit": visit})
