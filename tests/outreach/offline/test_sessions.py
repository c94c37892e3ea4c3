"""A grid worker's phone stays logged in for DAIBAN_FIELD_SESSION_DAYS; every other login
lasts the working day; logout still ends the long session and wipes the phone."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from grid.models import Area, Role, Scope

pytestmark = pytest.mark.django_db

PASSWORD = "daiban-demo"
DAY = 24 * 60 * 60
WORKING_DAY = 12 * 60 * 60


@pytest.fixture(autouse=True)
def _demo_password(demo_users):
    for user in demo_users.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


def log_in(client, username):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, username
    return response


def session_lasts(client, response) -> tuple[int, timedelta]:
    """The session cookie's Max-Age the browser was given, and how long the server keeps
    the session from now."""
    cookie = response.cookies["sessionid"]
    stored = Session.objects.get(session_key=cookie.value)
    return int(cookie["max-age"]), stored.expire_date - timezone.now()


def test_a_grid_workers_phone_stays_logged_in_for_the_field_period(client):
    max_age, kept = session_lasts(client, log_in(client, "worker"))
    assert 14 * DAY - 60 < max_age <= 14 * DAY  # the seconds left until a fixed moment
    assert timedelta(days=13, hours=23) < kept <= timedelta(days=14)
    assert "王丽" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("username", ["station", "street", "secretary", "admin"])
def test_offices_keep_the_working_day(client, username):
    max_age, kept = session_lasts(client, log_in(client, username))
    assert max_age == WORKING_DAY
    assert kept <= timedelta(hours=12)


def test_the_period_is_a_setting(client, settings):
    settings.DAIBAN_FIELD_SESSION_DAYS = 30
    assert 30 * DAY - 60 < session_lasts(client, log_in(client, "worker"))[0] <= 30 * DAY


def test_a_grid_worker_who_also_holds_an_office_role_keeps_the_working_day(client, demo_users):
    Scope.objects.create(user=demo_users["worker"], role=Role.STATION_STAFF, area=Area.objects.get(name="绣湖社区"))
    assert session_lasts(client, log_in(client, "worker"))[0] == WORKING_DAY


def test_a_grid_worker_who_may_open_the_admin_keeps_the_working_day(client, demo_users):
    worker = demo_users["worker"]
    worker.is_staff = True
    worker.save(update_fields=["is_staff"])
    assert session_lasts(client, log_in(client, "worker"))[0] == WORKING_DAY


def test_the_period_is_counted_from_the_login_not_stretched_by_use(client):
    """The session ends at a fixed moment: pages opened later in the fortnight (an htmx
    swap, a visit recorded) do not push it further."""
    response = log_in(client, "worker")
    ends = Session.objects.get(session_key=response.cookies["sessionid"].value).expire_date
    client.get(reverse("home"))
    client.session.save()  # as any request that changes the session would
    assert client.session.get_expiry_date() == ends


def test_logout_ends_the_long_session_and_still_wipes_the_phone(client):
    key = log_in(client, "worker").cookies["sessionid"].value
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "cache" in response["Clear-Site-Data"]
    assert response.cookies["sessionid"].value == "" and response.cookies["sessionid"]["max-age"] == 0
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("home")).status_code == 302  # back to the login page


def test_a_deactivated_worker_is_logged_out_of_the_long_session(client, demo_users):
    """A lost phone: the administrator deactivates the user, and the phone's session ends."""
    log_in(client, "worker")
    worker = demo_users["worker"]
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_login_query_count_is_the_same_for_a_worker_and_an_office(client, django_assert_num_queries):
    """The length is decided from the scopes read once (the Reach), whoever logs in."""
    # axes: the lockout check, the attempt, the access log, the reset; the user, its
    # last_login; the new session (key check, insert in a savepoint); the scopes; the
    # session written again (in a savepoint)
    with django_assert_num_queries(14):
        log_in(client, "worker")
    client.post(reverse("logout"))
    with django_assert_num_queries(14):
        log_in(client, "station")


@pytest.mark.parametrize("value", ["0", "91", "two weeks", "-3"])
def test_a_bad_field_session_setting_is_refused_with_the_rule(monkeypatch, value):
    from config import settings as project_settings

    monkeypatch.setenv("DAIBAN_FIELD_SESSION_DAYS", value)
    with pytest.raises(ImproperlyConfigured, match="whole number of days from 1 to 90"):
        project_settings._field_session_days()
    monkeypatch.setenv("DAIBAN_FIELD_SESSION_DAYS", "7")
    assert project_settings._field_session_days() == 7
