"""Recompute the tallies (outreach.reporting.tallies) from the facts, or check them: the
day tallies from the visits, errands and ledger, the due tallies from the residents.
``--check`` reads only (no lock, no write): it compares the last ``--days`` days (0:
every day) of each grid's day tallies with its residents' facts and of each area's with
the sum of its children's, and every due tally with the active residents (of a grid) or
the children's (of an area above), lists where they differ, and exits with 1 if they do
— a nightly job. A rebuild locks the tallies against writers while it runs (about a
minute at city scale): visits recorded meanwhile wait for it."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from outreach.reporting import tallies

SHOWN = 20


class Command(BaseCommand):
    help = "Recompute the per-area day and due tallies from the facts, or (--check) report where they differ."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only compare; write nothing.")
        parser.add_argument(
            "--days",
            type=int,
            default=62,
            help="With --check: how many days back to compare the day tallies (default 62; 0 for every day).",
        )

    def handle(self, *args, check: bool, days: int, **options):
        started = time.monotonic()
        if check:
            since = timezone.localdate() - timedelta(days=days - 1) if days > 0 else None
            found = tallies.differences(since=since) + tallies.due_differences()
            for area_id, day, field, kept, expected in found[:SHOWN]:
                self.stdout.write(f"area {area_id} {day} {field}: tallied {kept}, expected {expected}")
            if found:
                raise CommandError(f"{len(found)} tallies differ from the facts; run rebuild_tallies to repair them.")
            self.stdout.write(self.style.SUCCESS(f"The tallies match the facts ({time.monotonic() - started:.1f} s)."))
            return
        rows = tallies.rebuild()
        due_rows = tallies.rebuild_due()
        self.stdout.write(
            self.style.SUCCESS(
                f"{rows:,} day tallies and {due_rows:,} due tallies rebuilt in {time.monotonic() - started:.1f} s."
            )
        )
