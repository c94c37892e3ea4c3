"""The stops of a worker's route today: residents overdue or due today, and the residents
whose finished errands the worker is to bring home; and where the route starts when the
phone's position is not known (the worker's grid point, or their grid's centre)."""

from dataclasses import dataclass, field
from datetime import date

from grid.models import Area, ServicePoint, User
from outreach.errands.selectors import errands_visible_to
from outreach.models import Errand, Resident
from outreach.residents.selectors import residents_due_for


@dataclass
class Stop:
    resident: Resident
    visit_due: bool = False
    deliveries: list[Errand] = field(default_factory=list)

    @property
    def located(self) -> bool:
        return self.resident.has_home_location


def route_stops(*, user: User, today: date) -> list[Stop]:
    """One stop per resident, most urgent first: visits due by today, then deliveries.
    Two queries (and the categories the due list prefetches)."""
    stops: dict[int, Stop] = {}
    for resident in residents_due_for(user=user, today=today).filter(due_on__lte=today):
        stops[resident.pk] = Stop(resident=resident, visit_due=True)
    to_deliver = (
        errands_visible_to(user=user)
        .filter(assignee=user, state=Errand.State.COMPLETED)
        .select_related("resident", "service")
        .order_by("due_on", "pk")
    )
    for errand in to_deliver:
        stop = stops.setdefault(errand.resident_id, Stop(resident=errand.resident))
        stop.deliveries.append(errand)
    return list(stops.values())


def route_start(*, user: User) -> tuple[float, float] | None:
    """The worker's grid point, or else the centre of their first grid: one query, two
    when the point has no coordinates."""
    candidates = (
        ServicePoint.objects.filter(agents=user, tier=ServicePoint.Tier.GRID_POINT, lat__isnull=False)
        .order_by("pk")
        .values_list("lat", "lng"),
        Area.objects.filter(scopes__user=user, level=Area.Level.GRID, centroid_lat__isnull=False)
        .order_by("pk")
        .values_list("centroid_lat", "centroid_lng"),
    )
    for candidate in candidates:  # lazy: the grid is asked only when the point has no place
        found = candidate.first()
        if found is not None:
            lat, lng = found
            if lat is not None and lng is not None:
                return lat, lng
    return None
