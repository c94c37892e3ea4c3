"""The one definition of when a resident is due a visit, and when they are overdue.

due date = the last in-person visit + the care level's interval (settings);
never met in person = due since registration, i.e. due now. A "not home" or refused
attempt does not reset the clock. Overdue = today is past the due date.

The date is stored on the resident (``due_on``) by the visit services, so that every
list filters and sorts by it in the database; ``due_q`` turns a bucket into that filter.
Every screen, export and API endpoint goes through this module.
"""

from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

WEEK_DAYS = 7


def care_interval_days(care_level: str) -> int:
    return settings.DAIBAN_CARE_INTERVAL_DAYS[care_level]


def due_on_for(*, last_met_on: date | None, registered_on: date, care_level: str) -> date:
    if last_met_on is None:
        return registered_on
    return last_met_on + timedelta(days=care_interval_days(care_level))


def is_overdue(due_on: date, today: date) -> bool:
    return today > due_on


def days_overdue(due_on: date, today: date) -> int:
    return max((today - due_on).days, 0)


class Due(StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    WEEK = "week"  # due in the coming days of this week (not today)
    LATER = "later"


DUE_LABELS = {
    Due.OVERDUE: _("overdue"),
    Due.TODAY: _("due today"),
    Due.WEEK: _("due this week"),
    Due.LATER: _("not yet due"),
}


def due_bucket(due_on: date, today: date) -> Due:
    if is_overdue(due_on, today):
        return Due.OVERDUE
    if due_on == today:
        return Due.TODAY
    if due_on < today + timedelta(days=WEEK_DAYS):
        return Due.WEEK
    return Due.LATER


def due_q(bucket: Due | str, today: date, prefix: str = "") -> Q:
    """The database filter for one bucket; ``prefix`` reaches a resident through a join."""
    field = f"{prefix}due_on"
    week_end = today + timedelta(days=WEEK_DAYS)
    return {
        Due.OVERDUE: Q(**{f"{field}__lt": today}),
        Due.TODAY: Q(**{field: today}),
        Due.WEEK: Q(**{f"{field}__gt": today, f"{field}__lt": week_end}),
        Due.LATER: Q(**{f"{field}__gte": week_end}),
    }[Due(bucket)]


def due_by_end_of_week_q(today: date, prefix: str = "") -> Q:
    """Overdue, due today or due this week: the Today screen's list."""
    return Q(**{f"{prefix}due_on__lt": today + timedelta(days=WEEK_DAYS)})


# --- errands: due = requested + the service's promised days; overdue while unfinished ---

ERRAND_UNFINISHED = ("requested", "accepted", "in_progress", "needs_materials")


def errand_due_on(*, requested_at, promised_days: int) -> date:
    from django.utils import timezone

    return timezone.localdate(requested_at) + timedelta(days=promised_days)


def errand_is_overdue(*, state: str, due_on: date, today: date) -> bool:
    """An errand is overdue when today is past its due date and it is not yet done
    (completed, delivered or cancelled errands are not overdue)."""
    return state in ERRAND_UNFINISHED and today > due_on


def errand_overdue_q(today: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}state__in": ERRAND_UNFINISHED, f"{prefix}due_on__lt": today})


def errand_days_overdue(*, due_on: date, today: date) -> int:
    return max((today - due_on).days, 0)


# --- complaints (跑一次没办成): overdue = still open and today past the deadline ---

# The branch answers within five working days unless the centre sets another deadline.
# Weekends are skipped; the state-council holiday calendar (with its make-up working
# days) is not modelled, so around a holiday staff move the date by hand.
COMPLAINT_ANSWER_WORKING_DAYS = 5
COMPLAINT_OPEN = "open"


def complaint_default_deadline(today: date, working_days: int = COMPLAINT_ANSWER_WORKING_DAYS) -> date:
    day, left = today, working_days
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def complaint_is_overdue(*, state: str, deadline: date | None, today: date) -> bool:
    """A complaint is overdue while it is open and today is past its deadline (on-the-spot
    and answered complaints are closed, hence never overdue)."""
    return state == COMPLAINT_OPEN and deadline is not None and today > deadline


def complaint_overdue_q(today: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}state": COMPLAINT_OPEN, f"{prefix}deadline__lt": today})


def day_start(day: date) -> datetime:
    """Midnight opening ``day`` in the local time zone (``TIME_ZONE``): visits, errands
    and events belong to the local day they happened on."""
    return timezone.make_aware(datetime.combine(day, time.min))
