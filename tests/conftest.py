"""Fixtures shared by the whole suite: the demo city, seeded once per test database."""

import pytest

from demo.territory import seed_territory
from grid.models import User


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Every database test starts from the demo city (rolled back after each test);
    # browser tests share it too (their live server answers inside each test's transaction).
    with django_db_blocker.unblock():
        seed_territory()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_users(db) -> dict[str, User]:
    return {
        u.username: u
        for u in User.objects.filter(username__in=["worker", "worker2", "station", "street", "secretary", "admin"])
    }


@pytest.fixture
def client_for(client, demo_users):
    """A test client logged in as the named demo user."""

    def login(username: str):
        client.force_login(demo_users[username])
        return client

    return login
