"""Writes of online orders (线上点单): an order sent from a point's public QR form, and
its confirmation into an errand or its rejection by the point's staff.

The public side trusts nothing: every field is checked here; each page of the form
carries a signed, expiring, single-use token bound to the point and to the visitor's
address (no cookie), so a page elsewhere cannot post orders from its visitors' browsers;
and an order over a limit (counted from the database, no cache needed) is refused before
anything is written. The limits are keyed so that a stranger cannot lock a resident out:
per phone *and* address a day, per address an hour, and per point an hour. The staff
side locks the order, so confirming twice (two colleagues, a double tap) opens exactly
one errand.
"""

import re
import secrets
import unicodedata
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grid.models import ServicePoint, User
from outreach.common.errors import Conflict
from outreach.common.limits import max_length
from outreach.errands.chain import TIER_ROLE
from outreach.errands.notifications import services as notify
from outreach.errands.orders.selectors import orders_visible_to
from outreach.errands.services import errand_create
from outreach.models import Errand, Notification, OnlineOrder, Resident, ServiceType, UsedOrderFormToken
from outreach.residents.selectors import residents_visible_to
from outreach.tracking import codes

NAME_MAX = max_length(OnlineOrder, "name")
DESCRIPTION_MAX = max_length(OnlineOrder, "description")
NOTE_MAX = max_length(OnlineOrder, "handled_note")

MOBILE = re.compile(r"1[3-9]\d{9}")
# An area code (010, 02x, or 0 and three digits) and a local number of 7–8 digits not
# starting with 0 or 1; the area code may be left out for a number of the city itself.
LANDLINE = re.compile(r"(0(?:10|2\d|[3-9]\d\d))?([2-9]\d{6,7})")


class OrderRefused(Exception):
    """An order refused as a whole, with what to tell the sender: nothing was stored."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class OrderLimitReached(OrderRefused):
    """Too many orders from one phone and address, one address, or to one point."""


class OrderFormStale(OrderRefused):
    """The form's token is missing, forged, expired, for another point or address, or
    spent; the page is shown again with a fresh token."""


# --- the form's token ---------------------------------------------------------------------

FORM_TOKEN_SALT = "outreach.errands.orders.form"


def _address_tag(address: str | None) -> str:
    """The visitor's address in the token, as a short keyed digest (the token is readable)."""
    return signing.Signer(salt=FORM_TOKEN_SALT + ".address").signature(address or "-")[:16]


def order_form_token(*, point: ServicePoint, address: str | None) -> str:
    """The token a page of ``point``'s form is issued with, for the visitor at ``address``."""
    return signing.dumps(
        {"point": point.pk, "from": _address_tag(address), "nonce": secrets.token_urlsafe(12)}, salt=FORM_TOKEN_SALT
    )


def _spend_form_token(*, token: str, point: ServicePoint, address: str | None, now: datetime) -> None:
    """Check ``token`` and record it spent (in the caller's transaction: an order refused
    later leaves it unspent). Spent tokens are kept only while they could still be valid."""
    max_age = settings.DAIBAN_ORDER_FORM_SECONDS
    stale = _(
        "This page was open too long or did not come from this service point's poster. Nothing was sent yet: "
        "check what you wrote and tap Send again."
    )
    try:
        data = signing.loads(token or "", salt=FORM_TOKEN_SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired too
        raise OrderFormStale(stale) from None
    if not isinstance(data, dict) or data.get("point") != point.pk or data.get("from") != _address_tag(address):
        raise OrderFormStale(stale)
    UsedOrderFormToken.objects.filter(used_at__lt=now - timedelta(seconds=max_age)).delete()
    try:
        with transaction.atomic():
            UsedOrderFormToken.objects.create(nonce=str(data.get("nonce", ""))[:32], used_at=now)
    except IntegrityError:
        raise OrderFormStale(
            _(
                "This page has been sent already, and that request has arrived: the point will call you back. "
                "To ask for something else, fill in the form again."
            )
        ) from None


def clean_order_phone(value: str) -> str:
    """A mainland mobile (13800138000) or landline (0579-85123456) number, as typed on a
    phone: full-width digits, spaces, dashes, brackets and +86 are accepted and dropped,
    so the per-phone limit sees one number however it was written."""
    compact = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", value or ""))
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            compact = compact.removeprefix(prefix)
            break
    if not compact:
        raise ValidationError(_("Give a phone number: the point calls you back on it."), code="required")
    if MOBILE.fullmatch(compact):
        return compact
    landline = LANDLINE.fullmatch(compact)
    if landline:
        area, local = landline.groups()
        return f"{area}-{local}" if area else local
    raise ValidationError(
        _(
            "“%(value)s” is not a phone number we can call back: give a mobile number of 11 digits starting with 1 "
            "(such as 13800138000) or a landline with its area code (such as 0579-85123456)."
        )
        % {"value": value.strip()},
        code="phone",
    )


def clean_order_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise ValidationError(_("Give a name, so the point knows whom to ask for."), code="required")
    if len(name) > NAME_MAX:
        raise ValidationError(
            _("A name has at most %(max)d characters; this one has %(n)d.") % {"max": NAME_MAX, "n": len(name)},
            code="max_length",
        )
    return name


def clean_order_description(value: str, *, service: ServiceType | None) -> str:
    """What is needed, in the sender's words: required when no catalogue service fits."""
    description = (value or "").strip()
    if service is None and not description:
        raise ValidationError(_("You chose “Something else”: say in a few words what you need."), code="required")
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(
            _("Keep it to %(max)d characters; this has %(n)d. The point will ask for details when it calls.")
            % {"max": DESCRIPTION_MAX, "n": len(description)},
            code="max_length",
        )
    return description


def _clean_order(*, name: str, phone: str, service: ServiceType | None, description: str) -> dict:
    """Every field checked, every error reported at once."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {"service": service}
    for field, check in [
        ("name", lambda: clean_order_name(name)),
        ("phone", lambda: clean_order_phone(phone)),
        ("description", lambda: clean_order_description(description, service=service)),
    ]:
        try:
            cleaned[field] = check()
        except ValidationError as error:
            errors[field] = error.messages
    if service is not None and not service.is_active:
        errors["service"] = [
            _("“%(service)s” is no longer offered; choose another service or “Something else”.") % {"service": service}
        ]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_limits(*, point: ServicePoint, phone: str, address: str | None, now: datetime) -> None:
    """Rolling windows, counting every order whatever became of it. A phone is limited per
    day only together with the address it is sent from, so a stranger who types a
    resident's number elsewhere cannot use up the resident's own requests; an address is
    limited per hour at any point; a point takes at most so many orders an hour from
    everyone, so a flood cannot bury its staff."""
    urgent = (
        _(" If it is urgent, call %(point)s on %(phone)s.") % {"point": point.name, "phone": point.phone}
        if point.phone
        else ""
    )
    per_phone = settings.DAIBAN_ORDER_LIMIT_PER_PHONE_PER_DAY
    day = OnlineOrder.objects.filter(phone=phone, address=address, created_at__gt=now - timedelta(days=1))
    if day.count() >= per_phone:
        raise OrderLimitReached(
            _(
                "This phone number has already sent %(limit)d requests from this network in the last 24 hours, "
                "the most we take. They have arrived: the point will call you back."
            )
            % {"limit": per_phone}
            + urgent
        )
    per_address = settings.DAIBAN_ORDER_LIMIT_PER_ADDRESS_PER_HOUR
    recent = OnlineOrder.objects.filter(address=address, created_at__gt=now - timedelta(hours=1))
    if address and recent.count() >= per_address:
        raise OrderLimitReached(
            _(
                "Too many requests have come from this network in the last hour (at most %(limit)d). "
                "Please try again in an hour."
            )
            % {"limit": per_address}
            + urgent
        )
    per_point = settings.DAIBAN_ORDER_LIMIT_PER_POINT_PER_HOUR
    if OnlineOrder.objects.filter(point=point, created_at__gt=now - timedelta(hours=1)).count() >= per_point:
        raise OrderLimitReached(
            _(
                "%(point)s has received %(limit)d requests in the last hour, as many as it takes in an hour. "
                "Please try again in an hour."
            )
            % {"point": point.name, "limit": per_point}
            + urgent
        )


def point_staff(point: ServicePoint) -> list[User]:
    """Who is told that an order arrived: the point's proxy agents and the staff of the
    point's own tier at its area (the grid's workers, the community's station staff,
    the street's officials). Their superiors see the order on their list, unprompted."""
    role = TIER_ROLE[point.tier]
    staff = Q(scopes__role=role, scopes__area_id=point.area_id) | Q(service_points=point)
    return list(User.objects.filter(staff, is_active=True).distinct().order_by("pk"))


@transaction.atomic
def order_submit(
    *,
    point: ServicePoint,
    name: str,
    phone: str,
    service: ServiceType | None,
    description: str = "",
    address: str | None = None,
    form_token: str,
) -> OnlineOrder:
    """Store an order sent from ``point``'s public form and tell the point's staff.
    Raises ValidationError (by field), OrderFormStale or OrderLimitReached; whichever,
    nothing is stored."""
    cleaned = _clean_order(name=name, phone=phone, service=service, description=description)
    # Orders to one point are taken one at a time, so two sent at once from the same
    # phone cannot both slip under the limit.
    ServicePoint.objects.select_for_update().filter(pk=point.pk).values_list("pk").first()
    now = timezone.now()
    _spend_form_token(token=form_token, point=point, address=address, now=now)
    _check_limits(point=point, phone=cleaned["phone"], address=address, now=now)
    order = OnlineOrder.objects.create(
        point=point, address=address, created_at=now, progress_code=codes.new_code(), **cleaned
    )
    # Written for the staff, in the site's language, whatever the sender's browser speaks.
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Online order at %(point)s: %(name)s · %(service)s") % {
            "point": point.name,
            "name": order.name,
            "service": service or _("something else"),
        }
    notify.send(users=point_staff(point), kind=Notification.Kind.ORDER, order=order, text=text)
    return order


THANKS_SALT = "outreach.errands.orders.thanks"


def thanks_token(order: OnlineOrder) -> str:
    """What the thank-you page's address carries: the order's progress code, signed."""
    return signing.dumps(order.progress_code, salt=THANKS_SALT)


def progress_code_from_thanks_token(token: str) -> str:
    """The progress code a thank-you page may show: from a token signed within the last
    day, or none (a page bookmarked or passed on shows no code)."""
    try:
        code = signing.loads(token, salt=THANKS_SALT, max_age=timedelta(days=1))
    except signing.BadSignature:
        return ""
    return code if isinstance(code, str) and codes.is_well_formed(code) else ""


def already_handled(order: OnlineOrder) -> Conflict:
    """What confirming or rejecting an order that no longer waits answers."""
    return Conflict(
        _("This order was already %(status)s by %(who)s; nothing was changed.")
        % {"status": order.get_status_display(), "who": order.handled_by},
        order,
    )


def _pending_locked(*, actor: User, order: OnlineOrder) -> OnlineOrder:
    current = (
        orders_visible_to(user=actor)
        .select_for_update(of=("self",))
        .select_related("point", "handled_by")
        .filter(pk=order.pk)
        .first()
    )
    if current is None:
        raise ValidationError(_("This order is not at a point you look after."))
    if current.status != OnlineOrder.Status.PENDING:
        raise already_handled(current)
    return current


def _clean_note(note: str, *, field: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {field: _("Keep the note to %(max)d characters; this has %(n)d.") % {"max": NOTE_MAX, "n": len(note)}}
        )
    return note


def _handled(order: OnlineOrder) -> None:
    """The order no longer waits: its "waiting for confirmation" notices go quiet for
    everyone who got one, not only for whoever handled it."""
    Notification.objects.filter(order=order, kind=Notification.Kind.ORDER, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def order_confirm(
    *, actor: User, order: OnlineOrder, resident: Resident, service: ServiceType, note: str = ""
) -> Errand:
    """Turn a pending order into an errand (source "online") for a resident the actor
    looks after. A second confirmation raises Conflict and opens nothing."""
    note = _clean_note(note, field="note")
    current = _pending_locked(actor=actor, order=order)
    if not residents_visible_to(user=actor).filter(pk=resident.pk, status=Resident.Status.ACTIVE).exists():
        raise ValidationError(
            {
                "resident": _(
                    "%(name)s is not an active resident you look after; choose another or register them first."
                )
                % {"name": resident.name}
            }
        )
    lines = [
        _("Online order from %(name)s, %(phone)s, at %(point)s.")
        % {"name": current.name, "phone": current.phone, "point": current.point.name}
    ]
    if current.description:
        lines.append(current.description)
    # The promised days run from when the resident asked, not from when staff got to it.
    errand, _created = errand_create(
        actor=actor,
        errand_id=uuid.uuid4(),
        resident=resident,
        service=service,
        source=Errand.Source.ONLINE,
        description="\n".join(lines),
        requested_at=current.created_at,
        progress_code=current.progress_code,  # the code the thank-you page gave goes on
    )
    current.status, current.errand, current.handled_by, current.handled_note = (
        OnlineOrder.Status.CONFIRMED,
        errand,
        actor,
        note,
    )
    current.save(update_fields=["status", "errand", "handled_by", "handled_note"])
    _handled(current)
    return errand


@transaction.atomic
def order_reject(*, actor: User, order: OnlineOrder, reason: str) -> OnlineOrder:
    """Close a pending order without an errand (a prank, a duplicate, not something we
    run), saying why."""
    reason = _clean_note(reason, field="reason")
    if not reason:
        raise ValidationError(
            {"reason": _("Say why the order is rejected (for example: duplicate, called back and not needed).")}
        )
    current = _pending_locked(actor=actor, order=order)
    current.status, current.handled_by, current.handled_note = OnlineOrder.Status.REJECTED, actor, reason
    current.save(update_fields=["status", "handled_by", "handled_note"])
    _handled(current)
    return current
