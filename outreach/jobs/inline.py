"""The worker's loop in this process: claim each task that is due and run it with the
code ``manage.py worker`` runs (django-tasks-db's ``Worker.run_task``), without its
sleeping, signals or connection handling. For the benchmark (``bench_jobs``) and the
tests (``tests/tasks.py``), which run tasks inside a transaction of their own."""

from datetime import datetime

from django.db.models import Q
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max


def run_due(*, now: datetime | None = None, limit: int = 100, worker_id: str = "inline") -> int:
    """Run every task due by ``now`` (default: now), including those the tasks queue while
    running; returns how many ran. More than ``limit`` is a task queuing itself for ever."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        due = DBTaskResult.objects.ready()
        if now is not None:
            due = DBTaskResult.objects.filter(status="READY").filter(
                Q(run_after=get_date_max()) | Q(run_after__lte=now)
            )
        task = due.first()
        if task is None:
            return ran
        task.claim(worker.worker_id)
        worker.run_task(task)
        ran += 1
    raise RuntimeError(f"more than {limit} tasks in a row: a task that queues itself for ever?")
