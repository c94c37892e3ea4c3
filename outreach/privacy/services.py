"""Writes of the personal data lifecycle: deleting what is past its retention period, and
re-encrypting stored national IDs under the current field key.

Both run from daily or one-off commands against a live database, so both work in
batches, each its own short transaction: nothing is locked for long, an interruption
loses at most the batch under way, and running again carries on where it stopped.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from outreach.common import crypto
from outreach.jobs.files import job_files_delete
from outreach.models import (
    AuditEvent,
    Delivery,
    Job,
    NationalIdCheck,
    Notification,
    OnlineOrder,
    PeriodicRun,
    ProgressLookup,
    Resident,
    RosterImport,
    UsedOrderFormToken,
)

BATCH_SIZE = 500

# --- Retention ------------------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    """One kind of personal data with its retention period (a setting, in days)."""

    key: str
    setting: str
    expired: Callable[[datetime], "models.QuerySet[Any]"]
    # Called with each batch before it is deleted: files kept beside the rows go first.
    before_delete: Callable[["models.QuerySet[Any]"], None] | None = None

    @property
    def days(self) -> int:
        return int(getattr(settings, self.setting))


RETENTIONS = (
    Retention(
        "roster_uploads",
        "DAIBAN_RETAIN_ROSTER_UPLOADS_DAYS",
        lambda before: RosterImport.objects.filter(committed_at__isnull=True, created_at__lt=before),
    ),
    Retention(
        "rejected_orders",
        "DAIBAN_RETAIN_REJECTED_ORDERS_DAYS",
        lambda before: OnlineOrder.objects.filter(status=OnlineOrder.Status.REJECTED, created_at__lt=before),
    ),
    Retention(
        "read_notifications",
        "DAIBAN_RETAIN_READ_NOTIFICATIONS_DAYS",
        lambda before: Notification.objects.filter(read_at__lt=before),
    ),
    Retention(
        "audit_events",
        "DAIBAN_RETAIN_AUDIT_DAYS",
        lambda before: AuditEvent.objects.filter(at__lt=before),
    ),
    Retention(
        "national_id_checks",
        "DAIBAN_RETAIN_NATIONAL_ID_CHECKS_DAYS",
        lambda before: NationalIdCheck.objects.filter(day__lt=timezone.localdate(before)),
    ),
    Retention(
        "order_form_tokens",
        "DAIBAN_RETAIN_ORDER_FORM_TOKENS_DAYS",
        lambda before: UsedOrderFormToken.objects.filter(used_at__lt=before),
    ),
    Retention(
        "deliveries",
        "DAIBAN_RETAIN_DELIVERIES_DAYS",
        lambda before: Delivery.objects.filter(
            status__in=[Delivery.Status.SENT, Delivery.Status.GAVE_UP], created_at__lt=before
        ),
    ),
    Retention(
        "progress_lookups",
        "DAIBAN_RETAIN_PROGRESS_LOOKUPS_DAYS",
        lambda before: ProgressLookup.objects.filter(at__lt=before),
    ),
    # A finished job's file (an export lists residents by name), the queue's finished
    # task rows (their arguments name jobs and errands) and the periodic runs' record.
    Retention(
        "jobs",
        "DAIBAN_RETAIN_JOBS_DAYS",
        lambda before: Job.objects.filter(created_at__lt=before, state__in=[Job.State.DONE, Job.State.FAILED]),
        before_delete=lambda jobs: job_files_delete(jobs=jobs),
    ),
    Retention(
        "finished_tasks",
        "DAIBAN_RETAIN_JOBS_DAYS",
        lambda before: DBTaskResult.objects.filter(finished_at__lt=before),
    ),
    Retention(
        "periodic_runs",
        "DAIBAN_RETAIN_JOBS_DAYS",
        lambda before: PeriodicRun.objects.filter(queued_at__lt=before),
    ),
)


def expired_counts(*, now: datetime) -> dict[str, int]:
    """How many rows of each kind are past their retention period (what a dry run shows)."""
    return {r.key: r.expired(now - timedelta(days=r.days)).count() for r in RETENTIONS}


def expired_purge(*, now: datetime, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Delete every row past its retention period, ``batch_size`` at a time, each batch
    in its own transaction. Returns the rows deleted of each kind (related rows deleted
    with them, such as the notifications of a rejected order, are not counted)."""
    deleted: dict[str, int] = {}
    for retention in RETENTIONS:
        expired = retention.expired(now - timedelta(days=retention.days))
        model = expired.model
        deleted[retention.key] = 0
        while ids := list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size]):
            batch = model._default_manager.filter(pk__in=ids)
            if retention.before_delete is not None:
                retention.before_delete(batch)
            with transaction.atomic():
                _count, by_model = batch.delete()
            deleted[retention.key] += by_model.get(model._meta.label, 0)
    return deleted


# --- Key rotation -----------------------------------------------------------------------


@dataclass
class Rotation:
    """What a pass of ``field_key_rotate`` found."""

    rotated: int = 0  # re-encrypted with the current key by this pass
    current: int = 0  # already under the current key
    changed_meanwhile: int = 0  # changed by someone else between reading and writing: left as written
    unreadable: list[int] = field(default_factory=list)  # residents whose ID no configured key decrypts
    staged_files: int = 0  # roster uploads waiting for import, re-encrypted
    batches: int = 0
    remaining: list[int] = field(default_factory=list)  # residents still under an old key (a check)


def _rotate_residents(progress: Rotation, batch_size: int, on_batch: Callable[[Rotation], None] | None) -> None:
    last = 0
    stored = Resident.objects.exclude(national_id_cipher="").order_by("pk")
    while batch := list(stored.filter(pk__gt=last).values_list("pk", "national_id_cipher")[:batch_size]):
        with transaction.atomic():
            for pk, cipher in batch:
                if crypto.is_current(cipher):
                    progress.current += 1
                    continue
                try:
                    plain = crypto.decrypt(cipher)
                except InvalidToken:  # under a key no longer configured: left for the operator
                    progress.unreadable.append(pk)
                    continue
                # Only if the row still holds what was read: an ID changed meanwhile was
                # written with the current key already and must not be overwritten.
                written = Resident.objects.filter(pk=pk, national_id_cipher=cipher).update(
                    national_id_cipher=crypto.encrypt(plain), national_id_digest=crypto.digest(plain)
                )
                if written:
                    progress.rotated += 1
                else:
                    progress.changed_meanwhile += 1
        last = batch[-1][0]
        progress.batches += 1
        if on_batch is not None:
            on_batch(progress)


def _rotate_staged_files(progress: Rotation) -> None:
    # A handful of uploads waiting for their preview's import button (the rest are wiped).
    staged = RosterImport.objects.filter(committed_at__isnull=True).exclude(content=b"").values_list("pk", "content")
    for pk, content in staged:
        token = bytes(content).decode("ascii")
        if crypto.is_current(token):
            continue
        resealed = crypto.encrypt(crypto.decrypt(token)).encode("ascii")
        progress.staged_files += RosterImport.objects.filter(pk=pk, content=content).update(content=resealed)


def field_keys_outdated(*, limit: int = 20) -> list[int]:
    """Residents (ids, at most ``limit``) whose national ID is not under the current key."""
    outdated: list[int] = []
    stored = Resident.objects.exclude(national_id_cipher="").order_by("pk").values_list("pk", "national_id_cipher")
    for pk, cipher in stored.iterator(chunk_size=2000):
        if not crypto.is_current(cipher):
            outdated.append(pk)
            if len(outdated) >= limit:
                break
    return outdated


def field_key_rotate(*, batch_size: int = BATCH_SIZE, on_batch: Callable[[Rotation], None] | None = None) -> Rotation:
    """Re-encrypt every stored national ID (and staged roster file) with the first key of
    ``DAIBAN_FIELD_KEY`` and give it that key's digest, in batches by id, while the app
    keeps running with every key configured. IDs already under the current key are
    skipped, so a pass after an interruption does only what is left. Ends with a check."""
    progress = Rotation()
    _rotate_residents(progress, batch_size, on_batch)
    _rotate_staged_files(progress)
    progress.remaining = field_keys_outdated()
    return progress
