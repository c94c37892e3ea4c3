"""API of errands and the service catalogue: what phones and integrations read, open
errands through, and move errands along their lifecycle with.

Errands are opened with an id made on the client, like visits: the first send stands
(201), the same errand sent again answers 200, other content under a used id 409. Every
change names the version the client saw; a stale one answers 409 with the errand as it
is now, never a silent overwrite. Out of reach is 404, never a hint.
"""

import re
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, field_validator

from config.params import Id, Page
from grid.access import AuthenticatedHttpRequest
from outreach.common import due
from outreach.common.api import InvalidOut, JsonOrForm, MessageOut, invalid_input
from outreach.common.errors import Conflict
from outreach.errands import chain
from outreach.errands import selectors as errand_selectors
from outreach.errands import services as errand_services
from outreach.models import Errand, ErrandEvent, ErrandPhoto, ServiceType
from outreach.photos.pipeline import PhotoRejected
from outreach.photos.schemas import PhotoOut, with_photos
from outreach.residents import selectors

router = Router(tags=["errands"])

Action = ErrandEvent.Action
# What POST /errands/{id}/transitions accepts: the lifecycle steps, and the two changes
# that are not steps (giving the errand to someone, ticking the materials checklist).
ASSIGN, MATERIAL = "assign", "material"
LIFECYCLE_ACTIONS = [
    Action.ACCEPT,
    Action.START,
    Action.RETURN,
    Action.RESUME,
    Action.COMPLETE,
    Action.DELIVER,
    Action.ESCALATE,
    Action.CANCEL,
]
ACTIONS = [*(str(a) for a in LIFECYCLE_ACTIONS), ASSIGN, MATERIAL]


def _choices(values) -> dict:
    return {"json_schema_extra": {"enum": list(values)}}


# --- schemas ------------------------------------------------------------------------------


class NamedOut(Schema):
    id: int
    name: str


class ServiceTypeOut(Schema):
    id: int
    code: str
    name: str
    department: NamedOut
    promised_days: int
    materials: list[str]
    lowest_tier: str = Field(**_choices(chain.TIER_ORDER))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    trips_saved: int


class PersonOut(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.display_name


class HolderOut(Schema):
    kind: Literal["point", "branch"]
    id: int
    name: str
    tier: str | None = Field(description="The service point's tier; null for a joint branch.")


class MaterialOut(Schema):
    name: str
    collected: bool


class ErrandOut(Schema):
    id: UUID
    number: str
    resident: NamedOut
    service: NamedOut
    source: str = Field(**_choices(Errand.Source.values))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    state: str = Field(**_choices(Errand.State.values))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    holder: HolderOut
    assignee: PersonOut | None
    requested_at: datetime
    due_on: date
    overdue: bool = Field(description="Past requested + promised days and not yet done (outreach.common.due).")
    days_overdue: int
    version: int
    materials: list[MaterialOut] = Field(description="The service's checklist, in its order.")
    satisfaction: int | None
    resident_rating: int | None = Field(description="The resident's own 1–5 rating, given on the progress page.")
    progress_code: str | None = Field(
        description="What the resident follows the errand by on the public progress page (/track/)."
    )
    delivered_via: str
    delivered_at: datetime | None
    materials_waiver: str = Field(description="Completed with materials unticked: the reason given (材料未齐).")
    next_actions: list[str] = Field(description="The steps open to you now; empty when you may not change it.")

    @staticmethod
    def resolve_holder(obj: Errand) -> dict:
        if obj.holder_branch_id:
            branch = obj.holder_branch
            assert branch is not None
            return {"kind": "branch", "id": branch.pk, "name": branch.name, "tier": None}
        point = obj.holder_point
        assert point is not None  # an errand is held by a point or by a branch
        return {"kind": "point", "id": point.pk, "name": point.name, "tier": point.tier}

    @staticmethod
    def resolve_overdue(obj: Errand) -> bool:
        return due.errand_is_overdue(state=obj.state, due_on=obj.due_on, today=timezone.localdate())

    @staticmethod
    def resolve_days_overdue(obj: Errand) -> int:
        today = timezone.localdate()
        if not due.errand_is_overdue(state=obj.state, due_on=obj.due_on, today=today):
            return 0  # a late but finished errand is no longer overdue
        return due.errand_days_overdue(due_on=obj.due_on, today=today)

    @staticmethod
    def resolve_materials(obj: Errand) -> list[dict]:
        return [{"name": m, "collected": m in obj.materials_collected} for m in obj.service.materials]

    @staticmethod
    def resolve_next_actions(obj: Errand, context) -> list[str]:
        return [str(a) for a in errand_services.actions_for(context["request"].user, obj)]


class EventOut(Schema):
    at: datetime
    action: str = Field(**_choices(Action.values))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    actor: PersonOut
    from_state: str
    to_state: str
    from_holder: str
    to_holder: str
    assignee: PersonOut | None
    note: str


class ErrandDetailOut(ErrandOut):
    description: str
    visit: UUID | None
    cancel_reason: str
    closed_at: datetime | None
    created_at: datetime
    photos: list[PhotoOut] = Field(description="Delivery receipt photos.")
    timeline: list[EventOut] = Field(description="Every change, oldest first: the audit.")
    escalate_to: str | None = Field(
        description="Where escalating sends it when you press it (up only: above both its holder and you); "
        "null when you cannot escalate it."
    )

    @staticmethod
    def resolve_escalate_to(obj: Errand, context) -> str | None:
        user = context["request"].user
        if Action.ESCALATE not in errand_services.actions_for(user, obj):
            return None
        destination = chain.escalation_destinations(user=user, errands=[obj])[obj.pk]
        return None if destination.problem else str(destination)

    @staticmethod
    def resolve_visit(obj: Errand) -> UUID | None:
        return obj.visit_id

    @staticmethod
    def resolve_photos(obj: Errand) -> list[ErrandPhoto]:
        return obj.receipt_list  # type: ignore[attr-defined]  # loaded by _with_history: no query here

    @staticmethod
    def resolve_timeline(obj: Errand) -> list[ErrandEvent]:
        return obj.timeline  # type: ignore[attr-defined]  # loaded by _with_history


class ErrandConflictOut(Schema):
    message: str
    errand: ErrandDetailOut | None = Field(description="The errand as it is now (null if it is outside your reach).")


class ErrandFilter(Schema):
    state: Errand.State | None = None
    holder: str = Field(
        "",
        description='"point:<id>" or "branch:<id>": errands held there.',
        json_schema_extra={"pattern": f"^({errand_selectors.HOLDER_PATTERN})?$"},
    )
    assignee: str = Field(
        "",
        description='"me", "none" (unassigned) or a user id.',
        json_schema_extra={"pattern": f"^({errand_selectors.ASSIGNEE_PATTERN})?$"},
    )
    overdue: bool = Field(False, description="Only errands overdue by outreach.common.due.")
    service: Id | None = None
    watching: bool | None = Field(
        None,
        description="true: only errands you see but may not change (escalated above you); "
        "false: only those you may change; absent: both.",
    )

    @field_validator("holder")
    @classmethod
    def _holder(cls, value: str) -> str:
        if value and not re.fullmatch(errand_selectors.HOLDER_PATTERN, value):
            raise ValueError(_("Write the holder as point:<id> or branch:<id>."))
        return value

    @field_validator("assignee")
    @classmethod
    def _assignee(cls, value: str) -> str:
        if value and not re.fullmatch(errand_selectors.ASSIGNEE_PATTERN, value):
            raise ValueError(_("Write the assignee as me, none or a user id."))
        return value


class ErrandIn(Schema):
    """An errand as the client took it down; the id is made on the client, so sending
    it again is safe."""

    id: UUID = Field(description="Made on the client; sending the same errand again is safe.")
    resident: Id
    service: Id = Field(description="An id from GET /api/v1/service-types.")
    source: str = Field(**_choices(Errand.Source.values))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    description: str = Field("", max_length=errand_services.DESCRIPTION_MAX_LENGTH)
    visit: UUID | None = Field(None, description="The visit of this resident the errand came from.")

    @field_validator("description", mode="before")
    @classmethod
    def _null_is_empty(cls, value):
        return "" if value is None else value


class TransitionIn(Schema):
    """One change of an errand. ``version`` is the version you saw (every action but a
    material tick needs it); the other fields are what the action needs."""

    action: str = Field(**_choices(ACTIONS))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    version: Id | None = Field(None, description="The errand's version you saw; a stale one answers 409.")
    # The limits are the services' (errand_services.clean_note): documented here, checked
    # there, so a note too long gets the same words through every door.
    note: str = Field(
        "",
        description="Required to return an errand for missing materials.",
        json_schema_extra={"maxLength": errand_services.NOTE_MAX_LENGTH},
    )
    reason: str = Field(
        "",
        description=f"Required to cancel (at most {errand_services.REASON_MAX_LENGTH} characters).",
        json_schema_extra={"maxLength": errand_services.REASON_MAX_LENGTH},
    )
    assignee: Id | None = Field(None, description="For assign: the user id of the person taking the errand.")
    material: str = Field("", description="For material: an item of the service's checklist.")
    collected: bool | None = Field(None, description="For material: ticked (true) or not (false).")
    via: str = Field(  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
        "", description="For deliver: how the result went back.", **_choices(["", *Errand.Delivery.values])
    )
    satisfaction: int | None = Field(None, description="For deliver: the resident's satisfaction, 1 to 5.")

    @field_validator("note", "reason", "material", "via", mode="before")
    @classmethod
    def _null_is_empty(cls, value):
        return "" if value is None else value


# --- the catalogue ---------------------------------------------------------------------------


@router.get("/service-types", response=list[ServiceTypeOut])
def service_type_list(request: AuthenticatedHttpRequest):
    """The services on offer (代办事项目录), by name."""
    return errand_selectors.service_types_offered()


# --- errands ----------------------------------------------------------------------------------


def _with_history(errand: Errand) -> Errand:
    """The errand with its timeline and receipt photos, for the detail answer."""
    errand.timeline = errand_selectors.errand_timeline(errand=errand)  # type: ignore[attr-defined]  # read by ErrandDetailOut
    errand.receipt_list = list(errand.photos.order_by("created_at", "pk"))  # type: ignore[attr-defined]  # likewise
    return errand


def _as_seen_by(user, errand: Errand) -> Errand:
    """The errand as it is now, read through the caller's reach."""
    return _with_history(errand_selectors.errand_for_user_or_404(user, errand.pk))


def _after_write(user, errand: Errand) -> Errand:
    """The errand a write returned, read again through the caller's reach; once handed
    out of that reach (a secretary assigning it down to a grid worker), the written
    errand itself answers this one request, so the caller sees what they just did."""
    try:
        return _as_seen_by(user, errand)
    except Http404:
        return _with_history(errand)


def _visible_or_none(user, errand: Errand | None) -> Errand | None:
    if errand is None:
        return None
    try:
        return _as_seen_by(user, errand)
    except Http404:
        return None


@router.get("/errands", response=list[ErrandOut])
@paginate(Page)
def errand_list(request: AuthenticatedHttpRequest, filters: Query[ErrandFilter]):
    """Errands in your reach, due soonest first."""
    return errand_selectors.errands_list(
        user=request.user,
        today=timezone.localdate(),
        state=filters.state or "",
        service=filters.service,
        holder=filters.holder,
        assignee=filters.assignee,
        overdue=filters.overdue,
        watching=filters.watching,
    )


@router.get("/errands/{errand_id}", response={200: ErrandDetailOut, 404: MessageOut})
def errand_detail(request: AuthenticatedHttpRequest, errand_id: UUID):
    """One errand with its receipt photos and its timeline."""
    return _with_history(errand_selectors.errand_for_user_or_404(request.user, errand_id))


def _offered_service(pk: int) -> ServiceType:
    service = errand_selectors.service_types_offered().filter(pk=pk).first()
    if service is None:
        raise ValidationError(
            {
                "service": _(
                    "Service %(id)s is not in the catalogue on offer; choose one from GET /api/v1/service-types."
                )
                % {"id": pk}
            }
        )
    return service


@router.post(
    "/errands",
    response={200: ErrandDetailOut, 201: ErrandDetailOut, 404: MessageOut, 409: ErrandConflictOut, 422: InvalidOut},
)
def errand_create(request: AuthenticatedHttpRequest, payload: Annotated[ErrandIn, JsonOrForm(...)]):
    """Open an errand for a resident in your reach: 201 when stored now, 200 when this
    very errand was stored before, 409 when another errand already has this id."""
    resident = selectors.resident_for_user_or_404(request.user, payload.resident)
    visit = selectors.visit_for_user_or_404(request.user, payload.visit) if payload.visit else None
    try:
        errand, created = errand_services.errand_create(
            actor=request.user,
            errand_id=payload.id,
            resident=resident,
            service=_offered_service(payload.service),
            source=payload.source,
            description=payload.description,
            visit=visit,
        )
    except Conflict as exc:
        return Status(409, {"message": exc.message, "errand": _visible_or_none(request.user, exc.current)})
    except ValidationError as exc:
        raise invalid_input(exc) from None
    return Status(201 if created else 200, _as_seen_by(request.user, errand))


def _assignee(errand: Errand, pk: int | None):
    """The person an errand may be given to, chosen among those serving its resident."""
    if pk is None:
        raise ValidationError({"assignee": _("Choose who takes the errand (a user id).")})
    scope = errand_selectors.assignable_scope(errand=errand, user_id=pk)
    if scope is not None:
        return scope.user
    raise ValidationError(
        {"assignee": _("User %(id)s does not serve this resident's area, so cannot take the errand.") % {"id": pk}}
    )


def _apply(request: AuthenticatedHttpRequest, errand: Errand, payload: TransitionIn) -> Errand:
    user, action = request.user, payload.action
    if action not in ACTIONS:
        raise ValidationError(
            {
                "action": _("Unknown action “%(action)s”; use one of: %(actions)s.")
                % {"action": action, "actions": ", ".join(ACTIONS)}
            }
        )
    if action == MATERIAL:
        # A tick does not change the errand's version (errand_set_material): no version needed.
        errors = {}
        if not payload.material:
            errors["material"] = _("Say which material of the checklist.")
        if payload.collected is None:
            errors["collected"] = _("Say whether the material is collected (true) or not (false).")
        if errors:
            raise ValidationError(errors)
        assert payload.collected is not None
        return errand_services.errand_set_material(
            actor=user, errand=errand, material=payload.material, collected=payload.collected
        )
    if payload.version is None:
        raise ValidationError({"version": _("Send the version of the errand you last saw.")})
    if action == ASSIGN:
        return errand_services.errand_assign(
            actor=user,
            errand=errand,
            assignee=_assignee(errand, payload.assignee),
            expected_version=payload.version,
            note=payload.note,
        )
    if action == Action.DELIVER:
        return errand_services.errand_deliver(
            actor=user,
            errand=errand,
            expected_version=payload.version,
            via=payload.via,
            satisfaction=payload.satisfaction,
            uploads=request.FILES.getlist("photos"),
            note=payload.note,
        )
    return errand_services.errand_transition(
        actor=user,
        errand=errand,
        action=action,
        expected_version=payload.version,
        note=payload.note,
        reason=payload.reason,
    )


@router.post(
    "/errands/{errand_id}/transitions",
    response={200: ErrandDetailOut, 404: MessageOut, 409: ErrandConflictOut, 422: InvalidOut},
    openapi_extra=with_photos(TransitionIn),
)
def errand_transition(
    request: AuthenticatedHttpRequest, errand_id: UUID, payload: Annotated[TransitionIn, JsonOrForm(...)]
):
    """Change an errand: a lifecycle step (accept, start, return, resume, complete,
    deliver, escalate, cancel), assign it, or tick a material. 200 with the errand as it
    is now; 409 with it when your version is stale; 422 when the step is not open to the
    errand or to you. A delivery may be sent as multipart with receipt ``photos``."""
    errand = errand_selectors.errand_for_user_or_404(request.user, errand_id)
    try:
        written = _apply(request, errand, payload)
    except Conflict as exc:
        return Status(409, {"message": exc.message, "errand": _visible_or_none(request.user, exc.current)})
    except (ValidationError, PhotoRejected) as exc:
        raise invalid_input(exc) from None
    return _after_write(request.user, written)
