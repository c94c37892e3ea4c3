"""Proxy errands (代办): the service catalogue, the errand and its timeline, delivery
photos, the trips-saved ledger, online orders, in-app notifications and the
"跑一次没办成" complaints window."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grid.models import Area, Department, JointBranch, ServicePoint
from outreach.photos.models import StoredPhoto


class ServiceTypeManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class ServiceType(models.Model):
    """An entry of the proxy service catalogue (代办事项目录)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="service_types"
    )
    promised_days = models.PositiveSmallIntegerField(_("promised days"))
    materials = models.JSONField(_("materials checklist"), default=list, blank=True)
    lowest_tier = models.CharField(
        _("lowest tier that can handle it"), max_length=20, choices=ServicePoint.Tier.choices
    )
    trips_saved = models.PositiveSmallIntegerField(_("trips it saves the resident"), default=1)
    is_active = models.BooleanField(_("offered"), default=True)

    objects = ServiceTypeManager()

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service catalogue")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self):
        return (self.code,)


class Errand(models.Model):
    """One proxy errand run for a resident. ``version`` guards against two people
    changing it at once: every write says which version it saw."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        ACCEPTED = "accepted", _("accepted")
        IN_PROGRESS = "in_progress", _("in progress")
        NEEDS_MATERIALS = "needs_materials", _("waiting for materials")
        COMPLETED = "completed", _("completed")
        DELIVERED = "delivered", _("delivered")
        CANCELLED = "cancelled", _("cancelled")

    class Source(models.TextChoices):
        VISIT = "visit", _("home visit")
        PHONE = "phone", _("phone call")
        WALK_IN = "walk_in", _("walk-in")
        ONLINE = "online", _("online order")

    class Delivery(models.TextChoices):
        IN_PERSON = "in_person", _("in person")
        EXPRESS = "express", _("express mail")
        PICKUP = "pickup", _("picked up at the service point")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("errand number"), max_length=20, unique=True, editable=False)
    resident = models.ForeignKey(
        "outreach.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="errands"
    )
    service = models.ForeignKey(
        ServiceType, verbose_name=_("service"), on_delete=models.PROTECT, related_name="errands"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    visit = models.ForeignKey(
        "outreach.Visit",
        verbose_name=_("from visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="errands",
    )
    description = models.TextField(_("what is needed"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REQUESTED)
    holder_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("held at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="errands_held",
    )
    holder_branch = models.ForeignKey(
        JointBranch,
        verbose_name=_("held by joint branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="errands_held",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="errands_assigned",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    due_on = models.DateField(_("due on"))
    materials_collected = models.JSONField(_("materials collected"), default=list, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # Completed with checklist items unticked: why (the timeline's completion note too).
    materials_waiver = models.TextField(_("completed without all materials because"), blank=True)
    delivered_via = models.CharField(_("delivered by"), max_length=10, choices=Delivery.choices, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    # What the resident can follow the errand by on the public progress page (/track/):
    # random, no personal data in it (outreach.tracking.codes).
    progress_code = models.CharField(_("progress code"), max_length=10, unique=True, null=True, editable=False)
    # The resident's own rating, given once on the progress page after delivery; the
    # worker's is `satisfaction`.
    resident_rating = models.PositiveSmallIntegerField(_("resident's own rating (1–5)"), null=True, blank=True)
    resident_rated_at = models.DateTimeField(_("rated by the resident at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    content_digest = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("errand")
        verbose_name_plural = _("errands")
        ordering = ["due_on", "requested_at"]
        indexes = [
            models.Index(fields=["state", "due_on"], name="errand_state_due_idx"),
            models.Index(fields=["holder_point", "state"], name="errand_point_state_idx"),
            models.Index(fields=["holder_branch", "state"], name="errand_branch_state_idx"),
            models.Index(fields=["assignee", "state"], name="errand_assignee_state_idx"),
            models.Index(fields=["resident", "-requested_at"], name="errand_resident_idx"),
            # The dashboard reads a period's errands by these (outreach.reporting.dashboard).
            models.Index(fields=["requested_at", "resident"], name="errand_requested_idx"),
            models.Index(fields=["delivered_at"], name="errand_delivered_idx"),
            models.Index(fields=["completed_at", "resident"], name="errand_completed_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(holder_point__isnull=False) & Q(holder_branch__isnull=True))
                | (Q(holder_point__isnull=True) & Q(holder_branch__isnull=False)),
                name="errand_held_by_point_or_branch",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="errand_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(resident_rating__isnull=True) | Q(resident_rating__gte=1, resident_rating__lte=5),
                name="errand_resident_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(state="cancelled") | ~Q(cancel_reason=""), name="errand_cancel_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.service}"

    @property
    def holder(self):
        return self.holder_point or self.holder_branch

    @property
    def is_open(self) -> bool:
        return self.state not in {self.State.DELIVERED, self.State.CANCELLED}


class ErrandEvent(models.Model):
    """One change of an errand: the timeline is the audit."""

    class Action(models.TextChoices):
        # "created" is also the name of a date field (创建时间); here it is what happened.
        CREATED = "created", pgettext_lazy("errand event", "created")
        ACCEPT = "accept", _("accepted")
        START = "start", _("started")
        RETURN = "return", _("returned for materials")
        RESUME = "resume", _("resumed")
        COMPLETE = "complete", _("completed")
        DELIVER = "deliver", _("delivered")
        ESCALATE = "escalate", _("escalated")
        ASSIGN = "assign", _("assigned")
        CANCEL = "cancel", _("cancelled")
        MATERIALS = "materials", _("materials checked")

    errand = models.ForeignKey(Errand, verbose_name=_("errand"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    from_state = models.CharField(_("from state"), max_length=16, blank=True)
    to_state = models.CharField(_("to state"), max_length=16, blank=True)
    from_holder = models.CharField(_("from"), max_length=100, blank=True)
    to_holder = models.CharField(_("to"), max_length=100, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("errand event")
        verbose_name_plural = _("errand events")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["errand", "at"], name="errand_event_time_idx"),
            # A period's completions for the dashboard, without reading the events table.
            models.Index(fields=["action", "at", "errand"], name="errand_event_action_time_idx"),
        ]


class ErrandPhoto(StoredPhoto):
    """A delivery receipt photo: same pipeline and scope rules as visit photos."""

    owner_field = "errand"
    serving_url_name = "errand-photo"

    errand = models.ForeignKey(Errand, verbose_name=_("errand"), on_delete=models.CASCADE, related_name="photos")

    class Meta:
        verbose_name = _("receipt photo")
        verbose_name_plural = _("receipt photos")
        constraints = [models.UniqueConstraint(fields=["errand", "upload_digest"], name="errand_photo_once")]


class TripsSaved(models.Model):
    """The 最多跑一次 ledger: trips a resident did not have to make, per delivered errand."""

    resident = models.ForeignKey(
        "outreach.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="trips_saved"
    )
    errand = models.OneToOneField(
        Errand, verbose_name=_("errand"), on_delete=models.PROTECT, related_name="trips_saved"
    )
    trips = models.PositiveSmallIntegerField(_("trips saved"))
    recorded_on = models.DateField(_("recorded on"))

    class Meta:
        verbose_name = _("trips saved")
        verbose_name_plural = _("trips saved ledger")
        indexes = [
            models.Index(fields=["resident", "recorded_on"], name="trips_resident_idx"),
            models.Index(fields=["recorded_on", "resident"], name="trips_recorded_idx"),  # a period's trips saved
        ]


class OnlineOrder(models.Model):
    """A request sent from a service point's public QR form (线上点单), waiting for the
    point's staff to confirm it as an errand for a resident."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    point = models.ForeignKey(
        ServicePoint, verbose_name=_("service point"), on_delete=models.PROTECT, related_name="online_orders"
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    service = models.ForeignKey(ServiceType, verbose_name=_("service"), null=True, blank=True, on_delete=models.PROTECT)
    description = models.CharField(_("what is needed"), max_length=300, blank=True)
    address = models.GenericIPAddressField(_("sent from address"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    errand = models.OneToOneField(
        Errand, verbose_name=_("errand"), null=True, blank=True, on_delete=models.SET_NULL, related_name="online_order"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    # Given on the thank-you page; the errand the order becomes carries the same code.
    progress_code = models.CharField(_("progress code"), max_length=10, unique=True, null=True, editable=False)

    class Meta:
        verbose_name = _("online order")
        verbose_name_plural = _("online orders")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["point", "status", "-created_at"], name="order_point_status_idx"),
            models.Index(fields=["phone", "created_at"], name="order_phone_time_idx"),
            models.Index(fields=["address", "created_at"], name="order_address_time_idx"),
        ]


class UsedOrderFormToken(models.Model):
    """A public order form's token, spent: each page is good for one order (a second post
    of the same page is refused). Kept only while the token could still be valid."""

    nonce = models.CharField(_("token"), max_length=32, unique=True)
    used_at = models.DateTimeField(_("used at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("used order form token")
        verbose_name_plural = _("used order form tokens")


class ProgressLookup(models.Model):
    """One try on the public progress page: every lookup is kept, found or not, and the
    tries of the last hour per code and per address bound the guessing
    (outreach.tracking.services)."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    code = models.CharField(_("code tried"), max_length=10)
    address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    found = models.BooleanField(_("code and phone matched"))
    refused = models.BooleanField(_("refused: too many tries"), default=False)
    errand = models.ForeignKey(
        Errand, verbose_name=_("errand"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    order = models.ForeignKey(
        OnlineOrder, verbose_name=_("online order"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("progress lookup")
        verbose_name_plural = _("progress lookups")
        indexes = [
            models.Index(fields=["code", "at"], name="lookup_code_time_idx"),
            models.Index(fields=["address", "at"], name="lookup_address_time_idx"),
        ]


class Notification(models.Model):
    """Something a user should look at: shown under the bell; also delivered by the
    channels the user chose (SMS, DingTalk, WeCom: ``Delivery``)."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("assigned to you")
        ESCALATED = "escalated", _("escalated to you")
        OVERDUE = "overdue", _("overdue")
        ORDER = "order", _("order waiting for confirmation")
        COMPLAINT = "complaint", _("complaint assigned to your branch")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    errand = models.ForeignKey(Errand, verbose_name=_("errand"), null=True, blank=True, on_delete=models.CASCADE)
    order = models.ForeignKey(
        OnlineOrder, verbose_name=_("online order"), null=True, blank=True, on_delete=models.CASCADE
    )
    complaint = models.ForeignKey(
        "outreach.Complaint", verbose_name=_("complaint"), null=True, blank=True, on_delete=models.CASCADE
    )
    text = models.CharField(_("text"), max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_unread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "errand"], condition=Q(kind="overdue"), name="one_overdue_notice_per_errand"
            ),
        ]


class Complaint(models.Model):
    """The "跑一次没办成" window: someone who had to come back more than once."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    number = models.CharField(_("complaint number"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    service = models.ForeignKey(ServiceType, verbose_name=_("service"), null=True, blank=True, on_delete=models.PROTECT)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="complaints"
    )
    what_happened = models.TextField(pgettext_lazy("complaint", "what happened"))
    trips = models.PositiveSmallIntegerField(_("trips made"))
    point = models.ForeignKey(
        ServicePoint, verbose_name=_("registered at"), on_delete=models.PROTECT, related_name="complaints"
    )
    # Where the person lives, when they said: the dashboard counts the complaint in that
    # community's row; without one, in the row of the street centre's town it came to.
    area = models.ForeignKey(
        Area,
        verbose_name=_("community or village"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    handled_on_spot = models.BooleanField(_("handled on the spot"), default=False)
    branch = models.ForeignKey(
        JointBranch,
        verbose_name=_("joint branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    resolution = models.TextField(_("what was done"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-registered_at"]
        indexes = [
            models.Index(fields=["point", "state"], name="complaint_point_state_idx"),
            models.Index(fields=["branch", "state", "deadline"], name="complaint_branch_state_idx"),
            models.Index(fields=["registered_at"], name="complaint_registered_idx"),  # a period's complaints
        ]
        constraints = [
            models.CheckConstraint(condition=Q(trips__gte=2), name="complaint_more_than_one_trip"),
            models.CheckConstraint(
                condition=(Q(handled_on_spot=True) & Q(branch__isnull=True) & Q(state="closed") & ~Q(resolution=""))
                | (Q(handled_on_spot=False) & Q(branch__isnull=False) & Q(deadline__isnull=False)),
                name="complaint_on_spot_or_assigned",
            ),
            models.CheckConstraint(
                condition=Q(state="open") | ~Q(resolution=""), name="complaint_closed_has_resolution"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"
