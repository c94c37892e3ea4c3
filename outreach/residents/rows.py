"""The rows of a list of residents (Today, the resident list), ready to print.

Today is a grid worker's first screen, opened on a cheap phone many times a day, with
dozens of rows. Rendered through an include per row, each row resolved some thirty
template variables, a plural translation, a ``{% url %}`` and the categories as model
objects: most of the page's time. Here each row is a few strings computed once in
Python (the same translations as the templates had), and the template only prints them
(``templates/outreach/residents/_resident_rows.html``, one include per list)."""

from dataclasses import dataclass, field
from datetime import date

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from grid.geo import distance_m
from outreach.common.due import Due, days_overdue, due_bucket
from outreach.models import Category, Resident


@dataclass(slots=True)
class ResidentRow:
    pk: int
    name: str
    address: str
    care_level: str
    bucket: Due
    flag: str  # "3 days overdue", "due today", "due in 2 days", "not yet due"
    detail_url: str
    badges: list[str] = field(default_factory=list)  # the categories' labels
    distance_m: float | None = None  # from the worker, when the phone shared its position
    distance: str = ""  # the same, to print
    visit_url: str = ""  # Today's "Visit" button
    visit_label: str = ""


def due_flag(bucket: Due, due_on: date, today: date) -> str:
    if bucket == Due.OVERDUE:
        days = days_overdue(due_on, today)
        return ngettext("%(days)s day overdue", "%(days)s days overdue", days) % {"days": days}
    if bucket == Due.TODAY:
        return gettext("due today")
    if bucket == Due.WEEK:
        days = (due_on - today).days
        return ngettext("due in %(days)s day", "due in %(days)s days", days) % {"days": days}
    return gettext("not yet due")


def _distance_text(metres: float) -> str:
    if metres < 1000:
        return gettext("%(m)s m") % {"m": floatformat(metres, "0")}
    return gettext("%(km)s km") % {"km": floatformat(metres / 1000, 1)}


def resident_rows(
    residents: list[Resident],
    *,
    today: date,
    categories: dict[int, list[str]],
    here: tuple[float, float] | None = None,
    with_visit: bool = False,
) -> list[ResidentRow]:
    """A row per resident: its due flag for ``today``, its categories' labels (from
    ``categories``: resident id → category codes), its distance from ``here`` and, with
    ``with_visit``, Today's visit button."""
    labels = {code: str(label) for code, label in Category.choices}  # translated once, not per badge
    # Two reversals for the whole list: each row's URL is the same with its own id.
    detail = reverse("resident-detail", args=[0]).replace("/0/", "/{}/")
    visit = reverse("visit-create", args=[0]).replace("/0/", "/{}/") if with_visit else ""
    rows = []
    for r in residents:
        bucket = due_bucket(r.due_on, today)
        row = ResidentRow(
            pk=r.pk,
            name=r.name,
            address=r.address,
            care_level=r.care_level,
            bucket=bucket,
            flag=due_flag(bucket, r.due_on, today),
            detail_url=detail.format(r.pk),
            badges=[labels.get(code, code) for code in categories.get(r.pk, ())],
        )
        if with_visit:
            row.visit_url = visit.format(r.pk)
            row.visit_label = gettext("Start a visit to %(name)s") % {"name": r.name}
        if here and r.home_lat is not None and r.home_lng is not None:
            row.distance_m = distance_m(here[0], here[1], r.home_lat, r.home_lng)
            row.distance = _distance_text(row.distance_m)
        rows.append(row)
    return rows
