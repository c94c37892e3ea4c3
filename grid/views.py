"""Screens of the territory and the service network: home, the network directory and
its map, the account page. Thin: parse, ask a selector, render."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from grid import selectors
from grid.forms import DirectoryFilterForm
from grid.geo import from_geojson, shift_geometry_to_gcj02, tile_position, tiles_use_gcj02, to_geojson
from grid.models import ServicePoint

POINTS_PER_PAGE = 30


@require_GET
@login_required
def network_list(request):
    form = DirectoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    points = selectors.service_points_list(
        user=request.user,
        tier=filters.get("tier", ""),
        search=filters.get("q", ""),
    ).select_related("area__parent")
    page = Paginator(points, POINTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "tiers": ServicePoint.Tier.choices, "active_tier": filters.get("tier", "")}
    template = (
        "grid/network_list.html#results" if request.htmx and not request.htmx.boosted else "grid/network_list.html"
    )
    return render(request, template, context)


@require_GET
@login_required
def network_detail(request, pk: int):
    point = selectors.service_point_for_user_or_404(request.user, pk)
    pairings = point.pairings.filter(until__isnull=True).select_related("branch").order_by("branch__number")
    return render(
        request,
        "grid/network_detail.html",
        {
            "point": point,
            "pairings": list(pairings),
            "map_config": {"dataUrl": reverse("network-map-data"), "focus": tile_position(point.lat, point.lng)},
        },
    )


@require_GET
@login_required
def network_map(request):
    return render(
        request,
        "grid/network_map.html",
        {
            "map_config": {"dataUrl": reverse("network-map-data"), "focus": None},
            "tiers": ServicePoint.Tier.choices,
        },
    )


def _outline(boundary: dict | None):
    if not boundary:
        return None
    if tiles_use_gcj02():
        return to_geojson(shift_geometry_to_gcj02(from_geojson(boundary)))
    return boundary


@require_GET
@login_required
def network_map_data(request):
    """GeoJSON of the user's area outlines and service points, shifted to the tile
    provider's datum. The map draws it with or without a tile server."""
    features = []
    for area in selectors.map_outlines_for(user=request.user):
        geometry = _outline(area.boundary)
        if geometry:
            features.append(
                {
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {"kind": "area", "id": area.id, "name": area.name, "level": area.level},
                }
            )
    points = selectors.service_points_visible_to(user=request.user).only("id", "name", "tier", "lat", "lng")
    for point in points:
        position = tile_position(point.lat, point.lng)
        if position:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [position[1], position[0]]},
                    "properties": {
                        "kind": "point",
                        "id": point.id,
                        "name": point.name,
                        "tier": point.tier,
                        "tierLabel": str(point.get_tier_display()),
                        "url": reverse("network-detail", args=[point.id]),
                    },
                }
            )
    return JsonResponse({"type": "FeatureCollection", "features": features}, json_dumps_params={"ensure_ascii": False})


@require_GET
@login_required
def account(request):
    scopes = list(request.user.scopes.select_related("area", "branch").order_by("role"))
    return render(request, "grid/account.html", {"scopes": scopes, "languages": settings.LANGUAGES})
