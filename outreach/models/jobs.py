"""Work that someone waits for while it runs in the background: a large export or a
roster's check and import. The row is what the progress bar shows (how far, what came
out, what went wrong); the queue itself is django-tasks-db's."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class Kind(models.TextChoices):
        MISSED_EXPORT = "missed_export", _("missed residents export")
        ROSTER_CHECK = "roster_check", _("roster check")
        ROSTER_COMMIT = "roster_commit", _("roster import")

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.CASCADE, related_name="jobs"
    )
    # What the job works on (an area, a period, a staged roster): ids and dates only.
    params = models.JSONField(_("parameters"), default=dict)
    # The job speaks the language of the person who started it (messages, sheet headers).
    language = models.CharField(_("language"), max_length=10)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(_("items done"), default=0)
    total = models.PositiveIntegerField(_("items in all"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # What came out: a file in the default storage and its name for the download, and/or
    # a summary the result page shows (the roster check's report).
    result_file = models.CharField(_("result file"), max_length=200, blank=True)
    result_filename = models.CharField(_("download name"), max_length=200, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("what went wrong"), blank=True)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    # Written by the running job at least every few seconds: a job that stops writing
    # while its task is marked running lost its worker (outreach.jobs.services.recover).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="job_user_idx"),
            models.Index(fields=["state", "heartbeat_at"], name="job_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)


class PeriodicRun(models.Model):
    """One queued run of a periodic task (the daily overdue notices, the nightly tally
    check, the retention purge) per slot: however many workers tick, the unique slot
    queues it once."""

    name = models.CharField(_("task"), max_length=50)
    slot = models.CharField(_("slot"), max_length=20)
    queued_at = models.DateTimeField(_("queued"), default=timezone.now)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="periodic_run_once_per_slot")]
