"""The joint branches' work at their paired agency points (支部联建、活动联办): policy
outreach sessions, business guidance visits and joint events, their photos, and the
branch's own audit trail (members, pairings, activities).

These live in ``outreach``, not in ``grid`` beside JointBranch and Pairing, because
activity photos go through the photo pipeline (outreach.photos) and ``grid`` never
imports ``outreach``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grid.models import JointBranch, ServicePoint
from outreach.photos.models import StoredPhoto


class ActivityTopic(models.TextChoices):
    """What an activity was about: the policy areas the branches' windows handle."""

    SOCIAL_INSURANCE = "social_insurance", _("social insurance")
    MEDICAL_INSURANCE = "medical_insurance", _("medical insurance")
    ELDERLY_CARE = "elderly_care", _("elderly care")
    EMPLOYMENT = "employment", _("employment and business start-up")
    SOCIAL_ASSISTANCE = "social_assistance", _("social assistance")
    DISABILITY = "disability", _("services for the disabled")
    HOUSEHOLD = "household", _("household registration")
    HOUSING_FUND = "housing_fund", _("housing provident fund")
    REAL_ESTATE = "real_estate", _("real estate registration")
    BUSINESS = "business", _("business registration and licences")
    TAX = "tax", _("tax")
    AGRICULTURE = "agriculture", _("agriculture and rural affairs")
    LEGAL = "legal", _("legal services")
    ONLINE = "online", _("online and mobile services")
    PROXY = "proxy", _("the red proxy service itself")


class BranchActivity(models.Model):
    """A policy outreach session, a business guidance visit or a joint event of a joint
    branch at one or more of its paired points: held, or planned. The id is made by the
    client, so a form or a phone sending it twice stores it once."""

    class Kind(models.TextChoices):
        POLICY_OUTREACH = "policy_outreach", _("policy outreach")
        BUSINESS_GUIDANCE = "business_guidance", _("business guidance")
        JOINT_EVENT = "joint_event", _("joint event")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        HELD = "held", _("held")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    branch = models.ForeignKey(
        JointBranch, verbose_name=_("joint branch"), on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.HELD)
    held_on = models.DateField(_("date"), help_text=_("The day it was held, or is planned for."))
    points = models.ManyToManyField(
        ServicePoint, verbose_name=_("points reached"), through="BranchActivityPoint", related_name="branch_activities"
    )
    people_reached = models.PositiveIntegerField(_("people reached"), default=0)
    topics = models.JSONField(_("topics"), default=list, blank=True)  # ActivityTopic codes, sorted
    topics_other = models.CharField(_("other topics"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # sha256 of what the client sent: a replay with the same id must carry the same content.
    content_digest = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    held_recorded_at = models.DateTimeField(_("recorded as held at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("branch activity")
        verbose_name_plural = _("branch activities")
        ordering = ["-held_on", "-created_at"]
        indexes = [models.Index(fields=["branch", "status", "held_on"], name="branch_activity_day_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["planned", "held"]), name="branch_activity_status_known"),
            models.CheckConstraint(
                condition=Q(status="held") | Q(people_reached=0), name="branch_activity_planned_reached_nobody"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch} · {self.get_kind_display()} · {self.held_on:%Y-%m-%d}"

    @property
    def is_planned(self) -> bool:
        return self.status == self.Status.PLANNED


class BranchActivityPoint(models.Model):
    """One paired point an activity reached."""

    activity = models.ForeignKey(
        BranchActivity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="point_links"
    )
    point = models.ForeignKey(
        ServicePoint, verbose_name=_("point"), on_delete=models.PROTECT, related_name="branch_activity_links"
    )

    class Meta:
        verbose_name = _("point reached")
        verbose_name_plural = _("points reached")
        constraints = [models.UniqueConstraint(fields=["activity", "point"], name="branch_activity_point_once")]


class BranchActivityPhoto(StoredPhoto):
    """A photo of an activity, through the same pipeline as visit photos (re-encoded,
    no EXIF) and served only by a scope-checked view."""

    owner_field = "activity"
    serving_url_name = "branch-activity-photo"

    activity = models.ForeignKey(
        BranchActivity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="photos"
    )

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["activity", "upload_digest"], name="branch_activity_photo_once")]


class BranchEvent(models.Model):
    """Who changed what in a joint branch's workspace, and when: members added and
    removed, pairings added and ended, liaisons chosen, activities logged."""

    class Action(models.TextChoices):
        MEMBER_ADDED = "member_added", _("member added")
        MEMBER_REMOVED = "member_removed", _("member removed")
        PAIRING_ADDED = "pairing_added", _("pairing added")
        PAIRING_ENDED = "pairing_ended", _("pairing ended")
        LIAISON_SET = "liaison_set", _("liaison chosen")
        ACTIVITY_LOGGED = "activity_logged", _("activity logged")
        ACTIVITY_HELD = "activity_held", _("planned activity held")

    branch = models.ForeignKey(
        JointBranch, verbose_name=_("joint branch"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("branch event")
        verbose_name_plural = _("branch events")
        ordering = ["-at"]
        indexes = [models.Index(fields=["branch", "-at"], name="branch_event_time_idx")]
