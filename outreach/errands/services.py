"""Writes of errands: creation, every lifecycle transition, assignment, materials and
delivery. Each is one transaction that checks the version the user saw, writes the
errand and its timeline event, and queues notifications for after the commit."""

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grid.access import reach_of
from grid.models import JointBranch, ServicePoint, User
from outreach.common import due
from outreach.common.limits import max_length
from outreach.errands.chain import ROLE_TIER, chain_point, escalation_destinations
from outreach.errands.notifications import services as notify
from outreach.errands.selectors import assignable_scope
from outreach.models import Errand, ErrandEvent, ErrandPhoto, Notification, Resident, ServiceType, TripsSaved, Visit
from outreach.photos.services import PhotoUploads
from outreach.reporting import tallies
from outreach.residents.services import Conflict
from outreach.tracking import codes

State = Errand.State
Action = ErrandEvent.Action

OPEN_STATES: set[str] = {State.REQUESTED, State.ACCEPTED, State.IN_PROGRESS, State.NEEDS_MATERIALS, State.COMPLETED}
ESCALATABLE: set[str] = {State.REQUESTED, State.ACCEPTED, State.IN_PROGRESS, State.NEEDS_MATERIALS}

# action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[set[str], str]] = {
    Action.ACCEPT: ({State.REQUESTED}, State.ACCEPTED),
    Action.START: ({State.ACCEPTED}, State.IN_PROGRESS),
    Action.RETURN: ({State.IN_PROGRESS}, State.NEEDS_MATERIALS),
    Action.RESUME: ({State.NEEDS_MATERIALS}, State.IN_PROGRESS),
    Action.COMPLETE: ({State.IN_PROGRESS}, State.COMPLETED),
    Action.DELIVER: ({State.COMPLETED}, State.DELIVERED),
    Action.ESCALATE: (ESCALATABLE, State.REQUESTED),
    Action.CANCEL: (OPEN_STATES, State.CANCELLED),
}

# The longest reason for cancelling: the errand keeps it in a field of this size.
REASON_MAX_LENGTH = max_length(Errand, "cancel_reason")
# The longest note a step of an errand's timeline keeps (assigning, escalating,
# returning for materials, completing, delivering…), whichever door it comes through.
# 2,000 characters: what the API has always accepted, so nothing integrations already
# send is refused now; the timeline stores notes as text, so the size is a choice.
NOTE_MAX_LENGTH = 2000
# What an errand says is needed (its description), whichever door it comes through: the
# same 2,000 characters the API has always accepted.
DESCRIPTION_MAX_LENGTH = 2000
# What a form field of an errand step may hold, by the field's name (its maxlength).
WORDS_MAX_LENGTH = {"note": NOTE_MAX_LENGTH, "reason": REASON_MAX_LENGTH}


def next_actions(errand: Errand) -> list[str]:
    """The transitions open to an errand in its state, in the order buttons show them."""
    actions = [a for a, (sources, _target) in TRANSITIONS.items() if errand.state in sources]
    if errand.holder_branch_id and Action.ESCALATE in actions:
        actions.remove(Action.ESCALATE)  # a joint branch is the top of the chain
    return actions


def holder_label(*, point: ServicePoint | None = None, branch: JointBranch | None = None) -> str:
    return str(point or branch or "")


def may_act(user: User, errand: Errand) -> bool:
    """The assignee, staff whose areas cover the holding point, and the members of the
    holding joint branch may change an errand."""
    if errand.assignee_id == user.pk:
        return True
    reach = reach_of(user)
    if reach.is_city_admin:
        return True
    if errand.holder_branch_id:
        return errand.holder_branch_id in reach.branch_ids
    assert errand.holder_point is not None  # an errand is held by a point or by a branch
    point_path = errand.holder_point.area.path
    return any(point_path.startswith(path) for path in reach.area_paths)


def may_cancel(user: User, errand: Errand) -> bool:
    """Cancelling is for those who hand errands out (the board's roles) over errands they
    may change, and for whoever opened the errand (a request taken at the door by mistake)."""
    return may_act(user, errand) and (reach_of(user).may_use_board() or errand.created_by_id == user.pk)


def actions_for(user: User, errand: Errand) -> list[str]:
    """The steps this user may take on the errand now, in the order buttons show them."""
    if not may_act(user, errand):
        return []
    return [a for a in next_actions(errand) if a != Action.CANCEL or may_cancel(user, errand)]


def materials_missing(errand: Errand) -> list[str]:
    """The checklist's items not ticked yet, in checklist order."""
    return [m for m in errand.service.materials if m not in errand.materials_collected]


def clean_note(note: str) -> str:
    """A note for the timeline, trimmed; too long is refused, never cut."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "note": _("Keep the note to at most %(max)d characters (this one has %(length)d).")
                % {"max": NOTE_MAX_LENGTH, "length": len(note)}
            }
        )
    return note


def _digest(**fields: object) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


# How many hex digits of the id the errand number shows: six, unless another errand of
# the same day already shows those six (ids come from clients, so only the whole id is
# unique); then more, up to what the number's 20 characters hold.
NUMBER_DIGITS = (6, 8, 11)


def _number(errand_id: uuid.UUID, today: date, digits: int = NUMBER_DIGITS[0]) -> str:
    return f"DB{today:%y%m%d}-{errand_id.hex[:digits].upper()}"


def _event(
    errand: Errand,
    *,
    actor: User,
    action: str,
    from_state: str = "",
    from_holder: str = "",
    note: str = "",
    assignee: User | None = None,
) -> ErrandEvent:
    return ErrandEvent.objects.create(
        errand=errand,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=errand.state,
        from_holder=from_holder,
        to_holder=holder_label(point=errand.holder_point, branch=errand.holder_branch),
        assignee=assignee,
        note=note,
    )


def errand_create(
    *,
    actor: User,
    errand_id: uuid.UUID,
    resident: Resident,
    service: ServiceType,
    source: str,
    description: str = "",
    visit: Visit | None = None,
    requested_at: datetime | None = None,
    progress_code: str | None = None,
) -> tuple[Errand, bool]:
    """Open an errand at the lowest point that can handle the service. The same id with
    the same content again returns the stored errand (created=False); other content
    under the same id raises Conflict. It gets a new progress code unless it carries on
    an online order's (``progress_code``)."""
    if source not in Errand.Source.values:
        raise ValidationError({"source": _("Unknown source of the errand.")})
    if not service.is_active:
        raise ValidationError({"service": _("This service is no longer offered.")})
    if visit is not None and visit.resident_id != resident.pk:
        raise ValidationError({"visit": _("The visit is of another resident.")})
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {
                "description": _("Say what is needed in at most %(max)d characters (this has %(length)d).")
                % {"max": DESCRIPTION_MAX_LENGTH, "length": len(description)}
            }
        )
    digest = _digest(
        resident=resident.pk,
        service=service.pk,
        source=source,
        description=description.strip(),
        visit=str(visit.pk) if visit else None,
    )
    existing = Errand.objects.filter(pk=errand_id).first()
    if existing is not None:
        return _replayed(existing, digest), False
    requested_at = requested_at or timezone.now()
    point = chain_point(resident=resident, tier=service.lowest_tier)
    # A grid worker who takes the errand at the door keeps it when their point can handle it.
    assignee = actor if point.agents.filter(pk=actor.pk).exists() else None
    errand = Errand(
        id=errand_id,
        resident=resident,
        service=service,
        source=source,
        visit=visit,
        description=description.strip(),
        holder_point=point,
        assignee=assignee,
        requested_at=requested_at,
        due_on=due.errand_due_on(requested_at=requested_at, promised_days=service.promised_days),
        progress_code=progress_code or codes.new_code(),
        content_digest=digest,
        created_by=actor,
    )
    for digits in NUMBER_DIGITS:
        errand.number = _number(errand_id, timezone.localdate(requested_at), digits)
        try:
            with transaction.atomic():
                errand.save(force_insert=True)
                _event(errand, actor=actor, action=Action.CREATED, assignee=assignee, note=errand.description)
                if assignee is None:
                    notify.errand_arrived(errand=errand, kind=Notification.Kind.ESCALATED, exclude=actor)
                tallies.errand_received(errand)  # last: the area's day row stays locked until the commit
        except IntegrityError:
            existing = Errand.objects.filter(pk=errand_id).first()
            if existing is not None:  # the same id stored meanwhile: a replay
                return _replayed(existing, digest), False
            if digits == NUMBER_DIGITS[-1] or not Errand.objects.filter(number=errand.number).exists():
                raise
            continue  # another errand of the day shows these digits: show more
        return errand, True
    raise AssertionError("unreachable: the last digit count stores the errand or raises")


def errand_id_for_visit(visit_id: uuid.UUID) -> uuid.UUID:
    """The errand opened from a visit form gets an id derived from the visit's, so a
    form sent twice opens it once."""
    return uuid.uuid5(visit_id, "errand")


def _replayed(existing: Errand, digest: str) -> Errand:
    if existing.content_digest != digest:
        raise Conflict(_("A different errand was already stored under this id."), existing)
    return existing


def _locked(errand: Errand, expected_version: int, actor: User) -> Errand:
    current = (
        Errand.objects.select_for_update(of=("self",))
        .select_related("holder_point__area", "service", "resident__grid")
        .get(pk=errand.pk)
    )
    if current.version != expected_version:
        raise Conflict(
            _("Someone else changed this errand. Here is its current state; check it and try again."), current
        )
    if not may_act(actor, current):
        raise ValidationError(
            _("You cannot change this errand while it is held at %(holder)s.")
            % {"holder": holder_label(point=current.holder_point, branch=current.holder_branch)}
        )
    return current


def _check_transition(errand: Errand, action: str) -> str:
    if action not in TRANSITIONS:
        raise ValidationError({"action": _("Unknown action “%(action)s”.") % {"action": action}})
    sources, target = TRANSITIONS[action]
    if errand.state not in sources or action not in next_actions(errand):
        raise ValidationError(
            {
                "action": _("An errand that is “%(state)s” cannot be “%(action)s”.")
                % {"state": errand.get_state_display(), "action": Action(action).label}
            }
        )
    return target


def _save(errand: Errand, fields: list[str]) -> Errand:
    errand.version = F("version") + 1
    errand.save(update_fields=[*fields, "version"])
    errand.refresh_from_db(fields=["version"])
    return errand


@transaction.atomic
def errand_transition(
    *, actor: User, errand: Errand, action: str, expected_version: int, note: str = "", reason: str = ""
) -> Errand:
    """Move an errand along its lifecycle (accept, start, return, resume, complete,
    escalate, cancel). Delivery has its own service: it needs more than a note."""
    if action == Action.DELIVER:
        raise ValidationError(
            {"action": _("Record a delivery with how the result went back and the resident's satisfaction.")}
        )
    note = clean_note(note)
    current = _locked(errand, expected_version, actor)
    target = _check_transition(current, action)
    from_state, from_holder = current.state, holder_label(point=current.holder_point, branch=current.holder_branch)
    fields = ["state"]
    if action == Action.CANCEL:
        reason = (reason or note).strip()
        if not reason:
            raise ValidationError({"reason": _("Say why the errand is cancelled.")})
        if len(reason) > REASON_MAX_LENGTH:
            raise ValidationError(
                {
                    "reason": _("Say why the errand is cancelled in at most %(n)d characters (this is %(length)d).")
                    % {"n": REASON_MAX_LENGTH, "length": len(reason)}
                }
            )
        current.cancel_reason, current.closed_at = reason, timezone.now()
        fields += ["cancel_reason", "closed_at"]
    if action == Action.CANCEL and not may_cancel(actor, current):
        raise ValidationError(
            {"action": _("Only the office that hands the errand out, or whoever opened it, can cancel it.")}
        )
    if action == Action.RETURN and not note:
        raise ValidationError({"note": _("Say which materials are missing.")})
    if action == Action.ESCALATE:
        if not note:
            raise ValidationError({"note": _("Say why the errand cannot be handled here.")})
        _escalate(current, actor)
        fields += ["holder_point", "holder_branch", "assignee"]
    if action == Action.COMPLETE:
        missing = materials_missing(current)
        if missing and not note:
            raise ValidationError(
                {
                    "note": _(
                        "%(n)d required materials are not ticked (%(missing)s). Tick them, "
                        "or write why the errand is done without them."
                    )
                    % {"n": len(missing), "missing": "、".join(missing)}
                }
            )
        current.completed_at, current.materials_waiver = timezone.now(), note if missing else ""
        fields += ["completed_at", "materials_waiver"]
    current.state = target
    _save(current, fields)
    _event(
        current,
        actor=actor,
        action=action,
        from_state=from_state,
        from_holder=from_holder,
        note=reason if action == Action.CANCEL else note,
    )
    if action == Action.ESCALATE:
        notify.errand_arrived(errand=current, kind=Notification.Kind.ESCALATED, exclude=actor)
    notify.errand_progress_sms(errand=current)  # accepted, done: to a resident who agreed
    if action == Action.COMPLETE:
        tallies.errand_completed(current)  # last: the area's day row stays locked until the commit
    return current


def _escalate(errand: Errand, actor: User) -> None:
    """Up only: to the tier above both the holder and the actor (chain.escalation_destinations)."""
    destination = escalation_destinations(user=actor, errands=[errand])[errand.pk]
    if destination.problem:
        raise ValidationError({"action": destination.problem})
    errand.holder_point, errand.holder_branch = destination.point, destination.branch
    errand.assignee = None


@transaction.atomic
def errand_assign(*, actor: User, errand: Errand, assignee: User, expected_version: int, note: str = "") -> Errand:
    """Give an errand to a person; it moves to that person's point in the resident's
    chain (or stays with the branch), so it shows on their list."""
    note = clean_note(note)
    current = _locked(errand, expected_version, actor)
    if current.state in {State.DELIVERED, State.CANCELLED}:
        raise ValidationError({"assignee": _("A closed errand cannot be assigned.")})
    scope = assignable_scope(errand=current, user_id=assignee.pk)
    if scope is None:
        raise ValidationError({"assignee": _("%(name)s does not serve this resident's area.") % {"name": assignee}})
    from_holder = holder_label(point=current.holder_point, branch=current.holder_branch)
    if scope.branch_id:  # the branch's secretary or one of its members: the errand stays with the branch
        current.holder_point, current.holder_branch = None, scope.branch
    else:
        tier = ROLE_TIER[scope.role]
        current.holder_point, current.holder_branch = chain_point(resident=current.resident, tier=tier), None
    current.assignee = assignee
    _save(current, ["holder_point", "holder_branch", "assignee"])
    _event(
        current,
        actor=actor,
        action=Action.ASSIGN,
        from_state=current.state,
        from_holder=from_holder,
        assignee=assignee,
        note=note,
    )
    if assignee.pk != actor.pk:
        notify.send(
            users=[assignee],
            kind=Notification.Kind.ASSIGNED,
            errand=current,
            text=_("%(actor)s gave you the errand %(number)s · %(service)s")
            % {"actor": actor, "number": current.number, "service": current.service},
        )
    return current


@transaction.atomic
def errand_set_material(
    *, actor: User, errand: Errand, material: str, collected: bool, expected_version: int | None = None
) -> Errand:
    """Tick or untick one item of the materials checklist. Ticks do not change the
    errand's version: the row lock already keeps two ticks from overwriting each other,
    and a tick must not make the other buttons on the same page stale."""
    current = (
        Errand.objects.select_for_update(of=("self",)).select_related("holder_point__area", "service").get(pk=errand.pk)
    )
    if not may_act(actor, current):
        raise ValidationError(
            _("You cannot change this errand while it is held at %(holder)s.")
            % {"holder": holder_label(point=current.holder_point, branch=current.holder_branch)}
        )
    if material not in current.service.materials:
        raise ValidationError(
            {"material": _("“%(material)s” is not on this service's checklist.") % {"material": material}}
        )
    if not current.is_open:
        raise ValidationError({"material": _("The errand is closed.")})
    have = [m for m in current.materials_collected if m != material]
    if collected:
        have.append(material)
    current.materials_collected = [m for m in current.service.materials if m in have]  # checklist order
    current.save(update_fields=["materials_collected"])
    _event(
        current,
        actor=actor,
        action=Action.MATERIALS,
        from_state=current.state,
        from_holder=holder_label(point=current.holder_point, branch=current.holder_branch),
        note=("✓ " if collected else "✗ ") + material,
    )
    return current


def errand_deliver(
    *,
    actor: User,
    errand: Errand,
    expected_version: int,
    via: str,
    satisfaction: int | None,
    uploads: Iterable[UploadedFile] = (),
    note: str = "",
) -> Errand:
    """Record how the result went back to the resident, their satisfaction and the
    receipt photo, and add the trips saved to the resident's ledger."""
    errors: dict[str, str | list[str]] = {}
    if via not in Errand.Delivery.values:
        errors["via"] = _("Say how the result went back to the resident.")
    if satisfaction is not None and not 1 <= int(satisfaction) <= 5:
        errors["satisfaction"] = _("Satisfaction is 1 to 5.")
    try:
        note = clean_note(note)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    photos = PhotoUploads(ErrandPhoto, uploads, too_many=_("A delivery can have at most %(n)d receipt photos."))
    with photos.cleanup_on_failure(), transaction.atomic():
        current = _locked(errand, expected_version, actor)
        _check_transition(current, Action.DELIVER)
        now = timezone.now()
        from_state = current.state
        current.state, current.delivered_via, current.delivered_at = State.DELIVERED, via, now
        current.satisfaction, current.closed_at = satisfaction, now
        _save(current, ["state", "delivered_via", "delivered_at", "satisfaction", "closed_at"])
        photos.attach(current)
        TripsSaved.objects.create(
            resident=current.resident,
            errand=current,
            trips=current.service.trips_saved,
            recorded_on=timezone.localdate(now),
        )
        _event(
            current,
            actor=actor,
            action=Action.DELIVER,
            from_state=from_state,
            from_holder=holder_label(point=current.holder_point, branch=current.holder_branch),
            note=note,
        )
        tallies.errand_delivered(current, trips=current.service.trips_saved)  # last, as above
    return current
