"""Reads from the replica (DAIBAN_REPLICA_URL) where a little lag does no harm: the
dashboards, the coverage map and the exports, marked ``@reads_replica``. Everything else
reads and writes the primary, and so does a user who wrote something a moment ago
(``ReplicaPinMiddleware``): the page after a form shows what the form just stored,
however far behind the replica is. Without a replica configured nothing changes.
"""

import contextlib
import functools
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
# Set for the length of a view marked @reads_replica; contextvars keep it per request
# (threads and async tasks alike).
_reading_replica: ContextVar[bool] = ContextVar("daiban_reading_replica", default=False)

PIN_COOKIE = "daiban_wrote"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    """Reads go to the replica only inside a @reads_replica view; writes, migrations and
    every other read to the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        return REPLICA if _reading_replica.get() else None

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the same rows, a moment apart

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        return False if db == REPLICA else None  # the replica follows the primary's schema


def pinned_to_primary(request) -> bool:
    """Whether this user wrote something in the last DAIBAN_REPLICA_PIN_SECONDS."""
    max_age = settings.DAIBAN_REPLICA_PIN_SECONDS
    return request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_COOKIE, max_age=max_age) is not None


@contextlib.contextmanager
def replica_reads():
    """Read from the replica inside this block (a background export: a job's own rows are
    written, so they go to the primary regardless)."""
    if not replica_configured():
        yield
        return
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reads_replica(view):
    """Let a read-only view read from the replica, unless the request writes or its user
    has just written. The response is rendered inside, so a template's lazy queries read
    where the view did."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not replica_configured() or request.method in WRITE_METHODS or pinned_to_primary(request):
            return view(request, *args, **kwargs)
        token = _reading_replica.set(True)
        try:
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
                response.render()
            return response
        finally:
            _reading_replica.reset(token)

    return wrapper


class ReplicaPinMiddleware:
    """After any write request, keep its user on the primary for a few seconds: a signed
    cookie with its time, read back by ``reads_replica``. Only when a replica is
    configured."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in WRITE_METHODS and replica_configured():
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=PIN_COOKIE,
                max_age=settings.DAIBAN_REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
