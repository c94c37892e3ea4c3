"""Delete personal data past its retention period (README, Personal data): roster uploads
never imported, rejected online orders, read notifications and old audit log entries,
each after its own number of days (``DAIBAN_RETAIN_*_DAYS``).

Queued once a day by the worker (outreach.jobs.periodic), or run by hand. It deletes in batches of ``--batch`` rows,
each in its own short transaction, so the app keeps working while it runs; a second run
(or one after an interruption) deletes only what is left. ``--dry-run`` counts and
deletes nothing.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from outreach.privacy import services


class Command(BaseCommand):
    help = "Delete roster uploads, rejected orders, read notifications and audit entries past their retention period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")
        parser.add_argument("--batch", type=int, default=services.BATCH_SIZE, help="Rows per transaction (500).")

    def handle(self, *args, dry_run: bool, batch: int, **options):
        now = timezone.now()
        counts = services.expired_counts(now=now) if dry_run else services.expired_purge(now=now, batch_size=batch)
        verb = "would be deleted" if dry_run else "deleted"
        for retention in services.RETENTIONS:
            self.stdout.write(
                f"{retention.key}: {counts[retention.key]} {verb} (kept {retention.days} days, {retention.setting})"
            )
