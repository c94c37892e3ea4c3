"""With a replica configured, the dashboards, coverage and exports read from it; writes,
every other page and whoever has just written read the primary. Without one, nothing
changes."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.db_router import PIN_COOKIE, REPLICA, ReplicaRouter
from grid.models import User
from tests import factories


@pytest.fixture
def replica(db):
    """A "replica" alias on the test database itself: its own connection wrapper (so its
    queries are counted apart), on the same database connection as "default", so it
    reads what the test wrote inside its transaction, as a replica would after the lag."""
    primary = connections["default"]
    primary.ensure_connection()
    connections.settings[REPLICA] = {**primary.settings_dict, "CONN_MAX_AGE": None}
    wrapper = connections.create_connection(REPLICA)
    wrapper.connection = primary.connection
    connections[REPLICA] = wrapper
    yield wrapper
    wrapper.connection = None  # the connection is the primary's: not closed here
    del connections[REPLICA]
    del connections.settings[REPLICA]


def resident_form() -> dict:
    return {
        "name": "周阿姨",
        "national_id": factories.national_id(born="19380506", male=False),
        "address": "绣湖社区工人路9号",
        "grid": factories.grid().pk,
        "care_level": "B",
        "consent_basis": "written",
    }


def selects(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]


def test_a_dashboard_reads_the_replica_a_write_and_what_follows_it_the_primary(replica, client_for):
    client = client_for("station")
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        assert client.get(reverse("dashboard")).status_code == 200
    assert len(on_replica) > 5 and selects(on_primary) == []  # the session and user too

    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        response = client.post(reverse("resident-create"), resident_form())
    assert response.status_code == 302 and PIN_COOKIE in response.cookies
    assert len(on_replica) == 0 and any("INSERT" in q["sql"] for q in on_primary.captured_queries)

    # Right after the write the same user reads what was written: from the primary.
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        assert client.get(reverse("dashboard")).status_code == 200
    assert len(on_replica) == 0 and len(selects(on_primary)) > 5

    # Another user, who has written nothing, still reads the replica.
    client.cookies.clear()
    client.force_login(User.objects.get(username="street"))
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(reverse("coverage-areas")).status_code == 200
    assert len(on_replica) > 0


def test_pages_not_marked_read_the_primary(replica, client_for):
    client = client_for("worker")
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(reverse("home")).status_code == 200
    assert len(on_replica) == 0


@pytest.mark.django_db
def test_without_a_replica_nothing_changes(client_for):
    assert REPLICA not in connections.settings
    client = client_for("station")
    response = client.post(reverse("resident-create"), resident_form())
    assert response.status_code == 302 and PIN_COOKIE not in response.cookies
    assert client.get(reverse("dashboard")).status_code == 200


def test_the_router_never_writes_or_migrates_the_replica():
    router = ReplicaRouter()
    assert router.db_for_write(User) == "default" and router.db_for_read(User) is None
    assert router.allow_migrate(REPLICA, "outreach") is False and router.allow_migrate("default", "outreach") is None
