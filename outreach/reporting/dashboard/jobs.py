"""The missed-residents list as a background job: at city scale it is 100,000 rows, which
no request should write. The request checks the door and starts the job
(``views.dashboard_export``); the job checks it again (a scope may have changed since),
writes the file in the job's language and keeps it until it is downloaded; the download
is audited (``outreach.jobs.views.job_download``)."""

from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.db_router import replica_reads
from grid.access import reach_of
from grid.models import User
from outreach.common import spreadsheets
from outreach.common.audit import common_area
from outreach.jobs.files import job_file_save
from outreach.jobs.services import JobFailed, Progress, job_start
from outreach.models import Job
from outreach.reporting import exports
from outreach.reporting.coverage import selectors as coverage
from outreach.reporting.dashboard.forms import TABLES, ExportForm
from outreach.residents.selectors import residents_visible_to

CHUNK = 2000


def missed_list_door(user: User, area_id: int | None) -> coverage.Place:
    """The coverage map's door to a missed list: the place, for a user who sees its
    residents; an area out of reach, or a role that sees no residents, is a 404. Asked
    when the job starts, when it runs and when its file is downloaded (a scope may have
    been taken away meanwhile)."""
    place = coverage.place_for_user_or_404(user, area_id)
    if not reach_of(user).may_see_coverage_residents():
        raise Http404
    return place


def missed_export_start(*, user: User, query: dict, fmt: str, address: str | None) -> Job:
    """Start the missed list of the area and period of ``query`` (the screen's query
    string, already valid) for ``user``, through the door."""
    form = ExportForm(query, today=timezone.localdate())
    form.is_valid()
    missed_list_door(user, form.cleaned_data.get("area"))
    return job_start(user=user, kind=Job.Kind.MISSED_EXPORT, params={"query": query, "fmt": fmt}, address=address)


def missed_export(job: Job, progress: Progress) -> None:
    with replica_reads():  # a list a little behind the primary is as good, and spares it
        _missed_export(job, progress)


def _missed_export(job: Job, progress: Progress) -> None:
    user = job.user
    form = ExportForm(job.params["query"], today=timezone.localdate(job.created_at))
    if not form.is_valid():  # it was when the job started: only a changed rule gets here
        raise JobFailed("; ".join(str(e) for errors in form.errors.values() for e in errors))
    period, fmt = form.cleaned_data["the_period"], job.params["fmt"]
    try:
        place = missed_list_door(user, form.cleaned_data.get("area"))
    except Http404:
        place = None
    if place is None:
        raise JobFailed(_("You can no longer see the residents of this area, so the list was not made."))
    residents = residents_visible_to(user=user).filter(coverage.paths_q(place.paths, "grid__")).select_related("grid")
    missed = coverage.missed_residents(residents=residents, period=period)
    progress.total(missed.count())
    # One pass over one query (a server-side cursor on PostgreSQL), a chunk at a time:
    # pages by OFFSET would sort the city's residents again for every chunk.
    rows: list = []
    chunk: list = []
    for resident in missed.iterator(chunk_size=CHUNK):
        chunk.append(resident)
        if len(chunk) == CHUNK:
            rows += coverage.mark_days_overdue(chunk, period)
            progress.advance(len(chunk))
            chunk = []
    rows += coverage.mark_days_overdue(chunk, period)
    progress.advance(len(chunk))
    with translation.override(exports.EXPORT_LANGUAGE):
        title = str(TABLES["missed"])
        place_name = place.area.name if place.area else _("All my areas")
        table = exports.missed_table(rows, title=title)
        filename = f"{title}-{place_name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    job_file_save(job=job, data=spreadsheets.table_bytes(table, fmt=fmt), extension=fmt, filename=f"{filename}.{fmt}")
    area = place.area or common_area(place.paths)
    # What the download's audit row says: the list's title, its area and size.
    job.result = {"rows": len(table.rows), "title": filename, "format": fmt, "area": area.pk if area else None}
