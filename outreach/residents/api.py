"""API of residents and visits: what the phones' offline outbox syncs through and what
integrations read.

Visits are sent with an id made on the phone, so a flaky connection may send the same
visit again: the first one stands (201), an identical replay answers 200 with it, and a
different visit under a used id answers 409 with the stored one. Every read and write
goes through the caller's reach; out of reach is 404, never a hint.
"""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate
from pydantic import Field, field_validator

from config.params import Id, Page
from grid.access import AuthenticatedHttpRequest
from grid.selectors import area_for_user_or_404
from outreach.common.api import InvalidOut, JsonOrForm, MessageOut, invalid_input
from outreach.common.due import Due, days_overdue, due_bucket
from outreach.common.errors import Conflict
from outreach.common.limits import max_length
from outreach.common.requests import client_address
from outreach.models import Hazard, Resident, Visit
from outreach.photos.pipeline import PhotoRejected
from outreach.photos.schemas import PHOTO_FILES, PhotoOut, with_photos
from outreach.residents import selectors, services

router = Router(tags=["outreach"])


class ResidentOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: date | None
    national_id_masked: str
    phone: str
    address: str
    home_lat: float | None
    home_lng: float | None
    grid_id: int
    categories: list[str]
    disability_grade: int | None
    care_level: str
    status: str
    last_met_on: date | None
    due_on: date
    due: Due
    days_overdue: int

    @staticmethod
    def resolve_categories(obj: Resident) -> list[str]:
        return [c.category for c in obj.category_list]  # type: ignore[attr-defined]  # prefetched by selectors.with_categories: no query per row

    @staticmethod
    def resolve_due(obj: Resident) -> Due:
        return due_bucket(obj.due_on, timezone.localdate())

    @staticmethod
    def resolve_days_overdue(obj: Resident) -> int:
        return days_overdue(obj.due_on, timezone.localdate())


class ResidentFilter(Schema):
    grid: Id | None = Field(None, description="An area in your reach: its residents and those of the areas under it.")
    due: Due | None = Field(None, description="Only active residents in this bucket of outreach.common.due.")


class WorkerOut(Schema):
    id: int
    name: str


class VisitOut(Schema):
    id: UUID
    resident: int
    worker: WorkerOut
    visited_at: datetime
    outcome: str
    lat: float | None
    lng: float | None
    accuracy_m: float | None
    distance_m: float | None
    location_check: str
    no_location_reason: str
    health: str
    health_notes: str
    living_notes: str
    hazards: list[str]
    hazard_notes: str
    needs: str
    created_at: datetime
    corrected_at: datetime | None
    photos_expected: int = Field(description="Photos announced with the record; fewer in `photos` are still to come.")
    photos: list[PhotoOut]

    @staticmethod
    def resolve_resident(obj: Visit) -> int:
        return obj.resident_id

    @staticmethod
    def resolve_worker(obj: Visit) -> dict:
        return {"id": obj.worker_id, "name": obj.worker.display_name}

    @staticmethod
    def resolve_photos(obj: Visit) -> list:
        return list(obj.photos.all())


class ConflictOut(Schema):
    message: str
    visit: VisitOut | None = Field(description="The visit stored under this id (null if it is outside your reach).")


def _choices(values) -> dict:
    return {"json_schema_extra": {"enum": list(values)}}


class VisitIn(Schema):
    """One visit as the phone recorded it. Codes are checked by the visit service, which
    answers in the worker's language; the enums here document them."""

    id: UUID = Field(description="Made on the phone; sending the same visit again is safe.")
    resident: Id
    visited_at: datetime = Field(description="ISO-8601 with the offset, e.g. 2026-11-27T09:30:00+08:00.")
    outcome: str = Field(**_choices(Visit.Outcome.values))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    lat: float | None = Field(None, allow_inf_nan=False, description="WGS-84 degrees.")
    lng: float | None = Field(None, allow_inf_nan=False, description="WGS-84 degrees.")
    accuracy_m: float | None = Field(None, allow_inf_nan=False)
    no_location_reason: str = Field(
        "", max_length=max_length(Visit, "no_location_reason"), description="Required when there is no location."
    )
    health: str = Field("", **_choices(["", *Visit.Health.values]))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    health_notes: str = ""
    living_notes: str = ""
    hazards: list[Annotated[str, Field(**_choices(Hazard.values))]] = []
    hazard_notes: str = ""
    needs: str = ""
    photos_expected: int = Field(
        0, ge=0, le=100, description="Photos that follow through /visits/{id}/photos (send the record first)."
    )

    @field_validator(
        "no_location_reason", "health", "health_notes", "living_notes", "hazard_notes", "needs", mode="before"
    )
    @classmethod
    def _null_is_empty(cls, value):
        return "" if value is None else value

    @field_validator("hazards", mode="before")
    @classmethod
    def _null_is_none(cls, value):
        return [] if value is None else value

    def as_input(self) -> services.VisitInput:
        return services.VisitInput(
            visited_at=self.visited_at,
            outcome=self.outcome,
            lat=self.lat,
            lng=self.lng,
            accuracy_m=self.accuracy_m,
            no_location_reason=self.no_location_reason,
            health=self.health,
            health_notes=self.health_notes,
            living_notes=self.living_notes,
            hazards=tuple(self.hazards),
            hazard_notes=self.hazard_notes,
            needs=self.needs,
            photos_expected=self.photos_expected,
        )


class VisitFilter(Schema):
    resident: Id | None = None


# --- residents ------------------------------------------------------------------------------


@router.get("/residents", response={200: list[ResidentOut], 404: MessageOut})
@paginate(Page)
def resident_list(request: AuthenticatedHttpRequest, filters: Query[ResidentFilter]):
    """Residents in your reach, most urgent first (due date, then name)."""
    area = area_for_user_or_404(request.user, filters.grid) if filters.grid is not None else None
    result = selectors.residents_list(
        user=request.user,
        today=timezone.localdate(),
        due_bucket=filters.due or "",
        status=Resident.Status.ACTIVE if filters.due else "",
    )
    if area is not None:
        result = result.filter(grid__path__startswith=area.path)
    return result


@router.get("/residents/{resident_id}", response={200: ResidentOut, 404: MessageOut})
def resident_detail(request: AuthenticatedHttpRequest, resident_id: Id):
    return selectors.resident_with_categories_for_user_or_404(request.user, resident_id)


# --- visits ----------------------------------------------------------------------------------


def _stored_visit(user, pk) -> Visit | None:
    """The visit as the caller may see it, with its worker and photos."""
    return selectors.visits_list(user=user).filter(pk=pk).first()


@router.post(
    "/visits",
    response={200: VisitOut, 201: VisitOut, 404: MessageOut, 409: ConflictOut, 422: InvalidOut},
    openapi_extra=with_photos(VisitIn),
)
def visit_create(request: AuthenticatedHttpRequest, payload: Annotated[VisitIn, JsonOrForm(...)]):
    """Record a visit: 201 when stored now, 200 when this very visit was stored before,
    409 when another visit already has this id."""
    resident = selectors.resident_for_user_or_404(request.user, payload.resident)
    try:
        visit, created = services.visit_record(
            actor=request.user,
            resident=resident,
            visit_id=payload.id,
            data=payload.as_input(),
            uploads=request.FILES.getlist("photos"),
            address_ip=client_address(request),
        )
    except Conflict as exc:
        return Status(409, {"message": exc.message, "visit": _stored_visit(request.user, exc.current.pk)})
    except (ValidationError, PhotoRejected) as exc:
        raise invalid_input(exc) from None
    return Status(201 if created else 200, _stored_visit(request.user, visit.pk))


def _photo_keys(values: list[str]) -> list[UUID]:
    # Read beside the files rather than declared: django-ninja cannot take a list of form
    # fields and a list of files in one operation. Documented by PHOTOS_WITH_KEYS.
    try:
        return [UUID(value) for value in values]
    except ValueError:
        raise ValidationError({"keys": _("Each photo's key must be a UUID.")}) from None


PHOTOS_WITH_KEYS = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "photos": PHOTO_FILES,
                        "keys": {
                            "type": "array",
                            "items": {"type": "string", "format": "uuid"},
                            "description": "One per photo, in their order, made on the phone: a photo sent "
                            "again under its key is stored once.",
                        },
                    },
                    # "required" comes from the signature: ninja merges this into its own
                    # schema, and a list here would be added to its list (["photos", "photos"]).
                }
            }
        }
    }
}


@router.post(
    "/visits/{visit_id}/photos",
    response={200: VisitOut, 201: VisitOut, 404: MessageOut, 422: InvalidOut},
    openapi_extra=PHOTOS_WITH_KEYS,
)
def visit_photos_add(
    request: AuthenticatedHttpRequest,
    visit_id: UUID,
    photos: File[list[UploadedFile]],
):
    """Add photos to a visit: 201 when at least one is new, 200 when all were stored
    already (the same picture, or the same key). `keys`, one per photo, are made on the
    phone: a photo sent again under its key is stored once. One bad photo, or one too
    many, and none is stored."""
    visit = selectors.visit_for_user_or_404(request.user, visit_id)
    try:
        keys = _photo_keys(request.POST.getlist("keys"))
        _photos, created = services.visit_add_photos(actor=request.user, visit=visit, uploads=photos, keys=keys)
    except (ValidationError, PhotoRejected) as exc:
        raise invalid_input(exc) from None
    return Status(201 if created else 200, _stored_visit(request.user, visit.pk))


@router.get("/visits", response={200: list[VisitOut], 404: MessageOut})
@paginate(Page)
def visit_list(request: AuthenticatedHttpRequest, filters: Query[VisitFilter]):
    """Visits in your reach (of one resident, if given), newest first."""
    resident = None
    if filters.resident is not None:
        resident = selectors.resident_for_user_or_404(request.user, filters.resident)
    return selectors.visits_list(user=request.user, resident=resident)
