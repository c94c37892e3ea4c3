"""The periodic tasks and when they run. ``manage.py worker`` calls ``tick`` every half
minute: each task whose hour has come today is queued once for the day (a unique
``PeriodicRun`` row: two workers, or a worker restarted after the hour, queue it once),
and what dead workers left running is queued again (``services.recover``). A worker that
was down at the hour queues the day's run when it starts."""

import logging
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from outreach.jobs import services
from outreach.jobs.tasks import run_command
from outreach.models import PeriodicRun

logger = logging.getLogger("daiban.jobs")


@dataclass(frozen=True)
class Periodic:
    name: str
    command: str
    args: tuple[str, ...]
    at: time  # local time, every day


def schedule() -> list[Periodic]:
    hours = settings.DAIBAN_PERIODIC_TIMES
    return [
        # Before the first round of the day: who has an errand past its due date.
        Periodic("overdue_notices", "notify_overdue_errands", (), hours["overdue_notices"]),
        # After midnight: how every area stood at the end of yesterday (and of the days a
        # late fact made stale), for the past periods.
        Periodic("coverage_days", "fill_coverage_days", (), hours["coverage_days"]),
        # At night, when nobody records visits: the maintained counts against the facts.
        Periodic("tally_check", "rebuild_tallies", ("--check",), hours["tally_check"]),
        # Personal data past its retention period.
        Periodic("retention_purge", "purge_expired", (), hours["retention_purge"]),
    ]


def tick(*, now: datetime | None = None) -> list[str]:
    """Queue the periodic tasks due at ``now`` that are not queued yet today; recover dead
    workers' tasks. Returns the names queued."""
    now = timezone.localtime(now or timezone.now())
    queued = []
    for periodic in schedule():
        if now.time() < periodic.at:
            continue
        try:
            with transaction.atomic():
                run = PeriodicRun.objects.create(name=periodic.name, slot=now.date().isoformat(), queued_at=now)
                result = run_command.enqueue(periodic.command, list(periodic.args))
                PeriodicRun.objects.filter(pk=run.pk).update(task_id=str(result.id))
        except IntegrityError:
            continue  # queued already today
        logger.info("queued %s for %s", periodic.name, run.slot)
        queued.append(periodic.name)
    requeued, given_up = services.recover(now=now)
    if requeued or given_up:
        logger.warning("recovered tasks from dead workers: %d queued again, %d given up", requeued, given_up)
    return queued
