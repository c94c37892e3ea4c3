"""Re-encrypt every stored national ID with the first key of ``DAIBAN_FIELD_KEY``
(README, Replacing the national-ID key).

Run it once every server has the new key first and the old one after it
(``DAIBAN_FIELD_KEY=new,old``): the app keeps working throughout, as every key still
decrypts and finds duplicates. It works in batches by resident id, each its own short
transaction, and skips IDs already under the new key, so after an interruption run it
again and it carries on. It ends by checking every ID; when it reports none left under
an old key, remove the old key from ``DAIBAN_FIELD_KEY`` everywhere.
"""

from django.core.management.base import BaseCommand, CommandError

from outreach.common import crypto
from outreach.privacy import services


class Command(BaseCommand):
    help = "Re-encrypt every stored national ID with the first (new) key of DAIBAN_FIELD_KEY, in resumable batches."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=services.BATCH_SIZE, help="Residents per transaction (500).")
        parser.add_argument("--check", action="store_true", help="Only report IDs still under an old key.")

    def handle(self, *args, batch: int, check: bool, **options):
        if check:
            remaining = services.field_keys_outdated()
        else:
            if len(crypto.field_keys()) < 2:
                self.stdout.write("DAIBAN_FIELD_KEY holds one key: IDs under any other key could not be read anyway.")

            def report(progress: services.Rotation) -> None:
                if progress.batches % 20 == 0:
                    self.stdout.write(f"… {progress.rotated} re-encrypted, {progress.current} already current")

            done = services.field_key_rotate(batch_size=batch, on_batch=report)
            self.stdout.write(
                f"{done.rotated} national IDs re-encrypted, {done.current} already under the new key, "
                f"{done.changed_meanwhile} changed meanwhile (written with the new key), "
                f"{done.staged_files} staged roster files re-encrypted."
            )
            remaining = done.remaining
            if done.unreadable:
                shown = ", ".join(map(str, done.unreadable[:20]))
                raise CommandError(
                    f"{len(done.unreadable)} national IDs decrypt with none of the keys of DAIBAN_FIELD_KEY "
                    f"(resident ids {shown}): put back the key they were written with and run again."
                )
        if remaining:
            shown = ", ".join(map(str, remaining))
            raise CommandError(f"Residents still under an old key (first ids: {shown}); run rotate_field_key again.")
        self.stdout.write(self.style.SUCCESS("Every national ID is under the new key: the old keys can be removed."))
