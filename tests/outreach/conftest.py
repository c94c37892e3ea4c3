"""Fixtures of the outreach tests."""

import logging

import pytest
from django.utils.log import AdminEmailHandler


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
