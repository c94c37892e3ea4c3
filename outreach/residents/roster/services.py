"""Resident rosters (服务对象花名册) from XLSX or CSV: reading the file, checking every row,
and writing the whole roster in one transaction — or nothing at all.

Offices keep rosters in Excel, so the reader is forgiving about form (column order,
English or Chinese headers, IDs typed as numbers, CSV saved as GBK by Excel on Chinese
Windows) and strict about content: every bad row is reported with its spreadsheet row
number and column, and a file with a single bad row writes nothing. The same check runs
on the preview and again on commit, inside the commit's transaction, because grids,
scopes and residents may have changed in between.
"""

import base64
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from shapely import STRtree
from shapely.geometry import Point, shape
from stdnum.cn import ric

from grid.access import reach_of
from grid.models import Area, User
from grid.selectors import areas_in_scope
from outreach.common import crypto, due, spreadsheets
from outreach.common.audit import audit, common_area
from outreach.common.limits import max_length
from outreach.common.spreadsheets import Kind
from outreach.models import AuditEvent, Category, Resident, ResidentCategory, RosterImport
from outreach.reporting import tallies
from outreach.residents import national_ids
from outreach.residents.validation import birth_date_and_sex, clean_national_id, clean_position

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    from outreach.jobs.services import Progress

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Far more columns than a roster has; a sheet claiming thousands is read no further.
MAX_COLUMNS = 100
# A 5 MB workbook can unpack to gigabytes (a zip bomb); a real 5,000-row roster unpacks
# to a few megabytes.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
BATCH_SIZE = 500
XLSX_CONTENT_TYPE = spreadsheets.XLSX_CONTENT_TYPE
TEMPLATE_FILENAME = "服务对象花名册模板.xlsx"

# The template's example row carries this (valid) ID, so an example left in the file is
# caught instead of registering a made-up resident.
EXAMPLE_NATIONAL_ID = "33078219450315123" + ric.calc_check_digit("33078219450315123" + "0")  # the digit is ignored


@dataclass(frozen=True)
class Column:
    """One column of the roster. ``header`` is what the template shows (Chinese: it is
    the file format, not a UI string); ``aliases`` are also accepted, case-insensitive."""

    field: str
    header: str
    required: bool
    help: "str | StrPromise"
    example: str
    aliases: tuple[str, ...] = ()
    text: bool = False  # formatted as text in the template, so Excel keeps leading zeros and all 18 digits
    date: bool = False

    @property
    def template_header(self) -> str:
        return f"{self.header}*" if self.required else self.header


CATEGORY_WORDS = {
    "独居老人": Category.LIVING_ALONE,
    "高龄80+": Category.AGED_80,
    "高龄": Category.AGED_80,
    "残疾": Category.DISABLED,
    "重病": Category.SERIOUS_ILLNESS,
    "行动不便": Category.LIMITED_MOBILITY,
    "低保": Category.MINIMUM_LIVING,
    "特困": Category.EXTREME_POVERTY,
    "空巢老人": Category.EMPTY_NEST,
    "退役军人/优抚对象": Category.VETERAN,
    "退役军人": Category.VETERAN,
    "优抚对象": Category.VETERAN,
    **{code: Category(code) for code in Category.values},
}
CATEGORY_LABELS = ["独居老人", "高龄80+", "残疾", "重病", "行动不便", "低保", "特困", "空巢老人", "退役军人/优抚对象"]
CONSENT_WORDS = {
    "本人书面同意": Resident.ConsentBasis.WRITTEN,
    "监护人同意": Resident.ConsentBasis.GUARDIAN,
    "法定职责": Resident.ConsentBasis.STATUTORY,
    **{code: Resident.ConsentBasis(code) for code in Resident.ConsentBasis.values},
}
CONSENT_LABELS = ["本人书面同意", "监护人同意", "法定职责"]
SEX_WORDS = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}


def _categories_help() -> str:
    return _("Any of %(labels)s, separated by 、 , ; or spaces.") % {"labels": "、".join(CATEGORY_LABELS)}


COLUMNS = (
    Column("name", "姓名", True, gettext_lazy("Full name, at most 50 characters."), "张三"),
    Column(
        "sex",
        "性别",
        False,
        gettext_lazy("男 or 女 (M or F also work). Taken from the national ID when one is given."),
        "男",
    ),
    Column(
        "birth_date",
        "出生日期",
        False,
        gettext_lazy("YYYY-MM-DD or an Excel date. Taken from the national ID when one is given."),
        "1945-03-15",
        date=True,
    ),
    Column(
        "national_id",
        "身份证号",
        False,
        gettext_lazy("18 characters (GB 11643); a final x is fine. Keep this column formatted as text."),
        EXAMPLE_NATIONAL_ID,
        aliases=("身份证号码",),
        text=True,
    ),
    Column(
        "phone",
        "电话",
        False,
        gettext_lazy("Mobile or landline, at most 20 characters."),
        "13900000000",
        aliases=("联系电话",),
        text=True,
    ),
    Column("address", "住址", True, gettext_lazy("Home address, at most 200 characters."), "绣湖路1号2单元301室"),
    Column(
        "grid_code",
        "网格编码",
        False,
        gettext_lazy("Code of the resident's grid (see the sheet 网格编码). Give a grid code or the coordinates."),
        "",
        text=True,
    ),
    Column(
        "lat",
        "纬度",
        False,
        gettext_lazy("WGS-84 latitude in degrees. Without a grid code, the grid is found from the position."),
        "",
        aliases=("latitude",),
    ),
    Column("lng", "经度", False, gettext_lazy("WGS-84 longitude in degrees."), "", aliases=("longitude", "lon")),
    Column("categories", "类别", False, lazy(_categories_help, str)(), "独居老人、高龄80+"),
    Column(
        "disability_grade", "残疾等级", False, gettext_lazy("1 to 4; required when 残疾 is among the categories."), ""
    ),
    Column("care_level", "照护等级", True, gettext_lazy("A (visited weekly), B (fortnightly) or C (monthly)."), "A"),
    Column(
        "guardian_name",
        "监护人",
        False,
        gettext_lazy("Guardian or emergency contact, at most 50 characters."),
        "张小明",
    ),
    Column("guardian_phone", "监护人电话", False, gettext_lazy("At most 20 characters."), "13900000001", text=True),
    Column("guardian_relation", "与监护人关系", False, gettext_lazy("At most 20 characters, e.g. 儿子."), "儿子"),
    Column(
        "consent_basis",
        "同意依据",
        True,
        gettext_lazy("本人书面同意, 监护人同意 or 法定职责 (or written, guardian, statutory)."),
        "本人书面同意",
    ),
    Column(
        "consent_on",
        "同意日期",
        False,
        gettext_lazy("YYYY-MM-DD or an Excel date; not in the future."),
        "2026-01-05",
        date=True,
    ),
)
COLUMNS_BY_FIELD = {c.field: c for c in COLUMNS}
MAX_LENGTHS = {
    name: max_length(Resident, name)
    for name in ("name", "address", "phone", "guardian_name", "guardian_phone", "guardian_relation")
}


def _header_key(text: str) -> str:
    """姓名*, 出生日期（YYYY-MM-DD）, Birth Date and birth_date all become one key."""
    text = re.sub(r"[（(].*?[)）]", "", str(text))
    text = text.replace("\u3000", " ").strip().strip("*＊").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


HEADER_ALIASES = {
    _header_key(name): column.field for column in COLUMNS for name in (column.header, column.field, *column.aliases)
}


# --- reading the file -------------------------------------------------------------------


@dataclass
class Table:
    """The first sheet of a workbook (or a CSV) as text-or-value cells."""

    header_row: int
    headers: list[str]
    rows: list[tuple[int, list]]  # (spreadsheet row number, cells), blank rows left out


def read_upload(upload: UploadedFile) -> bytes:
    """Read at most one byte past the limit, so a huge upload is refused cheaply."""
    if upload.size and upload.size > MAX_BYTES:
        raise ValidationError(too_big_message(str(upload.name)))
    upload.seek(0)
    data: bytes = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(too_big_message(str(upload.name)))
    return data


def too_big_message(name: str) -> str:
    return _("“%(name)s” is larger than %(limit)s. Split the roster into several files.") % {
        "name": name,
        "limit": filesizeformat(MAX_BYTES),
    }


def read_table(*, data: bytes, filename: str) -> Table:
    """The header and the non-blank rows of the file; file-level problems raise
    ValidationError with one message each."""
    name = filename or _("The file")
    if len(data) > MAX_BYTES:
        raise ValidationError(too_big_message(name))
    if not data.strip():
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name})
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if _looks_like_markup(data):
        # Some office systems export an HTML table named .xls or .xlsx.
        raise ValidationError(
            _(
                "“%(name)s” is a web page (HTML/XML) with a spreadsheet name, not a spreadsheet. Open it "
                "in Excel and save it as Excel Workbook (.xlsx)."
            )
            % {"name": name}
        )
    if extension == "xls":
        raise ValidationError(
            _("“%(name)s” is in the old Excel 97–2003 format. Open it in Excel and save it as Excel Workbook (.xlsx).")
            % {"name": name}
        )
    if extension not in ("xlsx", "csv"):
        raise ValidationError(
            _("Only Excel workbooks (.xlsx) and CSV files (.csv) can be imported; “%(name)s” is neither.")
            % {"name": name}
        )
    if extension == "xlsx":
        rows = _xlsx_rows(data, name)
    else:
        rows = _csv_rows(data, name)
    return _table(rows, name)


def _looks_like_markup(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<table", b"<head", b"<body"))


def _xlsx_rows(data: bytes, name: str) -> Iterator[tuple[int, list]]:
    not_a_workbook = _(
        "“%(name)s” is not a real Excel workbook (.xlsx). Open it in Excel and save it as Excel Workbook (.xlsx) again."
    ) % {"name": name}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ValidationError(too_big_message(name))
            if "xl/workbook.xml" not in archive.namelist():
                raise ValidationError(not_a_workbook)
    except zipfile.BadZipFile:
        raise ValidationError(not_a_workbook) from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — openpyxl raises anything from KeyError to XML errors on a broken workbook
        raise ValidationError(not_a_workbook) from None
    try:
        if not workbook.worksheets:
            raise ValidationError(not_a_workbook)
        # The first sheet is the roster; the template's 说明 and 网格编码 sheets come after it.
        for number, cells in enumerate(
            workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
        ):
            yield number, list(cells)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 — a broken sheet fails while it is read, as above
        raise ValidationError(not_a_workbook) from None
    finally:
        workbook.close()


def _csv_rows(data: bytes, name: str) -> Iterator[tuple[int, list]]:
    if b"\x00" in data or data.startswith(b"PK\x03\x04"):
        raise ValidationError(
            _(
                "“%(name)s” is not a text CSV file. Open it in Excel and save it as CSV UTF-8 or as "
                "Excel Workbook (.xlsx)."
            )
            % {"name": name}
        )
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves "CSV" in GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(
            _("The text of “%(name)s” is neither UTF-8 nor GBK. Save it from Excel as CSV UTF-8.") % {"name": name}
        )
    sample = text[:4096]
    delimiter = max(",\t;", key=sample.count)
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            yield number, cells[:MAX_COLUMNS]
    except csv.Error:
        raise ValidationError(
            _("“%(name)s” is not a well-formed CSV file (a quote is not closed?).") % {"name": name}
        ) from None


def _no_header(name: str) -> str:
    return _(
        "“%(name)s” has no header row: one of the first rows must name the columns, such as 姓名 and 住址. Start "
        "from the template."
    ) % {"name": name}


def _blank(cells: Iterable[object]) -> bool:
    return all(_text(c) == "" for c in cells)


# Office rosters often carry a title row or two above the header.
HEADER_SEARCH_ROWS = 5


def _is_header(cells: Iterable[object]) -> bool:
    return any(HEADER_ALIASES.get(_header_key(_text(c))) for c in cells)


def _table(rows: Iterable[tuple[int, list]], name: str) -> Table:
    header_row, headers = 0, []
    body: list[tuple[int, list]] = []
    seen = 0
    for number, cells in rows:
        if _blank(cells):
            continue
        if not header_row:
            seen += 1
            if _is_header(cells):
                header_row, headers = number, [_text(c) for c in cells]
            elif seen >= HEADER_SEARCH_ROWS:
                raise ValidationError(_no_header(name))
            continue
        body.append((number, cells))
        if len(body) > MAX_ROWS:
            raise ValidationError(
                _("“%(name)s” has more than %(max)s rows. Split it into several files.")
                % {"name": name, "max": f"{MAX_ROWS:,}"}
            )
    if not header_row:
        raise ValidationError(_no_header(name) if seen else _("“%(name)s” is empty.") % {"name": name})
    while headers and not headers[-1]:
        headers.pop()
    if not body:
        raise ValidationError(_("“%(name)s” has a header row but no residents under it.") % {"name": name})
    return Table(header_row=header_row, headers=headers, rows=body)


# --- the layout of the header row ----------------------------------------------------------


@dataclass
class Layout:
    """Which file column holds which field, and which columns are ignored."""

    index: dict[str, int]  # field → 0-based column
    headers: list[str]
    ignored: list[str]

    def label(self, field_name: str) -> tuple[str, str]:
        """The column as the user sees it: its header in the file and its letter."""
        if field_name in self.index:
            i = self.index[field_name]
            return self.headers[i], get_column_letter(i + 1)
        return COLUMNS_BY_FIELD[field_name].header, ""


def layout_of(table: Table) -> Layout:
    index: dict[str, int] = {}
    ignored: list[str] = []
    twice: dict[str, list[str]] = {}
    for i, header in enumerate(table.headers):
        if not header:
            continue
        field_name = HEADER_ALIASES.get(_header_key(header))
        if field_name is None:
            ignored.append(header)
        elif field_name in index:
            twice.setdefault(field_name, [get_column_letter(index[field_name] + 1)]).append(get_column_letter(i + 1))
        else:
            index[field_name] = i
    errors = []
    missing = [c.template_header for c in COLUMNS if c.required and c.field not in index]
    if missing:
        errors.append(_("Required columns are missing: %(columns)s.") % {"columns": "、".join(missing)})
    if "grid_code" not in index and not {"lat", "lng"} <= index.keys():
        errors.append(
            _("Add the column 网格编码, or the columns 纬度 and 经度, so each resident can be placed in a grid.")
        )
    for field_name, letters in twice.items():
        errors.append(
            _("The column %(column)s appears more than once (columns %(letters)s); keep one.")
            % {"column": COLUMNS_BY_FIELD[field_name].header, "letters": ", ".join(letters)}
        )
    if errors:
        raise ValidationError(errors)
    return Layout(index=index, headers=table.headers, ignored=ignored)


# --- cells --------------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None) | {0x3000: " ", 0xA0: " "}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value).translate(_INVISIBLE).strip()


_DATE_TEXT = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]0?0:00(?::00)?)?$")
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")
_PHONE = re.compile(r"^[0-9+\-() ]+$")
_SEPARATORS = re.compile(r"[、,，;；\s]+")


def _date(value: object) -> date:
    """A date from an Excel date cell, an Excel serial number, 1945-03-15, 1945/3/15,
    1945年3月15日 or 19450315. Raises ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 10_000_000 <= value <= 99_999_999:
            return _date(str(int(value)))
        if 1 <= value < 2_958_466:  # Excel's serial day numbers up to 9999-12-31
            day: datetime = from_excel(value)
            return day.date()
        raise ValueError
    text = _text(value)
    match = _DATE_TEXT.match(text) or _DATE_DIGITS.match(text)
    if not match:
        raise ValueError
    return date(*(int(part) for part in match.groups()))


# --- checking the rows -----------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One problem (or warning) of one row, tied to a column of the file."""

    row: int
    column: str
    letter: str
    message: str

    @property
    def where(self) -> str:
        return f"{self.column} ({self.letter})" if self.letter else self.column


@dataclass
class RowReport:
    row: int
    name: str
    issues: list[Issue]


@dataclass
class RowDraft:
    """A row while it is being checked."""

    row: int
    resident: Resident
    categories: list[str] = field(default_factory=list)
    national_id: str = field(default="", repr=False)  # plain: kept out of every repr (logs, error reports)
    grid_code: str = ""
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


@dataclass
class RosterCheck:
    """Everything the preview shows and the commit needs."""

    filename: str
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    row_count: int = 0
    drafts: list[RowDraft] = field(default_factory=list)
    # The user has checked as many national IDs today as one may (answered 429): the
    # file's error says so, and no row was checked against the registry.
    limited: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and self.row_count > 0 and not self.error_count

    @property
    def errors(self) -> list[Issue]:
        return [issue for d in self.drafts for issue in d.errors]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for d in self.drafts for issue in d.warnings]

    @property
    def error_count(self) -> int:
        """Rows with at least one error."""
        return sum(1 for d in self.drafts if d.errors)

    @property
    def valid_count(self) -> int:
        return self.row_count - self.error_count

    @property
    def bad_rows(self) -> list[RowReport]:
        return [RowReport(d.row, d.resident.name, d.errors) for d in self.drafts if d.errors]

    @property
    def warned_rows(self) -> list[RowReport]:
        return [RowReport(d.row, d.resident.name, d.warnings) for d in self.drafts if d.warnings]


class _RowChecker:
    """Turns one row's cells into a Resident draft, collecting every problem."""

    def __init__(self, layout: Layout, today: date):
        self.layout = layout
        self.today = today

    def check(self, row: int, cells: list) -> RowDraft:
        self.cells = cells
        self.failed: set[str] = set()
        draft = RowDraft(row=row, resident=Resident(registered_on=self.today))
        self.draft = draft
        r = draft.resident
        r.name = self._required_text("name")
        r.address = self._required_text("address")
        r.phone = self._phone("phone")
        r.guardian_name = self._short_text("guardian_name")
        r.guardian_phone = self._phone("guardian_phone")
        r.guardian_relation = self._short_text("guardian_relation")
        r.care_level = self._care_level()
        r.consent_basis = self._choice(
            "consent_basis",
            CONSENT_WORDS,
            _("Unknown consent basis “%(value)s”. Use 本人书面同意, 监护人同意 or 法定职责."),
        )
        r.consent_on = self._consent_on()
        draft.categories = self._categories()
        r.disability_grade = self._disability_grade(draft.categories)
        r.sex = self._choice("sex", SEX_WORDS, _("Sex is 男 or 女 (or M/F); “%(value)s” is neither.")) or ""
        r.birth_date = self._birth_date()
        self._national_id()
        self._position()
        draft.grid_code = self._text("grid_code")
        if not draft.grid_code and r.home_lat is None and not self.failed & {"lat", "lng"}:
            self.error("grid_code", _("Give a grid code, or the latitude and longitude of the home."))
        return draft

    # -- helpers

    def _raw(self, field_name: str) -> Any:
        i = self.layout.index.get(field_name)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def _text(self, field_name: str) -> str:
        return _text(self._raw(field_name))

    def error(self, field_name: str, message: str) -> None:
        self.failed.add(field_name)
        column, letter = self.layout.label(field_name)
        self.draft.errors.append(Issue(self.draft.row, column, letter, message))

    def warn(self, field_name: str, message: str) -> None:
        column, letter = self.layout.label(field_name)
        self.draft.warnings.append(Issue(self.draft.row, column, letter, message))

    def _short_text(self, field_name: str, *, words: bool = True) -> str:
        """A text cell. People's words (names, addresses, relations) that start like a
        formula are refused rather than stored: no name or address starts with "=", "+",
        "-" or "@", so such a cell is a mistake or an attack, and stored it would become a
        live formula in every spreadsheet it is copied into that is not Daiban's own."""
        value = self._text(field_name)
        limit = MAX_LENGTHS[field_name]
        if len(value) > limit:
            self.error(
                field_name, _("Too long: at most %(max)d characters, this has %(n)d.") % {"max": limit, "n": len(value)}
            )
        elif words and spreadsheets.starts_like_formula(value):
            self.error(
                field_name,
                _(
                    "Starts with “%(sign)s”, which a spreadsheet runs as a formula; names and addresses never do. "
                    "Delete the sign (or the formula) and upload the file again."
                )
                % {"sign": value[0]},
            )
        return value[:limit]

    def _required_text(self, field_name: str) -> str:
        value = self._short_text(field_name)
        if not value:
            self.error(field_name, _("Required: this cell is empty."))
        return value

    def _phone(self, field_name: str) -> str:
        value = self._short_text(field_name, words=False).lstrip("'")
        if value and (not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 3):
            self.error(
                field_name,
                _("“%(value)s” is not a phone number: use digits, with spaces, +, - or brackets.") % {"value": value},
            )
        return value

    def _choice(self, field_name: str, words: dict, message: str) -> str:
        value = self._text(field_name)
        if not value:
            if COLUMNS_BY_FIELD[field_name].required:
                self.error(field_name, _("Required: this cell is empty."))
            return ""
        choice = words.get(value) or words.get(value.lower())
        if choice is None:
            self.error(field_name, message % {"value": value})
            return ""
        return str(choice)

    def _care_level(self) -> str:
        value = self._text("care_level").upper().removesuffix("级")
        if not value:
            self.error("care_level", _("Required: this cell is empty."))
        elif value not in Resident.CareLevel.values:
            self.error(
                "care_level",
                _("The care level is A, B or C; “%(value)s” is not.") % {"value": self._text("care_level")},
            )
        return value

    def _date(self, field_name: str) -> date | None:
        raw = self._raw(field_name)
        if _text(raw) == "":
            return None
        try:
            return _date(raw)
        except (ValueError, OverflowError):
            self.error(
                field_name,
                _("“%(value)s” is not a date; write it as YYYY-MM-DD, for example 1945-03-15.") % {"value": _text(raw)},
            )
            return None

    def _consent_on(self) -> date | None:
        value = self._date("consent_on")
        if value and value > self.today:
            self.error("consent_on", _("The consent date %(date)s is in the future.") % {"date": value.isoformat()})
            return None
        return value

    def _birth_date(self) -> date | None:
        value = self._date("birth_date")
        if value and (value.year < 1900 or value > self.today):
            self.error("birth_date", _("The birth date %(date)s is impossible.") % {"date": value.isoformat()})
            return None
        return value

    def _categories(self) -> list[str]:
        found: set[str] = set()
        for word in _SEPARATORS.split(self._text("categories")):
            if not word:
                continue
            category = CATEGORY_WORDS.get(word) or CATEGORY_WORDS.get(word.lower())
            if category is None:
                self.error(
                    "categories",
                    _("Unknown category “%(value)s”. Use: %(choices)s.")
                    % {"value": word, "choices": "、".join(CATEGORY_LABELS)},
                )
            else:
                found.add(str(category))
        return sorted(found)

    def _disability_grade(self, categories: list[str]) -> int | None:
        value = self._text("disability_grade").removesuffix("级")
        if not value:
            if Category.DISABLED in categories:
                self.error("disability_grade", _("Give the disability grade (1–4) for a disabled resident."))
            return None
        grade = CHINESE_DIGITS.get(value) or (int(value) if value.isdigit() else None)
        if grade not in (1, 2, 3, 4):
            self.error(
                "disability_grade",
                _("The disability grade is 1, 2, 3 or 4; “%(value)s” is not.")
                % {"value": self._text("disability_grade")},
            )
            return None
        if Category.DISABLED not in categories:
            self.warn("disability_grade", _("A disability grade is given but 残疾 is not among the categories."))
        return grade

    def _national_id(self) -> None:
        raw = self._raw("national_id")
        value = _text(raw).lstrip("'")
        if not value:
            return
        stored_as_number = isinstance(raw, float) or bool(_SCIENTIFIC.match(value))
        try:
            number = clean_national_id(value)
        except ValidationError as exc:
            if stored_as_number:
                self.error(
                    "national_id",
                    _(
                        "Excel stored this ID as a number and lost its last digits (it shows like 3.30782E+17). Format the "
                        "身份证号 column as text and type the ID again."
                    ),
                )
            else:
                self.error("national_id", exc.messages[0])
            return
        if number == EXAMPLE_NATIONAL_ID:
            self.error("national_id", _("This is the template's example row; delete it before importing."))
            return
        resident = self.draft.resident
        born, sex = birth_date_and_sex(number)
        if resident.sex and resident.sex != sex:
            self.warn(
                "sex",
                _("The sex given (%(given)s) differs from the national ID's (%(from_id)s); the ID's is kept.")
                % {"given": self._text("sex"), "from_id": "男" if sex == "M" else "女"},
            )
        if resident.birth_date and resident.birth_date != born:
            self.warn(
                "birth_date",
                _("The birth date given (%(given)s) differs from the national ID's (%(from_id)s); the ID's is kept.")
                % {"given": resident.birth_date.isoformat(), "from_id": born.isoformat()},
            )
        resident.birth_date, resident.sex = born, sex
        resident.national_id_digest = crypto.digest(number)
        resident.national_id_masked = crypto.mask(number)
        self.draft.national_id = number

    def _number(self, field_name: str) -> int | float | str | None:
        raw = self._raw(field_name)
        return raw if isinstance(raw, (int, float)) else (_text(raw) or None)

    def _position(self) -> None:
        try:
            self.draft.resident.home_lat, self.draft.resident.home_lng = clean_position(
                self._number("lat"), self._number("lng")
            )
        except ValidationError as exc:
            self.error("lat" if "lat" in self.layout.index else "lng", exc.messages[0])


class _GridFinder:
    """Which visible grid holds a point: an STRtree over the grids' boundaries, built
    once per file."""

    def __init__(self, grids: list[Area]):
        self.grids = [g for g in grids if g.boundary]
        self.shapes = [shape(g.boundary) for g in self.grids]
        self.tree = STRtree(self.shapes)
        self.shape_of = {g.pk: s for g, s in zip(self.grids, self.shapes)}

    def grid_at(self, lat: float, lng: float) -> Area | None:
        hits = self.tree.query(Point(lng, lat), predicate="intersects")
        # A point on a shared edge touches two grids; take the lower code, the same every time.
        return min((self.grids[i] for i in hits), key=lambda g: g.code, default=None)

    def holds(self, grid: Area, lat: float, lng: float) -> bool:
        outline = self.shape_of.get(grid.pk)
        return outline is None or outline.intersects(Point(lng, lat))


def roster_check(
    *,
    user: User,
    data: bytes,
    filename: str,
    door: national_ids.Door = national_ids.Door.ROSTER,
    progress: "Progress | None" = None,
) -> RosterCheck:
    """Check a roster file for ``user``: a fixed number of queries (the user's grids, the
    day's ID checks, the IDs already registered) whatever the number of rows, after the
    user's reach. Its national IDs count against the user's daily limit. ``progress``
    hears of the rows as they are checked (a background job's bar)."""
    check = RosterCheck(filename=filename)
    try:
        table = read_table(data=data, filename=filename)
        layout = layout_of(table)
    except ValidationError as exc:
        check.file_errors = exc.messages
        return check
    check.ignored_columns = layout.ignored
    check.row_count = len(table.rows)
    if progress is not None:
        progress.total(check.row_count)
    checker = _RowChecker(layout, timezone.localdate())
    for number, cells in table.rows:
        check.drafts.append(checker.check(number, cells))
        if progress is not None:
            progress.advance()
    _place_in_grids(check.drafts, layout, user=user)
    try:
        _check_national_ids(check.drafts, layout, user=user, door=door)
    except national_ids.IdCheckLimitReached as exc:
        check.file_errors, check.limited = [exc.message], True
    for d in check.drafts:  # in the order of the file's columns, as the user reads the row
        d.errors.sort(key=lambda issue: _column_order(layout, issue))
    return check


def _place_in_grids(drafts: list[RowDraft], layout: Layout, *, user: User) -> None:
    # The grids of the user's area scopes only: a joint branch's pairings are no place to
    # import residents into.
    visible = areas_in_scope(user=user).filter(level=Area.Level.GRID).only("id", "code", "name", "boundary")
    needs_lookup = any(not d.grid_code and d.resident.home_lat is not None for d in drafts)
    if needs_lookup:
        grids = list(visible)
    else:
        # Without a point to look up, only the grids named in the file matter.
        grids = list(visible.filter(code__in=sorted({d.grid_code for d in drafts if d.grid_code})))
    by_code = {g.code: g for g in grids}
    finder = _GridFinder(grids) if any(d.resident.home_lat is not None for d in drafts) else None
    column, letter = layout.label("grid_code")
    for d in drafts:
        r = d.resident
        if d.grid_code:
            grid = by_code.get(d.grid_code)
            if grid is None:
                # The same answer for a code that does not exist and one outside the user's
                # scope: the import must not tell which grids exist elsewhere.
                d.errors.append(
                    Issue(
                        d.row,
                        column,
                        letter,
                        _("Unknown grid code “%(code)s”. Use a code from the sheet 网格编码 of the template.")
                        % {"code": d.grid_code},
                    )
                )
                continue
            r.grid = grid
            if (
                r.home_lat is not None
                and r.home_lng is not None
                and finder is not None
                and not finder.holds(grid, r.home_lat, r.home_lng)
            ):
                lat_column, lat_letter = layout.label("lat")
                d.warnings.append(
                    Issue(
                        d.row,
                        lat_column,
                        lat_letter,
                        _(
                            "The position %(lat).5f, %(lng).5f lies outside grid %(grid)s (%(code)s); the grid code is used."
                        )
                        % {"lat": r.home_lat, "lng": r.home_lng, "grid": grid.name, "code": grid.code},
                    )
                )
        elif r.home_lat is not None and r.home_lng is not None and finder is not None:
            grid = finder.grid_at(r.home_lat, r.home_lng)
            if grid is None:
                lat_column, lat_letter = layout.label("lat")
                d.errors.append(
                    Issue(
                        d.row,
                        lat_column,
                        lat_letter,
                        _(
                            "The position %(lat).5f, %(lng).5f is in none of your grids. Check the coordinates (latitude and "
                            "longitude swapped?) or give the grid code."
                        )
                        % {"lat": r.home_lat, "lng": r.home_lng},
                    )
                )
                continue
            r.grid = grid


def _check_national_ids(drafts: list[RowDraft], layout: Layout, *, user: User, door: national_ids.Door) -> None:
    """IDs repeated in the file, and IDs registered already: through the one door, so an
    ID registered outside the user's areas gets the same neutral answer (and audit row)
    as on the resident form."""
    column, letter = layout.label("national_id")
    rows_of: dict[str, list[int]] = {}
    masked: dict[str, str] = {}
    for d in drafts:
        if d.national_id:
            rows_of.setdefault(d.resident.national_id_digest, []).append(d.row)
            masked[d.resident.national_id_digest] = d.resident.national_id_masked
    registered = national_ids.national_ids_check(
        actor=user,
        masked_by_digest=masked,
        door=door,
        # each row's number under every configured key (a key rotation may be under way)
        stored_as=national_ids.digest_aliases(d.national_id for d in drafts if d.national_id),
    ).registered
    for d in drafts:
        if not d.national_id:
            continue
        digest = d.resident.national_id_digest
        others = [row for row in rows_of[digest] if row != d.row]
        if others:
            d.errors.append(
                Issue(
                    d.row,
                    column,
                    letter,
                    _("The same national ID is also on row %(rows)s.") % {"rows": ", ".join(map(str, others))},
                )
            )
        if digest in registered:
            d.errors.append(Issue(d.row, column, letter, national_ids.message_for(registered[digest])))


def _column_order(layout: Layout, issue: Issue) -> int:
    try:
        return layout.headers.index(issue.column)
    except ValueError:
        return len(layout.headers)


# --- staging and committing ----------------------------------------------------------------


class RosterRejected(Exception):
    """The roster has errors (found again on commit); ``check`` holds them all."""

    def __init__(self, check: RosterCheck):
        super().__init__(_("The roster has errors; nothing was imported."))
        self.check = check


class RosterAlreadyImported(Exception):
    def __init__(self, roster_import: RosterImport):
        super().__init__(
            _("“%(name)s” was already imported on %(date)s (%(count)d residents). Nothing was imported again.")
            % {
                "name": roster_import.filename,
                "count": roster_import.resident_count,
                "date": timezone.localtime(roster_import.committed_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
        self.message = str(self)


def roster_import_for_user_or_404(user: User, pk: int) -> RosterImport:
    """A staged import, for its uploader only (other admins included get 404), and only
    while they hold a role that may import."""
    if not reach_of(user).may_import_rosters():
        raise Http404
    return get_object_or_404(RosterImport.objects.filter(uploaded_by=user), pk=pk)


def _seal(data: bytes) -> bytes:
    # The staged file holds national IDs in plain text: at rest it is encrypted with the
    # same key as the residents' IDs (Fernet works on text, hence the base64).
    return crypto.encrypt(base64.b64encode(data).decode("ascii")).encode("ascii")


def staged_file(roster_import: RosterImport) -> bytes:
    """The uploaded file as it was sent."""
    return base64.b64decode(crypto.decrypt(bytes(roster_import.content).decode("ascii")))


def roster_stage(*, actor: User, filename: str, data: bytes, read: bool = True) -> RosterImport:
    """Keep an uploaded roster for its preview. A file that cannot be read as a roster at
    all (wrong type, too big, no header, no rows) raises ValidationError and is not kept.
    ``read=False`` keeps it unread (the upload screen, whose check job reads it: a
    5,000-row workbook takes half a second to read)."""
    filename = (filename or "roster").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    row_count = 0
    if read:
        table = read_table(data=data, filename=filename)
        layout_of(table)
        row_count = len(table.rows)
    elif len(data) > MAX_BYTES:
        raise ValidationError(too_big_message(filename))
    return RosterImport.objects.create(uploaded_by=actor, filename=filename, content=_seal(data), row_count=row_count)


def _due_counts(residents: Iterable[Resident]) -> list[tuple[tuple[Area, date], int]]:
    """The due tallies' counts of new residents: how many per grid and due date."""
    counts: dict[tuple[int, date], int] = {}
    grids: dict[int, Area] = {}
    for r in residents:
        key = tallies.due_key(grid=r.grid, status=r.status, due_on=r.due_on)
        if key is not None:
            grids[r.grid.pk] = r.grid
            counts[(r.grid.pk, r.due_on)] = counts.get((r.grid.pk, r.due_on), 0) + 1
    return [((grids[grid_id], day), n) for (grid_id, day), n in counts.items()]


def roster_commit(
    *,
    actor: User,
    roster_import: RosterImport,
    address_ip: str | None = None,
    door: national_ids.Door = national_ids.Door.ROSTER,
) -> int:
    """Check the stored roster again and write every resident in one transaction, with
    one audit row. Raises RosterRejected (nothing written) or RosterAlreadyImported."""
    with transaction.atomic():
        # The lock makes a double click (or two tabs) wait, then see the first commit.
        locked = (
            RosterImport.objects.select_for_update()
            .only("committed_at", "resident_count", "filename")
            .get(pk=roster_import.pk)
        )
        if locked.committed_at is not None:
            raise RosterAlreadyImported(locked)
        data = staged_file(roster_import)
        check = roster_check(user=actor, data=data, filename=roster_import.filename, door=door)
        if not check.ok:
            raise RosterRejected(check)
        residents = []
        for d in check.drafts:
            r = d.resident
            if d.national_id:
                r.national_id_cipher = crypto.encrypt(d.national_id)
            r.due_on = due.due_on_for(last_met_on=None, registered_on=r.registered_on, care_level=r.care_level)
            residents.append(r)
        try:
            with transaction.atomic():
                Resident.objects.bulk_create(residents, batch_size=BATCH_SIZE)
        except IntegrityError:  # someone registered one of these IDs since the check
            raise RosterRejected(
                roster_check(user=actor, data=data, filename=roster_import.filename, door=door)
            ) from None
        ResidentCategory.objects.bulk_create(
            (ResidentCategory(resident=d.resident, category=c) for d in check.drafts for c in d.categories),
            batch_size=BATCH_SIZE,
        )
        tallies.residents_add(changes=_due_counts(residents))
        # Once the IDs are stored with the residents, the file has no reason to stay.
        RosterImport.objects.filter(pk=locked.pk).update(
            committed_at=timezone.now(), resident_count=len(residents), content=b""
        )
        audit(
            actor=actor,
            action=AuditEvent.Action.RESIDENTS_IMPORTED,
            area=common_area(r.grid.path for r in residents),
            address=address_ip,
            detail={"import": locked.pk, "filename": roster_import.filename, "count": len(residents)},
        )
    return len(residents)


# --- the template workbook ----------------------------------------------------------------


def template_workbook(*, grids: Iterable[Area]) -> bytes:
    """The roster template: the header row (required columns starred, frozen), text
    format where Excel would mangle digits, lists to pick from, one example row, the
    sheet 说明 explaining each column, and the sheet 网格编码 listing the grids the user
    may import into."""
    grids = list(grids)
    example = {c.field: c.example for c in COLUMNS}
    if grids:
        example["grid_code"] = grids[0].code
    choices = {"sex": ["男", "女"], "care_level": Resident.CareLevel.values, "consent_basis": CONSENT_LABELS}
    roster = spreadsheets.Table(
        "花名册",
        [
            spreadsheets.Column(
                column.template_header,
                Kind.CODE if column.text else Kind.DATE if column.date else Kind.TEXT,
                22 if column.field in ("national_id", "address", "categories", "consent_basis") else 13,
                choices=choices.get(column.field, ()),
            )
            for column in COLUMNS
        ],
        rows=[[_example_value(column, example[column.field]) for column in COLUMNS]],
        fill_in_rows=MAX_ROWS,
    )

    notes = spreadsheets.Table(
        "说明",
        [
            spreadsheets.Column(_("Column"), width=16),
            spreadsheets.Column(_("Required"), width=8),
            spreadsheets.Column(_("Format"), width=70, wrap=True),
            spreadsheets.Column(_("Example"), width=22),
        ],
    )
    for column in COLUMNS:
        notes.rows.append(
            [
                column.template_header,
                _("yes") if column.required else "",
                str(column.help),
                EXAMPLE_NATIONAL_ID if column.field == "national_id" else example[column.field],
            ]
        )
    notes.rows.append([])
    for line in (
        _("Columns marked * are required; every row also needs 网格编码 or both 纬度 and 经度."),
        _("Only the first sheet is imported. Column order is free; unknown columns are ignored."),
        _("Row 2 is an example: delete it before importing."),
        _("At most %(rows)s rows and %(size)s per file. Nothing is imported unless every row is correct.")
        % {"rows": f"{MAX_ROWS:,}", "size": filesizeformat(MAX_BYTES)},
    ):
        notes.rows.append([line])

    codes = spreadsheets.Table(
        "网格编码",
        [
            spreadsheets.Column(_("Grid code"), Kind.CODE, 18),
            spreadsheets.Column(_("Grid"), width=24),
            spreadsheets.Column(_("Community"), width=20),
        ],
        rows=[[grid.code, grid.name, grid.parent.name if grid.parent is not None else ""] for grid in grids],
    )
    return spreadsheets.workbook_bytes([roster, notes, codes])


def _example_value(column: Column, value: str) -> date | str | None:
    if column.date and value:
        return date.fromisoformat(value)
    return value or None
