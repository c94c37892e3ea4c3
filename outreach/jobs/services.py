"""Jobs: start one for a user, run it in the worker, and recover it when a worker dies.

A job is a row (``outreach.models.Job``) the progress bar reads and one queued task
(``outreach.jobs.tasks.run_job``) that does the work. Running a job twice does no harm:
a finished job is not run again, and each kind's work is idempotent on its own (an
export writes its file again, a roster import is committed once). A job whose worker
died stops beating; ``recover`` queues it again, up to ``DAIBAN_JOB_ATTEMPTS`` times,
then marks it failed with a message: no job is lost in silence.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from grid.models import User
from outreach.models import Job

logger = logging.getLogger("daiban.jobs")

# What each kind of job runs: ``runner(job, progress)``, which fills in the job's result
# (file, summary) or raises JobFailed with a message for the person waiting.
RUNNERS = {
    Job.Kind.MISSED_EXPORT: "outreach.reporting.dashboard.jobs.missed_export",
    Job.Kind.ROSTER_CHECK: "outreach.residents.roster.jobs.roster_check_job",
    Job.Kind.ROSTER_COMMIT: "outreach.residents.roster.jobs.roster_commit_job",
}
# A progress page asks again this often (htmx).
POLL_SECONDS = 1
# Progress is written at most this often (and always at the end): one UPDATE a second.
BEAT_SECONDS = 1.0


class JobFailed(Exception):
    """The job cannot do what was asked; ``message`` tells the person waiting why."""

    def __init__(self, message: str, *, result: Any = None):
        super().__init__(message)
        self.message = message
        self.result = result


class Progress:
    """How far a running job is: ``total(n)`` once it knows, ``advance(k)`` as it goes.
    Writes go straight to the job's row (outside any transaction the job holds open, on
    PostgreSQL they would wait for its commit, so a job writes them between its steps)."""

    def __init__(self, job: Job):
        self.job = job
        self._written = 0.0

    def total(self, count: int) -> None:
        self.job.total = count
        self._write(force=True)

    def advance(self, count: int = 1) -> None:
        self.job.done += count
        self._write()

    def _write(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._written >= BEAT_SECONDS:
            self._written = now
            self.job.heartbeat_at = timezone.now()
            Job.objects.filter(pk=self.job.pk).update(
                done=self.job.done, total=self.job.total, heartbeat_at=self.job.heartbeat_at
            )


def job_start(*, user: User, kind: Job.Kind, params: dict, address: str | None = None) -> Job:
    """Record a job for ``user`` and queue its task. The queue lives in the same database,
    so the two rows are written in the caller's transaction: a job is queued if and only
    if it is recorded, and no worker sees it before the caller commits."""
    job = Job.objects.create(
        kind=kind, user=user, params=params, address=address, language=translation.get_language() or "zh-hans"
    )
    _enqueue(job)
    return job


def _enqueue(job: Job) -> None:
    from outreach.jobs.tasks import run_job  # the task module imports this one

    result = run_job.enqueue(str(job.pk))
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))


def job_for_user_or_404(user: User, pk: UUID | str) -> Job:
    """A job, for the person who started it only: anyone else gets 404."""
    return get_object_or_404(Job.objects.filter(user=user), pk=pk)


def _claim(job_id: str) -> Job | None:
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state in (Job.State.DONE, Job.State.FAILED):
            return None  # ran already (a task queued twice, or recovered after all)
        job.state, job.attempts = Job.State.RUNNING, job.attempts + 1
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["state", "attempts", "heartbeat_at"])
    return job


def _finish(job: Job, state: Job.State, *, error: str = "") -> None:
    job.state, job.error, job.finished_at = state, error, timezone.now()
    job.heartbeat_at = job.finished_at
    job.save(
        update_fields=[
            "state",
            "error",
            "finished_at",
            "heartbeat_at",
            "done",
            "total",
            "result",
            "result_file",
            "result_filename",
        ]
    )


def job_run(job_id: str) -> None:
    """Run a queued job in the language of the person who started it."""
    job = _claim(job_id)
    if job is None:
        return
    runner: Callable[[Job, Progress], None] = import_string(RUNNERS[Job.Kind(job.kind)])
    with translation.override(job.language):
        try:
            runner(job, Progress(job))
        except JobFailed as exc:
            job.result = exc.result
            _finish(job, Job.State.FAILED, error=exc.message)
        except Exception:
            # A fault of Daiban's, not of the input: the person is told, the task is
            # marked failed with its traceback for the administrator.
            _finish(
                job,
                Job.State.FAILED,
                error=_(
                    "Daiban could not finish this because of an error on the server; nothing was changed. "
                    "Try again later; if it fails again, tell your administrator the time: %(time)s."
                )
                % {"time": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
            )
            raise
        else:
            _finish(job, Job.State.DONE)


# --- recovery: workers die (a deploy, the OOM killer, a power cut) ------------------------

WORKER_LOST = "outreach.jobs.services.WorkerLost"


class WorkerLost(Exception):
    """The worker running a task stopped without finishing it."""


def _mark_lost(task_ids: list[str]) -> None:
    DBTaskResult.objects.filter(pk__in=task_ids, status="RUNNING").update(
        status="FAILED",
        finished_at=timezone.now(),
        exception_class_path=WORKER_LOST,
        traceback=_WORKER_LOST_NOTE,
    )


_WORKER_LOST_NOTE = "The worker stopped while running this task (outreach.jobs.services.recover)."


def recover(*, now: datetime | None = None) -> tuple[int, int]:
    """Queue again what a dead worker left running; returns (requeued, given up).

    A job is dead when it has not beaten for ``DAIBAN_JOB_STALL_SECONDS``; any other task
    when it has run for ``DAIBAN_TASK_STALL_MINUTES``. Both are queued again (every task
    of Daiban's is idempotent) until ``DAIBAN_JOB_ATTEMPTS`` runs, then left failed."""
    now = now or timezone.now()
    requeued = given_up = 0
    stalled_jobs = Job.objects.filter(
        state=Job.State.RUNNING, heartbeat_at__lt=now - timedelta(seconds=settings.DAIBAN_JOB_STALL_SECONDS)
    )
    for job in stalled_jobs:
        with transaction.atomic():
            locked = Job.objects.select_for_update(skip_locked=True).filter(pk=job.pk, state=Job.State.RUNNING).first()
            if locked is None:
                continue
            if locked.task_id:
                _mark_lost([locked.task_id])
            if locked.attempts >= settings.DAIBAN_JOB_ATTEMPTS:
                locked.state, locked.finished_at = Job.State.FAILED, now
                locked.error = _(
                    "This stopped %(count)d times before it could finish; nothing more will be tried. "
                    "Start it again, or tell your administrator."
                ) % {"count": locked.attempts}
                locked.save(update_fields=["state", "finished_at", "error"])
                given_up += 1
            else:
                locked.state = Job.State.QUEUED
                locked.save(update_fields=["state"])
                _enqueue(locked)
                requeued += 1
    stalled_tasks = (
        DBTaskResult.objects.filter(
            status="RUNNING", started_at__lt=now - timedelta(minutes=settings.DAIBAN_TASK_STALL_MINUTES)
        )
        .exclude(task_path="outreach.jobs.tasks.run_job")  # followed by their job's beat
        .only("id", "task_path", "args_kwargs")
    )
    for task in stalled_tasks:
        _mark_lost([str(task.pk)])
        earlier = DBTaskResult.objects.filter(
            status="FAILED",
            exception_class_path=WORKER_LOST,
            task_path=task.task_path,
            args_kwargs=task.args_kwargs,
        ).count()
        if earlier < settings.DAIBAN_JOB_ATTEMPTS:
            again = import_string(task.task_path)
            again.enqueue(*task.args_kwargs["args"], **task.args_kwargs["kwargs"])
            requeued += 1
        else:
            logger.error("task %s (%s) stopped %d times; not queued again", task.pk, task.task_path, earlier)
            given_up += 1
    return requeued, given_up
