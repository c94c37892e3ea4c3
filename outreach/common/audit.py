"""The audit trail (PIPL): who changed what, and who read which sensitive data, when.

Every row names the area it is about, so that officials read the log of their own
subtree: a resident's row is about the resident's grid unless told otherwise."""

import os
from collections.abc import Iterable

from grid.models import Area
from outreach.models import AuditEvent, Resident


def audit(
    *,
    actor,
    action: str,
    resident: Resident | None = None,
    area: Area | None = None,
    detail: dict | None = None,
    address: str | None = None,
) -> AuditEvent:
    area_id = area.pk if area is not None else (resident.grid_id if resident is not None else None)
    return AuditEvent.objects.create(
        actor=actor, action=action, resident=resident, area_id=area_id, detail=detail or {}, address=address
    )


def common_area(paths: Iterable[str]) -> Area | None:
    """The smallest area holding every one of these areas (by their paths): what an event
    touching several areas, such as an import into several grids, is about."""
    codes = os.path.commonprefix([path.strip("/").split("/") for path in paths])
    if not codes:
        return None
    return Area.objects.filter(path="/" + "/".join(codes) + "/").first()


def audit_download(
    *, actor, title: str, rows: int, fmt: str, area: Area | None, address: str | None, **detail
) -> AuditEvent:
    """A list with residents' names and addresses left Daiban as a file: who took which
    list (its title, as in the file), of which area, how many rows, in which format."""
    return audit(
        actor=actor,
        action=AuditEvent.Action.LIST_EXPORTED,
        area=area,
        address=address,
        detail={"list": title, "rows": rows, "format": fmt, **detail},
    )
