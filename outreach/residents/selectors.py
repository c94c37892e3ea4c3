"""Reads of residents and visits, always cut to the user's reach (grid.access)."""

from collections.abc import Iterable
from datetime import date
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404

from grid.access import reach_of
from grid.models import User
from outreach.common import due
from outreach.models import Resident, ResidentCategory, Visit, VisitPhoto

RECENT_VISITS = 20


def residents_visible_to(*, user: User) -> QuerySet[Resident]:
    """Residents living in the grids under the user's area scopes. Joint branches see
    errands routed to them, not the residents of their paired points."""
    return Resident.objects.filter(reach_of(user).area_q(prefix="grid__"))


def resident_for_user_or_404(user: User, pk: int) -> Resident:
    return get_object_or_404(residents_visible_to(user=user).select_related("grid", "grid__parent"), pk=pk)


def _category_list() -> Prefetch:
    return Prefetch("categories", queryset=ResidentCategory.objects.order_by("category"), to_attr="category_list")


def with_categories(residents: QuerySet[Resident]) -> QuerySet[Resident]:
    return residents.prefetch_related(_category_list())


# What a row of Today (and of the phone's offline copy of it) shows of a resident.
DUE_ROW_FIELDS = ["id", "name", "national_id_masked", "address", "home_lat", "home_lng", "care_level", "due_on"]


def residents_due_for(*, user: User, today: date) -> QuerySet[Resident]:
    """Active residents overdue, due today or due this week — most urgent first. Only
    what a row shows (not the grid: its boundary is kilobytes per row); their categories
    come from ``category_codes``."""
    residents = residents_visible_to(user=user).filter(due.due_by_end_of_week_q(today), status=Resident.Status.ACTIVE)
    return residents.only(*DUE_ROW_FIELDS).order_by("due_on", "name", "pk")


def category_codes(residents: Iterable[Resident]) -> dict[int, list[str]]:
    """{resident id: their category codes, in order}: one query, plain values (no
    model object per category)."""
    rows = ResidentCategory.objects.filter(resident__in=[r.pk for r in residents]).order_by("resident_id", "category")
    codes: dict[int, list[str]] = {}
    for resident_id, category in rows.values_list("resident_id", "category"):
        codes.setdefault(resident_id, []).append(category)
    return codes


def residents_list(
    *,
    user: User,
    today: date,
    search: str = "",
    category: str = "",
    care_level: str = "",
    due_bucket: str = "",
    status: str = Resident.Status.ACTIVE,
) -> QuerySet[Resident]:
    residents = residents_visible_to(user=user)
    if status:
        residents = residents.filter(status=status)
    if search:
        q = Q(name__icontains=search) | Q(address__icontains=search)
        if search.isdigit() and len(search) >= 4:
            q |= Q(phone__endswith=search)  # the tail of a phone number is how people remember it
        residents = residents.filter(q)
    if category:
        residents = residents.filter(categories__category=category)
    if care_level:
        residents = residents.filter(care_level=care_level)
    if due_bucket:
        residents = residents.filter(due.due_q(due_bucket, today))
    return with_categories(residents.select_related("grid")).order_by("due_on", "name", "pk")


def visits_visible_to(*, user: User) -> QuerySet[Visit]:
    return Visit.objects.filter(reach_of(user).area_q(prefix="resident__grid__"))


def visit_for_user_or_404(user: User, pk: UUID) -> Visit:
    visits = (
        visits_visible_to(user=user).select_related("resident", "resident__grid", "worker").prefetch_related("photos")
    )
    return get_object_or_404(visits, pk=pk)


def visits_of_resident(*, resident: Resident, limit: int = RECENT_VISITS) -> list[Visit]:
    visits = resident.visits.select_related("worker").prefetch_related(
        Prefetch("photos", queryset=VisitPhoto.objects.order_by("created_at"))
    )
    return list(visits.order_by("-visited_at")[:limit])


def resident_with_categories_for_user_or_404(user: User, pk: int) -> Resident:
    """The one door to a resident, with its categories on ``category_list`` like
    ``with_categories`` puts them on a list's rows (for the API's single schema)."""
    resident = resident_for_user_or_404(user, pk)
    prefetch_related_objects([resident], _category_list())
    return resident


def visits_list(*, user: User, resident: Resident | None = None) -> QuerySet[Visit]:
    """Visits in the user's reach (of one resident, if given), newest first, with who
    made them and their photos: three queries whatever the page size."""
    visits = (
        visits_visible_to(user=user)
        .select_related("worker")
        .prefetch_related(Prefetch("photos", queryset=VisitPhoto.objects.order_by("created_at", "pk")))
    )
    if resident is not None:
        visits = visits.filter(resident=resident)
    return visits.order_by("-visited_at", "pk")


def photo_for_user_or_404(user: User, pk: UUID) -> VisitPhoto:
    photos = VisitPhoto.objects.filter(reach_of(user).area_q(prefix="visit__resident__grid__"))
    return get_object_or_404(photos, pk=pk)
