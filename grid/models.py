"""The territory tree, the three-tier service network, departments, windows, joint
branches and their pairings, and who is scoped where."""

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

PATH_SEPARATOR = "/"


def path_prefixes(path: str):
    """ "/a/b/c/" → "/a/b/c/", "/a/b/", "/a/": an area's path, then its ancestors' paths."""
    codes = [code for code in path.split(PATH_SEPARATOR) if code]
    for depth in range(len(codes), 0, -1):
        yield PATH_SEPARATOR + PATH_SEPARATOR.join(codes[:depth]) + PATH_SEPARATOR


class User(AbstractUser):
    """A person who logs in: grid worker, station staff, official, secretary or admin."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")  # type: ignore[assignment]  # lazy, as Django expects; the stubs say str
        verbose_name_plural = _("users")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Area(models.Model):
    """One node of the territory: city → town/street → community/village → grid.

    ``path`` is the materialized path of area codes ("/330782/330782001/…/"), so
    "everything under this area" is one ``path LIKE 'prefix%'`` query and the ancestors
    of an area are known from its path without touching the database.
    """

    class Level(models.IntegerChoices):
        CITY = 0, _("city")
        TOWN = 1, _("town/street")
        COMMUNITY = 2, _("community/village")
        GRID = 3, _("grid")

    code = models.CharField(_("area code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    centroid_lat = models.FloatField(_("centroid latitude"), null=True, blank=True)
    centroid_lng = models.FloatField(_("centroid longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["path"]
        indexes = [
            # text_pattern_ops lets PostgreSQL answer ``path LIKE 'prefix%'`` from the index
            # under any collation; other databases ignore the operator class.
            models.Index(fields=["path"], name="area_path_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level", "path"], name="area_level_path_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level=0, parent__isnull=True) | Q(level__gt=0, parent__isnull=False),
                name="area_only_city_has_no_parent",
            ),
            models.CheckConstraint(
                condition=Q(centroid_lat__isnull=True) | Q(centroid_lat__gte=-90, centroid_lat__lte=90),
                name="area_centroid_lat_range",
            ),
            models.CheckConstraint(
                condition=Q(centroid_lng__isnull=True) | Q(centroid_lng__gte=-180, centroid_lng__lte=180),
                name="area_centroid_lng_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def path_for(*, code: str, parent: "Area | None") -> str:
        """The materialized path of an area with ``code`` under ``parent`` (the city:
        none): the one formula the admin, the demo territory and seed_city build with."""
        return f"{parent.path if parent else PATH_SEPARATOR}{code}{PATH_SEPARATOR}"

    @staticmethod
    def root_path_of(path: str) -> str:
        """The path of the city above the area at ``path`` (its own, for a city)."""
        return PATH_SEPARATOR + path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR)[0] + PATH_SEPARATOR

    @staticmethod
    def ancestor_codes_in(path: str) -> list[str]:
        """Codes from the city down to the parent of the area at ``path``."""
        return path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR)[:-1]

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the city down to the parent, read off the path."""
        return Area.ancestor_codes_in(self.path)


def new_public_code() -> str:
    """A random code for a point's public order form (72 bits, 12 URL-safe characters):
    the printed QR code leads there, and nobody can walk from one point's form to the
    next by counting ids."""
    return secrets.token_urlsafe(9)


class ServicePoint(models.Model):
    """A place where proxy agents take errands: one of the three tiers of the network."""

    class Tier(models.TextChoices):
        STREET_CENTRE = "street_centre", _("street proxy centre")
        COMMUNITY_STATION = "community_station", _("community proxy station")
        GRID_POINT = "grid_point", _("grid proxy point")

    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="service_points")
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proxy agents"),
        blank=True,
        related_name="service_points",
    )
    public_code = models.CharField(
        _("public order code"),
        max_length=16,
        unique=True,
        default=new_public_code,
        editable=False,
        help_text=_("Part of the address of the point's public order form (its QR code)."),
    )

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["tier", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "tier"], name="one_point_per_area_and_tier"),
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(lng__isnull=True))
                | (Q(lat__gte=-90, lat__lte=90) & Q(lng__gte=-180, lng__lte=180)),
                name="service_point_location_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DepartmentManager(models.Manager):
    def get_by_natural_key(self, name):
        return self.get(name=name)


class Department(models.Model):
    """A government department whose approval windows sit in the joint branches."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)

    objects = DepartmentManager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self):
        return (self.name,)


class JointBranch(models.Model):
    """One of the 13 joint party branches (联合支部) built over the approval windows."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("secretary"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="branches_led",
    )

    class Meta:
        verbose_name = _("joint branch")
        verbose_name_plural = _("joint branches")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.name


class ServiceWindow(models.Model):
    """An approval window of a department at the citizens' service centre."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="windows"
    )
    branch = models.ForeignKey(
        JointBranch,
        verbose_name=_("joint branch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="windows",
    )
    number = models.CharField(_("window number"), max_length=16, unique=True)
    business = models.CharField(_("business handled"), max_length=200)

    class Meta:
        verbose_name = _("service window")
        verbose_name_plural = _("service windows")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.department}"


class Pairing(models.Model):
    """A joint branch's standing link with a village/community agency point."""

    branch = models.ForeignKey(
        JointBranch, verbose_name=_("joint branch"), on_delete=models.CASCADE, related_name="pairings"
    )
    point = models.ForeignKey(
        ServicePoint, verbose_name=_("agency point"), on_delete=models.CASCADE, related_name="pairings"
    )
    since = models.DateField(_("paired since"))
    until = models.DateField(_("paired until"), null=True, blank=True)
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaison"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pairings_liaised",
    )
    liaison_name = models.CharField(_("liaison name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["branch", "point"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "point"],
                condition=Q(until__isnull=True),
                name="one_open_pairing_per_point",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="pairing_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch} ↔ {self.point}"


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("grid worker")
    STATION_STAFF = "station_staff", _("community station staff")
    STREET_OFFICIAL = "street_official", _("street official")
    BRANCH_SECRETARY = "branch_secretary", _("joint branch secretary")
    BRANCH_MEMBER = "branch_member", _("joint branch member")
    CITY_ADMIN = "city_admin", _("city administrator")


# Roles held over one joint branch rather than over an area: the secretary who leads it
# and the members (party members at its windows) who work its queue and activities.
BRANCH_ROLES = (Role.BRANCH_SECRETARY, Role.BRANCH_MEMBER)
BRANCH_ROLE_VALUES = [role.value for role in BRANCH_ROLES]  # plain strings for the constraint's migration


# Which area level each area-scoped role is attached to.
ROLE_AREA_LEVEL = {
    Role.GRID_WORKER: Area.Level.GRID,
    Role.STATION_STAFF: Area.Level.COMMUNITY,
    Role.STREET_OFFICIAL: Area.Level.TOWN,
    Role.CITY_ADMIN: Area.Level.CITY,
}


class Scope(models.Model):
    """One role a user holds over one area (or, for a secretary or member, one joint branch)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="scopes"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), null=True, blank=True, on_delete=models.CASCADE, related_name="scopes"
    )
    branch = models.ForeignKey(
        JointBranch,
        verbose_name=_("joint branch"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scopes",
    )

    class Meta:
        verbose_name = _("scope")
        verbose_name_plural = _("scopes")
        constraints = [
            models.CheckConstraint(
                condition=(Q(role__in=BRANCH_ROLE_VALUES) & Q(branch__isnull=False) & Q(area__isnull=True))
                | (~Q(role__in=BRANCH_ROLE_VALUES) & Q(area__isnull=False) & Q(branch__isnull=True)),
                name="scope_has_area_or_branch_by_role",
            ),
            models.UniqueConstraint(fields=["user", "role", "area"], name="unique_area_scope"),
            models.UniqueConstraint(fields=["user", "role", "branch"], name="unique_branch_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.place}"

    @property
    def place(self):
        """The area or the joint branch this scope covers."""
        return self.area or self.branch
