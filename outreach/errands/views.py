"""Screens of one errand: creating it, its page with the timeline and the next actions
as big buttons, the materials checklist, assignment, delivery and receipt photos."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grid.models import User
from outreach.common import due
from outreach.common.errors import Conflict
from outreach.errands import selectors as errand_selectors
from outreach.errands import services as errand_services
from outreach.errands.buttons import errand_buttons
from outreach.errands.forms import DeliveryForm, ErrandForm
from outreach.models import Errand, ErrandEvent
from outreach.photos.pipeline import PhotoRejected
from outreach.residents import selectors
from outreach.tracking import codes

Action = ErrandEvent.Action


def _page_context(request, errand, **extra) -> dict:
    today = timezone.localdate()
    may_act = errand_services.may_act(request.user, errand)
    buttons = errand_buttons(user=request.user, errands=[errand])[errand.pk]
    assignable = _assignable(errand) if may_act and errand.is_open else []
    return {
        "errand": errand,
        "timeline": _labelled(errand_selectors.errand_timeline(errand=errand)),
        "buttons": [b for b in buttons if b["action"] not in (Action.DELIVER, Action.CANCEL)],
        "cancel": next((b for b in buttons if b["action"] == Action.CANCEL), None),
        "may_deliver": any(b["action"] == Action.DELIVER for b in buttons),
        "may_act": may_act,
        "overdue": due.errand_is_overdue(state=errand.state, due_on=errand.due_on, today=today),
        "days_overdue": due.errand_days_overdue(due_on=errand.due_on, today=today),
        "materials": [(m, m in errand.materials_collected) for m in errand.service.materials],
        "assignable": assignable,
        # Nothing is chosen for the user: the list asks unless it holds who has it now.
        "assignee_offered": any(person["user"].pk == errand.assignee_id for person in assignable),
        "note_max_length": errand_services.NOTE_MAX_LENGTH,
        "photos": list(errand.photos.order_by("created_at")),
        "progress_code": codes.shown(errand.progress_code),
        **extra,
    }


def _labelled(events):
    for event in events:
        event.from_label = Errand.State(event.from_state).label if event.from_state in Errand.State.values else ""
        event.to_label = Errand.State(event.to_state).label if event.to_state in Errand.State.values else ""
    return events


def _assignable(errand):
    return [
        {"user": scope.user, "role": scope.get_role_display(), "place": scope.place}
        for scope in errand_selectors.assignable_scopes(errands=[errand]).get(errand.pk, [])
    ]


@require_GET
@login_required
def my_errands(request):
    """The errands given to the user, due soonest first: in hand, then done at the office
    and waiting to be brought home (the strip on Today leads here)."""
    today = timezone.localdate()
    rows = [
        {
            "errand": e,
            "overdue": due.errand_is_overdue(state=e.state, due_on=e.due_on, today=today),
            "days_overdue": due.errand_days_overdue(due_on=e.due_on, today=today),
        }
        for e in errand_selectors.open_errands_of(user=request.user, today=today)
    ]
    return render(
        request,
        "outreach/errands/mine.html",
        {
            "in_hand": [r for r in rows if r["errand"].state != Errand.State.COMPLETED],
            "to_deliver": [r for r in rows if r["errand"].state == Errand.State.COMPLETED],
        },
    )


@require_GET
@login_required
def errand_detail(request, pk):
    errand = errand_selectors.errand_for_user_or_404(request.user, pk)
    return render(request, "outreach/errands/detail.html", _page_context(request, errand))


@require_http_methods(["GET", "POST"])
@login_required
def errand_create(request):
    """Staff or a worker open an errand for a resident who phoned or walked in."""
    resident = selectors.resident_for_user_or_404(
        request.user, request.GET.get("resident") or request.POST.get("resident")
    )
    form = ErrandForm(request.POST or None, services=errand_selectors.service_types_offered())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            errand, created = errand_services.errand_create(
                actor=request.user,
                errand_id=data["id"],
                resident=resident,
                service=data["service"],
                source=data["source"],
                description=data["description"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        except Conflict as error:
            form.add_error(None, error.message)
        else:
            if created:
                messages.success(request, _("Errand %(number)s is open.") % {"number": errand.number})
            return redirect("errand-detail", pk=errand.pk)
    return render(request, "outreach/errands/form.html", {"form": form, "resident": resident})


def _version(request) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


def _after_write(request, errand, message: str | None = None, *, error=None, status: int = 200):
    """Back to the errand page: redirect after success; the page with the message and
    the current state after a refusal (409 for a conflict, 422 for an illegal step)."""
    if error is None:
        if message:
            messages.success(request, message)
        return redirect("errand-detail", pk=errand.pk)
    current = errand_selectors.errand_for_user_or_404(request.user, errand.pk)
    return render(request, "outreach/errands/detail.html", _page_context(request, current, error=error), status=status)


@require_POST
@login_required
def errand_act(request, pk):
    errand = errand_selectors.errand_for_user_or_404(request.user, pk)
    action = request.POST.get("action", "")
    try:
        errand = errand_services.errand_transition(
            actor=request.user,
            errand=errand,
            action=action,
            expected_version=_version(request),
            note=request.POST.get("note", ""),
            reason=request.POST.get("reason", ""),
        )
    except Conflict as conflict:
        return _after_write(request, errand, error=conflict.message, status=409)
    except ValidationError as error:
        return _after_write(request, errand, error=" ".join(error.messages), status=422)
    label = ErrandEvent.Action(action).label if action in ErrandEvent.Action.values else action
    return _after_write(request, errand, _("Done: %(action)s.") % {"action": label})


@require_POST
@login_required
def errand_assign(request, pk):
    errand = errand_selectors.errand_for_user_or_404(request.user, pk)
    assignee = User.objects.filter(pk=request.POST.get("assignee") or 0, is_active=True).first()
    try:
        if assignee is None:
            raise ValidationError(_("Choose who takes the errand."))
        errand = errand_services.errand_assign(
            actor=request.user,
            errand=errand,
            assignee=assignee,
            expected_version=_version(request),
            note=request.POST.get("note", ""),
        )
    except Conflict as conflict:
        return _after_write(request, errand, error=conflict.message, status=409)
    except ValidationError as error:
        return _after_write(request, errand, error=" ".join(error.messages), status=422)
    return _after_write(request, errand, _("Assigned to %(name)s.") % {"name": assignee.display_name})


@require_POST
@login_required
def errand_materials(request, pk):
    errand = errand_selectors.errand_for_user_or_404(request.user, pk)
    try:
        errand = errand_services.errand_set_material(
            actor=request.user,
            errand=errand,
            material=request.POST.get("material", ""),
            collected=request.POST.get("collected") == "1",
        )
    except ValidationError as error:
        return _after_write(request, errand, error=" ".join(error.messages), status=422)
    if request.htmx:  # the checklist, and the steps (办结 asks why only while materials are missing)
        context = _page_context(request, errand, oob=True)
        return HttpResponse(
            render_to_string("outreach/errands/detail.html#materials", context, request)
            + render_to_string("outreach/errands/detail.html#actions", context, request)
        )
    return redirect("errand-detail", pk=errand.pk)


@require_http_methods(["GET", "POST"])
@login_required
def errand_deliver(request, pk):
    errand = errand_selectors.errand_for_user_or_404(request.user, pk)
    form = DeliveryForm(request.POST or None, request.FILES or None, initial={"version": errand.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            errand = errand_services.errand_deliver(
                actor=request.user,
                errand=errand,
                expected_version=data["version"],
                via=data["via"],
                satisfaction=data["satisfaction"],
                uploads=data["photos"],
                note=data["note"],
            )
        except Conflict as conflict:
            return _after_write(request, errand, error=conflict.message, status=409)
        except PhotoRejected as error:
            form.add_error("photos", str(error))
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return _after_write(
                request,
                errand,
                _("Delivered. %(trips)s trips saved for %(name)s.")
                % {"trips": errand.service.trips_saved, "name": errand.resident.name},
            )
    return render(request, "outreach/errands/deliver.html", {"form": form, "errand": errand})
