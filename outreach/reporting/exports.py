"""Spreadsheet exports of the dashboard and coverage tables: XLSX (openpyxl) with Chinese
headers, a frozen header row and typed cells, and CSV in UTF-8 with a BOM so that Excel
on a Chinese Windows opens it right.

A table is a list of ``Column``s and rows of plain Python values; the column's ``kind``
decides the cell: numbers stay numbers, dates are dates, shares are fractions shown with
a % format (in CSV: "87.5%", which Excel reads back as a percentage). ``None`` is an
empty cell: "no figure" must not read as zero.

Exports are made in Chinese whatever the page's language: the files go to offices that
file and forward them (``EXPORT_LANGUAGE``).
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

EXPORT_LANGUAGE = "zh-hans"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
SHEET_TITLE_MAX = 31  # Excel's limit
SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"  # one decimal: days, ratings
    PERCENT = "percent"  # a fraction 0–1
    DATE = "date"


NUMBER_FORMATS = {Kind.INT: "0", Kind.DECIMAL: "0.0", Kind.PERCENT: "0.0%", Kind.DATE: "yyyy-mm-dd"}
WIDTHS = {Kind.TEXT: 18, Kind.INT: 10, Kind.DECIMAL: 10, Kind.PERCENT: 10, Kind.DATE: 12}


@dataclass(frozen=True)
class Column:
    label: str  # already translated (build tables inside translation.override(EXPORT_LANGUAGE))
    kind: Kind = Kind.TEXT
    width: int | None = None


@dataclass
class Table:
    title: str
    columns: Sequence[Column]
    rows: list[list] = field(default_factory=list)
    total: list | None = None  # a last, bold row


def _cell_value(value, kind: Kind):
    if value is None:
        return None
    if kind == Kind.INT:
        return int(value)
    if kind in (Kind.DECIMAL, Kind.PERCENT):
        return float(value)
    if kind == Kind.DATE:
        return timezone.localdate(value) if isinstance(value, datetime) else value
    return str(value)


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique sheet title: Excel allows 31 characters and no []:*?/\\."""
    base = (title.translate(SHEET_TITLE_FORBIDDEN).strip() or "Sheet")[:SHEET_TITLE_MAX]
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"({n})"
        candidate = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def workbook_bytes(tables: Iterable[Table]) -> bytes:
    """One sheet per table: header row bold and frozen, typed and formatted cells."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]  # a new workbook opens on one worksheet
    taken: set[str] = set()
    header_fill = PatternFill("solid", fgColor="F3E5E5")
    for table in tables:
        sheet = workbook.create_sheet(sheet_title(table.title, taken))
        sheet.append([c.label for c in table.columns])
        for cell in sheet[1]:
            cell.font, cell.fill = Font(bold=True), header_fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        rows = list(table.rows) + ([table.total] if table.total is not None else [])
        for row in rows:
            sheet.append([_cell_value(v, c.kind) for v, c in zip(row, table.columns)])
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = column.width or max(WIDTHS[column.kind], len(column.label) * 2 + 2)
            if column.kind in NUMBER_FORMATS:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = NUMBER_FORMATS[column.kind]
        if table.total is not None:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv_value(value, kind: Kind) -> str:
    value = _cell_value(value, kind)
    if value is None:
        return ""
    if kind == Kind.PERCENT:
        return f"{value * 100:.1f}%"
    if kind == Kind.DECIMAL:
        return f"{value:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    rows = list(table.rows) + ([table.total] if table.total is not None else [])
    for row in rows:
        writer.writerow([_csv_value(v, c.kind) for v, c in zip(row, table.columns)])
    return BOM + out.getvalue()


def xlsx_response(tables: Iterable[Table], filename: str) -> HttpResponse:
    response = HttpResponse(workbook_bytes(tables), content_type=XLSX_CONTENT_TYPE)
    response.headers["Content-Disposition"] = content_disposition_header(True, f"{filename}.xlsx")
    return response


def csv_response(table: Table, filename: str) -> HttpResponse:
    response = HttpResponse(csv_text(table).encode("utf-8"), content_type=CSV_CONTENT_TYPE)
    response.headers["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
    return response


def table_response(table: Table, *, fmt: str, filename: str) -> HttpResponse:
    return xlsx_response([table], filename) if fmt == "xlsx" else csv_response(table, filename)


# --- The tables of the dashboard and the coverage map ---------------------------------------
# Built inside translation.override(EXPORT_LANGUAGE) by the views, so the labels below come
# out in Chinese; each returns a Table whose rows are what the screen shows.


def _dashboard_columns(*, shows_coverage: bool, shows_complaints: bool, first: str) -> list[Column]:
    columns = [Column(first, Kind.TEXT, 24)]
    if shows_coverage:
        columns += [
            Column(_("Visits"), Kind.INT),
            Column(_("Coverage"), Kind.PERCENT),
            Column(_("Residents overdue"), Kind.INT),
        ]
    columns += [
        Column(_("Errands received"), Kind.INT),
        Column(_("Errands completed"), Kind.INT),
        Column(_("Errands overdue"), Kind.INT),
        Column(_("Median turnaround (days)"), Kind.DECIMAL),
        Column(_("Trips saved"), Kind.INT),
        Column(_("Satisfaction (1–5)"), Kind.DECIMAL),
    ]
    if shows_complaints:
        columns += [Column(_("Complaints"), Kind.INT), Column(_("Handled on the spot"), Kind.PERCENT)]
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


def children_table(dashboard, *, title: str) -> Table:
    """The dashboard's child-area table, with the total as its last row."""
    subject = dashboard.subject
    flags = {"shows_coverage": subject.shows_coverage, "shows_complaints": subject.shows_complaints}
    table = Table(title, _dashboard_columns(first=_("Area"), **flags))
    table.rows = [[row.area.name, *_dashboard_values(row.figures, **flags)] for row in dashboard.rows]
    table.total = [_("Total"), *_dashboard_values(dashboard.total, **flags)]
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
        Column(_("Coverage"), Kind.PERCENT),
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
