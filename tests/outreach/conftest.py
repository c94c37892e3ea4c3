"""Fixtures of the outreach tests."""

import logging
from pathlib import Path

import pytest
from django.utils.log import AdminEmailHandler

from grid.models import Area, User
from tests import factories


@pytest.fixture
def error_reports(settings, mailoutbox):
    """The error reports Django mails ADMINS on a server error: the plain one (the POST
    data) and, as sites often configure, the HTML one (every frame's local variables too)."""
    settings.DEBUG = False
    settings.ADMINS = ["ops@example.com"]
    handler = AdminEmailHandler(include_html=True)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield lambda: [
        part for mail in mailoutbox for part in [mail.body, *(alternative[0] for alternative in mail.alternatives)]
    ]
    logger.removeHandler(handler)


@pytest.fixture
def catalogue(db) -> None:
    """The service catalogue, which needs the demo's departments (seeded for the session)."""
    factories.load_catalogue()


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """Uploaded photos in this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def grid1(db) -> Area:
    """绣湖社区第1网格, the demo worker's grid."""
    return Area.objects.get(name=factories.GRID1, level=Area.Level.GRID)


@pytest.fixture
def worker(demo_users) -> User:
    return demo_users["worker"]
