"""Small builders for outreach tests: valid national IDs, residents, visits, photos."""

import io
import itertools
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from stdnum.cn import ric

from grid.models import Area
from outreach.residents import services

_serial = itertools.count(100)


def national_id(born: str = "19450312", male: bool = True) -> str:
    sequence = next(_serial) * 2 % 1000 + (1 if male else 0)
    body = f"330782{born}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def grid(name: str = "绣湖社区第1网格") -> Area:
    return Area.objects.get(name=name)


def resident(
    actor,
    *,
    grid_name: str = "绣湖社区第1网格",
    name: str = "张大爷",
    care_level: str = "A",
    registered_days_ago: int = 0,
    **fields,
):
    the_grid = grid(grid_name)
    defaults = {
        "address": f"{the_grid.parent.name}工人路1号",
        "consent_basis": "written",
        "home_lat": the_grid.centroid_lat,
        "home_lng": the_grid.centroid_lng,
    }
    defaults.update(fields)
    return services.resident_create(
        actor=actor,
        grid=the_grid,
        name=name,
        care_level=care_level,
        registered_on=timezone.localdate() - timedelta(days=registered_days_ago),
        **defaults,
    )


def jpeg(name: str = "photo.jpg", size=(640, 480), color=(200, 30, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")
