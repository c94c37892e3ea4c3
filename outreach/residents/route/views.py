"""今日路线: the worker's stops of the day as a list the phone puts in walking order and
draws on a map. Thin: select, render."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from grid.access import reach_of
from outreach.residents.route.selectors import route_start, route_stops


@require_GET
@login_required
def today_route(request):
    if not reach_of(request.user).is_field_worker():
        raise Http404
    stops = route_stops(user=request.user, today=timezone.localdate())
    start = route_start(user=request.user)
    context = {
        "located": [s for s in stops if s.located],
        "unlocated": [s for s in stops if not s.located],
        "start": {"lat": start[0], "lng": start[1]} if start else None,
    }
    return render(request, "outreach/residents/route.html", context)
