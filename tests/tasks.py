"""Run queued background tasks inside a test, through the real queue (django-tasks-db).

The rows are the ones the app wrote; each is claimed and run by the same code the worker
(`manage.py worker`) runs, only in the test's thread and transaction, so a test sees what
the task wrote and is rolled back with it. ``tests/test_worker_process.py`` runs the
worker as its own process."""

from django_tasks_db.models import DBTaskResult

from outreach.jobs.inline import run_due


def run_tasks(*, now=None, limit: int = 100) -> int:
    """Run every task that is due (``run_after`` at or before ``now``, default: now),
    including those the tasks queue while running; returns how many ran."""
    return run_due(now=now, limit=limit, worker_id="test")


def queued(task_path: str = "") -> list[DBTaskResult]:
    """The tasks waiting to run, oldest first (of one task when its path is given)."""
    rows = DBTaskResult.objects.filter(status="READY").order_by("enqueued_at")
    if task_path:
        rows = rows.filter(task_path=task_path)
    return list(rows)
