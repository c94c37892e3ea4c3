"""Writes to the territory: creating areas keeps the materialized path right."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from grid.geo import from_geojson, inner_point
from grid.models import PATH_SEPARATOR, Area


def area_path_for(*, code: str, parent: Area | None) -> str:
    return f"{parent.path if parent else PATH_SEPARATOR}{code}{PATH_SEPARATOR}"


def area_check_level(*, level: int, parent: Area | None) -> None:
    if parent is None and level != Area.Level.CITY:
        raise ValidationError(_("Only the city has no parent area."))
    if parent is not None and level != parent.level + 1:
        raise ValidationError(_("An area must sit exactly one level below its parent."))


@transaction.atomic
def area_create(*, code: str, name: str, level: int, parent: Area | None, boundary: dict | None = None) -> Area:
    area_check_level(level=level, parent=parent)
    area = Area(code=code, name=name, level=level, parent=parent, path=area_path_for(code=code, parent=parent))
    area_set_boundary(area=area, boundary=boundary, save=False)
    area.full_clean()
    area.save()
    return area


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
