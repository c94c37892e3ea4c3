"""Seed the deterministic Yiwu-like demo city. Running it twice changes nothing."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.outreach import seed_branches, seed_complaints, seed_errands, seed_outreach
from demo.territory import seed_territory
from grid.models import Area
from outreach.reporting import tallies


class Command(BaseCommand):
    help = "Build the demo city, its service network, joint branches, demo users, residents and visits."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the database already has areas.")
        parser.add_argument("--force", action="store_true", help="Seed even with DEBUG off (never on a live system).")

    def handle(self, *args, if_empty: bool, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to seed demo data with DEBUG off; pass --force if this is really a demo.")
        if if_empty and Area.objects.exists():
            self.stdout.write("The database already has a territory; demo seed skipped.")
            return
        started = time.monotonic()
        # The demo's own errands would otherwise log a notification line each.
        logging.getLogger("daiban.notify").setLevel(logging.WARNING)
        seed_territory()
        residents = seed_outreach()
        errands = seed_errands()
        seed_complaints()
        seed_branches()  # after the errands: the branches' queues and reports build on them
        tallies.rebuild()  # the visits went in by bulk, not through the services that count them
        tallies.rebuild_due()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo city ready in {time.monotonic() - started:.1f} s ({residents} new residents, {errands} new errands)."
            )
        )
