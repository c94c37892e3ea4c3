"""Helpers every door uses on a request: who is asking from where, and pages of a list."""

import ipaddress

from django.conf import settings
from django.core.paginator import Paginator


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's address: the one answer for the audit trail, the order limits and
    login throttling (django-axes calls this too).

    With no trusted proxy (DAIBAN_TRUSTED_PROXIES empty) it is the peer, REMOTE_ADDR, and
    X-Forwarded-For is ignored: anyone can write that header. With a number N of proxies,
    it is the N-th address from the right of X-Forwarded-For (each proxy appends the
    address it saw). With the proxies' networks, it is the rightmost address that is not
    one of them, and only when the peer is one of them: a header sent straight to Daiban
    by someone else changes nothing."""
    peer = request.META.get("REMOTE_ADDR")
    trusted = settings.DAIBAN_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not trusted or not forwarded:
        return peer
    hops = [hop.strip() for hop in forwarded.split(",")]
    if isinstance(trusted, int):
        client = _ip(hops[-trusted]) if len(hops) >= trusted else None
        return str(client) if client else peer
    networks = [ipaddress.ip_network(n, strict=False) for n in trusted]

    def is_proxy(address) -> bool:
        return any(address in network for network in networks)

    last = _ip(peer or "")
    if last is None or not is_proxy(last):
        return peer
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:  # garbage left of the proxies' own entries: written by the client
            break
        last = address
        if not is_proxy(address):
            break
    return str(last)


class CountedPaginator(Paginator):
    """A paginator told its count, when the figures have counted the rows already."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # what the cached property would have queried


def version_posted(data) -> int:
    """The record version a form was made from (optimistic locking of errands)."""
    # A missing or garbled version can only be stale: the service answers with a Conflict
    # and the row shows the errand as it is now.
    value = data.get("version", "")
    return int(value) if value.isdigit() else 0
