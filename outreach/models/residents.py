"""Residents (服务对象), home visits (走访) and their photos, staged roster imports, and the
audit of changes and sensitive reads. Built on the territory in ``grid``."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grid.models import Area
from outreach.photos.models import StoredPhoto


class Resident(models.Model):
    """A person the red proxy service looks after. Residents never log in."""

    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    class CareLevel(models.TextChoices):
        A = "A", _("A · weekly visits")
        B = "B", _("B · fortnightly visits")
        C = "C", _("C · monthly visits")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        MOVED = "moved", _("moved away")
        DECEASED = "deceased", _("deceased")

    class ConsentBasis(models.TextChoices):
        WRITTEN = "written", _("written consent of the resident")
        GUARDIAN = "guardian", _("consent of the guardian")
        STATUTORY = "statutory", _("statutory duty (social assistance)")

    class SmsTo(models.TextChoices):
        RESIDENT = "resident", _("the resident's own phone")
        GUARDIAN = "guardian", _("the guardian's phone")

    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # The national ID is kept encrypted; a keyed digest finds duplicates without it.
    national_id_cipher = models.TextField(_("national ID (encrypted)"), blank=True, editable=False)
    national_id_digest = models.CharField(_("national ID digest"), max_length=64, blank=True, editable=False)
    national_id_masked = models.CharField(_("national ID"), max_length=18, blank=True, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200)
    home_lat = models.FloatField(_("home latitude"), null=True, blank=True)
    home_lng = models.FloatField(_("home longitude"), null=True, blank=True)
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="residents",
        limit_choices_to={"level": Area.Level.GRID},
    )
    disability_grade = models.PositiveSmallIntegerField(_("disability grade"), null=True, blank=True)
    care_level = models.CharField(_("care level"), max_length=1, choices=CareLevel.choices, default=CareLevel.C)
    guardian_name = models.CharField(_("guardian / emergency contact"), max_length=50, blank=True)
    guardian_phone = models.CharField(_("guardian phone"), max_length=20, blank=True)
    guardian_relation = models.CharField(_("relation"), max_length=20, blank=True)
    consent_basis = models.CharField(_("consent or legal basis"), max_length=16, choices=ConsentBasis.choices)
    consent_on = models.DateField(_("consent recorded on"), null=True, blank=True)
    # Progress SMS (accepted, done) go out only with this consent, to the number chosen.
    sms_consent = models.BooleanField(_("agrees to progress SMS"), default=False)
    sms_to = models.CharField(_("progress SMS go to"), max_length=10, choices=SmsTo.choices, default=SmsTo.RESIDENT)
    sms_consent_at = models.DateTimeField(_("SMS consent recorded at"), null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_on = models.DateField(_("status since"), null=True, blank=True)
    registered_on = models.DateField(_("registered on"), default=timezone.localdate)
    # Maintained by the visit services through outreach.common.due: never edited by hand.
    last_met_on = models.DateField(_("last met in person"), null=True, blank=True, editable=False)
    due_on = models.DateField(_("next visit due"), editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["name"]
        indexes = [
            # Due lists by grid; the last two columns let coverage count a city's residents
            # from the index alone, without reading the wide table (outreach.reporting.coverage).
            models.Index(
                fields=["grid", "status", "due_on", "registered_on", "status_on"], name="resident_coverage_idx"
            ),
            models.Index(fields=["national_id_digest"], name="resident_id_digest_idx"),
            models.Index(fields=["phone"], name="resident_phone_idx"),
            # Errands, events and trips of a period find their resident's grid here, without
            # reading the (wide) residents table row by row: the dashboard's grouping by area.
            models.Index(fields=["id", "grid"], name="resident_id_grid_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["national_id_digest"],
                condition=~Q(national_id_digest=""),
                name="resident_unique_national_id",
            ),
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(disability_grade__gte=1, disability_grade__lte=4),
                name="resident_disability_grade_1_to_4",
            ),
            models.CheckConstraint(
                condition=(Q(home_lat__isnull=True) & Q(home_lng__isnull=True))
                | (Q(home_lat__gte=-90, home_lat__lte=90) & Q(home_lng__gte=-180, home_lng__lte=180)),
                name="resident_home_location_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="active") | Q(status_on__isnull=False),
                name="resident_status_change_dated",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sms_phone(self) -> str:
        """The number chosen for progress SMS (sent only with ``sms_consent``)."""
        return self.guardian_phone if self.sms_to == self.SmsTo.GUARDIAN else self.phone

    @property
    def has_home_location(self) -> bool:
        return self.home_lat is not None and self.home_lng is not None


class Category(models.TextChoices):
    """Why a resident is looked after; a resident may have several."""

    LIVING_ALONE = "alone", _("living alone")
    AGED_80 = "aged80", _("aged 80+")
    DISABLED = "disabled", _("disabled")
    SERIOUS_ILLNESS = "ill", _("serious illness")
    LIMITED_MOBILITY = "mobility", _("limited mobility")
    MINIMUM_LIVING = "dibao", _("minimum living allowance")
    EXTREME_POVERTY = "tekun", _("extreme poverty support")
    EMPTY_NEST = "empty_nest", _("empty-nest elderly")
    VETERAN = "veteran", _("veteran or entitled group")


class ResidentCategory(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)

    class Meta:
        verbose_name = _("resident category")
        verbose_name_plural = _("resident categories")
        constraints = [models.UniqueConstraint(fields=["resident", "category"], name="resident_category_once")]
        indexes = [models.Index(fields=["category", "resident"], name="category_resident_idx")]

    def __str__(self) -> str:
        return self.get_category_display()


class Hazard(models.TextChoices):
    """The safety checklist of a home visit."""

    GAS = "gas", _("gas")
    ELECTRICAL = "electrical", _("electrical wiring")
    FIRE = "fire", _("fire safety")
    FALL = "fall", _("risk of falling")
    STRUCTURE = "structure", _("unsafe building")
    HYGIENE = "hygiene", _("poor hygiene")
    FOOD = "food", _("short of food")
    HEAT_COLD = "heat_cold", _("too hot or too cold")
    MEDICATION = "medication", _("medication problems")
    SCAM = "scam", _("fraud risk")


class Visit(models.Model):
    """A grid worker's home visit. The id is made on the phone, so a visit re-sent by a
    flaky connection is stored once."""

    class Outcome(models.TextChoices):
        MET = "met", _("met in person")
        NOT_HOME = "not_home", _("not at home")
        REFUSED = "refused", _("refused the visit")
        IN_HOSPITAL = "in_hospital", _("in hospital")
        MOVED = "moved", _("moved away")

    class Health(models.TextChoices):
        GOOD = "good", _("good")
        FAIR = "fair", _("fair")
        POOR = "poor", _("poor")

    class LocationCheck(models.TextChoices):
        NEAR_HOME = "near_home", _("at the home")
        AWAY = "away", _("away from the home")
        NO_LOCATION = "no_location", _("no location")
        HOME_UNKNOWN = "home_unknown", _("home not on the map")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resident = models.ForeignKey(Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="visits")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("worker"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    visited_at = models.DateTimeField(_("visited at"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    distance_m = models.FloatField(_("distance from home (m)"), null=True, blank=True, editable=False)
    location_check = models.CharField(_("location check"), max_length=12, choices=LocationCheck.choices, editable=False)
    no_location_reason = models.CharField(_("why there is no location"), max_length=200, blank=True)
    health = models.CharField(_("health"), max_length=8, choices=Health.choices, blank=True)
    health_notes = models.TextField(_("health notes"), blank=True)
    living_notes = models.TextField(_("living conditions"), blank=True)
    hazards = models.JSONField(_("safety hazards"), default=list, blank=True)
    hazard_notes = models.TextField(_("hazard notes"), blank=True)
    needs = models.TextField(_("needs noted"), blank=True)
    # sha256 of what the phone sent: a replay with the same id must carry the same content.
    content_digest = models.CharField(max_length=64, editable=False)
    # The photos the phone announced with the record: they follow it, one request each
    # (records first on a slow link), and the visit says "photos to come" until they are in.
    photos_expected = models.PositiveSmallIntegerField(_("photos announced"), default=0, editable=False)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    corrected_at = models.DateTimeField(_("last corrected at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at"]
        indexes = [
            models.Index(fields=["resident", "-visited_at"], name="visit_resident_time_idx"),
            models.Index(fields=["resident", "outcome", "visited_at"], name="visit_met_idx"),
            models.Index(fields=["worker", "-visited_at"], name="visit_worker_time_idx"),
            # A period's visits of many residents at once (the dashboard's trend at city scale).
            models.Index(fields=["visited_at", "resident"], name="visit_time_resident_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(lng__isnull=True))
                | (Q(lat__gte=-90, lat__lte=90) & Q(lng__gte=-180, lng__lte=180)),
                name="visit_location_valid",
            ),
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0), name="visit_accuracy_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {timezone.localtime(self.visited_at):%Y-%m-%d %H:%M}"

    @property
    def photos_to_come(self) -> int:
        """Photos announced with the record that have not arrived yet (the photos are
        prefetched by every selector that lists visits)."""
        return max(0, self.photos_expected - len(self.photos.all()))


class VisitCorrection(models.Model):
    """A correction of a visit by its author within the correction window: what it was."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="corrections")
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("corrected by"), on_delete=models.PROTECT)
    corrected_at = models.DateTimeField(_("corrected at"), auto_now_add=True)
    previous = models.JSONField(_("previous values"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("visit correction")
        verbose_name_plural = _("visit corrections")
        ordering = ["-corrected_at"]


class VisitPhoto(StoredPhoto):
    """A photo of a visit, re-encoded without EXIF. Served only by a scope-checked view."""

    owner_field = "visit"
    serving_url_name = "photo"

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="photos")
    # Made on the phone for each photo: a photo sent again after an upload was cut off is
    # known by it, whatever bytes arrive the second time.
    client_key = models.UUIDField(_("key made on the phone"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "upload_digest"], name="visit_photo_once"),
            models.UniqueConstraint(fields=["visit", "client_key"], name="visit_photo_key_once"),
        ]


class AuditEvent(models.Model):
    """Who changed what, and who read what sensitive data, and when (PIPL)."""

    class Action(models.TextChoices):
        RESIDENT_CREATED = "resident_created", _("resident registered")
        RESIDENT_UPDATED = "resident_updated", _("resident changed")
        RESIDENTS_IMPORTED = "residents_imported", _("residents imported")
        NATIONAL_ID_REVEALED = "id_revealed", _("national ID shown")
        VISIT_RECORDED = "visit_recorded", _("visit recorded")
        VISIT_CORRECTED = "visit_corrected", _("visit corrected")
        LIST_EXPORTED = "list_exported", _("list with names downloaded")
        NATIONAL_ID_REFUSED = "id_refused", _("national ID registered outside the user's areas")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    # The area the event is about (the resident's grid, the exported list's area, the
    # grids an import wrote into): officials read the log of their own subtree.
    area = models.ForeignKey(
        Area, verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["resident", "-at"], name="audit_resident_time_idx"),
            # The audit log reads newest first (by id), by area or person (their foreign
            # keys' indexes) or by action, a rare one too; retention deletes by time.
            models.Index(fields=["action", "-id"], name="audit_action_idx"),
            models.Index(fields=["at"], name="audit_time_idx"),
        ]


class NationalIdCheck(models.Model):
    """A national ID a user checked against the registry on a day (by its digest, never
    in plain): what the daily limit counts (DAIBAN_ID_CHECKS_PER_DAY). The same ID
    checked again that day counts once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    digest = models.CharField(_("national ID digest"), max_length=64)

    class Meta:
        verbose_name = _("national ID check")
        verbose_name_plural = _("national ID checks")
        constraints = [models.UniqueConstraint(fields=["user", "day", "digest"], name="id_check_once_a_day")]


class RosterImport(models.Model):
    """A resident roster (XLSX or CSV) uploaded for import: checked on every preview,
    written in one go on commit. Only its uploader ever sees it. The file holds national
    IDs, so it is kept encrypted (outreach.common.crypto) and wiped once the residents are written."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="roster_imports",
    )
    filename = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField(_("file"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    resident_count = models.PositiveIntegerField(_("residents imported"), default=0)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["uploaded_by", "-created_at"], name="roster_import_uploader_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(committed_at__isnull=False) | Q(resident_count=0),
                name="roster_import_count_after_commit",
            ),
        ]

    def __str__(self) -> str:
        return self.filename
