"""The audit log page (PIPL): who revealed which national ID, imported, downloaded a list
with names, recorded or corrected a visit, registered or changed a resident — in the
areas the street official or city administrator reads — and its export. Thin: parse,
select, render; the export is itself an audit event."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from grid.access import reach_of
from outreach.common import spreadsheets
from outreach.common.audit import audit_download, common_area
from outreach.common.requests import client_address
from outreach.privacy import exports, selectors
from outreach.privacy.forms import AuditFilterForm
from outreach.reporting.exports import EXPORT_LANGUAGE

EVENTS_PER_PAGE = 50
EXPORT_LIMIT = 10_000  # rows in one file, newest first; narrow the filters for older ones


def _page_context(request, form: AuditFilterForm) -> dict:
    filters = form.filters()
    events = []
    more = False
    if form.is_valid():
        events = list(
            selectors.audit_events_for(user=request.user, before=form.cleaned_data.get("before"), **filters)[
                : EVENTS_PER_PAGE + 1
            ]
        )
        more = len(events) > EVENTS_PER_PAGE
        events = events[:EVENTS_PER_PAGE]
    query = {k: v for k, v in filters.items() if v}
    return {
        "form": form,
        "events": events,
        "entries": [(event, exports.describe(event)) for event in events],
        "older_query": urlencode({**query, "before": events[-1].pk}) if more else "",
        "paged": bool(form.is_valid() and form.cleaned_data.get("before")),
        "filtered": bool(query),
        "first_query": urlencode(query),
        "export_query": urlencode(query),
    }


@require_GET
@login_required
def audit_log(request):
    selectors.audit_reader_or_404(request.user)
    context = _page_context(request, AuditFilterForm(request.GET))
    template = "outreach/privacy/audit_log.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    return render(request, template, context)


@require_GET
@login_required
def audit_log_export(request, fmt: str):
    """The filtered log as XLSX or CSV (at most EXPORT_LIMIT rows, newest first). It names
    residents, so taking it is recorded like any list with names."""
    selectors.audit_reader_or_404(request.user)
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        lines = [f"{form[name].label}: {error}" for name, errors in form.errors.items() for error in errors]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
    filters = form.filters()
    events = list(selectors.audit_events_for(user=request.user, **filters)[: EXPORT_LIMIT + 1])
    cut = len(events) > EXPORT_LIMIT
    events = events[:EXPORT_LIMIT]
    paths = reach_of(request.user).audit_paths
    with translation.override(EXPORT_LANGUAGE):
        title = _("Audit log")
        table = exports.audit_table(events, title=title, cut_at=EXPORT_LIMIT if cut else None)
        filename = f"{title}-{timezone.localdate():%Y%m%d}"
        audit_download(
            actor=request.user,
            title=filename,
            rows=len(table.rows),
            fmt=fmt,
            area=common_area(paths),
            address=client_address(request),
        )
        return spreadsheets.table_response(table, fmt=fmt, filename=filename)
