"""The client's address (DAIBAN_TRUSTED_PROXIES): X-Forwarded-For counts only behind the
proxies Daiban is told about; from anyone else it changes nothing."""

import pytest
from django.test import RequestFactory

from outreach.common.requests import client_address


def address(peer: str, forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=peer, **extra))


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.DAIBAN_TRUSTED_PROXIES = 0
    assert address("203.0.113.9") == "203.0.113.9"
    assert address("203.0.113.9", "1.2.3.4") == "203.0.113.9"


def test_a_number_of_proxies_takes_that_address_from_the_right(settings):
    settings.DAIBAN_TRUSTED_PROXIES = 1
    assert address("10.0.0.2", "198.51.100.7") == "198.51.100.7"
    # The client wrote "1.2.3.4" itself; the proxy appended what it saw.
    assert address("10.0.0.2", "1.2.3.4, 198.51.100.7") == "198.51.100.7"
    settings.DAIBAN_TRUSTED_PROXIES = 2
    assert address("10.0.0.3", "1.2.3.4, 198.51.100.7, 10.0.0.2") == "198.51.100.7"
    assert address("10.0.0.3", "198.51.100.7") == "10.0.0.3"  # fewer hops than proxies: the peer
    assert address("10.0.0.3", "garbage, 10.0.0.2") == "10.0.0.3"


@pytest.mark.parametrize(
    "peer, forwarded, expected",
    [
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "198.51.100.7, 192.168.5.5", "198.51.100.7"),  # through two trusted proxies
        ("10.0.0.2", "not-an-ip, 192.168.5.5", "192.168.5.5"),
        # A spoofed header sent straight to Daiban, not through a trusted proxy: ignored.
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4, 10.0.0.2", "203.0.113.9"),
        ("2001:db8::1", "1.2.3.4", "2001:db8::1"),
    ],
)
def test_trusted_networks_are_walked_from_the_right(settings, peer, forwarded, expected):
    settings.DAIBAN_TRUSTED_PROXIES = ("10.0.0.0/8", "192.168.5.5")
    assert address(peer, forwarded) == expected
