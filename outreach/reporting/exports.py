"""The dashboard's and the coverage map's tables as spreadsheets: each function returns a
``Table`` (outreach.common.spreadsheets writes it as XLSX or CSV) whose rows are what
the screen shows.

Exports are made in Chinese whatever the page's language: the files go to offices that
file and forward them (``EXPORT_LANGUAGE``).
"""

from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from outreach.common.spreadsheets import Column, Kind, Table

EXPORT_LANGUAGE = "zh-hans"


# --- The tables of the dashboard and the coverage map ---------------------------------------
# Built inside translation.override(EXPORT_LANGUAGE) by the views, so the labels below come
# out in Chinese; each returns a Table whose rows are what the screen shows.


def _dashboard_columns(*, shows_coverage: bool, shows_complaints: bool, first: str) -> list[Column]:
    columns = [Column(first, Kind.TEXT, 24)]
    if shows_coverage:
        columns += [
            Column(_("Visits"), Kind.INT),
            Column(_("Coverage"), Kind.PERCENT, ratio=True),
            Column(_("Residents overdue"), Kind.INT),
        ]
    columns += [
        Column(_("Errands received"), Kind.INT),
        Column(_("Errands completed"), Kind.INT),
        Column(_("Errands overdue"), Kind.INT),
        Column(_("Median turnaround (days)"), Kind.DECIMAL, ratio=True),
        Column(_("Trips saved"), Kind.INT),
        Column(_("Satisfaction (1–5)"), Kind.DECIMAL, ratio=True),
    ]
    if shows_complaints:
        columns += [Column(_("Complaints"), Kind.INT), Column(_("Handled on the spot"), Kind.PERCENT, ratio=True)]
    return columns


def _dashboard_values(figures, *, shows_coverage: bool, shows_complaints: bool) -> list:
    values = []
    if shows_coverage:
        values += [figures.visits, figures.coverage_share, figures.missed]
    values += [
        figures.errands_received,
        figures.errands_completed,
        figures.errands_overdue,
        figures.turnaround_days,
        figures.trips_saved,
        figures.satisfaction,
    ]
    if shows_complaints:
        values += [figures.complaints, figures.on_spot_share]
    return values


def unplaced_label() -> str:
    """The row of the complaints that concern the place but none of its areas (a town's
    own, on a town's table of communities): ``dashboard.Dashboard.unplaced``."""
    return _("Complaints of no community or village")


def ratio_note(columns: Sequence[Column]) -> str:
    """The line under an exported table that names its columns which do not add up
    (``Column.ratio``). Exports are in Chinese (``EXPORT_LANGUAGE``), hence "、"."""
    labels = "、".join(c.label for c in columns if c.ratio)
    return _(
        "Note: the total row is the sum of the rows, except %(columns)s: shares, averages or medians, worked out over all the rows together."
    ) % {"columns": labels}


def children_table(dashboard, *, title: str, whole: str) -> Table:
    """The dashboard's child-area table, with the total as its last row and the note on
    what does not add up below it. A subject without child areas (a joint branch) has
    one row, its own, named ``whole``: a total of no rows would add up to nothing."""
    subject = dashboard.subject
    flags = {"shows_coverage": subject.shows_coverage, "shows_complaints": subject.shows_complaints}
    table = Table(title, _dashboard_columns(first=_("Area"), **flags))
    if not dashboard.rows:
        table.rows = [[whole, *_dashboard_values(dashboard.total, **flags)]]
        return table
    table.rows = [[row.area.name, *_dashboard_values(row.figures, **flags)] for row in dashboard.rows]
    if dashboard.unplaced is not None:
        table.rows.append([unplaced_label(), *_dashboard_values(dashboard.unplaced, **flags)])
    table.total = [_("Total"), *_dashboard_values(dashboard.total, **flags)]
    table.notes = [ratio_note(table.columns)]
    return table


def trend_table(trend, *, title: str) -> Table:
    """The dashboard's weekly trend (``dashboard.Trend``), one row per week."""
    columns = [Column(_("Week from"), Kind.DATE), Column(_("Week to"), Kind.DATE)]
    if trend.shows_visits:
        columns.append(Column(_("Visits"), Kind.INT))
    columns += [Column(_("Errands received"), Kind.INT), Column(_("Errands completed"), Kind.INT)]
    table = Table(title, columns)
    for week in trend.weeks:
        visits = [week.visits] if trend.shows_visits else []
        table.rows.append([week.start, week.end, *visits, week.received, week.completed])
    return table


def coverage_columns(first: str) -> list[Column]:
    return [
        Column(first, Kind.TEXT, 24),
        Column(_("Residents"), Kind.INT),
        Column(_("Visited on time"), Kind.INT),
        Column(_("Coverage"), Kind.PERCENT, ratio=True),
        Column(_("Missed"), Kind.INT),
        Column(_("Visits"), Kind.INT),
        Column(_("Visits away from the home"), Kind.INT),
        Column(_("Visits without location"), Kind.INT),
    ]


def coverage_values(figures) -> list:
    return [
        figures.active,
        figures.on_time,
        figures.share,
        figures.missed,
        figures.visits,
        figures.visits_away,
        figures.visits_no_location,
    ]


def coverage_table(rows, total, *, title: str) -> Table:
    """The coverage map's child-area table: (area, coverage.Figures) rows and their total."""
    table = Table(title, coverage_columns(_("Area")))
    table.rows = [[area.name, *coverage_values(figures)] for area, figures in rows]
    table.total = [_("Total"), *coverage_values(total)]
    table.notes = [ratio_note(table.columns)]
    return table


def missed_table(residents, *, title: str) -> Table:
    """Residents missed in the period (rows of coverage.missed_residents, marked with
    coverage.mark_days_overdue). National IDs masked, as on screen."""
    table = Table(
        title,
        [
            Column(_("Name"), Kind.TEXT, 12),
            Column(_("National ID"), Kind.TEXT, 22),
            Column(_("Grid"), Kind.TEXT, 22),
            Column(_("Address"), Kind.TEXT, 36),
            Column(_("Care level"), Kind.TEXT, 8),
            Column(_("Last met in person"), Kind.DATE),
            Column(_("Due on"), Kind.DATE),
            Column(_("Days overdue"), Kind.INT),
        ],
    )
    for r in residents:
        if hasattr(r, "last_met_at"):  # a past period: the last visit by its end, not today's
            last_met = timezone.localdate(r.last_met_at) if r.last_met_at else None
        else:
            last_met = r.last_met_on
        table.rows.append(
            [r.name, r.national_id_masked, r.grid.name, r.address, r.care_level, last_met, r.due_at_end, r.days_overdue]
        )
    return table
