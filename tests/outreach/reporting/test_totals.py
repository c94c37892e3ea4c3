"""Numbers that add up: on the seeded demo city, every table of the dashboard, the
coverage page and the branches' reports — on screen and downloaded as XLSX and CSV —
has a total row that is the sum of its rows, except in the columns the table itself
says are shares, averages or medians (marked * on screen, named in the note under an
exported table). Walked as the street official, the station, the city administrator
and the branch secretary, for this month and last month, and one level down."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from grid.models import Area, JointBranch
from tests.tables import ReadTable, csv_table, html_tables, xlsx_tables

pytestmark = pytest.mark.django_db

USERS = ["street", "station", "admin", "secretary"]


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo")


def _numbers(cell) -> list[float] | None:
    """The figures in a cell: a number, "1,234", "83 %", "3 / 10" (two figures); None
    for text and dates; [] for "no figure" (empty, –, —), which adds as nothing."""
    if cell is None:
        return []
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return [float(cell)]
    if not isinstance(cell, str):
        return None  # a date
    text = cell.replace(",", "").replace("\xa0", " ").strip()
    if text in ("", "–", "—"):
        return []
    parts = [p.strip().rstrip("%").strip() for p in text.split("/")]
    try:
        return [float(p) for p in parts]
    except ValueError:
        return None


def _is_ratio(label, notes: list[str]) -> bool:
    """A column the table says does not add up: marked * (screen), or named in the
    note under the table (exports; the name without a unit in brackets)."""
    label = str(label or "").rstrip(" ↑↓")  # a sorted column's arrow
    if label.endswith("*"):
        return True
    base = re.split(r"[(（]", label)[0].strip()
    return any(base and base in note for note in notes)


def assert_adds_up(table: ReadTable, where: str) -> int:
    """The total row against the sum of the rows, column by column. Returns how many
    columns were summed."""
    assert table.total is not None, where
    checked = 0
    for index, label in enumerate(table.header):
        if index == 0:
            continue
        total = _numbers(table.total[index])
        cells = [_numbers(row[index]) for row in table.rows]
        if total is None or any(c is None for c in cells):
            continue  # text or dates (月份, 统计截至): nothing to add
        if _is_ratio(label, table.notes):
            assert table.notes, f"{where}: {label} is not added up, and the table does not say so"
            continue
        width = len(total)
        sums = [sum(c[i] for c in cells if c) for i in range(width)]
        assert sums == pytest.approx(total or [0.0] * width), f"{where}: {label} {sums} ≠ {table.total[index]}"
        checked += 1
    return checked


def _walk_html(client, url: str, query: dict, where: str) -> list[ReadTable]:
    response = client.get(url, query)
    assert response.status_code == 200, where
    tables = html_tables(response.content.decode())
    for table in tables:
        assert table.rows, where
        assert assert_adds_up(table, where) > 0, where
    return tables


def _walk_export(client, name: str, fmt: str, query: dict, where: str) -> None:
    """A downloaded table (or every sheet of a workbook) that has a total row adds up."""
    response = client.get(reverse(name, args=[fmt]) if fmt else reverse(name), query)
    assert response.status_code == 200, (where, response.content[:200])
    tables = [csv_table(response.content)] if fmt == "csv" else list(xlsx_tables(response.content).values())
    assert tables, where
    for table in tables:
        if table.total is not None:
            assert assert_adds_up(table, where) > 0, where


def _periods() -> list[dict]:
    """This month (the pages' default) and the whole of last month."""
    first = timezone.localdate().replace(day=1)
    last = first - timedelta(days=1)
    return [{}, {"period": "custom", "start": last.replace(day=1).isoformat(), "end": last.isoformat()}]


def _area_of(url: str) -> int:
    return int(re.search(r"area=(\d+)", url).group(1))


@pytest.mark.parametrize("username", USERS)
def test_every_table_adds_up(username, client_for, demo):
    client = client_for(username)
    walked = 0
    for period in _periods():
        for page, table in (("dashboard", "children"), ("coverage-map", "coverage")):
            response = client.get(reverse(page), period)
            assert response.status_code == 200, (username, page)
            urls = [row["url"] if isinstance(row, dict) else row.url for row in response.context["rows"]]
            for area in [None, *[_area_of(url) for url in urls if url][:1]]:  # the page, and one level down
                query = {**period, **({"area": area} if area else {})}
                where = f"{username} {page} {query}"
                walked += len(_walk_html(client, reverse(page), query, where))
                for fmt in ("xlsx", "csv"):
                    _walk_export(client, "dashboard-export", fmt, {**query, "table": table}, f"{where} {fmt}")
    month = {"month": f"{timezone.localdate():%Y-%m}"}
    if username in ("street", "admin"):
        town = Area.objects.get(name="稠城街道")
        _walk_export(client, "coverage-report", "", {"area": town.pk, **month}, f"{username} coverage report")
        walked += len(_walk_html(client, reverse("branch-list"), month, f"{username} branches"))
        _walk_export(client, "branch-list-xlsx", "", month, f"{username} branches xlsx")
    if username == "secretary":
        branch = JointBranch.objects.get(secretary__username="secretary")
        response = client.get(reverse("branch-report-xlsx", args=[branch.pk]), month)
        assert response.status_code == 200
        _walk_export(client, "branch-list-xlsx", "", month, "secretary branches xlsx")
    assert walked >= 2, f"{username} saw no table with a total"
