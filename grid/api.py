"""API of the territory and the service network: who am I, areas, service points."""

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from config.json_errors import MessageOut
from config.params import Id, Page
from grid import selectors
from grid.access import AuthenticatedHttpRequest, reach_of
from grid.models import Area, ServicePoint

router = Router(tags=["territory"])


class ScopeOut(Schema):
    role: str
    area_id: int | None
    branch_id: int | None


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    roles: list[str]
    scopes: list[ScopeOut]
    area_ids: list[int]
    branch_ids: list[int]


class AreaOut(Schema):
    id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    centroid_lat: float | None
    centroid_lng: float | None


class ServicePointOut(Schema):
    id: int
    name: str
    tier: str
    area_id: int
    address: str
    lat: float | None
    lng: float | None
    opening_hours: str
    phone: str


class AreaFilter(Schema):
    parent: Id | None = None
    level: Area.Level | None = None


class ServicePointFilter(Schema):
    tier: ServicePoint.Tier | None = None
    area: Id | None = None


@router.get("/me", response=MeOut)
def me(request: AuthenticatedHttpRequest):
    user = request.user
    reach = reach_of(user)
    scopes = list(user.scopes.order_by("role", "area_id", "branch_id").values("role", "area_id", "branch_id"))
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "roles": sorted(reach.roles),
        "scopes": scopes,
        "area_ids": list(reach.area_ids),
        "branch_ids": list(reach.branch_ids),
    }


@router.get("/areas", response={200: list[AreaOut], 404: MessageOut})
@paginate(Page)
def areas(request: AuthenticatedHttpRequest, filters: Query[AreaFilter]):
    result = selectors.areas_visible_to(user=request.user)
    if filters.parent is not None:
        parent = selectors.area_for_user_or_404(request.user, filters.parent)
        result = result.filter(parent=parent)
    if filters.level is not None:
        result = result.filter(level=filters.level)
    return result.order_by("path").defer("boundary")


@router.get("/service-points", response={200: list[ServicePointOut], 404: MessageOut})
@paginate(Page)
def service_points(request: AuthenticatedHttpRequest, filters: Query[ServicePointFilter]):
    area = selectors.area_for_user_or_404(request.user, filters.area) if filters.area is not None else None
    return selectors.service_points_list(user=request.user, tier=filters.tier or "", area=area)
