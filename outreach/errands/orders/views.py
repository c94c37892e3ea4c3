"""Screens of online orders (线上点单): the public order form behind a point's QR code and
its thank-you page, the printable QR poster of a point, and the staff's list of orders
with the page where one is confirmed into an errand or rejected. Thin: parse, call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grid.models import Area
from grid.selectors import areas_in_scope, service_point_for_user_or_404
from outreach.common import qr
from outreach.common.errors import Conflict
from outreach.common.requests import client_address
from outreach.errands.orders import selectors as order_selectors
from outreach.errands.orders import services as order_services
from outreach.errands.orders.forms import ConfirmForm, OrderForm, RejectForm
from outreach.errands.selectors import service_types_offered
from outreach.models import OnlineOrder, Resident
from outreach.residents import services
from outreach.residents.forms import ResidentForm
from outreach.residents.national_ids import IdCheckLimitReached
from outreach.residents.selectors import residents_visible_to
from outreach.tracking import codes

ORDERS_PER_PAGE = 30
PAPERS = ("a5", "a4")


# --- the public side: no login, no session, no cookie ------------------------------------


# Exempt from Django's CSRF check on purpose: that check needs a cookie, and a relative's
# phone that drops cookies or the Referer must not meet a 403. The form carries its own
# token instead (signed, expiring, single-use, bound to the point and the visitor's
# address), which a page elsewhere cannot read and so cannot post with.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def order_form(request, code: str):
    point = order_selectors.service_point_by_public_code_or_404(code)
    form = OrderForm(request.POST or None, services=service_types_offered().select_related(None).only("id", "name"))
    address = client_address(request)
    status, limited = 200, ""
    if request.method == "POST" and form.is_valid():
        if form.is_robot:
            return redirect("order-thanks", code=point.public_code)
        try:
            order = order_services.order_submit(
                point=point,
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                service=form.service_choice(),
                description=form.cleaned_data["description"],
                address=address,
                form_token=request.POST.get("form_token", ""),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except order_services.OrderFormStale as error:
            status, limited = 400, error.message
        except order_services.OrderLimitReached as error:
            status, limited = 429, error.message
        else:
            thanks = reverse("order-thanks", args=[point.public_code])
            return redirect(f"{thanks}?{urlencode({'o': order_services.thanks_token(order)})}")
    context = {
        "point": point,
        "form": form,
        "limited": limited,
        "form_token": order_services.order_form_token(point=point, address=address),
    }
    return render(request, "outreach/errands/orders/form.html", context, status=status)


@require_GET
def order_thanks(request, code: str):
    """Nobody's name and no order number; the order's progress code when the address
    carries the signed token the form redirected with (a day long), so the sender can
    write it down and follow the request on the progress page."""
    point = order_selectors.service_point_by_public_code_or_404(code)
    progress_code = order_services.progress_code_from_thanks_token(request.GET.get("o", ""))
    context = {"point": point, "progress_code": codes.shown(progress_code), "progress_code_raw": progress_code}
    return render(request, "outreach/errands/orders/thanks.html", context)


# --- the QR poster of a point ------------------------------------------------------------


def _order_url(request, point) -> str:
    return request.build_absolute_uri(reverse("order-form", args=[point.public_code]))


@require_GET
@login_required
def network_qr(request, pk: int):
    point = service_point_for_user_or_404(request.user, pk)
    paper = request.GET.get("paper") if request.GET.get("paper") in PAPERS else PAPERS[0]
    return render(
        request,
        "outreach/errands/orders/qr.html",
        {
            "point": point,
            "order_url": _order_url(request, point),
            "paper": paper,
            "papers": PAPERS,
        },
    )


@require_GET
@login_required
def network_qr_svg(request, pk: int):
    """The QR code alone, as an SVG image: drawn with paths only (no style attributes),
    so it shows under the page's Content Security Policy and prints sharp at any size."""
    point = service_point_for_user_or_404(request.user, pk)
    response = HttpResponse(qr.svg_bytes(_order_url(request, point), title=point.name), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the staff side ---------------------------------------------------------------------


@require_GET
@login_required
def order_list(request):
    status = request.GET.get("status") or OnlineOrder.Status.PENDING
    if status not in OnlineOrder.Status.values:
        status = OnlineOrder.Status.PENDING
    page = Paginator(order_selectors.orders_list(user=request.user, status=status), ORDERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    pending = (
        page.paginator.count
        if status == OnlineOrder.Status.PENDING
        else order_selectors.pending_orders_count(user=request.user)
    )
    context = {"page": page, "status": status, "statuses": OnlineOrder.Status.choices, "pending": pending}
    template = "outreach/errands/orders/list.html#results" if request.htmx else "outreach/errands/orders/list.html"
    return render(request, template, context)


def _detail_context(request, order, *, confirm_form=None, reject_form=None) -> dict:
    context = {"order": order}
    if order.status != OnlineOrder.Status.PENDING:
        return context
    search = request.GET.get("q", "").strip()[:50]
    choices = order_selectors.residents_to_confirm(user=request.user, order=order, search=search)
    chosen = request.POST.get("resident") or request.GET.get("resident")
    if chosen and chosen.isdigit() and all(str(r.pk) != chosen for r in choices):
        # The resident just registered (or picked before a search) stays on offer.
        picked = residents_visible_to(user=request.user).filter(pk=chosen).select_related("grid").first()
        if picked is not None:
            choices.insert(0, picked)
    context.update(
        search=search,
        choices=choices,
        chosen=chosen or "",
        confirm_form=confirm_form or _confirm_form(request, order, data=None),
        reject_form=reject_form or RejectForm(),
    )
    return context


def _confirm_form(request, order, *, data) -> ConfirmForm:
    return ConfirmForm(
        data,
        initial={"service": order.service_id},
        residents=residents_visible_to(user=request.user).filter(status=Resident.Status.ACTIVE),
        services=service_types_offered(),
    )


@require_GET
@login_required
def order_detail(request, pk: int):
    order = order_selectors.order_for_user_or_404(request.user, pk)
    context = _detail_context(request, order)
    if request.htmx and order.status == OnlineOrder.Status.PENDING:
        return render(request, "outreach/errands/orders/detail.html#resident-choices", context)
    return render(request, "outreach/errands/orders/detail.html", context)


def _already_handled(request, conflict):
    """The order was handled in the meantime (a colleague, a double tap): say so and
    show it as it is now."""
    messages.error(request, conflict.message)
    order = order_selectors.order_for_user_or_404(request.user, conflict.current.pk)
    return render(request, "outreach/errands/orders/detail.html", _detail_context(request, order), status=409)


@require_POST
@login_required
def order_confirm(request, pk: int):
    order = order_selectors.order_for_user_or_404(request.user, pk)
    if order.status != OnlineOrder.Status.PENDING:
        return _already_handled(request, order_services.already_handled(order))
    form = _confirm_form(request, order, data=request.POST)
    if form.is_valid():
        try:
            errand = order_services.order_confirm(
                actor=request.user,
                order=order,
                resident=form.cleaned_data["resident"],
                service=form.cleaned_data["service"],
                note=form.cleaned_data["note"],
            )
        except Conflict as conflict:
            return _already_handled(request, conflict)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Errand %(number)s is opened for %(name)s.")
                % {"number": errand.number, "name": errand.resident.name},
            )
            return redirect("order-detail", pk=order.pk)
    return render(request, "outreach/errands/orders/detail.html", _detail_context(request, order, confirm_form=form))


@require_POST
@login_required
def order_reject(request, pk: int):
    order = order_selectors.order_for_user_or_404(request.user, pk)
    if order.status != OnlineOrder.Status.PENDING:
        return _already_handled(request, order_services.already_handled(order))
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            order_services.order_reject(actor=request.user, order=order, reason=form.cleaned_data["reason"])
        except Conflict as conflict:
            return _already_handled(request, conflict)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The order is rejected."))
            return redirect("order-list")
    return render(request, "outreach/errands/orders/detail.html", _detail_context(request, order, reject_form=form))


# A national ID may be typed here as on the resident form: keep it out of error reports.
@sensitive_variables()
@sensitive_post_parameters("national_id")
@require_http_methods(["GET", "POST"])
@login_required
def order_resident_create(request, pk: int):
    """The resident form, filled in from the order, coming back to the order once the
    resident is registered: the caller is often someone nobody has visited yet."""
    order = order_selectors.order_for_user_or_404(request.user, pk)
    if order.status != OnlineOrder.Status.PENDING:
        return redirect("order-detail", pk=order.pk)
    grids = areas_in_scope(user=request.user).filter(level=Area.Level.GRID).select_related("parent").order_by("path")
    if not grids.exists():
        messages.error(
            request,
            _(
                "You look after no grid, so you cannot register residents; ask the staff of the "
                "point's grid or community."
            ),
        )
        return redirect("order-detail", pk=order.pk)
    form = ResidentForm(request.POST or None, grids=grids, initial={"name": order.name, "phone": order.phone})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.resident_create(
                actor=request.user, address_ip=client_address(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except IdCheckLimitReached as error:
            form.add_error("national_id", error.message)
            status = 429
        else:
            messages.success(
                request, _("%(name)s is registered. Check the service and confirm the order.") % {"name": resident.name}
            )
            back = reverse("order-detail", args=[order.pk])
            return redirect(f"{back}?{urlencode({'resident': resident.pk})}#confirm")
    return render(request, "outreach/errands/orders/resident.html", {"form": form, "order": order}, status=status)
