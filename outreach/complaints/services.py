"""Writes of the "跑一次没办成" complaints window: registering a person who had to come
more than once (handled on the spot, or assigned to the joint branch over the
department's windows) and the branch's answer. Each is one transaction; the complaint
row itself records who registered and who answered, and when."""

import re
import secrets
import unicodedata
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grid.models import Area, Department, JointBranch, Scope, ServicePoint, ServiceWindow, User
from outreach.common import due
from outreach.common.errors import Conflict
from outreach.complaints.selectors import answers_for_branch, complaint_points_for
from outreach.errands.notifications import services as notify
from outreach.models import Complaint, Notification, ServiceType

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

MAX_TRIPS = 99

# Shared with the form, so a field left empty reads the same whichever layer notices.
NAME_MISSING = gettext_lazy("Enter the name of the person who had to come back.")
PHONE_MISSING = gettext_lazy("Enter a phone number so the branch can call the person back.")
DEPARTMENT_MISSING = gettext_lazy("Choose the department concerned (or a service: its department is used).")
WHAT_MISSING = gettext_lazy("Say what happened: what the person came for and why it was not done.")
TOO_FEW_TRIPS = gettext_lazy("This window is for people who came at least twice: enter 2 or more trips.")
RESOLUTION_MISSING = gettext_lazy("Say what was done on the spot.")
AREA_NOT_THE_CENTRES = gettext_lazy(
    "Choose a community or village of the street where the complaint is registered, or leave it empty."
)
POINT_NOT_YOURS = gettext_lazy(
    "Choose one of your street proxy centres: complaints are registered where the person came."
)

_PHONE = re.compile(r"^\+?[0-9()\- ]+$")
_NUMBER_ATTEMPTS = 5


def clean_phone(value: str) -> str:
    """A mobile or landline number as people say it: full-width digits from a Chinese
    keyboard are folded to ASCII, spaces and dashes kept as typed."""
    phone = unicodedata.normalize("NFKC", value or "").strip()
    digits = sum(ch.isdigit() for ch in phone)
    if not phone:
        raise ValidationError(PHONE_MISSING)
    if not _PHONE.match(phone) or not 7 <= digits <= 15:
        raise ValidationError(
            _("“%(value)s” is not a phone number: use 7 to 15 digits, with spaces, +, - or brackets.")
            % {"value": value}
        )
    return phone


def branch_for_department(department: Department) -> JointBranch:
    """The joint branch whose windows handle the department (the lowest-numbered window
    decides when, unusually, a department's windows sit in two branches)."""
    window = (
        ServiceWindow.objects.filter(department=department, branch__isnull=False)
        .select_related("branch")
        .order_by("number")
        .first()
    )
    if window is None:
        raise ValidationError(
            {
                "department": _(
                    "No joint branch has a window for %(department)s, so nobody could answer this complaint. "
                    "Handle it on the spot, or ask the administrator to attach the department's windows to a branch."
                )
                % {"department": department}
            }
        )
    assert window.branch is not None  # filtered on branch__isnull=False
    return window.branch


def branch_members(branch: JointBranch) -> list[User]:
    """The secretary and everyone scoped to the branch: who hears of a new complaint."""
    users = [s.user for s in Scope.objects.filter(branch=branch).select_related("user")]
    if branch.secretary is not None:
        users.append(branch.secretary)
    return users


def _number(today: date) -> str:
    return f"TS{today:%y%m%d}-{secrets.token_hex(3).upper()}"


def _area_of_point(area: Area, point: ServicePoint | None) -> bool:
    """A community or village under the town of the street centre ``point``."""
    return (
        point is not None
        and area.level == Area.Level.COMMUNITY
        and area.path.startswith(point.area.path)
        and area.pk != point.area_id
    )


def _may_register_at(actor: User, point: ServicePoint | None) -> bool:
    return point is not None and complaint_points_for(user=actor).filter(pk=point.pk).exists()


def complaint_register(
    *,
    actor: User,
    point: ServicePoint | None,
    name: str,
    phone: str,
    service: ServiceType | None,
    department: Department | None,
    what_happened: str,
    trips: int | None,
    handled_on_spot: bool,
    resolution: str = "",
    deadline: date | None = None,
    area: Area | None = None,
    registered_at: datetime | None = None,
) -> Complaint:
    """Register someone who had to come more than once. Handled on the spot, it is
    closed at once with what was done; otherwise it goes to the joint branch over the
    department's windows with a deadline (default: five working days), and the branch
    is notified. ``area``: the community or village the person lives in, when known
    (under the centre's town). ``registered_at``: when it was registered, if not now
    (the demo's history); the number and the default deadline follow that day."""
    now = registered_at or timezone.now()
    today = timezone.localdate(now)
    department = department or (service.department if service is not None else None)
    errors: dict[str, str | StrPromise] = {}
    if not _may_register_at(actor, point):
        errors["point"] = POINT_NOT_YOURS
    name, what_happened, resolution = (name or "").strip(), (what_happened or "").strip(), (resolution or "").strip()
    if not name:
        errors["name"] = NAME_MISSING
    if area is not None and not _area_of_point(area, point):
        errors["area"] = AREA_NOT_THE_CENTRES
    try:
        phone = clean_phone(phone)
    except ValidationError as error:
        errors["phone"] = error.messages[0]
    if department is None:
        errors["department"] = DEPARTMENT_MISSING
    if not what_happened:
        errors["what_happened"] = WHAT_MISSING
    if trips is None or trips < 2:
        errors["trips"] = TOO_FEW_TRIPS
    elif trips > MAX_TRIPS:
        errors["trips"] = _("At most %(max)d trips; check the number.") % {"max": MAX_TRIPS}
    branch = None
    if handled_on_spot:
        if not resolution:
            errors["resolution"] = RESOLUTION_MISSING
        deadline = None
    else:
        deadline = deadline or due.complaint_default_deadline(today)
        if deadline <= today:
            errors["deadline"] = _("The deadline must be after today (%(today)s).") % {"today": today.isoformat()}
        if department is not None:
            try:
                branch = branch_for_department(department)
            except ValidationError as error:
                errors["department"] = error.message_dict["department"][0]
        resolution = ""  # the branch writes the answer
    if errors:
        raise ValidationError(errors)
    assert trips is not None  # checked above

    complaint = Complaint(
        name=name,
        area=area,
        phone=phone,
        service=service,
        department=department,
        what_happened=what_happened,
        trips=trips,
        point=point,
        registered_by=actor,
        registered_at=now,
        handled_on_spot=handled_on_spot,
        branch=branch,
        deadline=deadline,
        resolution=resolution,
        state=Complaint.State.CLOSED if handled_on_spot else Complaint.State.OPEN,
        resolved_by=actor if handled_on_spot else None,
        resolved_at=now if handled_on_spot else None,
    )
    with transaction.atomic():
        _insert_with_number(complaint, today)
        if branch is not None:
            assert deadline is not None  # a complaint sent to a branch has a deadline
            notify.send(
                users=[u for u in branch_members(branch) if u.pk != actor.pk],
                kind=Notification.Kind.COMPLAINT,
                complaint=complaint,
                # No name or phone: the text may leave through SMS backends; the page shows them.
                text=_("Complaint %(number)s · %(department)s · came %(trips)d times; answer by %(deadline)s")
                % {
                    "number": complaint.number,
                    "department": department,
                    "trips": trips,
                    "deadline": deadline.isoformat(),
                },
            )
    return complaint


def _insert_with_number(complaint: Complaint, today: date) -> None:
    # Six hex digits a day: a clash is rare, and a fresh draw settles it.
    for attempt in range(_NUMBER_ATTEMPTS):
        complaint.number = _number(today)
        try:
            with transaction.atomic():
                complaint.save(force_insert=True)
            return
        except IntegrityError:
            if attempt + 1 == _NUMBER_ATTEMPTS or not Complaint.objects.filter(number=complaint.number).exists():
                raise
            complaint.pk = None


@transaction.atomic
def complaint_resolve(*, actor: User, complaint: Complaint, resolution: str, expected_version: int) -> Complaint:
    """The branch's answer: closes the complaint. Someone else's answer first (a stale
    version) raises Conflict with the stored complaint."""
    current = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("point", "department", "service", "branch", "registered_by")
        .get(pk=complaint.pk)
    )
    if current.version != expected_version:
        raise Conflict(
            _("Someone else changed this complaint. Here is its current state; check it and try again."), current
        )
    if current.state != Complaint.State.OPEN:
        raise ValidationError({"resolution": _("This complaint is already closed.")})
    if not answers_for_branch(actor, current):
        raise ValidationError({"resolution": _("Only %(branch)s answers this complaint.") % {"branch": current.branch}})
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("Say what the branch did about it.")})
    current.resolution, current.state = resolution, Complaint.State.CLOSED
    current.resolved_by, current.resolved_at = actor, timezone.now()
    current.version = F("version") + 1
    current.save(update_fields=["resolution", "state", "resolved_by", "resolved_at", "version"])
    current.refresh_from_db(fields=["version"])
    return current
