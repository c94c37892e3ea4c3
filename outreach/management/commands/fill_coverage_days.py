"""Write the coverage of the past days that are missing (``outreach.reporting.coverage.days``):
yesterday, and the days a late visit, correction or status change made stale. Queued
every night by the worker (``DAIBAN_PERIODIC_TIMES``: ``coverage_days``); ``--days`` goes
further back than ``DAIBAN_COVERAGE_DAYS`` (a new deployment's history, say)."""

import time

from django.core.management.base import BaseCommand

from outreach.reporting.coverage import days as coverage_days


class Command(BaseCommand):
    help = "Write the coverage of the missing past days, so that past periods read it instead of the visit history."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="How many days back from yesterday (default DAIBAN_COVERAGE_DAYS)."
        )

    def handle(self, *args, days: int | None, **options):
        started = time.monotonic()
        written = coverage_days.fill(days=days)
        self.stdout.write(
            self.style.SUCCESS(f"{len(written)} days of coverage written in {time.monotonic() - started:.1f} s.")
        )
