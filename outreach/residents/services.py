"""Writes of residents and visits. Each is one transaction with its audit row; bad input
raises ValidationError (or a Conflict) before anything is written."""

import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from grid.geo import distance_m
from grid.models import Area, User
from grid.selectors import areas_in_scope
from outreach.common import crypto, due
from outreach.common.audit import audit
from outreach.common.errors import Conflict
from outreach.models import AuditEvent, Category, Hazard, Resident, ResidentCategory, Visit, VisitCorrection, VisitPhoto
from outreach.photos.services import PhotoUploads
from outreach.reporting import tallies
from outreach.residents import national_ids
from outreach.residents.validation import birth_date_and_sex, clean_accuracy, clean_national_id, clean_position

# --- residents -------------------------------------------------------------------------

UNCHECKED_ON_CLEAN = ["due_on", "national_id_digest"]

RESIDENT_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "phone",
    "address",
    "home_lat",
    "home_lng",
    "grid",
    "disability_grade",
    "care_level",
    "guardian_name",
    "guardian_phone",
    "guardian_relation",
    "consent_basis",
    "consent_on",
    "sms_consent",
    "sms_to",
    "status",
    "status_on",
]


def _duplicate_national_id() -> ValidationError:
    """A registration that lost a race for its ID: the neutral answer, as the reach of the
    winner is not known here."""
    return ValidationError({"national_id": ValidationError(national_ids.neutral_message(), code="duplicate")})


def _check_grid_in_reach(actor: User, grid: Area) -> None:
    """Residents are registered and moved only into grids under the actor's own area
    scopes (the forms offer nothing else; this holds for every other caller too)."""
    if not areas_in_scope(user=actor).filter(pk=grid.pk, level=Area.Level.GRID).exists():
        raise ValidationError({"grid": _("Choose one of your own grids.")})


@dataclass(frozen=True)
class NationalIdInput:
    """A national ID as typed, checked against the registry before the write: the number
    (cleaned) and the error to show, if any."""

    number: str = ""
    error: ValidationError | None = None


def national_id_screen(
    *, actor: User, national_id: str, resident: Resident | None = None, address_ip: str | None = None
) -> NationalIdInput:
    """Check a typed national ID: its format, then the registry through the one door
    (``national_ids``: the daily limit, the neutral answer, the audit). Called before the
    write's transaction, so that the record of the attempt stays when the write is
    refused. Raises IdCheckLimitReached."""
    if not national_id:
        return NationalIdInput()
    try:
        number = clean_national_id(national_id)
    except ValidationError as exc:
        return NationalIdInput(error=ValidationError({"national_id": exc.error_list}))
    digest = crypto.digest(number)
    if resident is not None and resident.national_id_digest in crypto.digests(number):
        return NationalIdInput(number=number)  # their own ID, typed again (under any key)
    checked = national_ids.national_ids_check(
        actor=actor,
        masked_by_digest={digest: crypto.mask(number)},
        door=national_ids.Door.FORM,
        exclude_pk=resident.pk if resident is not None else None,
        address=address_ip,
        stored_as=national_ids.digest_aliases([number]),  # a key rotation may be under way
    )
    if digest in checked.registered:
        message = national_ids.message_for(checked.registered[digest])
        return NationalIdInput(error=ValidationError({"national_id": ValidationError(message, code="duplicate")}))
    return NationalIdInput(number=number)


def resident_apply_national_id(*, resident: Resident, number: str) -> None:
    """Encrypt, digest and mask a checked national ID; fill birth date and sex from it."""
    resident.national_id_cipher = crypto.encrypt(number)
    resident.national_id_digest = crypto.digest(number)
    resident.national_id_masked = crypto.mask(number)
    resident.birth_date, resident.sex = birth_date_and_sex(number)


def _check_resident(resident: Resident, categories: Collection[str]) -> None:
    errors: dict[str, object] = {}
    if resident.grid_id and resident.grid.level != Area.Level.GRID:
        errors["grid"] = _("Residents belong to a grid.")
    try:
        resident.home_lat, resident.home_lng = clean_position(resident.home_lat, resident.home_lng)
    except ValidationError as exc:
        errors["home_lat"] = exc.error_list
    unknown = set(categories) - set(Category.values)
    if unknown:
        errors["categories"] = _("Unknown category: %(codes)s") % {"codes": ", ".join(sorted(unknown))}
    if Category.DISABLED in categories and resident.disability_grade is None:
        errors["disability_grade"] = _("Give the disability grade (1–4) for a disabled resident.")
    if resident.disability_grade is not None and not 1 <= resident.disability_grade <= 4:
        errors["disability_grade"] = _("The disability grade is 1, 2, 3 or 4.")
    if resident.sms_consent and not resident.sms_phone:
        errors["sms_to"] = _("Give the phone number the progress SMS are to go to.")
    if resident.status != Resident.Status.ACTIVE and resident.status_on is None:
        errors["status_on"] = _("Give the date the resident moved away or died.")
    # Recorded once it happened: a resident counts as active until their status changes
    # (coverage for today reads the due tallies, which count the status as it is).
    if resident.status_on is not None and resident.status_on > timezone.localdate():
        errors["status_on"] = _("The date the resident moved away or died cannot be in the future.")
    if errors:
        raise ValidationError(errors)


def _stamp_sms_consent(resident: Resident, *, had_consent: bool) -> None:
    """When the consent to progress SMS was given (kept while it lasts, gone with it)."""
    if resident.sms_consent and not had_consent:
        resident.sms_consent_at = timezone.now()
    elif not resident.sms_consent:
        resident.sms_consent_at = None


def _check_resident_with_id(resident: Resident, categories: Collection[str], national_id: NationalIdInput) -> None:
    """Both checks, with all their errors at once: a form shows every field to fix."""
    errors: dict[str, list[ValidationError]] = {}
    if national_id.error is not None:
        errors.update(national_id.error.error_dict)
    elif national_id.number:
        resident_apply_national_id(resident=resident, number=national_id.number)
    try:
        _check_resident(resident, categories)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)


def resident_create(
    *,
    actor: User,
    grid: Area,
    name: str,
    address: str,
    consent_basis: str,
    care_level: str = "C",
    national_id: str = "",
    categories: Collection[str] = (),
    address_ip: str | None = None,
    **fields: Any,
) -> Resident:
    """Register a resident. Raises ValidationError (by field) or IdCheckLimitReached."""
    checked_id = national_id_screen(actor=actor, national_id=national_id, address_ip=address_ip)
    with transaction.atomic():
        _check_grid_in_reach(actor, grid)
        resident = Resident(
            grid=grid, name=name, address=address, consent_basis=consent_basis, care_level=care_level, **fields
        )
        categories = sorted(set(categories))
        _check_resident_with_id(resident, categories, checked_id)
        _stamp_sms_consent(resident, had_consent=False)
        resident.registered_on = resident.registered_on or timezone.localdate()
        resident.due_on = due.due_on_for(
            last_met_on=None, registered_on=resident.registered_on, care_level=resident.care_level
        )
        # The unique ID is checked above with a clear message and enforced by the database;
        # full_clean's own check of that constraint would only repeat the query and, in a
        # race, answer with a message naming the constraint instead of the field.
        resident.full_clean(exclude=UNCHECKED_ON_CLEAN)
        try:
            with transaction.atomic():
                resident.save()
        except IntegrityError:  # a concurrent registration of the same ID won the race
            raise _duplicate_national_id() from None
        ResidentCategory.objects.bulk_create(ResidentCategory(resident=resident, category=c) for c in categories)
        audit(
            actor=actor,
            action=AuditEvent.Action.RESIDENT_CREATED,
            resident=resident,
            address=address_ip,
            detail={"grid": grid.code},
        )
        tallies.resident_changed(
            before=None, after=tallies.due_key(grid=grid, status=resident.status, due_on=resident.due_on)
        )
        tallies.coverage_days_stale_from(resident.registered_on)  # registered in the past (a load)
        return resident


def resident_update(
    *,
    actor: User,
    resident: Resident,
    expected_version: int,
    national_id: str = "",
    categories: Iterable[str] | None = None,
    address_ip: str | None = None,
    **changes: Any,
) -> Resident:
    """Change a resident; refuses an edit based on a version someone else has replaced.
    Raises Conflict, ValidationError (by field) or IdCheckLimitReached."""
    checked_id = national_id_screen(actor=actor, national_id=national_id, resident=resident, address_ip=address_ip)
    with transaction.atomic():
        if "grid" in changes:
            _check_grid_in_reach(actor, changes["grid"])
        current = Resident.objects.select_for_update().get(pk=resident.pk)
        counted_as = (current.grid_id, current.status, current.due_on)  # the due tallies' key
        status_before = (current.status, current.status_on)
        if current.version != expected_version:
            raise Conflict(
                _("Someone else changed this resident while you were editing. Here is the current record."), current
            )
        unknown = set(changes) - set(RESIDENT_FIELDS)
        if unknown:
            raise ValueError(f"not editable resident fields: {sorted(unknown)}")
        # Birth date and sex follow a new ID, so they are part of what may change.
        watched = [*changes, *(f for f in ("birth_date", "sex") if checked_id.number and f not in changes)]
        before = {f: _plain(getattr(current, f"{f}_id" if f == "grid" else f)) for f in watched}
        masked_before, digest_before = current.national_id_masked, current.national_id_digest
        had_sms_consent = current.sms_consent
        for field, value in changes.items():
            setattr(current, field, value)
        old_categories = set(current.categories.values_list("category", flat=True))
        new_categories = set(categories) if categories is not None else old_categories
        _check_resident_with_id(current, new_categories, checked_id)
        _stamp_sms_consent(current, had_consent=had_sms_consent)
        current.full_clean(exclude=UNCHECKED_ON_CLEAN)
        current.due_on = due.due_on_for(
            last_met_on=current.last_met_on, registered_on=current.registered_on, care_level=current.care_level
        )
        current.version = F("version") + 1
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError:  # the same ID was registered for someone else meanwhile
            raise _duplicate_national_id() from None
        current.refresh_from_db(fields=["version"])
        if new_categories != old_categories:
            current.categories.exclude(category__in=new_categories).delete()
            ResidentCategory.objects.bulk_create(
                ResidentCategory(resident=current, category=c) for c in sorted(new_categories - old_categories)
            )
        after = {f: _plain(getattr(current, f"{f}_id" if f == "grid" else f)) for f in watched}
        changed = {f: [before[f], after[f]] for f in watched if before[f] != after[f]}
        if current.national_id_digest != digest_before:  # masked: the audit never holds a full ID
            changed["national_id"] = [masked_before, current.national_id_masked]
        if new_categories != old_categories:
            changed["categories"] = [sorted(old_categories), sorted(new_categories)]
        audit(
            actor=actor,
            action=AuditEvent.Action.RESIDENT_UPDATED,
            resident=current,
            detail={"changes": changed},
            address=address_ip,
        )
        # The tallies in the order every writer takes them (due tallies, the city row of the
        # written days, day tallies), so that two transactions never wait on each other.
        old_grid = current.grid if counted_as[0] == current.grid_id else Area.objects.get(pk=counted_as[0])
        if counted_as != (current.grid_id, current.status, current.due_on):
            tallies.resident_changed(
                before=tallies.due_key(grid=old_grid, status=counted_as[1], due_on=counted_as[2]),
                after=tallies.due_key(grid=current.grid, status=current.status, due_on=current.due_on),
            )
        if status_before != (current.status, current.status_on):  # a move or death dated back changes past days
            dated = [day for day in (status_before[1], current.status_on) if day is not None]
            tallies.coverage_days_stale_from(min(dated, default=timezone.localdate()))
        if old_grid.pk != current.grid_id:
            tallies.resident_moved(resident=current, old_grid=old_grid)
        return current


def resident_reveal_national_id(*, actor: User, resident: Resident, address_ip: str | None = None) -> str:
    """The full national ID, for a role allowed to see it; every reveal is recorded."""
    if not resident.national_id_cipher:
        return ""
    audit(actor=actor, action=AuditEvent.Action.NATIONAL_ID_REVEALED, resident=resident, address=address_ip)
    return crypto.decrypt(resident.national_id_cipher)


@transaction.atomic(savepoint=False)  # a lock needs a transaction; inside one, no extra savepoint
def resident_refresh_due(*, resident: Resident, status_before: str | None = None) -> Resident:
    """Recompute the last in-person visit and the due date from the visit history, and
    move the resident's count in the due tallies. ``status_before``: the status the
    resident had before the caller's transaction changed it (None: unchanged)."""
    # Lock the row first, so two visits stored at once are counted in turn (the second
    # sees the first), and read the care level as stored, not as the caller loaded it.
    # NO KEY: inserting a visit already holds a KEY SHARE lock on the resident.
    locked = (
        Resident.objects.select_for_update(no_key=True)
        .only("care_level", "registered_on", "grid_id", "status", "due_on")
        .get(pk=resident.pk)
    )
    resident.care_level, resident.registered_on = locked.care_level, locked.registered_on
    met = Visit.objects.filter(resident_id=resident.pk, outcome=Visit.Outcome.MET)
    last = met.aggregate(last=Max("visited_at"))["last"]
    resident.last_met_on = timezone.localdate(last) if last else None
    resident.due_on = due.due_on_for(
        last_met_on=resident.last_met_on, registered_on=resident.registered_on, care_level=resident.care_level
    )
    Resident.objects.filter(pk=resident.pk).update(last_met_on=resident.last_met_on, due_on=resident.due_on)
    if (status_before or locked.status, locked.due_on) != (locked.status, resident.due_on):
        # The caller's grid object when it is the resident's (its chain of areas is known).
        grid = resident.grid if resident.grid_id == locked.grid_id else Area.objects.get(pk=locked.grid_id)
        tallies.resident_changed(
            before=tallies.due_key(grid=grid, status=status_before or locked.status, due_on=locked.due_on),
            after=tallies.due_key(grid=grid, status=locked.status, due_on=resident.due_on),
        )
    return resident


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


# --- visits ----------------------------------------------------------------------------

VISIT_CONTENT_FIELDS = [
    "outcome",
    "lat",
    "lng",
    "accuracy_m",
    "no_location_reason",
    "health",
    "health_notes",
    "living_notes",
    "hazards",
    "hazard_notes",
    "needs",
]
CORRECTABLE_FIELDS = [
    "outcome",
    "no_location_reason",
    "health",
    "health_notes",
    "living_notes",
    "hazards",
    "hazard_notes",
    "needs",
]


@dataclass(frozen=True)
class VisitInput:
    """What a phone sends for one visit."""

    visited_at: datetime
    outcome: str
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    no_location_reason: str = ""
    health: str = ""
    health_notes: str = ""
    living_notes: str = ""
    hazards: tuple[str, ...] = ()
    hazard_notes: str = ""
    needs: str = ""
    # Photos that follow in their own requests (not part of what the visit says: a
    # resend announcing them is the same visit).
    photos_expected: int = 0


def visit_digest(*, resident_id: int, data: VisitInput) -> str:
    payload = {f: getattr(data, f) for f in VISIT_CONTENT_FIELDS}
    payload["hazards"] = sorted(set(payload["hazards"]))
    payload["resident"] = resident_id
    payload["visited_at"] = data.visited_at.astimezone(UTC).replace(microsecond=0).isoformat()
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_visit(data: VisitInput, *, check_time: bool = True) -> dict:
    """Validate a visit; returns the cleaned location fields. A correction keeps the
    original time, and a replay was checked when it was stored, so both skip the checks
    of the time against the clock."""
    errors: dict[str, list[str | ValidationError]] = {}
    now = timezone.now()
    if timezone.is_naive(data.visited_at):
        errors.setdefault("visited_at", []).append(_("The visit time needs a time zone."))
    elif not check_time:
        pass
    elif data.visited_at > now + timedelta(minutes=10):
        errors.setdefault("visited_at", []).append(_("The visit time is in the future. Check the phone's clock."))
    elif data.visited_at < now - timedelta(days=30):
        errors.setdefault("visited_at", []).append(_("Visits older than 30 days cannot be recorded here."))
    if data.outcome not in Visit.Outcome.values:
        errors.setdefault("outcome", []).append(_("Choose what happened at the visit."))
    if not 0 <= data.photos_expected <= settings.DAIBAN_PHOTOS_PER_VISIT:
        errors.setdefault("photos_expected", []).append(
            _("A visit can have at most %(n)d photos.") % {"n": settings.DAIBAN_PHOTOS_PER_VISIT}
        )
    if data.health and data.health not in Visit.Health.values:
        errors.setdefault("health", []).append(_("Unknown health assessment."))
    unknown = set(data.hazards) - set(Hazard.values)
    if unknown:
        errors.setdefault("hazards", []).append(_("Unknown hazard: %(codes)s") % {"codes": ", ".join(sorted(unknown))})
    lat = lng = accuracy = None
    try:
        lat, lng = clean_position(data.lat, data.lng)
    except ValidationError as exc:
        errors.setdefault("lat", []).extend(exc.error_list)
    try:
        accuracy = clean_accuracy(data.accuracy_m)
    except ValidationError as exc:
        errors.setdefault("accuracy_m", []).extend(exc.error_list)
    if lat is None and not errors.get("lat") and not data.no_location_reason.strip():
        errors.setdefault("no_location_reason", []).append(
            _("The phone gave no location. Say why (for example: GPS off, indoors without signal).")
        )
    if errors:
        raise ValidationError(errors)
    return {"lat": lat, "lng": lng, "accuracy_m": accuracy}


def _location_check(resident: Resident, lat: float | None, lng: float | None) -> tuple[str, float | None]:
    if lat is None or lng is None:
        return Visit.LocationCheck.NO_LOCATION, None
    if resident.home_lat is None or resident.home_lng is None:  # not resident.has_home_location
        return Visit.LocationCheck.HOME_UNKNOWN, None
    distance = round(distance_m(lat, lng, resident.home_lat, resident.home_lng), 1)
    if distance > settings.DAIBAN_VISIT_AWAY_METERS:
        return Visit.LocationCheck.AWAY, distance
    return Visit.LocationCheck.NEAR_HOME, distance


def visit_record(
    *,
    actor: User,
    resident: Resident,
    visit_id: UUID,
    data: VisitInput,
    uploads: Iterable[UploadedFile] = (),
    address_ip: str | None = None,
    timed_by_server: bool = False,
) -> tuple[Visit, bool]:
    """Store a visit once. The same id again returns the stored visit (created=False)
    when ``_replayed`` says it is the same visit; otherwise it raises Conflict.
    ``timed_by_server``: ``data.visited_at`` is the server's clock (the web form), not
    the phone's, so a resend cannot repeat it."""
    existing = Visit.objects.filter(pk=visit_id).first()
    if existing is not None and _resent_form(existing, resident, actor, timed_by_server):
        return existing, False  # nothing of it to check again: the first send stands
    # A phone re-sending a stored visit after the 30-day window closed must still hear
    # "stored" (200), not "too old" (422), or its outbox would never let go of it.
    cleaned = _check_visit(data, check_time=existing is None)
    digest = visit_digest(resident_id=resident.pk, data=data)
    if existing is not None:
        return _replayed(existing, resident, digest, actor=actor, timed_by_server=timed_by_server), False
    photos = PhotoUploads(VisitPhoto, uploads, too_many=_("A visit can have at most %(n)d photos."))
    location_check, distance = _location_check(resident, cleaned["lat"], cleaned["lng"])
    with photos.cleanup_on_failure(), transaction.atomic():
        visit = Visit(
            id=visit_id,
            resident=resident,
            worker=actor,
            visited_at=data.visited_at,
            outcome=data.outcome,
            lat=cleaned["lat"],
            lng=cleaned["lng"],
            accuracy_m=cleaned["accuracy_m"],
            distance_m=distance,
            location_check=location_check,
            no_location_reason=data.no_location_reason.strip() if cleaned["lat"] is None else "",
            health=data.health,
            health_notes=data.health_notes,
            living_notes=data.living_notes,
            hazards=sorted(set(data.hazards)),
            hazard_notes=data.hazard_notes,
            needs=data.needs,
            content_digest=digest,
            photos_expected=max(data.photos_expected, len(photos)),
        )
        try:
            with transaction.atomic():
                visit.save(force_insert=True)
        except IntegrityError:
            existing = Visit.objects.get(pk=visit_id)  # a concurrent send of the same visit won
            return _replayed(existing, resident, digest, actor=actor, timed_by_server=timed_by_server), False
        photos.attach(visit)
        status_before = None
        if data.outcome == Visit.Outcome.MOVED:
            status_before = _resident_moved(resident, timezone.localdate(data.visited_at))
        resident_refresh_due(resident=resident, status_before=status_before)
        audit(
            actor=actor,
            action=AuditEvent.Action.VISIT_RECORDED,
            resident=resident,
            address=address_ip,
            detail={"visit": str(visit.pk), "outcome": data.outcome, "photos": len(photos)},
        )
        tallies.coverage_days_stale_from(timezone.localdate(visit.visited_at))  # sent days later
        tallies.visit_recorded(visit)  # last: the area's day row stays locked until the commit
    return visit, True


def _resent_form(existing: Visit, resident: Resident, actor: User, timed_by_server: bool) -> bool:
    """A web form sent twice (double tap, browser retry) carries the same id but a later
    server time: it is the same visit when the same worker sent it for the same resident."""
    return timed_by_server and existing.resident_id == resident.pk and existing.worker_id == actor.pk


def _replayed(existing: Visit, resident: Resident, digest: str, *, actor: User, timed_by_server: bool = False) -> Visit:
    """The replay rule of visits, for every door: a phone's resend is the stored visit
    when it says the same (resident and content, time included); a web form's resend
    when ``_resent_form`` says so. Anything else under a used id is a Conflict."""
    if _resent_form(existing, resident, actor, timed_by_server):
        return existing
    if existing.resident_id != resident.pk or existing.content_digest != digest:
        raise Conflict(_("A different visit was already stored under this id."), existing)
    return existing


def visit_add_photos(
    *, actor: User, visit: Visit, uploads: Iterable[UploadedFile], keys: Sequence[UUID | None] = ()
) -> tuple[list[VisitPhoto], int]:
    """Attach photos to a stored visit; a photo sent twice is stored once, known by its
    picture or by the key the phone made for it (``keys``, one per upload). Returns the
    visit's photos and how many were new."""
    if visit.worker_id != actor.pk:
        raise ValidationError({"photos": _("Only the worker who made the visit can add photos to it.")})
    photos = PhotoUploads(VisitPhoto, uploads, too_many=_("A visit can have at most %(n)d photos."), keys=keys)
    with photos.cleanup_on_failure(), transaction.atomic():
        # Two uploads to one visit at once take turns, so together they keep to the limit.
        Visit.objects.select_for_update(no_key=True).filter(pk=visit.pk).values_list("pk").first()
        created = photos.add(visit)
    # Not visit.photos.all(): a visit from visit_for_user_or_404 has them prefetched (stale).
    return list(VisitPhoto.objects.filter(visit_id=visit.pk).order_by("created_at")), created


def visit_correction_open(visit: Visit, user: User, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    window = timedelta(hours=settings.DAIBAN_VISIT_CORRECTION_HOURS)
    return visit.worker_id == user.pk and now - visit.created_at <= window


def _resident_moved(resident: Resident, moved_on: date) -> str | None:
    """Mark an active resident moved away; returns the status they had (active) if they
    were, None if not. The condition is in the UPDATE, not read from ``resident``, which
    the caller may have loaded before someone else changed it."""
    if Resident.objects.filter(pk=resident.pk, status=Resident.Status.ACTIVE).update(
        status=Resident.Status.MOVED, status_on=moved_on, version=F("version") + 1
    ):
        resident.status, resident.status_on = Resident.Status.MOVED, moved_on
        return Resident.Status.ACTIVE
    return None


def _status_follows_corrected_outcome(visit: Visit, old_outcome: str) -> str | None:
    """A visit corrected to "moved away" moves the resident, as recording it would have;
    corrected away from it, the move it caused (same day, no other such visit) is undone.
    Returns the status the resident had if it changed, else None."""
    resident, moved_on = visit.resident, timezone.localdate(visit.visited_at)
    if visit.outcome == Visit.Outcome.MOVED:
        return _resident_moved(resident, moved_on)
    if (
        old_outcome == Visit.Outcome.MOVED
        and not resident.visits.filter(outcome=Visit.Outcome.MOVED).exclude(pk=visit.pk).exists()
        and Resident.objects.filter(pk=resident.pk, status=Resident.Status.MOVED, status_on=moved_on).update(
            status=Resident.Status.ACTIVE, status_on=None, version=F("version") + 1
        )
    ):
        resident.status, resident.status_on = Resident.Status.ACTIVE, None
        return Resident.Status.MOVED
    return None


@transaction.atomic
def visit_correct(
    *, actor: User, visit: Visit, reason: str = "", address_ip: str | None = None, **changes: Any
) -> Visit:
    """Correct a visit: its author only, within the correction window. The previous
    values are kept in a VisitCorrection, never overwritten without trace."""
    current = Visit.objects.select_for_update().select_related("resident").get(pk=visit.pk)
    if not visit_correction_open(current, actor):
        raise ValidationError(
            _("This visit can no longer be corrected: only its author can, within %(hours)d hours.")
            % {"hours": settings.DAIBAN_VISIT_CORRECTION_HOURS}
        )
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValueError(f"not correctable: {sorted(unknown)}")
    # Hazards are stored sorted; the same ticks in form order are no change.
    changes = {f: sorted(set(v)) if f == "hazards" else v for f, v in changes.items()}
    merged = VisitInput(
        visited_at=current.visited_at,
        lat=current.lat,
        lng=current.lng,
        accuracy_m=current.accuracy_m,
        **{f: changes.get(f, getattr(current, f)) for f in CORRECTABLE_FIELDS},
    )
    _check_visit(merged, check_time=False)
    previous = {f: getattr(current, f) for f in changes if getattr(current, f) != changes[f]}
    if not previous:
        return current
    for field in previous:
        setattr(current, field, changes[field])
    current.corrected_at = timezone.now()
    current.save(update_fields=[*previous, "corrected_at"])
    VisitCorrection.objects.create(visit=current, corrected_by=actor, previous=previous, reason=reason)
    status_before = _status_follows_corrected_outcome(current, previous["outcome"]) if "outcome" in previous else None
    resident_refresh_due(resident=current.resident, status_before=status_before)
    if "outcome" in previous:  # met in person or not, on a day that may be over
        tallies.coverage_days_stale_from(timezone.localdate(current.visited_at))
    audit(
        actor=actor,
        action=AuditEvent.Action.VISIT_CORRECTED,
        resident=current.resident,
        address=address_ip,
        detail={"visit": str(current.pk), "fields": sorted(previous)},
    )
    return current
