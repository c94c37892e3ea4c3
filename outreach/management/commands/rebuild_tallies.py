"""Recompute the day tallies (outreach.tallies) from the visits, errands and ledger: once
after upgrading to a version that has them, after loading facts in bulk, or when
``--check`` finds a difference. ``--check`` changes nothing: it lists where the tallies
and the facts disagree and exits with 1 if they do (a nightly job can run it)."""

import time

from django.core.management.base import BaseCommand, CommandError

from outreach import tallies

SHOWN = 20


class Command(BaseCommand):
    help = "Recompute the per-area day tallies from the facts, or (--check) report where they differ."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only compare; write nothing.")

    def handle(self, *args, check: bool, **options):
        started = time.monotonic()
        if check:
            found = tallies.differences()
            for area_id, day, field, kept, counted in found[:SHOWN]:
                self.stdout.write(f"area {area_id} {day} {field}: tallied {kept}, counted {counted}")
            if found:
                raise CommandError(f"{len(found)} tallies differ from the facts; run rebuild_tallies to repair them.")
            self.stdout.write(self.style.SUCCESS(f"The tallies match the facts ({time.monotonic() - started:.1f} s)."))
            return
        rows = tallies.rebuild()
        self.stdout.write(self.style.SUCCESS(f"{rows:,} day tallies rebuilt in {time.monotonic() - started:.1f} s."))
