"""Recompute every resident's stored due date, after DAIBAN_CARE_INTERVAL_DAYS changed.

The due date is stored on the resident so that lists filter and sort in the database;
the visit services keep it right as visits arrive, but a new interval setting only
reaches residents through this command. The due tallies (residents per due date, which
coverage reads) are recounted with them, in the same transaction, and every past day's
written coverage is left to be counted again (it judged "on time" by the old intervals;
the worker's nightly ``fill_coverage_days`` writes it anew).
"""

from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction

from outreach.common.due import due_on_for
from outreach.models import Resident
from outreach.reporting import tallies

BATCH = 2000


class Command(BaseCommand):
    help = "Recompute residents' next-visit due dates from their last in-person visit and care level."

    def handle(self, *args, **options):
        changed = 0
        with transaction.atomic():
            residents = Resident.objects.only("id", "last_met_on", "registered_on", "care_level", "due_on")
            pending = []
            for resident in residents.order_by("pk").iterator(chunk_size=BATCH):
                due_on = due_on_for(
                    last_met_on=resident.last_met_on,
                    registered_on=resident.registered_on,
                    care_level=resident.care_level,
                )
                if due_on != resident.due_on:
                    resident.due_on = due_on
                    pending.append(resident)
                if len(pending) >= BATCH:
                    changed += Resident.objects.bulk_update(pending, ["due_on"])
                    pending = []
            changed += Resident.objects.bulk_update(pending, ["due_on"])
            if changed:
                tallies.rebuild_due()
            tallies.coverage_days_stale_from(date.min)  # judged by the old intervals
        self.stdout.write(f"{changed} due dates changed.")
