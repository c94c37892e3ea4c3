"""May this user touch this object? The one door to every territory object.

``reach_of(user)`` reads the user's scopes once per request (one query, then cached on
the user object); every selector builds its scope filter from it. Missing and
not-yours are the same answer: 404.
"""

from dataclasses import dataclass

from django.db.models import Q

from grid.models import BRANCH_ROLES, Area, Role, Scope

AREA_ROLES = frozenset({Role.GRID_WORKER, Role.STATION_STAFF, Role.STREET_OFFICIAL, Role.CITY_ADMIN})
# Roles that may read every joint branch's workspace (read-only unless they lead it).
BRANCH_READERS = frozenset({Role.CITY_ADMIN, Role.STREET_OFFICIAL})
# Roles that belong to one joint branch: it lands in ``branch_ids`` (its queue, its
# activities, its paired points); only its secretary also lands in ``led_branch_ids``.
MEMBER_ROLES = frozenset(BRANCH_ROLES)


@dataclass(frozen=True)
class Reach:
    """What a user's scopes add up to."""

    roles: frozenset[str]
    area_ids: tuple[int, ...]
    area_paths: tuple[str, ...]  # roots of the subtrees the user sees
    branch_ids: tuple[int, ...]  # branches the user belongs to (secretary or member)
    led_branch_ids: tuple[int, ...] = ()  # of those, the ones the user leads as secretary

    @property
    def is_city_admin(self) -> bool:
        return Role.CITY_ADMIN in self.roles

    @property
    def reads_all_branches(self) -> bool:
        """City administrators and street officials read every branch's workspace."""
        return bool(self.roles & BRANCH_READERS)

    def belongs_to_branch(self, branch_id: int) -> bool:
        return branch_id in self.branch_ids

    def leads_branch(self, branch_id: int) -> bool:
        return branch_id in self.led_branch_ids

    @property
    def ancestor_codes(self) -> frozenset[str]:
        """Codes of the areas above the user's scope roots (their street, their city)."""
        codes: set[str] = set()
        for path in self.area_paths:
            codes.update(Area.ancestor_codes_in(path))
        return frozenset(codes)

    def area_q(self, prefix: str = "") -> Q:
        """Q matching areas (or rows whose ``prefix`` leads to an area) inside the reach."""
        field = f"{prefix}path__startswith"
        q = Q(pk__in=[])
        for path in self.area_paths:
            q |= Q(**{field: path})
        return q


EMPTY_REACH = Reach(roles=frozenset(), area_ids=(), area_paths=(), branch_ids=())


def reach_of(user) -> Reach:
    if not getattr(user, "is_authenticated", False):
        return EMPTY_REACH
    cached = getattr(user, "_daiban_reach", None)
    if cached is not None:
        return cached
    scopes = list(Scope.objects.filter(user=user).select_related("area").only("role", "branch_id", "area__path"))
    paths = sorted({s.area.path for s in scopes if s.area_id})
    # A path already covered by a shorter one adds nothing to the filter.
    roots = tuple(p for p in paths if not any(p != q and p.startswith(q) for q in paths))
    reach = Reach(
        roles=frozenset(s.role for s in scopes),
        area_ids=tuple(sorted({s.area_id for s in scopes if s.area_id})),
        area_paths=roots,
        branch_ids=tuple(sorted({s.branch_id for s in scopes if s.branch_id and s.role in MEMBER_ROLES})),
        led_branch_ids=tuple(sorted({s.branch_id for s in scopes if s.role == Role.BRANCH_SECRETARY})),
    )
    user._daiban_reach = reach
    return reach
