"""Writes to the territory: the level rule and the boundary with its centre (the path
formula is ``Area.path_for``)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from grid.geo import from_geojson, inner_point
from grid.models import Area


def area_check_level(*, level: int, parent: Area | None) -> None:
    if parent is None and level != Area.Level.CITY:
        raise ValidationError(_("Only the city has no parent area."))
    if parent is not None and level != parent.level + 1:
        raise ValidationError(_("An area must sit exactly one level below its parent."))


def area_set_boundary(*, area: Area, boundary: dict | None, save: bool = True) -> Area:
    area.boundary = boundary
    if boundary:
        try:
            # Reading the centre's coordinates is part of the check: an empty polygon
            # parses, and only fails here.
            centre = inner_point(from_geojson(boundary))
            centroid_lat, centroid_lng = round(centre.y, 6), round(centre.x, 6)
        except Exception as exc:  # shapely raises several kinds for malformed GeoJSON
            raise ValidationError(_("The boundary is not a valid GeoJSON polygon.")) from exc
        area.centroid_lat, area.centroid_lng = centroid_lat, centroid_lng
    if save:
        area.save(update_fields=["boundary", "centroid_lat", "centroid_lng"])
    return area
