"""Day tallies (每日统计): what happened in one area on one local day, counted when it
happens, for the grid and every area above it (community, town, city). The dashboard and
the coverage figures add up a few hundred of these rows instead of reading a month of
visits and errands (``outreach.reporting.tallies`` keeps and reads them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grid.models import Area


class DayTally(models.Model):
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    visits = models.PositiveIntegerField(_("visits"), db_default=0)
    visits_away = models.PositiveIntegerField(_("visits away from the home"), db_default=0)
    visits_no_location = models.PositiveIntegerField(_("visits without location"), db_default=0)
    errands_received = models.PositiveIntegerField(_("errands received"), db_default=0)
    errands_completed = models.PositiveIntegerField(_("errands completed"), db_default=0)
    trips_saved = models.PositiveIntegerField(_("trips saved"), db_default=0)
    rated = models.PositiveIntegerField(_("deliveries rated"), db_default=0)
    rating_sum = models.PositiveIntegerField(_("sum of the ratings"), db_default=0)

    class Meta:
        verbose_name = _("day tally")
        verbose_name_plural = _("day tallies")
        constraints = [models.UniqueConstraint(fields=["area", "day"], name="tally_area_day_unique")]

    def __str__(self):
        return f"{self.area_id} {self.day}"


class DueTally(models.Model):
    """The active residents of an area (a grid, and every area above it) whose next visit
    is due on one day (``Resident.due_on``), kept by the services that change a resident
    and read by coverage for today: active = the sum of an area's rows, on time = the sum
    of those due today or later. An area has a row per due date its residents have, so
    what coverage reads grows with the days its residents' due dates span, never with
    the number of residents (``outreach.reporting.tallies``)."""

    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField(_("next visit due"))
    residents = models.PositiveIntegerField(_("residents"), db_default=0)

    class Meta:
        verbose_name = _("due tally")
        verbose_name_plural = _("due tallies")
        constraints = [models.UniqueConstraint(fields=["area", "due_on"], name="due_tally_area_day_unique")]

    def __str__(self):
        return f"{self.area_id} {self.due_on}"


class CoverageDay(models.Model):
    """How an area stood at the end of a past day: its active residents and those not
    overdue (coverage's definitions, ``outreach.reporting.coverage``), for the grid and
    every area above it. Written for whole days by the nightly run
    (``outreach.reporting.coverage.days``), so that a past period's figures read a few
    rows, not every resident's visit history. A day counts only while its city row is
    there: a late fact about that day (a visit sent after it, a correction) deletes the
    city rows from that day on, and the day is counted from the facts again until the
    next run writes it anew."""

    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    active = models.PositiveIntegerField(_("active residents"), db_default=0)
    on_time = models.PositiveIntegerField(_("visited on time"), db_default=0)

    class Meta:
        verbose_name = _("coverage of a day")
        verbose_name_plural = _("coverage of past days")
        constraints = [models.UniqueConstraint(fields=["day", "area"], name="coverage_day_unique")]

    def __str__(self):
        return f"{self.area_id} {self.day}"
