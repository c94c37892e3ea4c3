"""The one set of builders for the tests: valid national IDs, images, residents, visits,
errands walked through their steps, the service catalogue, places in the demo city.

Keyword-only and small: each builds one thing through the services, the way the app
does, with defaults a test overrides only where its meaning lies."""

import io
import itertools
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from stdnum.cn import ric

from grid.models import Area, User
from outreach.errands import services as errand_services
from outreach.models import Errand, ErrandEvent, Resident, ServiceType, Visit
from outreach.reporting import tallies
from outreach.residents import services

GRID1 = "绣湖社区第1网格"  # the demo worker's grid
_serial = itertools.count(100)

# --- national IDs (GB 11643) -------------------------------------------------------------


def with_check_digit(body: str) -> str:
    """A 17-character body and its check digit (stdnum reads the first 17 characters)."""
    return body + ric.calc_check_digit(body + "0")


def national_id(
    *, born: date | str = "19450312", male: bool = True, sequence: int | None = None, region: str = "330782"
) -> str:
    """A valid 18-digit ID. Without ``sequence`` each call gives a new one (the 3-digit
    sequence counts up; odd for a man, even for a woman)."""
    if sequence is None:
        sequence = next(_serial) * 2 % 1000 + (1 if male else 0)
    day = born if isinstance(born, str) else f"{born:%Y%m%d}"
    return with_check_digit(f"{region}{day}{sequence:03d}")


# --- images ------------------------------------------------------------------------------


def image_bytes(
    *, size: tuple[int, int] = (640, 480), color: Any = (200, 30, 30), format: str = "JPEG", mode: str = "RGB"
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=format)
    return out.getvalue()


def jpeg(
    *, name: str = "photo.jpg", size: tuple[int, int] = (640, 480), color: Any = (200, 30, 30)
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(size=size, color=color), content_type="image/jpeg")


def browser_jpeg(*, name: str, size: tuple[int, int] = (1200, 900), color: Any = (90, 140, 200)) -> dict:
    """A JPEG as Playwright's set_input_files takes it."""
    return {"name": name, "mimeType": "image/jpeg", "buffer": image_bytes(size=size, color=color)}


# --- places and people -------------------------------------------------------------------


def grid(name: str = GRID1) -> Area:
    return Area.objects.get(name=name)


def other_grid(*, same_town: bool) -> Area:
    """A grid outside 绣湖社区: in 稠城街道 (the street official's town) or in another town."""
    grids = Area.objects.filter(level=Area.Level.GRID).exclude(parent__name="绣湖社区").order_by("code")
    path = town().path
    grids = grids.filter(path__startswith=path) if same_town else grids.exclude(path__startswith=path)
    return grids.first()


def resident(
    *,
    actor: User,
    grid_name: str = GRID1,
    name: str = "张大爷",
    care_level: str = "A",
    registered_days_ago: int = 0,
    **fields: Any,
) -> Resident:
    """A resident registered through the service, at home in the middle of the grid."""
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


def visit(
    *,
    actor: User,
    resident: Resident,
    ago: timedelta = timedelta(hours=1),
    at: datetime | None = None,
    outcome: str = "met",
    accuracy_m: float = 10,
    no_location_reason: str = "",
    uploads: Sequence = (),
) -> Visit:
    """A visit recorded through the service ``ago`` before now (or ``at``): at the
    resident's door, or, with a ``no_location_reason``, without a location."""
    where: dict[str, Any] = (
        {"no_location_reason": no_location_reason}
        if no_location_reason
        else {"lat": resident.home_lat, "lng": resident.home_lng, "accuracy_m": accuracy_m}
    )
    data = services.VisitInput(visited_at=at or timezone.now() - ago, outcome=outcome, **where)
    recorded, _created = services.visit_record(
        actor=actor, resident=resident, visit_id=uuid.uuid4(), data=data, uploads=uploads
    )
    return recorded


# --- errands -----------------------------------------------------------------------------


def load_catalogue() -> None:
    """The service catalogue (fixtures/service_catalogue.json); it needs the demo's
    departments."""
    call_command("loaddata", "service_catalogue", verbosity=0)


def errand(
    *, actor: User, resident: Resident, code: str, source: str = "phone", ago: timedelta | None = None, **fields: Any
) -> Errand:
    """A new errand opened through the service, requested now or ``ago`` before now."""
    if ago is not None:
        fields["requested_at"] = timezone.now() - ago
    opened, created = errand_services.errand_create(
        actor=actor,
        errand_id=uuid.uuid4(),
        resident=resident,
        service=ServiceType.objects.get(code=code),
        source=source,
        **fields,
    )
    assert created
    return opened


def errand_act(*, errand: Errand, action: str, actor: User, version: int | None = None, **fields: Any) -> Errand:
    """One step, with what the step needs (a note to return, a reason to cancel, how a
    delivery went) unless the test says otherwise."""
    version = errand.version if version is None else version
    if action == "deliver":
        fields = {"via": "in_person", "satisfaction": 5, **fields}
        return errand_services.errand_deliver(actor=actor, errand=errand, expected_version=version, **fields)
    if action == "complete" and errand.state == "in_progress" and "note" not in fields:  # every material in
        errand.materials_collected = list(errand.service.materials)
        Errand.objects.filter(pk=errand.pk).update(materials_collected=errand.materials_collected)
    defaults = {
        "return": {"note": "缺户口簿复印件"},
        "cancel": {"reason": "居民已自行办理"},
        "escalate": {"note": "本级无法办理"},
    }.get(action, {})
    return errand_services.errand_transition(
        actor=actor, errand=errand, action=action, expected_version=version, **{**defaults, **fields}
    )


def errand_walk(*, errand: Errand, actor: User, actions: Iterable[str]) -> Errand:
    """The steps one after the other, each on the version the last one left."""
    for action in actions:
        errand = errand_act(errand=errand, action=action, actor=actor)
    return errand


def errand_complete(*, errand: Errand, actor: User, after: timedelta) -> Errand:
    """Accept, start and complete; the completion dated ``after`` the request (the
    services stamp it with the clock, so this moves the event and the errand's completion
    time, then recounts the day tallies from the facts, as ``rebuild_tallies`` does)."""
    errand = errand_walk(errand=errand, actor=actor, actions=["accept", "start", "complete"])
    ErrandEvent.objects.filter(errand=errand, action="complete").update(at=errand.requested_at + after)
    Errand.objects.filter(pk=errand.pk).update(completed_at=errand.requested_at + after)
    tallies.rebuild()
    errand.refresh_from_db()
    return errand


# --- reporting ---------------------------------------------------------------------------


def town() -> Area:
    """稠城街道, the demo street official's town."""
    return Area.objects.get(name="稠城街道")


def period_query(**extra: Any) -> dict:
    """The last seven days, today included, as the dashboard's query string."""
    today = timezone.localdate()
    return {"period": "custom", "start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat(), **extra}
