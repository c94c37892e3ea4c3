"""Races between transactions on their own connections, run for real: PostgreSQL only."""

import pytest
from django.db import connection

SQLITE = (
    "SQLite's in-memory test database locks whole tables across connections: a second writer "
    "fails at once instead of waiting"
)


def concurrent_writers(why_not_sqlite: str = " (SQLite serialises writers anyway: IMMEDIATE transactions)."):
    """A test of two writers at once, each in a thread with its own connection (a
    transactional test database); skipped on SQLite, for the reason it ends with."""

    def mark(test):
        test = pytest.mark.django_db(transaction=True)(test)
        return pytest.mark.skipif(connection.vendor == "sqlite", reason=SQLITE + why_not_sqlite)(test)

    return mark
