"""The progress page's rules: who may see an errand's progress (whoever has its code and
the last four digits of a phone on record), how often one may try, what is shown (the
errand in plain words, the name masked, nothing else of the resident) and the
resident's one rating after delivery. Every try is kept (ProgressLookup)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from grid.models import ServicePoint
from outreach.errands.chain import chain_point
from outreach.models import Errand, OnlineOrder, ProgressLookup, TripsSaved
from outreach.tracking import codes

# Wrong tries of one code in an hour before that code is refused for the rest of the
# hour, and tries from one address in an hour (a whole family's errands fit easily).
TRIES_PER_CODE = 5
TRIES_PER_ADDRESS = 30
WINDOW = timedelta(hours=1)
RATING_SALT = "outreach.tracking.rating"
RATING_TOKEN_DAYS = 7

S = Errand.State


class TooManyTries(Exception):
    """Refused before looking: too many tries of this code or from this address."""

    def __init__(self) -> None:
        super().__init__()
        self.message = _(
            "Too many tries in the last hour. Please try again in an hour, or call your proxy service point."
        )


class NotFound(Exception):
    """No errand or order with this code and phone: the same answer whichever was wrong."""

    def __init__(self) -> None:
        super().__init__()
        self.message = _(
            "Nothing was found for this code and these digits. Check both against the slip, or call your proxy "
            "service point."
        )


@dataclass
class Step:
    label: str
    done: bool
    current: bool


@dataclass
class Progress:
    """What the progress page shows: nothing but the errand (or order) in plain words."""

    code: str
    name_masked: str
    service: str
    headline: str
    received_on: date
    due_on: date | None
    steps: list[Step]
    materials_needed: list[str]
    handler: str
    contact_name: str
    contact_phone: str
    delivered_at: datetime | None = None
    trips_saved: int = 0
    closed: bool = False
    may_rate: bool = False
    rating: int | None = None
    rating_token: str = ""
    notes: list[str] = field(default_factory=list)


def mask_name(name: str) -> str:
    """张*英, 王*, 欧**娜: the first and last character only."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _last_four(phone: str) -> str:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


def _too_many(*, code: str, address: str | None, now: datetime) -> bool:
    since = now - WINDOW
    if ProgressLookup.objects.filter(code=code, at__gte=since, found=False).count() >= TRIES_PER_CODE:
        return True
    return (
        address is not None
        and ProgressLookup.objects.filter(address=address, at__gte=since).count() >= TRIES_PER_ADDRESS
    )


ERRAND_RELATED = ("resident", "service", "holder_point", "holder_branch", "online_order")


def _find(code: str, phone_digits: str) -> Errand | OnlineOrder | None:
    errand = Errand.objects.select_related(*ERRAND_RELATED).filter(progress_code=code).first()
    if errand is not None:
        resident = errand.resident
        phones = [resident.phone, resident.guardian_phone]
        order = getattr(errand, "online_order", None)
        if order is not None:
            phones.append(order.phone)
        return errand if phone_digits in {_last_four(p) for p in phones} - {""} else None
    order = OnlineOrder.objects.select_related("point", "service").filter(progress_code=code).first()
    if order is not None and _last_four(order.phone) == phone_digits:
        return order
    return None


def progress_lookup(*, code: str, phone_digits: str, address: str | None) -> Progress:
    """The progress of the errand or order with ``code``, for someone who knows the last
    four digits of a phone on record. Raises TooManyTries or NotFound; every try is kept
    (one row, written before raising: no transaction around it to roll it back). Two
    tries at the same instant may both pass the count: the limit is a bound, not a
    quota."""
    code = codes.normalize(code)
    now = timezone.now()
    if _too_many(code=code, address=address, now=now):
        ProgressLookup.objects.create(at=now, code=code[:10], address=address, found=False, refused=True)
        raise TooManyTries
    found = _find(code, phone_digits) if codes.is_well_formed(code) and len(phone_digits) == 4 else None
    ProgressLookup.objects.create(
        at=now,
        code=code[:10],
        address=address,
        found=found is not None,
        errand=found if isinstance(found, Errand) else None,
        order=found if isinstance(found, OnlineOrder) else None,
    )
    if found is None:
        raise NotFound
    if isinstance(found, OnlineOrder):
        return order_progress(found)
    return errand_progress(found)


def order_progress(order: OnlineOrder) -> Progress:
    """An order not yet made an errand: received, or not taken on."""
    point = order.point
    rejected = order.status == OnlineOrder.Status.REJECTED
    if rejected:
        headline = _("The service point did not take this request on. If you have questions, please call them.")
    else:
        headline = _("Your request has arrived. The service point will call you within one working day.")
    return Progress(
        code=codes.shown(order.progress_code),
        name_masked=mask_name(order.name),
        service=str(order.service) if order.service else pgettext("progress page", "Something else"),
        headline=headline,
        received_on=timezone.localdate(order.created_at),
        due_on=None,
        steps=_steps(received=True, current=0),
        materials_needed=[],
        handler=point.name,
        contact_name=point.name,
        contact_phone=point.phone,
        closed=rejected,
    )


def _steps(*, received: bool, current: int) -> list[Step]:
    labels = [
        pgettext("progress step", "Received"),
        pgettext("progress step", "Being handled"),
        pgettext("progress step", "Done"),
        pgettext("progress step", "Brought home"),
    ]
    return [Step(label=label, done=received and i <= current, current=i == current) for i, label in enumerate(labels)]


STEP_OF_STATE = {
    S.REQUESTED: 0,
    S.ACCEPTED: 0,
    S.IN_PROGRESS: 1,
    S.NEEDS_MATERIALS: 1,
    S.COMPLETED: 2,
    S.DELIVERED: 3,
}


def _headline(errand: Errand) -> str:
    return {
        S.REQUESTED: _("Received. A proxy worker is being found for it."),
        S.ACCEPTED: _("A proxy worker has taken it on and will start soon."),
        S.IN_PROGRESS: _("It is being handled for you."),
        S.NEEDS_MATERIALS: _("It is waiting for some papers from you (see below)."),
        S.COMPLETED: _("It is done. A proxy worker will bring the result to your home."),
        S.DELIVERED: _("It is done and has been brought to your home."),
        S.CANCELLED: _("This errand was cancelled. If you have questions, please call your service point."),
    }[S(errand.state)]


def _contact(errand: Errand) -> tuple[str, ServicePoint]:
    """Who handles it, and the point to call: the holding point, or for an errand at a
    joint branch the resident's own grid point (a branch has no public number)."""
    if errand.holder_point is not None:
        return errand.holder_point.name, errand.holder_point
    assert errand.holder_branch is not None
    return errand.holder_branch.name, chain_point(resident=errand.resident, tier=ServicePoint.Tier.GRID_POINT)


def errand_progress(errand: Errand) -> Progress:
    handler, point = _contact(errand)
    cancelled = errand.state == S.CANCELLED
    open_ = errand.state not in {S.COMPLETED, S.DELIVERED, S.CANCELLED}
    trips = TripsSaved.objects.filter(errand=errand).values_list("trips", flat=True).first() or 0
    delivered = errand.state == S.DELIVERED
    return Progress(
        code=codes.shown(errand.progress_code),
        name_masked=mask_name(errand.resident.name),
        service=errand.service.name,
        headline=_headline(errand),
        received_on=timezone.localdate(errand.requested_at),
        due_on=errand.due_on if open_ else None,
        steps=[] if cancelled else _steps(received=True, current=STEP_OF_STATE[S(errand.state)]),
        materials_needed=[m for m in errand.service.materials if m not in errand.materials_collected] if open_ else [],
        handler=handler,
        contact_name=point.name,
        contact_phone=point.phone,
        delivered_at=errand.delivered_at,
        trips_saved=trips if delivered else 0,
        closed=cancelled or delivered,
        may_rate=delivered and errand.resident_rating is None,
        rating=errand.resident_rating,
        rating_token=rating_token(errand) if delivered and errand.resident_rating is None else "",
    )


def rating_token(errand: Errand) -> str:
    return signing.dumps(str(errand.pk), salt=RATING_SALT, compress=True)


class RatingRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def errand_rate_by_resident(*, token: str, rating: int) -> Errand:
    """The resident's own 1–5 rating of a delivered errand, once. ``token`` comes from a
    progress page shown after the code and phone matched (valid RATING_TOKEN_DAYS)."""
    try:
        errand_id = signing.loads(token, salt=RATING_SALT, max_age=timedelta(days=RATING_TOKEN_DAYS))
    except signing.BadSignature as error:
        raise RatingRefused(
            _("This page is too old to rate from. Look the errand up again with its code, then rate it.")
        ) from error
    if rating not in range(1, 6):
        raise RatingRefused(_("Choose from one to five stars."))
    errand = Errand.objects.select_for_update(of=("self",)).select_related(*ERRAND_RELATED).filter(pk=errand_id).first()
    if errand is None:
        raise RatingRefused(_("This errand is no longer on record."))
    if errand.state != S.DELIVERED:
        raise RatingRefused(_("An errand can be rated once it has been brought home."))
    if errand.resident_rating is not None:
        raise RatingRefused(_("This errand has been rated already. Thank you!"))
    errand.resident_rating, errand.resident_rated_at = rating, timezone.now()
    errand.save(update_fields=["resident_rating", "resident_rated_at"])
    return errand
