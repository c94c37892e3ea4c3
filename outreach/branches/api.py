"""API of the joint branches' workspace: the branches a user may see, a branch's paired
points (open errands, last activity, the neglected flag), and its activities.

Activities are logged with an id made on the client, like visits: the first send stands
(201), the same activity sent again answers 200, other content under a used id 409, bad
content 422. A branch out of reach — or, for a write, a branch the caller only reads
(street officials, the city administrator) — is 404, never a hint.
"""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, field_validator

from config.params import Id, Page
from grid.access import AuthenticatedHttpRequest
from outreach.branches import selectors, services
from outreach.common.api import InvalidOut, JsonOrForm, MessageOut, invalid_input
from outreach.common.errors import Conflict
from outreach.models import ActivityTopic, BranchActivity
from outreach.photos.pipeline import PhotoRejected
from outreach.photos.schemas import PhotoOut, with_photos

router = Router(tags=["joint branches"])


def _choices(values) -> dict:
    return {"json_schema_extra": {"enum": list(values)}}


# --- schemas ------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str


class BranchOut(Schema):
    id: int
    number: int
    name: str
    secretary: PersonOut | None
    paired_points: int = Field(description="Points the branch is paired with now.")
    you_work_here: bool = Field(description="You are its secretary or a member: you may log activities.")
    you_lead: bool = Field(description="You are its secretary: you manage members and pairings.")

    @staticmethod
    def resolve_secretary(obj) -> dict | None:
        return {"id": obj.secretary.pk, "name": obj.secretary.display_name} if obj.secretary_id else None

    @staticmethod
    def resolve_you_work_here(obj, context) -> bool:
        return selectors.may_work_in(context["request"].user, obj)

    @staticmethod
    def resolve_you_lead(obj, context) -> bool:
        return selectors.may_manage(context["request"].user, obj)


class PointAreaOut(Schema):
    id: int
    name: str
    town: str


class PointOut(Schema):
    id: int
    name: str
    tier: str
    area: PointAreaOut
    lat: float | None
    lng: float | None
    paired_since: date
    liaison: PersonOut | None
    liaison_name: str
    open_errands: int = Field(description="Open errands of the residents the point serves (its area and below).")
    last_activity_on: date | None = Field(description="The branch's last activity held at the point.")
    neglected: bool = Field(description="No activity held there for DAIBAN_BRANCH_NEGLECT_DAYS days.")

    @staticmethod
    def resolve_id(row) -> int:
        return row.point.pk

    @staticmethod
    def resolve_name(row) -> str:
        return row.point.name

    @staticmethod
    def resolve_tier(row) -> str:
        return row.point.tier

    @staticmethod
    def resolve_area(row) -> dict:
        area = row.point.area
        return {"id": area.pk, "name": area.name, "town": area.parent.name if area.parent_id else ""}

    @staticmethod
    def resolve_lat(row):
        return row.point.lat

    @staticmethod
    def resolve_lng(row):
        return row.point.lng

    @staticmethod
    def resolve_paired_since(row) -> date:
        return row.pairing.since

    @staticmethod
    def resolve_liaison(row) -> dict | None:
        liaison = row.pairing.liaison
        return {"id": liaison.pk, "name": liaison.display_name} if liaison else None

    @staticmethod
    def resolve_liaison_name(row) -> str:
        return row.pairing.liaison_name


class ActivityPointOut(Schema):
    id: int
    name: str


class ActivityOut(Schema):
    id: UUID
    branch: int
    kind: str = Field(**_choices(BranchActivity.Kind.values))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    status: str = Field(**_choices(BranchActivity.Status.values))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    held_on: date
    points: list[ActivityPointOut]
    people_reached: int
    topics: list[str]
    topics_other: str
    notes: str
    created_by: PersonOut
    created_at: datetime
    photos: list[PhotoOut]

    @staticmethod
    def resolve_branch(obj: BranchActivity) -> int:
        return obj.branch_id

    @staticmethod
    def resolve_points(obj: BranchActivity) -> list:
        return list(obj.points.all())  # prefetched by the selector

    @staticmethod
    def resolve_created_by(obj: BranchActivity) -> dict:
        return {"id": obj.created_by_id, "name": obj.created_by.display_name}

    @staticmethod
    def resolve_photos(obj: BranchActivity) -> list:
        return list(obj.photos.all())


class ActivityConflictOut(Schema):
    message: str
    activity: ActivityOut | None = Field(description="The activity stored under this id (null if outside your reach).")


class PointFilter(Schema):
    neglected: bool = Field(False, description="Only neglected points.")


class ActivityFilter(Schema):
    status: BranchActivity.Status | None = None


class ActivityIn(Schema):
    """One activity as the client recorded it; the id is made on the client, so sending
    it again is safe. Codes are checked by the service, which answers in the user's
    language; the enums here document them."""

    id: UUID = Field(description="Made on the client; sending the same activity again is safe.")
    kind: str = Field(**_choices(BranchActivity.Kind.values))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    status: str = Field(BranchActivity.Status.HELD, **_choices(BranchActivity.Status.values))  # type: ignore[misc]  # mypy cannot read Field(**_choices(…))
    held_on: date = Field(description="The day it was held (today or earlier), or is planned for (today or later).")
    points: list[Id] = Field(description="Ids of the branch's paired points (GET /branches/{id}/points).")
    people_reached: int = Field(0, ge=0, le=100000, description="At least 1 when held; 0 when planned.")
    topics: list[Annotated[str, Field(**_choices(ActivityTopic.values))]] = []
    topics_other: str = Field("", max_length=services.TOPICS_OTHER_MAX)
    notes: str = Field("", max_length=services.NOTES_MAX)

    @field_validator("topics_other", "notes", mode="before")
    @classmethod
    def _null_is_empty(cls, value):
        return "" if value is None else value

    @field_validator("topics", "points", mode="before")
    @classmethod
    def _null_is_none(cls, value):
        return [] if value is None else value

    def as_input(self) -> services.ActivityInput:
        return services.ActivityInput(
            kind=self.kind,
            status=self.status,
            held_on=self.held_on,
            point_ids=tuple(self.points),
            people_reached=self.people_reached,
            topics=tuple(self.topics),
            topics_other=self.topics_other,
            notes=self.notes,
        )


# --- endpoints -----------------------------------------------------------------------------


@router.get("/branches", response=list[BranchOut])
def branch_list(request: AuthenticatedHttpRequest):
    """The joint branches you may see: every one for the city administrator and street
    officials, your own for a secretary or member."""
    return list(selectors.branches_list(user=request.user))


@router.get("/branches/{branch_id}/points", response=list[PointOut])
@paginate(Page)
def branch_point_list(request: AuthenticatedHttpRequest, branch_id: Id, filters: Query[PointFilter]):
    """The branch's paired points, neglected ones first."""
    branch = selectors.branch_for_user_or_404(request.user, branch_id)
    return selectors.branch_points(branch=branch, today=timezone.localdate(), neglected_only=filters.neglected)


@router.get("/branches/{branch_id}/activities", response=list[ActivityOut])
@paginate(Page)
def branch_activity_list(request: AuthenticatedHttpRequest, branch_id: Id, filters: Query[ActivityFilter]):
    """The branch's activities, newest first."""
    branch = selectors.branch_for_user_or_404(request.user, branch_id)
    return selectors.activities_list(branch=branch, status=filters.status or "")


def _stored(branch, pk) -> BranchActivity | None:
    try:
        return selectors.activity_for_branch_or_404(branch=branch, pk=pk)
    except Http404:  # stored under another branch: not shown
        return None


@router.post(
    "/branches/{branch_id}/activities",
    response={200: ActivityOut, 201: ActivityOut, 404: MessageOut, 409: ActivityConflictOut, 422: InvalidOut},
    openapi_extra=with_photos(ActivityIn),
)
def branch_activity_create(
    request: AuthenticatedHttpRequest, branch_id: Id, payload: Annotated[ActivityIn, JsonOrForm(...)]
):
    """Log an activity: 201 when stored now, 200 when this very activity was stored
    before, 409 when another activity already has this id. Photos may come along as
    multipart ``photos`` (only with a held activity)."""
    branch = selectors.branch_for_worker_or_404(request.user, branch_id)
    try:
        activity, created = services.activity_record(
            actor=request.user,
            branch=branch,
            activity_id=payload.id,
            data=payload.as_input(),
            uploads=request.FILES.getlist("photos"),
        )
    except Conflict as exc:
        return Status(409, {"message": exc.message, "activity": _stored(branch, exc.current.pk)})
    except (ValidationError, PhotoRejected) as exc:
        raise invalid_input(exc) from None
    return Status(201 if created else 200, selectors.activity_for_branch_or_404(branch=branch, pk=activity.pk))
