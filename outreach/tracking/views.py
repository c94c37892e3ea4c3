"""The progress page (/track/): public, no login, no cookie, no script. A resident or a
relative types the code from the slip and the phone's last four digits and reads the
errand in plain words; after delivery, rates it once. And the staff's printable
progress slip of an errand, through the errand's own door. Thin: parse, call, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from outreach.common import qr
from outreach.common.requests import client_address
from outreach.errands.selectors import errand_for_user_or_404
from outreach.tracking import codes, services
from outreach.tracking.forms import RatingForm, TrackForm

TEMPLATE = "outreach/tracking/track.html"


# Exempt from the CSRF check like the order form (no cookie on a relative's phone): a
# lookup changes nothing but the log, and a rating needs the signed token that only a
# page shown after a matching lookup carries.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def track(request):
    if request.method == "GET":
        form = TrackForm(initial={"code": codes.shown(codes.normalize(request.GET.get("c", "")))})
        return render(request, TEMPLATE, {"form": form})
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": form}, status=400)
    try:
        progress = services.progress_lookup(
            code=form.cleaned_data["code"],
            phone_digits=form.cleaned_data["phone_digits"],
            address=client_address(request),
        )
    except services.TooManyTries as refused:
        return render(request, TEMPLATE, {"form": form, "refused": refused.message}, status=429)
    except services.NotFound as missing:
        return render(request, TEMPLATE, {"form": form, "refused": missing.message}, status=404)
    return render(request, TEMPLATE, _shown(progress))


def _shown(progress: services.Progress, **extra) -> dict:
    rating_form = RatingForm(initial={"token": progress.rating_token}) if progress.may_rate else None
    return {"progress": progress, "rating_form": rating_form, **extra}


@csrf_exempt
@require_POST
def track_rate(request):
    form = RatingForm(request.POST)
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": TrackForm(), "refused": " ".join(form.errors.get("rating", []))}, 400)
    try:
        errand = services.errand_rate_by_resident(token=form.cleaned_data["token"], rating=form.cleaned_data["rating"])
    except services.RatingRefused as refused:
        return render(request, TEMPLATE, {"form": TrackForm(), "refused": refused.message}, status=400)
    return render(request, TEMPLATE, _shown(services.errand_progress(errand), thanked=True))


def track_url(request, code: str | None) -> str:
    """The address a slip's QR code opens: the progress page with the code filled in."""
    return request.build_absolute_uri(reverse("track") + "?" + urlencode({"c": code or ""}))


@require_GET
@login_required
def errand_progress_slip(request, pk):
    """A printable slip for the resident: the code, how to look it up, the QR code and
    the point's phone. Through the errand's door: out of reach is a 404."""
    errand = errand_for_user_or_404(request.user, pk)
    url = track_url(request, errand.progress_code)
    progress = services.errand_progress(errand)
    return render(
        request,
        "outreach/tracking/slip.html",
        {"errand": errand, "progress": progress, "url": url, "qr_svg": qr.svg_inline(url, title=progress.code)},
    )
