"""A roster's check and its import as background jobs: a 5,000-row workbook takes
seconds to read and check, and longer to write. The upload and the import button start
them (``views``); the roster's page shows the bar, then the report kept with the job."""

from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _

from outreach.jobs.services import JobFailed, Progress
from outreach.models import Job, RosterImport
from outreach.residents.roster import services as roster


@dataclass(frozen=True)
class IssueReport:
    column: str
    where: str
    message: str


@dataclass(frozen=True)
class RowReport:
    row: int
    name: str
    issues: list[IssueReport]


@dataclass
class CheckReport:
    """What the roster's page shows of a check (``roster.RosterCheck`` without the rows'
    data: no national ID is kept with the job)."""

    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    row_count: int = 0
    valid_count: int = 0
    error_count: int = 0
    ok: bool = False
    limited: bool = False
    bad_rows: list[RowReport] = field(default_factory=list)
    warned_rows: list[RowReport] = field(default_factory=list)

    @classmethod
    def of(cls, check: roster.RosterCheck) -> "CheckReport":
        def rows(reports: list[roster.RowReport]) -> list[RowReport]:
            return [
                RowReport(r.row, r.name, [IssueReport(i.column, i.where, i.message) for i in r.issues]) for r in reports
            ]

        return cls(
            file_errors=[str(e) for e in check.file_errors],
            ignored_columns=list(check.ignored_columns),
            row_count=check.row_count,
            valid_count=check.valid_count,
            error_count=check.error_count,
            ok=check.ok,
            limited=check.limited,
            bad_rows=rows(check.bad_rows),
            warned_rows=rows(check.warned_rows),
        )

    @classmethod
    def load(cls, data: dict) -> "CheckReport":
        def rows(items: list[dict]) -> list[RowReport]:
            return [RowReport(r["row"], r["name"], [IssueReport(**i) for i in r["issues"]]) for r in items]

        return cls(**{**data, "bad_rows": rows(data["bad_rows"]), "warned_rows": rows(data["warned_rows"])})

    def dump(self) -> dict:
        return asdict(self)


def _staged(job: Job) -> RosterImport:
    staged = RosterImport.objects.filter(pk=job.params["import"], uploaded_by=job.user).first()
    if staged is None:  # deleted after its retention period
        raise JobFailed(_("This roster upload is no longer kept; upload the file again."))
    return staged


def roster_check_job(job: Job, progress: Progress) -> None:
    staged = _staged(job)
    if staged.committed_at is not None:
        return
    check = roster.roster_check(
        user=job.user, data=roster.staged_file(staged), filename=staged.filename, progress=progress
    )
    RosterImport.objects.filter(pk=staged.pk).update(row_count=check.row_count)
    job.result = CheckReport.of(check).dump()


def roster_commit_job(job: Job, progress: Progress) -> None:
    staged = _staged(job)
    try:
        count = roster.roster_commit(actor=job.user, roster_import=staged, address_ip=job.address)
    except roster.RosterAlreadyImported as exc:
        raise JobFailed(exc.message) from None
    except roster.RosterRejected as exc:
        # The data changed since the check (a grid, a scope, a resident registered
        # meanwhile): the fresh errors replace the stale report.
        raise JobFailed(
            _(
                "The roster no longer passes the check; nothing was imported. Fix the rows below "
                "and upload the file again."
            ),
            result=CheckReport.of(exc.check).dump(),
        ) from None
    job.result = {"imported": count}
