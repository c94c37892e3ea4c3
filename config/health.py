"""The health check (``/healthz``): "ok" from a process that is up, without touching the
database. For a load balancer's probe, and the floor of ``make bench``'s throughput: the
cheapest request through the same middleware as every page."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def health(request):
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
