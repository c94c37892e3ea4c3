"""The background tasks of the jobs feature: a job, and a management command the
scheduler (``outreach.jobs.periodic``) queues at its hour."""

from django.core.management import call_command
from django.tasks import task

from outreach.jobs import services


@task
def run_job(job_id: str) -> None:
    services.job_run(job_id)


@task
def run_command(name: str, args: list[str]) -> None:
    """A periodic command (notify_overdue_errands, purge_expired, rebuild_tallies --check):
    each is idempotent, so a run queued twice or recovered after a dead worker does no harm."""
    call_command(name, *args)
