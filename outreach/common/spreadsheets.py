"""The one spreadsheet writer: every XLSX (openpyxl) and CSV file Daiban produces is a list
of ``Table``s written here. XLSX sheets get a bold, frozen header row and typed cells;
CSV is UTF-8 with a BOM so that Excel on a Chinese Windows opens it right.

A table is a list of ``Column``s and rows of plain Python values; the column's ``kind``
decides the cell: numbers stay numbers, dates are dates, shares are fractions shown with
a % format (in CSV: "87.5%", which Excel reads back as a percentage), codes stay text.
``None`` is an empty cell: "no figure" must not read as zero.

Every piece of text that lands in a file, headers included, passes through
``text_cell``: the one place that decides how a string is written. Text from people
(a resident named ``=HYPERLINK(…)``, an address starting with ``+``) must never run as a
formula when an office opens the file: in XLSX every string is a string cell (openpyxl
would make text starting with "=" a formula), and in CSV — where Excel decides by the
first character — such text gets a leading apostrophe, Excel's "this is text" mark.
Numbers and dates are not text and stay as they are (a negative count is still a number).
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
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_FORMULA, TYPE_STRING
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
SHEET_TITLE_MAX = 31  # Excel's limit
SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
HEADER_FILL = "F3E5E5"


class Kind(StrEnum):
    TEXT = "text"
    CODE = "code"  # text made of digits (IDs, phone numbers, codes): kept as text, never a number
    INT = "int"
    DECIMAL = "decimal"  # one decimal: days, ratings
    PERCENT = "percent"  # a fraction 0–1
    DATE = "date"
    NUMBER = "number"  # a number as it is, in Excel's General format


NUMBER_FORMATS = {
    Kind.CODE: "@",
    Kind.INT: "0",
    Kind.DECIMAL: "0.0",
    Kind.PERCENT: "0.0%",
    Kind.DATE: "yyyy-mm-dd",
}
WIDTHS = {
    Kind.TEXT: 18,
    Kind.CODE: 18,
    Kind.INT: 10,
    Kind.DECIMAL: 10,
    Kind.PERCENT: 10,
    Kind.DATE: 12,
    Kind.NUMBER: 10,
}


@dataclass(frozen=True)
class Column:
    label: str  # already translated, in the language of the file
    kind: Kind = Kind.TEXT
    width: int | None = None
    wrap: bool = False  # long text: wrapped and top-aligned
    choices: Sequence[str] = ()  # in a fill-in sheet (Table.fill_in_rows), a drop-down list
    ratio: bool = False  # a share, average or median: the total row does not add it up (Table.notes says so)


@dataclass
class Table:
    title: str
    columns: Sequence[Column]
    rows: list[list] = field(default_factory=list)
    total: list | None = None  # a last, bold row
    # A sheet for people to fill in (a template): the columns' formats cover the whole
    # column, so what is typed later stays text or reads as a date, and columns with
    # choices offer them as a drop-down list in this many rows below the header.
    fill_in_rows: int = 0
    # Lines under the table, after an empty row: what a reader must know about the
    # figures, e.g. which columns of the total row are not the sum of the rows.
    notes: list[str] = field(default_factory=list)


# What makes Excel, LibreOffice or WPS read a cell as a formula (or a DDE command), with
# the full-width forms a Chinese input method types; OWASP's list plus those.
FORMULA_SIGNS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula (the roster import asks too)."""
    return text.startswith(FORMULA_SIGNS)


def text_cell(value, *, for_csv: bool = False) -> str:
    """A piece of text as it is written into a spreadsheet: as it is in an XLSX cell (the
    writer makes it a string cell), with a leading apostrophe in a CSV field when a
    spreadsheet would otherwise run it as a formula."""
    text = str(value)
    return "'" + text if for_csv and starts_like_formula(text) else text


def _append(sheet, values: Iterable) -> None:
    """Append a row in which every string is a string cell, never a formula: Daiban
    writes no formulas, so one that openpyxl guessed from a leading "=" is text."""
    row = list(values)
    sheet.append(row)
    # openpyxl takes a string starting with "=" for a formula. Only such rows are looked
    # at again, by the row number append just wrote (``max_row`` counts every cell of
    # the sheet: asked once per cell, a 100,000-row list took many minutes).
    if any(isinstance(value, str) and value.startswith("=") for value in row):
        for cell in sheet[sheet._current_row]:
            if cell.data_type == TYPE_FORMULA:
                cell.data_type = TYPE_STRING


def _cell_value(value, kind: Kind, *, for_csv: bool = False):
    if value is None:
        return None
    if kind == Kind.INT:
        return int(value)
    if kind in (Kind.DECIMAL, Kind.PERCENT):
        return float(value)
    if kind == Kind.DATE:
        return timezone.localdate(value) if isinstance(value, datetime) else value
    if kind == Kind.NUMBER:
        return value
    return text_cell(value, for_csv=for_csv)


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


def _rows(table: Table) -> list[list]:
    return list(table.rows) + ([table.total] if table.total is not None else [])


def workbook_bytes(tables: Iterable[Table]) -> bytes:
    """One sheet per table: header row bold and frozen, typed and formatted cells."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]  # a new workbook opens on one worksheet
    taken: set[str] = set()
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for table in tables:
        sheet = workbook.create_sheet(sheet_title(table.title, taken))
        _append(sheet, (text_cell(c.label) for c in table.columns))
        for cell in sheet[1]:
            cell.font, cell.fill = Font(bold=True), header_fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        for row in _rows(table):
            _append(sheet, (_cell_value(v, c.kind) for v, c in zip(row, table.columns)))
        for index, column in enumerate(table.columns, start=1):
            _format_column(sheet, table, index, column)
        if table.total is not None:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        if table.notes:
            sheet.append([])
            for note in table.notes:
                _append(sheet, [text_cell(note)])
                sheet.cell(sheet.max_row, 1).font = Font(italic=True)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _format_column(sheet, table: Table, index: int, column: Column) -> None:
    letter = get_column_letter(index)
    dimension = sheet.column_dimensions[letter]
    dimension.width = column.width or max(WIDTHS[column.kind], len(column.label) * 2 + 2)
    number_format = NUMBER_FORMATS.get(column.kind)
    if number_format and table.fill_in_rows:
        dimension.number_format = number_format  # the column's style: what is typed later too
    if number_format or column.wrap:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if number_format:
                cell.number_format = number_format
            if column.wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if column.choices and table.fill_in_rows:
        validation = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
        validation.add(f"{letter}2:{letter}{table.fill_in_rows + 1}")
        sheet.add_data_validation(validation)


def _csv_value(value, kind: Kind) -> str:
    value = _cell_value(value, kind, for_csv=True)
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
    writer.writerow([text_cell(c.label, for_csv=True) for c in table.columns])
    for row in _rows(table):
        writer.writerow([_csv_value(v, c.kind) for v, c in zip(row, table.columns)])
    if table.notes:
        writer.writerow([])
        writer.writerows([text_cell(note, for_csv=True)] for note in table.notes)
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


def table_bytes(table: Table, *, fmt: str) -> bytes:
    """The file ``table_response`` would send, for a file kept until it is downloaded."""
    return workbook_bytes([table]) if fmt == "xlsx" else csv_text(table).encode("utf-8")


def content_type(fmt: str) -> str:
    return XLSX_CONTENT_TYPE if fmt == "xlsx" else CSV_CONTENT_TYPE
