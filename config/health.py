"""The health checks. ``/healthz`` is readiness, for a load balancer and for monitoring:
whether this app server reaches the database and the photo storage, and how the task
queue stands (two queries). ``/healthz/live`` is liveness: "ok" from a process that is up,
without touching anything, and the floor of ``make bench``'s throughput (the cheapest
request through the same middleware as every page).

The answer names no host, address, bucket or error message: a failure says which part
failed and the log says why.
"""

import logging
from datetime import datetime

from django.core.files.storage import storages
from django.db import connection
from django.db.models import Case, Count, F, Min, When
from django.db.models.functions import Greatest
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_tasks_db.models import DBTaskResult, get_date_max

logger = logging.getLogger("daiban.health")

# A name no photo has (photos are hex names under photos/): asking whether it exists
# makes the storage answer (a stat on disk, a HEAD in a bucket) and writes nothing.
STORAGE_PROBE = "photos/.healthz"


@require_GET
def live(request):
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@require_GET
def health(request):
    """200 when the database and the storage answer, 503 when either does not. The queue
    is reported, never failed on: a stopped worker does not make this server unfit to
    serve pages, and taking every server out of the balancer would not start it."""
    checks = {"database": _database_answers(), "storage": _storage_answers()}
    queue = _queue() if checks["database"] == "ok" else None
    status = 200 if all(value == "ok" for value in checks.values()) else 503
    body = {"status": "ok" if status == 200 else "failing", **checks, "queue": queue or "unknown"}
    return JsonResponse(body, status=status)


def _database_answers() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # whatever the driver raises, the database is not there
        logger.exception("health: the database does not answer")
        return "failing"
    return "ok"


def _storage_answers() -> str:
    try:
        storages["default"].exists(STORAGE_PROBE)
    except Exception:  # a refused key, an unreachable endpoint, a missing mount
        logger.exception("health: the photo storage does not answer")
        return "failing"
    return "ok"


def _queue() -> dict | None:
    """Tasks ready to run now, and how long the one waiting longest has waited (since it
    was queued, or since the time it was to run after, whichever is later)."""
    waiting_since = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("enqueued_at", "run_after"),
    )
    try:
        figures = DBTaskResult.objects.ready().aggregate(ready=Count("pk"), since=Min(waiting_since))
    except Exception:  # a database that failed between the two queries
        logger.exception("health: the task queue cannot be read")
        return None
    since: datetime | None = figures["since"]
    oldest = None if since is None else max(0, round((timezone.now() - since).total_seconds()))
    return {"ready": figures["ready"], "oldest_seconds": oldest}
