"""Roster import screens: upload a resident roster, preview every row's problems, commit
it in one go, download the template. Station staff, street officials and city admins
only; everyone else (and anyone but the uploader, for a staged import) gets 404."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grid.access import reach_of
from grid.models import Area
from grid.selectors import areas_in_scope
from outreach.common.requests import client_address
from outreach.jobs.services import POLL_SECONDS, job_start
from outreach.models import Job
from outreach.residents.roster import services as roster
from outreach.residents.roster.forms import RosterUploadForm
from outreach.residents.roster.jobs import CheckReport


def _importer_only(user) -> None:
    if not reach_of(user).may_import_rosters():
        raise Http404


def _upload_context(form) -> dict:
    return {
        "form": form,
        "columns": roster.COLUMNS,
        "category_labels": roster.CATEGORY_LABELS,
        "max_rows": roster.MAX_ROWS,
        "max_size": filesizeformat(roster.MAX_BYTES),
    }


# A roster is full of national IDs: an error report must not list the file's bytes or the
# checked rows among the local variables of these views and the code below them.
@sensitive_variables()
@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def roster_upload(request):
    _importer_only(request.user)
    form = RosterUploadForm(request.POST, request.FILES) if request.method == "POST" else RosterUploadForm()
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            staged = roster.roster_stage(
                actor=request.user, filename=upload.name, data=roster.read_upload(upload), read=False
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            job_start(user=request.user, kind=Job.Kind.ROSTER_CHECK, params={"import": staged.pk})
            return redirect("roster-preview", pk=staged.pk)
    return render(request, "outreach/residents/roster/import.html", _upload_context(form))


def _latest_job(user, staged) -> Job | None:
    return (
        Job.objects.filter(
            user=user, kind__in=[Job.Kind.ROSTER_CHECK, Job.Kind.ROSTER_COMMIT], params__import=staged.pk
        )
        .order_by("-created_at")
        .first()
    )


@require_GET
@login_required
def roster_preview(request, pk: int):
    """The roster's page: the check's (or the import's) progress bar while its job runs,
    then the report of every row, the import button, or what was imported."""
    staged = roster.roster_import_for_user_or_404(request.user, pk)
    job = _latest_job(request.user, staged)
    if job is None and staged.committed_at is None:  # an upload from before the jobs
        job = job_start(user=request.user, kind=Job.Kind.ROSTER_CHECK, params={"import": staged.pk})
    result = job.result if job is not None and job.finished else None
    check = CheckReport.load(result) if result and "bad_rows" in result else None
    status = 200
    if check is not None and check.limited:
        status = 429
    elif job is not None and job.kind == Job.Kind.ROSTER_COMMIT and job.state == Job.State.FAILED and check:
        status = 409  # the import found errors the check had not
    context = {"staged": staged, "check": check, "job": job, "poll_seconds": POLL_SECONDS}
    return render(request, "outreach/residents/roster/preview.html", context, status=status)


@require_POST
@login_required
def roster_commit(request, pk: int):
    staged = roster.roster_import_for_user_or_404(request.user, pk)
    if staged.committed_at is not None:
        messages.error(request, roster.RosterAlreadyImported(staged).message)
    else:
        job_start(
            user=request.user,
            kind=Job.Kind.ROSTER_COMMIT,
            params={"import": staged.pk},
            address=client_address(request),
        )
    return redirect("roster-preview", pk=staged.pk)


@require_GET
@login_required
def roster_template(request):
    _importer_only(request.user)
    grids = (
        areas_in_scope(user=request.user)
        .filter(level=Area.Level.GRID)
        .select_related("parent")
        .only("code", "name", "parent", "parent__name")
        .order_by("path")
    )
    data = roster.template_workbook(grids=grids)
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=roster.TEMPLATE_FILENAME, content_type=roster.XLSX_CONTENT_TYPE
    )
