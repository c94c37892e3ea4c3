"""The notification bell: the unread count, the list, marking read, privacy between
users, and the daily overdue command — through the front door."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from outreach.errands import services as errand_services
from outreach.errands.notifications import services as notify
from outreach.management.commands.notify_overdue_errands import holder_staff_of
from outreach.models import Errand, Notification
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]


def notice(user, text="通知", *, errand=None, kind=Notification.Kind.ASSIGNED, minutes_ago=0, read=False):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        user=user, kind=kind, text=text, errand=errand, created_at=at, read_at=at if read else None
    )


def errand_url(errand) -> str:
    try:
        return reverse("errand-detail", args=[errand.pk])
    except NoReverseMatch:  # the errand page may not be there yet: the bell falls back to the list
        return reverse("notification-list")


@pytest.fixture
def notices(demo_users):
    station, worker = demo_users["station"], demo_users["worker"]
    errand = factories.errand(
        actor=demo_users["admin"], resident=factories.resident(actor=demo_users["admin"]), code="MZ-GL"
    )
    Notification.objects.all().delete()  # the errand's own "arrived" notices are not what these tests count
    return {
        "old": notice(station, "旧的", minutes_ago=30),
        "read": notice(station, "已读", minutes_ago=20, read=True),
        "new": notice(station, "新的", errand=errand, minutes_ago=10),
        "workers": notice(worker, "王丽的", errand=errand),
        "workers_too": notice(worker, "王丽的第二条"),
        "errand": errand,
    }


# --- the bell ---------------------------------------------------------------------------


def test_every_page_has_the_bell_loading_its_count(client_for, notices):
    html = client_for("station").get(reverse("home")).content.decode()
    assert f'hx-get="{reverse("notification-count")}"' in html
    assert 'hx-trigger="load, every 60s' in html
    assert f'href="{reverse("notification-list")}"' in html


def test_bell_count_is_the_users_own_unread(client_for, notices, django_assert_num_queries):
    client = client_for("station")
    client.get(reverse("notification-count"))
    # session, user, count (the shell's navigation is not rendered for the bell)
    with django_assert_num_queries(3):
        response = client.get(reverse("notification-count"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert '<span class="bell-count" aria-hidden="true">2</span>' in html
    assert 'class="visually-hidden"' in html  # the count in words, for screen readers
    response = client_for("worker").get(reverse("notification-count"))
    assert '<span class="bell-count" aria-hidden="true">2</span>' in response.content.decode()
    Notification.objects.filter(user__username="worker").update(read_at=timezone.now())
    assert "bell-count" not in client_for("worker").get(reverse("notification-count")).content.decode()


def test_bell_of_a_logged_out_browser_stops_polling_and_keeps_its_name(client, django_assert_num_queries):
    with django_assert_num_queries(0):  # no session, no user, no count
        response = client.get(reverse("notification-count"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 286  # htmx swaps it in: the icon and the name stay
    assert '<svg class="icon"' in html and '<span class="visually-hidden">通知</span>' in html
    assert "bell-count" not in html


# --- the list ---------------------------------------------------------------------------


def test_list_is_the_users_own_newest_first(client_for, notices):
    response = client_for("station").get(reverse("notification-list"))
    assert response.status_code == 200
    texts = [item["notification"].text for item in response.context["items"]]
    assert texts == ["新的", "已读", "旧的"]
    assert response.context["unread"] == 2
    html = response.content.decode()
    assert "王丽的" not in html
    assert reverse("notification-read", args=[notices["new"].pk]) in html
    assert response.context["items"][0]["target"] in (errand_url(notices["errand"]), None)


def test_list_query_count_does_not_grow(client_for, notices, demo_users, django_assert_num_queries):
    client = client_for("station")
    client.get(reverse("notification-list"))
    # session, user, scopes (navigation), page count, page, unread count
    with django_assert_num_queries(6):
        client.get(reverse("notification-list"))
    for i in range(40):
        notice(demo_users["station"], f"第{i}条", errand=notices["errand"] if i % 2 else None)
    with django_assert_num_queries(6):
        response = client.get(reverse("notification-list"))
    assert len(response.context["items"]) == 30
    with django_assert_num_queries(6):
        client.get(reverse("notification-list"), {"page": 2})


def test_login_required(client):
    response = client.get(reverse("notification-list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- marking read -----------------------------------------------------------------------


def test_mark_one_read_goes_to_what_it_is_about(client_for, notices):
    client = client_for("station")
    response = client.post(reverse("notification-read", args=[notices["new"].pk]))
    assert response.status_code == 302 and response.url == errand_url(notices["errand"])
    notices["new"].refresh_from_db()
    assert notices["new"].read_at is not None
    # Without a target, back to the list.
    response = client.post(reverse("notification-read", args=[notices["old"].pk]))
    assert response.url == reverse("notification-list")
    assert client.get(reverse("notification-read", args=[notices["old"].pk])).status_code == 405


def test_read_stays_read_at_the_first_time(client_for, notices):
    first_read = notices["read"].read_at
    client_for("station").post(reverse("notification-read", args=[notices["read"].pk]))
    notices["read"].refresh_from_db()
    assert notices["read"].read_at == first_read


def test_another_users_notification_is_404(client_for, notices):
    theirs = notices["workers"]
    response = client_for("station").post(reverse("notification-read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client_for("station").post(reverse("notification-read", args=[999999])).status_code == 404


def test_mark_all_read_in_place(client_for, notices):
    response = client_for("station").post(reverse("notification-read-all"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"  # the bell asks for its count again
    html = response.content.decode()
    assert "<html" not in html and "新的" in html
    assert response.context["unread"] == 0
    assert not Notification.objects.filter(user__username="station", read_at__isnull=True).exists()
    assert Notification.objects.filter(user__username="worker", read_at__isnull=True).count() == 2


def test_mark_all_read_without_js(client_for, notices):
    client = client_for("worker")
    response = client.post(reverse("notification-read-all"))
    assert response.status_code == 302 and response.url == reverse("notification-list")
    assert not Notification.objects.filter(user__username="worker", read_at__isnull=True).exists()
    assert Notification.objects.filter(user__username="station", read_at__isnull=True).count() == 2


# --- the daily overdue command ------------------------------------------------------------


@pytest.fixture
def late(demo_users):
    """Errands past their due date: one assigned, one unassigned at grid 1's point, one at
    the joint branch; and two that are not to be reported."""
    admin, worker, worker2 = demo_users["admin"], demo_users["worker"], demo_users["worker2"]
    r1 = factories.resident(actor=admin, name="张大爷")
    r2 = factories.resident(actor=admin, grid_name="绣湖社区第2网格", name="孙老汉")
    assigned = factories.errand(actor=worker2, resident=r2, code="YB-CB", ago=timedelta(days=5))  # worker2 keeps it
    unassigned = factories.errand(actor=admin, resident=r1, code="YB-CB", ago=timedelta(days=5))
    at_branch = factories.errand(actor=admin, resident=r1, code="SB-SL", ago=timedelta(days=20))
    at_branch = factories.errand_walk(errand=at_branch, actor=admin, actions=["escalate"] * 3)
    on_time = factories.errand(actor=admin, resident=r1, code="MZ-GL")
    done = factories.errand(actor=worker, resident=r1, code="YB-CB", ago=timedelta(days=5))
    done = factories.errand_walk(errand=done, actor=worker, actions=["accept", "start", "complete"])
    Notification.objects.all().delete()
    return {"assigned": assigned, "unassigned": unassigned, "at_branch": at_branch, "on_time": on_time, "done": done}


def overdue_notices():
    return sorted(
        Notification.objects.filter(kind=Notification.Kind.OVERDUE).values_list("errand__number", "user__username")
    )


def test_overdue_command_tells_the_assignee_or_the_holders_staff(late, capsys):
    call_command("notify_overdue_errands")
    assert overdue_notices() == sorted(
        [
            (late["assigned"].number, "worker2"),
            (late["unassigned"].number, "worker"),  # grid 1's worker and the point's agent
            (late["at_branch"].number, "secretary"),
        ]
    )
    assert "3 overdue errands; 3 new notifications." in capsys.readouterr().out
    text = Notification.objects.get(errand=late["unassigned"]).text
    assert late["unassigned"].number in text and "张大爷" in text


def test_overdue_command_is_idempotent(late, demo_users, capsys):
    call_command("notify_overdue_errands")
    first = overdue_notices()
    call_command("notify_overdue_errands")
    assert overdue_notices() == first
    assert "3 overdue errands; 0 new notifications." in capsys.readouterr().out.splitlines()[-1]
    # An errand given to someone else afterwards: the new assignee is told too, once.
    errand = late["unassigned"]
    errand_services.errand_assign(
        actor=demo_users["street"], errand=errand, assignee=demo_users["station"], expected_version=errand.version
    )
    call_command("notify_overdue_errands")
    call_command("notify_overdue_errands")
    assert len(overdue_notices()) == len(first) + 1


def test_overdue_command_recipients_match_the_holders_staff(late):
    """The command works out the holders' staff for all errands at once; it must be the
    same people notify.holder_staff names for each one."""
    errands = list(
        Errand.objects.filter(pk__in=[late["unassigned"].pk, late["at_branch"].pk, late["on_time"].pk]).select_related(
            "holder_point", "holder_branch"
        )
    )
    batched = holder_staff_of(errands)
    for errand in errands:
        assert batched[errand.pk] == {u.pk for u in notify.holder_staff(errand)}, errand.number


def test_overdue_notices_show_under_the_bell(client_for, late):
    call_command("notify_overdue_errands")
    response = client_for("worker").get(reverse("notification-count"))
    assert '<span class="bell-count" aria-hidden="true">1</span>' in response.content.decode()
    items = client_for("worker").get(reverse("notification-list")).context["items"]
    assert [i["notification"].kind for i in items] == ["overdue"]
