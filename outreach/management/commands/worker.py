"""Run Daiban's background tasks: ``manage.py worker``.

The database queue's worker (django-tasks-db's ``db_worker``, every option of which it
takes) plus the scheduler: every ``--tick`` seconds it queues the periodic tasks whose
hour has come (``outreach.jobs.periodic``) and queues again what a dead worker left
running. Run one or more per deployment (systemd, supervisor; README, Deployment); the
scheduler queues each periodic task once however many run. ``--no-schedule`` runs tasks
only.
"""

import logging
import os
import threading

from django.db import close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from outreach.jobs import periodic

logger = logging.getLogger("daiban.jobs")


def _schedule_forever(every: float, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            periodic.tick()
        except Exception:  # a database hiccup must not end the scheduler
            logger.exception("the scheduler's tick failed; trying again in %s s", every)
        finally:
            close_old_connections()
        stop.wait(every)


class Command(db_worker.Command):
    help = "Run background tasks from the database queue, and queue the periodic ones at their hour."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--no-schedule", action="store_true", help="Run tasks only; queue no periodic task.")
        parser.add_argument("--tick", type=float, default=30.0, help="Seconds between the scheduler's looks (30).")

    def handle(self, *args, **options):  # db_worker's options, plus ours
        no_schedule, tick = options.pop("no_schedule"), options.pop("tick")
        # With --reload (the default while debugging) this process only watches the code
        # and runs the worker again as a child: the child schedules, this one does not.
        watching = (
            options.get("reload") and not options.get("batch") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        if not no_schedule and not options.get("batch") and not watching:
            stop = threading.Event()
            threading.Thread(target=_schedule_forever, args=(tick, stop), name="daiban-scheduler", daemon=True).start()
        super().handle(*args, **options)
