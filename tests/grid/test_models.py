"""The territory's materialized path: one formula (``Area.path_for``) for every door
that makes areas — the admin, the demo territory and seed_city."""

import pytest

from grid.models import Area

pytestmark = pytest.mark.django_db


def test_the_path_is_the_parents_path_and_the_code():
    assert Area.path_for(code="330782", parent=None) == "/330782/"
    city = Area(code="330782", path="/330782/")
    town = Area(code="330782001", path=Area.path_for(code="330782001", parent=city))
    assert town.path == "/330782/330782001/"
    assert Area.path_for(code="330782001002", parent=town) == "/330782/330782001/330782001002/"


def test_every_demo_area_has_the_path_of_the_one_formula():
    areas = {a.pk: a for a in Area.objects.all()}
    for area in areas.values():
        parent = areas.get(area.parent_id)
        assert area.path == Area.path_for(code=area.code, parent=parent)
        assert area.ancestor_codes == Area.ancestor_codes_in(area.path)
        assert area.ancestor_codes == ([*parent.ancestor_codes, parent.code] if parent else [])
