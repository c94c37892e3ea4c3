"""The audit log page through the front door: who reads it (street officials and the city,
only about their own areas; everyone else 404), what each entry says, the filters by
person, action and days with their messages, the pages of older entries, the export
(itself audited), the downloads of lists with names being audited, and fixed query counts."""

import csv
import io
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from grid.models import Area
from outreach.common.audit import common_area
from outreach.models import AuditEvent
from outreach.privacy import views as audit_views
from outreach.residents import services as resident_services
from tests import factories
from tests.tasks import run_tasks

pytestmark = pytest.mark.django_db

LOG = "audit-log"


def reveal(actor, resident):
    resident_services.resident_reveal_national_id(actor=actor, resident=resident, address_ip="10.0.0.8")


@pytest.fixture
def events(demo_users):
    """In 稠城街道 (the street official's town): 张大爷 registered by the admin, his ID revealed
    by the worker, his phone changed by the station. In another town: 李奶奶, registered and
    her ID revealed by the admin."""
    admin, worker, station = demo_users["admin"], demo_users["worker"], demo_users["station"]
    here = factories.resident(actor=admin, name="张大爷", national_id=factories.national_id())
    reveal(worker, here)
    resident_services.resident_update(actor=station, resident=here, expected_version=here.version, phone="13700000000")
    away = factories.resident(
        actor=admin,
        grid_name=factories.other_grid(same_town=False).name,
        name="李奶奶",
        national_id=factories.national_id(male=False),
    )
    reveal(admin, away)
    return {"here": here, "away": away}


def shown(response) -> list[tuple[str, str]]:
    """(action, resident name) of each entry on the page, newest first."""
    return [(e.action, e.resident.name if e.resident else "") for e in response.context["events"]]


def test_street_official_reads_their_towns_log_only(client_for, events):
    response = client_for("street").get(reverse(LOG))
    assert response.status_code == 200
    assert shown(response) == [
        ("resident_updated", "张大爷"),
        ("id_revealed", "张大爷"),
        ("resident_created", "张大爷"),
    ]
    html = response.content.decode()
    assert "李奶奶" not in html
    here = events["here"]
    assert here.national_id_masked in html and "王丽" in html  # the worker who revealed it, by name
    assert "已查看身份证号" in html or "查看身份证号" in html
    assert "10.0.0.8" in html
    assert "改动：电话" in html  # which fields the station changed


def test_city_admin_reads_every_town(client_for, events):
    names = {name for _action, name in shown(client_for("admin").get(reverse(LOG)))}
    assert names == {"张大爷", "李奶奶"}


@pytest.mark.parametrize("username", ["worker", "station", "secretary"])
def test_other_roles_get_404(client_for, events, username):
    client = client_for(username)
    assert client.get(reverse(LOG)).status_code == 404
    assert client.get(reverse("audit-log-export", args=["xlsx"])).status_code == 404
    assert reverse(LOG) not in client.get(reverse("home")).content.decode()


def test_home_has_a_tile_for_the_readers(client_for):
    for username in ("street", "admin"):
        html = client_for(username).get(reverse("home")).content.decode()
        assert f'href="{reverse(LOG)}"' in html and "审计日志" in html


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse(LOG))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_filter_by_person_action_and_days(client_for, events):
    client = client_for("street")
    by_username = client.get(reverse(LOG), {"person": "worker"})
    assert shown(by_username) == [("id_revealed", "张大爷")]
    by_name = client.get(reverse(LOG), {"person": "陈"})  # 陈静, the station
    assert shown(by_name) == [("resident_updated", "张大爷")]
    by_action = client.get(reverse(LOG), {"action": "resident_created"})
    assert shown(by_action) == [("resident_created", "张大爷")]
    today = timezone.localdate()
    assert len(shown(client.get(reverse(LOG), {"since": today, "until": today}))) == 3
    yesterday = today - timedelta(days=1)
    AuditEvent.objects.filter(action="resident_created").update(at=timezone.now() - timedelta(days=1))
    assert shown(client.get(reverse(LOG), {"until": yesterday})) == [("resident_created", "张大爷")]
    assert len(shown(client.get(reverse(LOG), {"since": today}))) == 2


def test_tapping_a_name_filters_by_that_person(client_for, events):
    html = client_for("street").get(reverse(LOG)).content.decode()
    assert f'href="{reverse(LOG)}?person=worker"' in html


def test_bad_filters_say_what_is_wrong_in_chinese(client_for, events):
    client = client_for("street")
    response = client.get(reverse(LOG), {"since": "2026-13-01"})
    assert response.status_code == 200
    assert "请按 2026-11-27 的格式填写日期。" in response.content.decode()
    assert response.context["events"] == []
    swapped = client.get(reverse(LOG), {"since": "2026-12-05", "until": "2026-12-01"}).content.decode()
    assert "最后一天早于第一天" in swapped
    unknown = client.get(reverse(LOG), {"action": "dropped_tables"}).content.decode()
    assert "请从列表中选择操作。" in unknown
    export = client.get(reverse("audit-log-export", args=["csv"]), {"until": "昨天"})
    assert export.status_code == 400 and "请按 2026-11-27 的格式填写日期。" in export.content.decode()


def test_names_are_text_not_html(client_for, demo_users):
    resident = factories.resident(actor=demo_users["admin"], name='<img src=x onerror="alert(1)">')
    reveal(demo_users["street"], resident)
    html = client_for("street").get(reverse(LOG)).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_older_entries_come_a_page_at_a_time(client_for, events, demo_users, monkeypatch):
    monkeypatch.setattr(audit_views, "EVENTS_PER_PAGE", 2)
    client = client_for("street")
    first = client.get(reverse(LOG))
    assert shown(first) == [("resident_updated", "张大爷"), ("id_revealed", "张大爷")]
    older = first.context["older_query"]
    assert older and f'href="{reverse(LOG)}?{older}"'.replace("&", "&amp;") in first.content.decode()
    second = client.get(f"{reverse(LOG)}?{older}", headers={"HX-Request": "true"})
    assert shown(second) == [("resident_created", "张大爷")]
    assert second.context["older_query"] == "" and "<html" not in second.content.decode()
    assert "最新" in second.content.decode()  # back to the newest


def test_query_count_does_not_grow(client_for, events, demo_users, django_assert_num_queries):
    client = client_for("street")
    client.get(reverse(LOG))
    # session, user, scopes, the page of entries (with who, the resident and the area)
    with django_assert_num_queries(4):
        client.get(reverse(LOG))
    for n in range(12):
        reveal(demo_users["worker"], events["here"])
        factories.resident(actor=demo_users["admin"], name=f"新{n}")
    with django_assert_num_queries(4):
        response = client.get(reverse(LOG), {"person": "王", "action": "id_revealed"}, headers={"HX-Request": "true"})
    assert len(response.context["events"]) == 13


def test_export_holds_the_filtered_log_and_is_itself_audited(client_for, events, django_assert_num_queries):
    client = client_for("street")
    client.get(reverse(LOG))
    # session, user, scopes, the entries, the street's area (what the download is about), the audit row
    with django_assert_num_queries(6):
        response = client.get(reverse("audit-log-export", args=["xlsx"]), {"action": "id_revealed"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:6] == ("时间", "人员", "用户名", "操作", "服务对象", "身份证号")
    assert [(r[2], r[4], r[5]) for r in rows[1:]] == [("worker", "张大爷", events["here"].national_id_masked)]
    downloaded = AuditEvent.objects.get(action=AuditEvent.Action.LIST_EXPORTED)
    assert downloaded.actor.username == "street" and downloaded.area == factories.town()
    assert downloaded.detail["rows"] == 1 and downloaded.detail["format"] == "xlsx"

    text = client.get(reverse("audit-log-export", args=["csv"])).content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert "李奶奶" not in text
    # the first download is now in the log too, newest first
    assert [r[3] for r in table[1:]] == ["导出含姓名的名单", "修改服务对象", "查看身份证号", "登记服务对象"]


def test_downloading_the_missed_list_is_audited(client_for, demo_users):
    factories.resident(actor=demo_users["admin"], name="赵大妈", registered_days_ago=40)
    client = client_for("street")
    query = factories.period_query(area=factories.town().pk)
    for table in ("coverage", "children"):  # figures only: nothing to record
        assert client.get(reverse("dashboard-export", args=["csv"]), {**query, "table": table}).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LIST_EXPORTED).exists()
    started = client.post(f"{reverse('dashboard-export', args=['xlsx'])}?{urlencode({**query, 'table': 'missed'})}")
    run_tasks()  # the list is written by a background job, and audited when it is downloaded
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LIST_EXPORTED).exists()
    response = client.get(reverse("job-download", args=[client.get(started.url).context["job"].pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.LIST_EXPORTED)
    assert event.actor.username == "street" and event.area == factories.town() and event.detail["rows"] == 1
    html = client.get(reverse(LOG), {"action": "list_exported"}).content.decode()
    assert "漏访服务对象-稠城街道-" in html and "（1 行，XLSX）" in html


def test_an_import_is_about_the_smallest_area_holding_its_grids(db):
    grid1, grid2 = factories.grid(), factories.grid("绣湖社区第2网格")
    assert common_area([grid1.path, grid2.path]) == grid1.parent
    assert common_area([grid1.path, factories.other_grid(same_town=True).path]) == factories.town()
    assert common_area([grid1.path]) == grid1
    assert common_area([]) is None
    city = Area.objects.get(level=Area.Level.CITY, path=factories.town().path.rsplit("/", 2)[0] + "/")
    assert common_area([grid1.path, factories.other_grid(same_town=False).path]) == city


def test_a_long_export_stops_at_its_limit_and_says_so(client_for, events, monkeypatch):
    monkeypatch.setattr(audit_views, "EXPORT_LIMIT", 2)
    response = client_for("street").get(reverse("audit-log-export", args=["csv"]))
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[4] for r in table[1:3]] == ["张大爷", "张大爷"]
    assert table[-1] == ["文件只含最新的 2 条记录：更早的记录请缩小日期范围后再导出。"]
