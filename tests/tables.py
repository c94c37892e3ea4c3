"""Reading back the tables Daiban writes (HTML, XLSX, CSV) as header, rows, total row and
notes, so that tests can check that the total row adds up the rows."""

import csv
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

TOTAL = "合计"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class ReadTable:
    header: list
    rows: list[list]
    total: list | None
    notes: list[str] = field(default_factory=list)


def split_rows(rows: list[list]) -> ReadTable:
    """Rows as written by ``outreach.common.spreadsheets`` (XLSX values or CSV strings):
    the header, the data rows, the total row (first cell 合计) and, after an empty row,
    the notes."""
    rows = [list(r) for r in rows]
    header, body = rows[0], rows[1:]
    notes: list[str] = []
    blank = next((i for i, r in enumerate(body) if not any(c not in (None, "") for c in r)), None)
    if blank is not None:
        notes = [r[0] for r in body[blank + 1 :]]
        body = body[:blank]
    total = body.pop() if body and body[-1][0] == TOTAL else None
    return ReadTable(header, body, total, notes)


def csv_table(content: bytes) -> ReadTable:
    return split_rows(list(csv.reader(io.StringIO(content.decode("utf-8-sig")))))


def xlsx_tables(content: bytes) -> dict[str, ReadTable]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return {sheet.title: split_rows(list(sheet.iter_rows(values_only=True))) for sheet in book.worksheets}


class _TableParser(HTMLParser):
    """Every <table> of a page: its cells' text by section (thead, tbody, tfoot), and the
    text of the element its aria-describedby names."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.ids: dict[str, list[str]] = {}
        self._stack: list[dict] = []
        self._section = "tbody"
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._id_open: list[tuple[str, str]] = []  # (tag, id) of elements whose text is wanted

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            table = {"thead": [], "tbody": [], "tfoot": [], "describedby": a.get("aria-describedby")}
            self.tables.append(table)
            self._stack.append(table)
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr" and self._stack:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if "id" in a and tag not in VOID:
            self.ids[a["id"]] = []
            self._id_open.append((tag, a["id"]))

    def handle_endtag(self, tag):
        if self._id_open and self._id_open[-1][0] == tag:
            self._id_open.pop()
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            self._stack[-1][self._section].append(self._row)
            self._row = None
        elif tag == "table" and self._stack:
            self._stack.pop()
            self._section = "tbody"

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        for _tag, key in self._id_open:
            if key in self.ids:
                self.ids[key].append(data)


def html_tables(html: str) -> list[ReadTable]:
    """The page's tables that have a total row (in <tfoot>), with the note they point to."""
    parser = _TableParser()
    parser.feed(html)
    found = []
    for t in parser.tables:
        if not t["tfoot"]:
            continue
        note = parser.ids.get(t["describedby"] or "", [])
        notes = [re.sub(r"\s+", " ", "".join(note)).strip()] if note else []
        header = t["thead"][0] if t["thead"] else []
        found.append(ReadTable(header, t["tbody"], t["tfoot"][0], notes))
    return found
