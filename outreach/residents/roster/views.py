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
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grid.access import reach_of
from grid.models import Area
from grid.selectors import areas_in_scope
from outreach.common.requests import client_address
from outreach.residents.roster import services as roster
from outreach.residents.roster.forms import RosterUploadForm


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
            staged = roster.roster_stage(actor=request.user, filename=upload.name, data=roster.read_upload(upload))
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("roster-preview", pk=staged.pk)
    return render(request, "outreach/residents/roster/import.html", _upload_context(form))


def _preview(request, staged, check, status=200):
    return render(request, "outreach/residents/roster/preview.html", {"staged": staged, "check": check}, status=status)


@sensitive_variables()
@require_GET
@login_required
def roster_preview(request, pk: int):
    staged = roster.roster_import_for_user_or_404(request.user, pk)
    check = None
    if staged.committed_at is None:
        check = roster.roster_check(user=request.user, data=roster.staged_file(staged), filename=staged.filename)
    return _preview(request, staged, check, status=429 if check is not None and check.limited else 200)


@sensitive_variables()
@require_POST
@login_required
def roster_commit(request, pk: int):
    staged = roster.roster_import_for_user_or_404(request.user, pk)
    try:
        count = roster.roster_commit(actor=request.user, roster_import=staged, address_ip=client_address(request))
    except roster.RosterAlreadyImported as exc:
        messages.error(request, exc.message)
        return redirect("roster-preview", pk=staged.pk)
    except roster.RosterRejected as exc:
        # The data changed since the preview (a grid, a scope, a resident registered
        # meanwhile): show the fresh errors in place of the stale preview.
        messages.error(
            request,
            _(
                "The roster no longer passes the check; nothing was imported. Fix the rows below "
                "and upload the file again."
            ),
        )
        return _preview(request, staged, exc.check, status=429 if exc.check.limited else 409)
    messages.success(
        request, ngettext("%(count)d resident imported.", "%(count)d residents imported.", count) % {"count": count}
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
