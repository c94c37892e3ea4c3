"""Geometry helpers for the territory: GeoJSON in and out, tiling an area into smaller
ones, and the WGS-84 → GCJ-02 shift that Chinese tile providers such as AMap expect."""

import math
import random
from typing import overload

import shapely
from django.conf import settings
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

COORD_PRECISION = 1e-5  # about a metre: enough for a boundary, small on the wire


def to_geojson(geometry: BaseGeometry) -> dict:
    geometry = shapely.set_precision(geometry, COORD_PRECISION)
    return mapping(geometry)


def from_geojson(data: dict) -> BaseGeometry:
    return shape(data)


def inner_point(geometry: BaseGeometry) -> Point:
    """The centroid when it falls inside the area, otherwise a point that surely does."""
    centroid = geometry.centroid
    return centroid if geometry.contains(centroid) else geometry.representative_point()


def random_points_within(geometry: BaseGeometry, count: int, rng: random.Random) -> list[Point]:
    minx, miny, maxx, maxy = geometry.bounds
    points: list[Point] = []
    while len(points) < count:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if geometry.contains(p):
            points.append(p)
    return points


def split_into_cells(geometry: BaseGeometry, seeds: list[Point]) -> list[BaseGeometry]:
    """Tile ``geometry`` into one non-overlapping cell per seed (Voronoi, clipped),
    returned in the order of ``seeds``."""
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=geometry).geoms
    ordered: list[BaseGeometry] = []
    for seed in seeds:
        cell = next(c for c in cells if c.contains(seed))
        ordered.append(cell.intersection(geometry))
    return ordered


# --- GCJ-02 ("Mars coordinates"), the datum AMap and Tencent tiles are drawn in -------
_A = 6378245.0
_EE = 0.00669342162296594323


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def out_of_china(lat: float, lng: float) -> bool:
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """Shift a WGS-84 position (what phones report) into GCJ-02 (what AMap draws)."""
    if out_of_china(lat, lng):
        return lat, lng
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lng + dlng


def shift_geometry_to_gcj02(geometry: BaseGeometry) -> BaseGeometry:
    def shift(coords):
        return [wgs84_to_gcj02(lat, lng)[::-1] for lng, lat in coords]

    return shapely.transform(geometry, lambda xy: shift(xy.tolist()))


# --- Boundaries for the screen: no more detail than the zoom level can show -----------
TILE_PIXELS = 256


def pixel_degrees(zoom: float) -> float:
    """One screen pixel in degrees of longitude at ``zoom`` (Web Mercator, 256-pixel tiles)."""
    return 360.0 / (TILE_PIXELS * 2**zoom)


def coordinate_decimals(zoom: float) -> int:
    """Decimal places that keep a coordinate within half a pixel at ``zoom`` (3 to 6)."""
    return min(6, max(3, math.ceil(-math.log10(pixel_degrees(zoom) / 2))))


def round_coordinates(geometry: BaseGeometry, decimals: int) -> BaseGeometry:
    return shapely.transform(geometry, lambda xy: xy.round(decimals))


def simplify_for_zoom(geometry: BaseGeometry, zoom: float, *, shift=None) -> BaseGeometry:
    """Drop what a screen cannot show at ``zoom``: vertices closer than a pixel to the
    line go (topology kept, so no polygon collapses), coordinates are rounded to half a
    pixel. ``shift`` (e.g. ``shift_geometry_to_gcj02``) is applied in between, on the
    fewer vertices. A city's outlines shrink to a few kilobytes this way."""
    simplified = geometry.simplify(pixel_degrees(zoom), preserve_topology=True)
    if shift is not None:
        simplified = shift(simplified)
    return round_coordinates(simplified, coordinate_decimals(zoom))


EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine): plenty for "was the worker at the door"."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def tiles_use_gcj02() -> bool:
    """Whether the configured tiles (``DAIBAN_TILE_PROVIDER``) are drawn on GCJ-02 (AMap):
    then every overlay is shifted from WGS-84 so that it lines up."""
    return settings.TILE_PROVIDERS[settings.TILE_PROVIDER]["crs"] == "gcj02"


@overload
def tile_position(lat: float, lng: float) -> list[float]: ...
@overload
def tile_position(lat: float | None, lng: float | None) -> list[float] | None: ...
def tile_position(lat: float | None, lng: float | None) -> list[float] | None:
    """A WGS-84 position as [lat, lng] on the configured tiles' datum; None without one."""
    if lat is None or lng is None:
        return None
    if tiles_use_gcj02():
        return list(wgs84_to_gcj02(lat, lng))
    return [lat, lng]
