"""The coverage map (覆盖地图): areas coloured by the share of residents visited on time,
drill-down town → community → grid, the missed residents and the child-area table beside
the map, and the scoped, gzip-compressed GeoJSON the map draws. Thin: parse the query,
ask ``outreach.reporting.coverage``, render."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET
from shapely.geometry import mapping

from config.db_router import reads_replica
from grid.access import reach_of
from grid.geo import (
    from_geojson,
    inner_point,
    shift_geometry_to_gcj02,
    simplify_for_zoom,
    tile_position,
    tiles_use_gcj02,
)
from grid.models import Area, ServicePoint
from grid.selectors import open_pairings, service_points_visible_to, tier_rank
from outreach.common import due
from outreach.common.requests import CountedPaginator
from outreach.errands.selectors import errands_visible_to
from outreach.reporting.coverage import selectors as coverage
from outreach.reporting.coverage.forms import LAYER_LABELS, RESIDENT_LAYERS, SORT_LABELS, CoverageQueryForm, Layer
from outreach.reporting.coverage.selectors import Figures, Place
from outreach.reporting.periods import PERIOD_LABELS, Period, PeriodKind, period_for
from outreach.residents.selectors import residents_visible_to

MISSED_PER_PAGE = 20
POINT_DECIMALS = 5  # about a metre
# Zoom the outlines are simplified for when the map does not say: what fits the parts'
# level on a phone (the city's towns, a town's communities, a community's grids).
ZOOM_FOR_PARTS = {Area.Level.CITY: 8, Area.Level.TOWN: 10, Area.Level.COMMUNITY: 13, Area.Level.GRID: 15}
# Service points drawn: the area's own and one level below (the city shows the street
# centres, a town its centre and stations, a community its station and grid points), so
# the markers never hide the colours.
POINT_LEVELS_BELOW = 1


# What coverage-map.js writes into tooltips and popups, in the page's language.
JS_LABELS = {
    "onTime": _("On time"),
    "residents": _("Residents"),
    "missed": _("Missed"),
    "visits": _("Visits"),
    "flagged": _("Away or no location"),
    "noResidents": _("No residents"),
    "open": _("Show the areas in it"),
    "openMissed": _("Missed residents"),
    "figures": pgettext_lazy("coverage map button", "Figures"),
    "tapHint": _("Tap an area on the map to see its figures."),
    "close": _("Close"),
    "daysOverdue": _("Days overdue"),
    "pairedWith": _("Paired with"),
    "resident": _("Resident"),
    "failed": _("The map data could not be loaded. Check the connection and reload the page."),
    "truncated": _("Only the most overdue are drawn on the map; the list has them all."),
    "openTown": _("For a past period, open a town to see its missed residents on the map."),
}


def _parse(request) -> CoverageQueryForm:
    form = CoverageQueryForm(request.GET, today=timezone.localdate())
    form.is_valid()
    if "area" in form.errors:
        raise Http404  # not a number: no such area, the same answer as someone else's
    return form


def _bad_query(form: CoverageQueryForm) -> JsonResponse:
    return JsonResponse({"errors": form.errors.get_json_data()}, status=400, json_dumps_params={"ensure_ascii": False})


def _page_url(area_id: int | None, period: Period, **extra) -> str:
    query = {**({"area": area_id} if area_id else {}), **period.query(), **extra}
    return f"{reverse('coverage-map')}?{urlencode(query)}"


# --- Positions on the tile provider's datum (the approach of grid.views) ------------------


def _point(lat: float | None, lng: float | None) -> dict:
    assert lat is not None and lng is not None  # the callers' queries keep rows with a position
    lat, lng = tile_position(lat, lng)
    return {"type": "Point", "coordinates": [round(lng, POINT_DECIMALS), round(lat, POINT_DECIMALS)]}


def _outline(boundary: dict, zoom: int) -> tuple[dict, list[float]]:
    """The outline simplified for ``zoom`` and where its name goes ([lat, lng], inside it)."""
    shift = shift_geometry_to_gcj02 if tiles_use_gcj02() else None
    outline = simplify_for_zoom(from_geojson(boundary), zoom, shift=shift)
    label = inner_point(outline)
    return mapping(outline), [round(label.y, POINT_DECIMALS), round(label.x, POINT_DECIMALS)]


def _collection(features: list, **properties) -> JsonResponse:
    return JsonResponse(
        {"type": "FeatureCollection", "properties": properties, "features": features},
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )


# --- The page ----------------------------------------------------------------------------


@dataclass
class AreaRow:
    area: Area
    figures: Figures
    url: str
    drillable: bool

    @property
    def opens_missed(self) -> bool:
        """A grid has no areas in it: its page is there for its missed list."""
        return self.drillable and self.area.level == Area.Level.GRID


def _table_head(sort: str, area_id: int | None, period: Period) -> list[dict]:
    """Column headers as plain sort links: a second click on the sorted column reverses it."""
    head = []
    for key, label in SORT_LABELS.items():
        direction = "descending" if sort == f"-{key}" else "ascending" if sort == key else ""
        url = _page_url(area_id, period, sort=f"-{key}" if sort == key else key)
        # The share is worked out over all the rows in the total, not added (the table's note).
        head.append({"key": key, "label": label, "url": url, "direction": direction, "ratio": key == "share"})
    return head


def _missed_page(user, place: Place, period: Period, number: int | None, count: int):
    """A page of the missed residents the user may see in the place: one query (their
    number comes from the figures: at city scale a second pass over the residents)."""
    residents = residents_visible_to(user=user).filter(coverage.paths_q(place.paths, "grid__")).select_related("grid")
    missed = coverage.missed_residents(residents=residents, period=period)
    page = CountedPaginator(missed, MISSED_PER_PAGE, count=count).get_page(number)
    page.object_list = coverage.mark_days_overdue(page.object_list, period)
    return page


def _dashboard_url(user, area_id: int | None, period: Period) -> str:
    """The dashboard of the same area and period. A joint branch's dashboard is its
    branch's queue, which has no area to open (``dashboard.subject_for_user_or_404``)."""
    if not reach_of(user).has_areas():
        area_id = None
    return f"{reverse('dashboard')}?{urlencode({**({'area': area_id} if area_id else {}), **period.query()})}"


@reads_replica
@require_GET
@login_required
def coverage_map(request):
    """The map page, or (htmx) its panel: figures, the child-area table, who was missed."""
    form = _parse(request)
    data = form.cleaned_data  # the fields that parsed: a bad period falls back to this month, with its error shown
    period = data.get("the_period") or period_for(today=form.today)
    period_errors = form.period_errors()
    place = coverage.place_for_user_or_404(request.user, data.get("area"))
    by_part, total = coverage.coverage_of_place(place=place, period=period)
    area_id = place.area.pk if place.area else None
    sort = data.get("sort") or coverage.DEFAULT_SORT
    rows = []
    for area, figures in coverage.sort_rows([(p, by_part[p.pk]) for p in place.parts], sort):
        drillable = area.pk in place.drillable
        rows.append(AreaRow(area, figures, _page_url(area.pk, period) if drillable else "", drillable))
    shows_residents = reach_of(request.user).may_see_coverage_residents()
    missed, missed_count = None, 0
    if shows_residents:
        missed_count = coverage.missed_in_reach(user=request.user, place=place, by_part=by_part)
        if place.names_missed(period):
            missed = _missed_page(request.user, place, period, data.get("page"), missed_count)
    query = urlencode({**({"area": area_id} if area_id else {}), **period.query()})
    tables = ["coverage", "missed"] if shows_residents else ["coverage"]
    context = {
        "exports": {
            table: {
                fmt: f"{reverse('dashboard-export', args=[fmt])}?{query}&{urlencode({'table': table})}"
                for fmt in ("xlsx", "csv")
            }
            for table in tables
        },
        "dashboard_url": _dashboard_url(request.user, area_id, period),
        "report_url": (
            f"{reverse('coverage-report')}?{urlencode({'area': area_id, 'month': f'{period.start:%Y-%m}'})}"
            if place.area is not None and place.area.level == Area.Level.TOWN
            else ""
        ),
        "place": place,
        "period": period,
        "total": total,
        "rows": rows,
        "sort": sort,
        "head": _table_head(sort, area_id, period),
        "missed": missed,
        "missed_count": missed_count,
        "legend": coverage.legend(),
        "periods": [(k.value, PERIOD_LABELS[k]) for k in PeriodKind],
        # The selector shows what was asked for, even when it is the period in error.
        "period_errors": period_errors,
        "form_period": data.get("period") or period.kind,
        "form_start": data.get("start") or period.start,
        "form_end": data.get("end") or period.end,
        "overview_url": _page_url(None, period),
        "trail": [(a, _page_url(a.pk, period)) for a in place.trail],
        "areas_url": f"{reverse('coverage-areas')}?{query}",
        "layers_url": f"{reverse('coverage-layers')}?{query}",
        "layers": [
            (key, label) for key, label in LAYER_LABELS.items() if shows_residents or key not in RESIDENT_LAYERS
        ],
        "js_labels": JS_LABELS,
        "tiers": ServicePoint.Tier.choices,
        # A whole city's missed residents would bury its towns' colours: from a town down
        # they are drawn from the start, above it on request.
        "layers_on": {Layer.POINTS} | (RESIDENT_LAYERS if place.base_level >= Area.Level.TOWN else set()),
    }
    if not request.htmx or request.htmx.history_restore_request:
        return render(request, "outreach/reporting/coverage/map.html", context)
    response = render(request, "outreach/reporting/coverage/map.html#panel", context)
    if not period_errors:
        # The address bar keeps only what matters (the period form also sends the dates
        # of a week or a month), so a shared or reloaded address shows the same screen.
        extra = {"sort": sort} if sort != coverage.DEFAULT_SORT else {}
        if missed is not None and missed.number > 1:
            extra["page"] = missed.number
        response["HX-Push-Url"] = _page_url(area_id, period, **extra)
    return response


# --- GeoJSON -----------------------------------------------------------------------------


@reads_replica
@require_GET
@login_required
def coverage_areas(request):
    """The parts of the place (child areas, or the area itself at the bottom) with their
    figures, outlines simplified for ``?zoom=`` (or the parts' level)."""
    form = _parse(request)
    if not form.is_valid():
        return _bad_query(form)
    data = form.cleaned_data
    period = data["the_period"]
    place = coverage.place_for_user_or_404(request.user, data.get("area"), with_boundaries=True)
    by_part, total = coverage.coverage_of_place(place=place, period=period)
    zoom = data.get("zoom") or ZOOM_FOR_PARTS[min((p.level for p in place.parts), default=Area.Level.CITY)]
    features = []
    for part in place.parts:
        if not part.boundary:
            continue
        drillable = part.pk in place.drillable
        outline, label_at = _outline(part.boundary, zoom)
        features.append(
            {
                "type": "Feature",
                "geometry": outline,
                "properties": {
                    "id": part.pk,
                    "name": part.name,
                    "labelAt": label_at,
                    "level": part.level,
                    "drill": drillable,
                    "url": _page_url(part.pk, period) if drillable else "",
                    **by_part[part.pk].as_dict(),
                },
            }
        )
    return _collection(
        features,
        area=place.area.pk if place.area else None,
        name=place.area.name if place.area else str(_("All my areas")),
        zoom=zoom,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        asOf=period.as_of.isoformat(),
        total=total.as_dict(),
    )


def _points_layer(user, place: Place) -> list[dict]:
    points = (
        service_points_visible_to(user=user)
        .filter(
            coverage.paths_q(place.paths, "area__"),
            area__level__lte=place.base_level + POINT_LEVELS_BELOW,
            lat__isnull=False,
        )
        .only("id", "name", "tier", "lat", "lng")
        .order_by(tier_rank(), "name")
    )
    return [
        {
            "type": "Feature",
            "geometry": _point(p.lat, p.lng),
            "properties": {
                "id": p.pk,
                "name": p.name,
                "tier": p.tier,
                "tierLabel": str(p.get_tier_display()),
                "url": reverse("network-detail", args=[p.pk]),
            },
        }
        for p in points
    ]


def _branch_points_layer(user, place: Place) -> list[dict]:
    """Agency points paired with a joint branch, with the branches: one query."""
    points = service_points_visible_to(user=user).filter(coverage.paths_q(place.paths, "area__"), lat__isnull=False)
    pairings = (
        open_pairings()
        .filter(point__in=points.values("pk"))
        .select_related("point", "branch")
        .only("point__id", "point__name", "point__tier", "point__lat", "point__lng", "branch__name", "branch__number")
        .order_by("point__name", "point_id", "branch__number")
    )
    by_point: dict[int, dict] = {}
    for pairing in pairings:
        p: ServicePoint = pairing.point
        feature = by_point.setdefault(
            p.pk,
            {
                "type": "Feature",
                "geometry": _point(p.lat, p.lng),
                "properties": {
                    "id": p.pk,
                    "name": p.name,
                    "tier": p.tier,
                    "branches": [],
                    "url": reverse("network-detail", args=[p.pk]),
                },
            },
        )
        feature["properties"]["branches"].append(pairing.branch.name)
    return list(by_point.values())


def _missed_layer(user, place: Place, period: Period, limit: int) -> list[dict]:
    residents = (
        residents_visible_to(user=user)
        .filter(coverage.paths_q(place.paths, "grid__"), home_lat__isnull=False)
        .only("id", "name", "address", "home_lat", "home_lng", "due_on", "registered_on", "care_level")
    )
    rows = coverage.mark_days_overdue(
        coverage.missed_residents(residents=residents, period=period)[: limit + 1], period
    )
    return [
        {
            "type": "Feature",
            "geometry": _point(r.home_lat, r.home_lng),
            "properties": {
                "id": r.pk,
                "name": r.name,
                "address": r.address,
                "daysOverdue": r.days_overdue,  # type: ignore[attr-defined]  # set by mark_days_overdue
                "url": reverse("resident-detail", args=[r.pk]),
            },
        }
        for r in rows
    ]


def _errands_layer(user, place: Place, limit: int) -> list[dict]:
    """Errands overdue today (not at the period's end: an errand is chased now)."""
    today = timezone.localdate()
    errands = (
        errands_visible_to(user=user)
        .filter(
            due.errand_overdue_q(today),
            coverage.paths_q(place.paths, "resident__grid__"),
            resident__home_lat__isnull=False,
        )
        .select_related("resident", "service")
        .only("id", "number", "due_on", "resident__name", "resident__home_lat", "resident__home_lng", "service__name")
        .order_by("due_on", "requested_at", "pk")
    )[: limit + 1]
    return [
        {
            "type": "Feature",
            "geometry": _point(e.resident.home_lat, e.resident.home_lng),
            "properties": {
                "id": str(e.pk),
                "number": e.number,
                "service": e.service.name,
                "resident": e.resident.name,
                "daysOverdue": due.errand_days_overdue(due_on=e.due_on, today=today),
                "url": reverse("errand-detail", args=[e.pk]),
            },
        }
        for e in errands
    ]


@reads_replica
@require_GET
@login_required
def coverage_layers(request):
    """One overlay of the map for the place: ``?layer=points|branch_points|missed|errands``.
    Residents (missed, errands at their homes) only for the roles that see them."""
    form = _parse(request)
    if not form.is_valid() or not form.cleaned_data.get("layer"):
        if form.is_valid():
            form.add_error("layer", _("Choose a layer: points, branch_points, missed or errands."))
        return _bad_query(form)
    data = form.cleaned_data
    layer = data["layer"]
    if layer in RESIDENT_LAYERS and not reach_of(request.user).may_see_coverage_residents():
        raise Http404
    place = coverage.place_for_user_or_404(request.user, data.get("area"))
    limit = settings.DAIBAN_COVERAGE_MAP_LIMIT
    if layer == Layer.POINTS:
        features = _points_layer(request.user, place)
    elif layer == Layer.BRANCH_POINTS:
        features = _branch_points_layer(request.user, place)
    elif layer == Layer.MISSED and not place.names_missed(data["the_period"]):
        # Counted, not drawn (Place.names_missed): the map says to open a town.
        return _collection([], layer=layer, area=place.area.pk if place.area else None, open_town=True)
    elif layer == Layer.MISSED:
        features = _missed_layer(request.user, place, data["the_period"], limit)
    else:
        features = _errands_layer(request.user, place, limit)
    truncated = len(features) > limit
    return _collection(features[:limit], layer=layer, area=place.area.pk if place.area else None, truncated=truncated)
