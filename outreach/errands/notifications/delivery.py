"""Sending one ``Delivery``: claim the row, hand it to its channel, record how it went.

The claim is a conditional update, so two runs of the same task (a worker retried, two
workers) cannot both send: the one whose update changed the row sends, the other does
nothing. A sent or given-up row is never taken again; a failed one is taken by the next
run (its retry, queued for the backoff's time). The HTTP call runs outside any transaction; a failure is recorded with the
time of the next try (the backoff), or, after ``DAIBAN_NOTIFY_MAX_ATTEMPTS``, as given up.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from outreach.errands.notifications.channels import DeliveryError, Message, channel
from outreach.models import Delivery

logger = logging.getLogger("daiban.notify")

Status = Delivery.Status
# Minutes before the next try after the 1st, 2nd, 3rd… failure; the last repeats.
BACKOFF_MINUTES = [1, 5, 30, 120]
# A claim older than this was lost with its worker (the HTTP timeout is far shorter), so
# another run may take the row again.
CLAIM_LEASE = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


@dataclass(frozen=True)
class Attempt:
    status: str  # the row's status after this run (unchanged when it was not ours to send)
    retry_at: datetime | None = None  # when to run again, after a failure


def delivery_attempt(*, delivery_id: int) -> Attempt:
    """Send the delivery if it is still to be sent; say when to try again."""
    now = timezone.now()
    claimable = Q(status__in=[Status.PENDING, Status.FAILED]) | Q(status=Status.SENDING, next_attempt_at__lte=now)
    claimed = Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE
    )
    row = Delivery.objects.filter(pk=delivery_id).first()
    if row is None or not claimed:
        return Attempt(status=row.status if row else "missing")
    message = Message(recipient=row.recipient, kind=row.kind, text=row.text, params=row.params)
    try:
        channel(row.channel).send(message)
    except DeliveryError as error:
        return _failed(row, str(error))
    except Exception as error:  # a bug or an odd answer must not leave the row claimed
        logger.exception("delivery %s failed", row.pk)
        return _failed(row, f"{type(error).__name__} (see the server log)")
    row.status, row.sent_at, row.last_error, row.next_attempt_at = Status.SENT, timezone.now(), "", None
    row.save(update_fields=["status", "sent_at", "last_error", "next_attempt_at"])
    logger.info("delivery %s sent by %s (%s)", row.pk, row.channel, row.kind)
    return Attempt(status=row.status)


def _failed(row: Delivery, error: str) -> Attempt:
    row.last_error = error[:500]
    if row.attempts >= settings.DAIBAN_NOTIFY_MAX_ATTEMPTS:
        row.status, row.next_attempt_at = Status.GAVE_UP, None
        logger.warning("delivery %s gave up after %d attempts: %s", row.pk, row.attempts, row.last_error)
    else:
        row.status, row.next_attempt_at = Status.FAILED, timezone.now() + backoff(row.attempts)
        logger.info("delivery %s failed (attempt %d): %s", row.pk, row.attempts, row.last_error)
    row.save(update_fields=["status", "last_error", "next_attempt_at"])
    return Attempt(status=row.status, retry_at=row.next_attempt_at)
