"""Run queued background tasks inside a test, through the real queue (django-tasks-db).

The rows are the ones the app wrote; each is claimed and run by the same code the worker
(`manage.py worker`) runs, only in the test's thread and transaction, so a test sees what
the task wrote and is rolled back with it. ``tests/test_worker_process.py`` runs the
worker as its own process."""

from django.db.models import Q
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max


def run_tasks(*, now=None, limit: int = 100) -> int:
    """Run every task that is due (``run_after`` at or before ``now``, default: now),
    including those the tasks queue while running; returns how many ran."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        due = DBTaskResult.objects.ready()
        if now is not None:
            due = DBTaskResult.objects.filter(status="READY").filter(
                Q(run_after=get_date_max()) | Q(run_after__lte=now)
            )
        result = due.first()
        if result is None:
            return ran
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    raise AssertionError(f"more than {limit} tasks: a task that queues itself for ever?")


def queued(task_path: str = "") -> list[DBTaskResult]:
    """The tasks waiting to run, oldest first (of one task when its path is given)."""
    rows = DBTaskResult.objects.filter(status="READY").order_by("enqueued_at")
    if task_path:
        rows = rows.filter(task_path=task_path)
    return list(rows)
