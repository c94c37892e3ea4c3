"""Reads of the audit log: the events about the areas a street official or the city
administrator reads (``Reach.audit_paths``), newest first, filtered by person, action and
date. Anything else answers 404 at the page (``audit_reader_or_404``)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from grid.access import reach_of
from grid.models import User
from outreach.models import AuditEvent


def audit_reader_or_404(user: User) -> None:
    """The one door to the audit log: street officials and the city administrator."""
    if not reach_of(user).may_read_audit():
        raise Http404


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events_for(
    *,
    user: User,
    person: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
    before: int | None = None,
) -> "QuerySet[AuditEvent]":
    """The events the user may read, newest first (by id: the order they were written),
    with who, which resident and which area in the same query. ``person`` is a username
    or part of a full name; ``since``/``until`` are local days, both included; ``before``
    an event id, to read on from (a page of older events)."""
    reach = reach_of(user)
    scope = Q(pk__in=[])
    for path in reach.audit_paths:
        scope |= Q(area__path__startswith=path)
    if reach.is_city_admin:
        scope |= Q(area__isnull=True)  # events about several towns or none (before areas were recorded)
    events = AuditEvent.objects.filter(scope)
    if person:
        # The people first (a subquery), so that the database reads their events by the
        # (actor, id) index rather than testing every event's author.
        people = User.objects.filter(Q(username=person) | Q(full_name__icontains=person)).values("pk")
        events = events.filter(actor__in=people)
    if action:
        events = events.filter(action=action)
    if since:
        events = events.filter(at__gte=_day_start(since))
    if until:
        events = events.filter(at__lt=_day_start(until + timedelta(days=1)))
    if before:
        events = events.filter(pk__lt=before)
    return events.select_related("actor", "resident", "area").order_by("-pk")
