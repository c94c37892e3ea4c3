"""Reads of online orders (线上点单): the public form's point, and the orders staff see.

An order is seen by the people who look after its point: the point's proxy agents, and
staff whose areas cover the point's area (a grid worker their grid's point, station staff
their community's points, a street official the whole street, the city admin all). A
joint branch sees no orders: it holds errands, not residents.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from grid.access import reach_of
from grid.models import ServicePoint, User
from outreach.models import OnlineOrder, Resident
from outreach.residents.selectors import residents_visible_to

# How many residents the confirm form offers at once: enough for one grid's namesakes,
# few enough for a phone screen. Narrow the search to see others.
RESIDENT_CHOICES = 20
ORDER_RELATED = ["point", "point__area", "service", "errand", "handled_by"]


def service_point_by_public_code_or_404(code: str) -> ServicePoint:
    """The point behind a printed QR code. Anyone may ask; an unknown code is a 404."""
    return get_object_or_404(
        ServicePoint.objects.only("id", "name", "tier", "area_id", "address", "opening_hours", "phone", "public_code"),
        public_code=code,
    )


def orders_visible_to(*, user: User) -> QuerySet[OnlineOrder]:
    """Orders at points the user is an agent of or whose area the user covers. One query."""
    # Exists, not a join on the agents table: a point with several agents would repeat rows.
    agent = ServicePoint.agents.through.objects.filter(servicepoint_id=OuterRef("point_id"), user_id=user.pk)
    return OnlineOrder.objects.filter(reach_of(user).area_q(prefix="point__area__") | Exists(agent))


def order_for_user_or_404(user: User, pk: int) -> OnlineOrder:
    return get_object_or_404(orders_visible_to(user=user).select_related(*ORDER_RELATED), pk=pk)


def orders_list(*, user: User, status: str = OnlineOrder.Status.PENDING) -> QuerySet[OnlineOrder]:
    """Orders at the user's points in one status, newest first."""
    orders = orders_visible_to(user=user)
    if status:
        orders = orders.filter(status=status)
    return orders.select_related("point", "service").order_by("-created_at", "-pk")


def pending_orders_count(*, user: User) -> int:
    return orders_visible_to(user=user).filter(status=OnlineOrder.Status.PENDING).count()


def residents_to_confirm(*, user: User, order: OnlineOrder, search: str = "") -> list[Resident]:
    """Active residents in the user's scope an order could be for. With no search, the
    likely ones: the same name, or a phone (theirs or their guardian's) ending like
    the order's. One query."""
    residents = residents_visible_to(user=user).filter(status=Resident.Status.ACTIVE)
    search = search.strip()
    if search:
        q = Q(name__icontains=search) | Q(address__icontains=search)
        digits = "".join(ch for ch in search if ch.isdigit())
        if digits == search.replace(" ", "") and len(digits) >= 4:  # the tail of a phone number
            q = Q(phone__endswith=digits) | Q(guardian_phone__endswith=digits)
    else:
        tail = "".join(ch for ch in order.phone if ch.isdigit())[-4:]
        q = Q(name=order.name)
        if len(tail) == 4:
            q |= Q(phone__endswith=tail) | Q(guardian_phone__endswith=tail)
    return list(residents.filter(q).select_related("grid").order_by("name", "pk")[:RESIDENT_CHOICES])
