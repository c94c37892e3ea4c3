"""Reporting periods: the kinds a screen offers (this week, this month, last month, custom
days), a month written YYYY-MM, and the one set of messages for a bad one.

Every door that takes a period or a month parses it here — the coverage map and its
GeoJSON, the dashboard and its exports, the monthly coverage report, the branches'
monthly report, activities calendar and city view — so a bad query reads the same
everywhere: a page shows the message beside this month, an export or JSON answers 400
with it.
"""

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from outreach.common.forms import NamedRequiredMixin

PERIOD_MAX_DAYS = 366
# Nothing was recorded before; a typo such as 0202-05 should say so, not show an empty month.
FIRST_MONTH = date(2000, 1, 1)
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    LAST_MONTH = "last_month"
    CUSTOM = "custom"


PERIOD_LABELS = {
    PeriodKind.WEEK: _("This week"),
    PeriodKind.MONTH: _("This month"),
    PeriodKind.LAST_MONTH: _("Last month"),
    PeriodKind.CUSTOM: _("Custom"),
}
DEFAULT_PERIOD = PeriodKind.MONTH

# --- the messages ------------------------------------------------------------------------

PERIOD_INVALID = _("Choose a period: this week, this month, last month or custom.")
START_INVALID = _("The first day of the period is not a date: pick it in the calendar (YYYY-MM-DD).")
END_INVALID = _("The last day of the period is not a date: pick it in the calendar (YYYY-MM-DD).")
START_MISSING = _("Choose the first day of the period.")
END_MISSING = _("Choose the last day of the period.")
START_IN_FUTURE = _("The period cannot start in the future: choose a first day up to today.")
END_BEFORE_START = _("The last day is before the first day: swap them or choose another last day.")
PERIOD_TOO_LONG = _("A period can be at most %(days)d days long.")
MONTH_INVALID = _("“%(value)s” is not a month: write it as YYYY-MM, for example 2026-05.")
MONTH_NOT_BEGUN = _("The month %(month)s has not begun yet: choose this month or an earlier one.")
MONTH_TOO_EARLY = _("Choose a month from %(first)s on.")


# --- periods -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end``, both included, seen on ``today``."""

    kind: str
    start: date
    end: date
    today: date

    @property
    def as_of(self) -> date:
        """The day coverage is judged on: the last day, or today while the period runs."""
        return min(self.end, self.today)

    @property
    def is_running(self) -> bool:
        return self.end >= self.today

    @property
    def label(self) -> str:
        return str(PERIOD_LABELS[PeriodKind(self.kind)])

    def query(self) -> dict[str, str]:
        """The period as query-string parameters (dates only for a custom period)."""
        if self.kind == PeriodKind.CUSTOM:
            return {"period": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat()}
        return {"period": self.kind}


def period_for(
    kind: str = DEFAULT_PERIOD, *, today: date, start: date | None = None, end: date | None = None
) -> Period:
    """This week (Monday to Sunday), this month, last month, or the custom days
    ``start``–``end``. A bad custom period raises ValidationError keyed by field."""
    kind = PeriodKind(kind)
    if kind == PeriodKind.WEEK:
        monday = today - timedelta(days=today.weekday())
        return Period(kind, monday, monday + timedelta(days=6), today)
    if kind == PeriodKind.MONTH:
        return Period(kind, today.replace(day=1), month_end(today), today)
    if kind == PeriodKind.LAST_MONTH:
        last_day = today.replace(day=1) - timedelta(days=1)
        return Period(kind, last_day.replace(day=1), last_day, today)
    errors: dict[str, list] = {}
    if start is None:
        errors["start"] = [START_MISSING]
    if end is None:
        errors["end"] = [END_MISSING]
    if start is not None and end is not None:  # no errors yet
        if start > today:
            errors["start"] = [START_IN_FUTURE]
        elif end < start:
            errors["end"] = [END_BEFORE_START]
        elif (end - start).days + 1 > PERIOD_MAX_DAYS:
            errors["end"] = [PERIOD_TOO_LONG % {"days": PERIOD_MAX_DAYS}]
    if errors:
        raise ValidationError(errors)
    assert start is not None and end is not None
    return Period(kind, start, end, today)


# --- months ------------------------------------------------------------------------------


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=monthrange(day.year, day.month)[1])


def month_parse(raw: str | None, *, today: date) -> date:
    """The first day of the month written YYYY-MM (blank: this month). Not a month,
    before FIRST_MONTH or not begun yet raises ValidationError with the message to show."""
    raw = (raw or "").strip()
    this_month = today.replace(day=1)
    if not raw:
        return this_month
    match = MONTH_PATTERN.fullmatch(raw)
    if match is None or int(match[1]) == 0 or not 1 <= int(match[2]) <= 12:
        raise ValidationError(MONTH_INVALID, code="invalid", params={"value": raw})
    month = date(int(match[1]), int(match[2]), 1)
    if month > this_month:
        raise ValidationError(MONTH_NOT_BEGUN, code="not_begun", params={"month": raw})
    if month < FIRST_MONTH:
        raise ValidationError(MONTH_TOO_EARLY, code="too_early", params={"first": f"{FIRST_MONTH:%Y-%m}"})
    return month


def month_period(month: date, *, today: date) -> Period:
    """The whole month as a custom period (judged on today while it runs)."""
    return period_for(PeriodKind.CUSTOM, today=today, start=month.replace(day=1), end=month_end(month))


def month_shift(month: date, months: int) -> date:
    """The first day of the month ``months`` after (or, negative, before) ``month``."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_nav(month: date, *, today: date) -> dict:
    """The month and its neighbours for previous / next links: none past this month or
    before FIRST_MONTH, the months month_parse would refuse."""
    previous, following = month_shift(month, -1), month_shift(month, 1)
    return {
        "month": month,
        "previous": previous if previous >= FIRST_MONTH else None,
        "next": following if following <= today.replace(day=1) else None,
    }


# --- the forms every door parses with -------------------------------------------------------


class PeriodQueryForm(NamedRequiredMixin, forms.Form):
    """The period of a query string: ``period`` (a kind; blank is this month) and, for a
    custom one, ``start`` and ``end``. Once clean, ``cleaned_data["the_period"]``."""

    period = forms.ChoiceField(
        choices=[(k.value, PERIOD_LABELS[k]) for k in PeriodKind],
        required=False,
        error_messages={"invalid_choice": PERIOD_INVALID},
    )
    start = forms.DateField(required=False, error_messages={"invalid": START_INVALID})
    end = forms.DateField(required=False, error_messages={"invalid": END_INVALID})

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today

    def clean(self):
        data = super().clean()
        if not {"period", "start", "end"} & set(self.errors):
            try:
                data["the_period"] = period_for(
                    data.get("period") or DEFAULT_PERIOD, today=self.today, start=data.get("start"), end=data.get("end")
                )
            except ValidationError as exc:
                for name, errors in exc.error_dict.items():
                    self.add_error(name, errors)
        return data

    def period_errors(self) -> list[str]:
        return [str(e) for name in ("period", "start", "end") for e in self.errors.get(name, [])]


class MonthQueryForm(NamedRequiredMixin, forms.Form):
    """A month of a query string (``month=YYYY-MM``; blank is this month). Once clean,
    ``cleaned_data["the_period"]`` is the whole month."""

    month = forms.CharField(required=False, strip=True)

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today

    def clean_month(self) -> date:
        return month_parse(self.cleaned_data.get("month"), today=self.today)

    def clean(self):
        data = super().clean()
        if "month" in data:
            data["the_period"] = month_period(data["month"], today=self.today)
        return data
