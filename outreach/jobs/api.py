"""API of background jobs: start the missed-residents list of an area and period (202,
with the job), and follow a job until its file can be downloaded. A job is its starter's
alone: anyone else's id is 404."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from grid.access import AuthenticatedHttpRequest
from outreach.common.api import InvalidOut, MessageOut, invalid_input
from outreach.common.requests import client_address
from outreach.jobs.services import job_for_user_or_404
from outreach.models import Job
from outreach.reporting.dashboard.forms import ExportForm
from outreach.reporting.dashboard.jobs import missed_export_start

router = Router(tags=["background jobs"])


class JobOut(Schema):
    id: UUID
    kind: str = Field(json_schema_extra={"enum": list(Job.Kind.values)})
    state: str = Field(json_schema_extra={"enum": list(Job.State.values)})
    done: int
    total: int | None = Field(description="Known once the job has counted what it works on.")
    error: str = Field(description="What went wrong, in your language, when the state is failed.")
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None = Field(description="The file, once the state is done (an export).")

    @staticmethod
    def resolve_download_url(obj: Job) -> str | None:
        return reverse("job-download", args=[obj.pk]) if obj.state == Job.State.DONE and obj.result_file else None


class MissedExportIn(Schema):
    area: int | None = Field(None, ge=1, description="An area in your reach; none: where you start.")
    period: Literal["week", "month", "last_month", "custom"] = "month"
    start: date | None = Field(None, description="With period=custom.")
    end: date | None = Field(None, description="With period=custom.")
    format: Literal["xlsx", "csv"] = "xlsx"


@router.post("/exports/missed", response={202: JobOut, 404: MessageOut, 422: InvalidOut})
def missed_export(request: AuthenticatedHttpRequest, payload: MissedExportIn):
    """Start the list of residents missed in an area and period, as on the coverage map;
    follow it at /jobs/{id}. A role without residents, or an area out of reach, is 404."""
    query = {k: str(v) for k, v in payload.dict(exclude={"format"}).items() if v is not None} | {"table": "missed"}
    form = ExportForm(query, today=timezone.localdate())
    if not form.is_valid():
        raise invalid_input(ValidationError(form.errors.as_data()))
    job = missed_export_start(user=request.user, query=query, fmt=payload.format, address=client_address(request))
    return Status(202, job)


@router.get("/jobs/{job_id}", response={200: JobOut, 404: MessageOut})
def job_detail(request: AuthenticatedHttpRequest, job_id: UUID):
    """How far a job you started is; its file's address once done."""
    return job_for_user_or_404(request.user, job_id)
