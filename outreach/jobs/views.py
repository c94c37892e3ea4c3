"""A job's page: its progress bar (htmx asks again every second until it is finished),
then its file or what went wrong. Only the person who started a job sees it; anyone
else gets 404, and a missed list's file goes through the coverage door again. A finished roster job leads back to its roster's page."""

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from grid.models import Area
from outreach.common import spreadsheets
from outreach.common.audit import audit_download
from outreach.common.requests import client_address
from outreach.jobs.services import POLL_SECONDS, job_for_user_or_404
from outreach.models import Job
from outreach.reporting.dashboard.jobs import missed_list_door


def job_next_url(job: Job) -> str:
    """Where a finished job's result is shown, when not on its own page."""
    if job.kind in (Job.Kind.ROSTER_CHECK, Job.Kind.ROSTER_COMMIT):
        return reverse("roster-preview", args=[job.params["import"]])
    return ""


@require_GET
@login_required
def job_detail(request, pk):
    job = job_for_user_or_404(request.user, pk)
    context = {
        "job": job,
        "poll_seconds": POLL_SECONDS,
        "next_url": job_next_url(job),
        # The card asked again from another page (a roster's) keeps its own title.
        "own_page": not request.GET.get("titled"),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "outreach/jobs/detail.html#progress", context)
        if job.finished and context["next_url"]:
            response["HX-Redirect"] = context["next_url"]
        return response
    return render(request, "outreach/jobs/detail.html", context)


@require_GET
@login_required
def job_download(request, pk):
    """A finished export's file, once per request, each download audited like any list
    of residents leaving Daiban."""
    job = job_for_user_or_404(request.user, pk)
    if job.state != Job.State.DONE or not job.result_file or not default_storage.exists(job.result_file):
        raise Http404
    if job.kind == Job.Kind.MISSED_EXPORT:  # residents' names: the door again, as it stands now
        area = job.params["query"].get("area")
        missed_list_door(request.user, int(area) if area else None)
    result = job.result or {}
    audit_download(
        actor=request.user,
        title=result.get("title", job.result_filename),
        rows=result.get("rows", 0),
        fmt=result.get("format", ""),
        area=Area.objects.filter(pk=result["area"]).first() if result.get("area") else None,
        address=client_address(request),
    )
    return FileResponse(
        default_storage.open(job.result_file, "rb"),
        as_attachment=True,
        filename=job.result_filename,
        content_type=spreadsheets.content_type(result.get("format", "xlsx")),
    )
