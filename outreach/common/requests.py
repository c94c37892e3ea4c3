"""Helpers every door uses on a request: who is asking from where, and pages of a list."""

from django.core.paginator import Paginator


def client_address(request) -> str | None:
    """The client's address as the audit trail records it (REMOTE_ADDR: behind a proxy,
    the deployment makes sure it is the client's)."""
    return request.META.get("REMOTE_ADDR")


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
