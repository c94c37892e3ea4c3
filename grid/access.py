"""May this user touch this object? The one door to every territory object.

``reach_of(user)`` reads the user's scopes once per request (one query, then cached on
the user object); every selector builds its scope filter from it. Missing and
not-yours are the same answer: 404.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import HttpRequest

from grid.models import BRANCH_ROLES, Area, Role, Scope, User

# Every "which roles may…" of the app is answered here, by a predicate on ``Reach``;
# views, selectors, services, templates (``reach`` is in every page's context) and the
# navigation ask the predicate and never spell a role set of their own.

# Roles scoped to areas: they see the residents of their subtree by name.
AREA_ROLES = frozenset({Role.GRID_WORKER, Role.STATION_STAFF, Role.STREET_OFFICIAL, Role.CITY_ADMIN})
# Roles that may read every joint branch's workspace (read-only unless they lead it).
BRANCH_READERS = frozenset({Role.CITY_ADMIN, Role.STREET_OFFICIAL})
# Roles that belong to one joint branch: it lands in ``branch_ids`` (its queue, its
# activities, its paired points); only its secretary also lands in ``led_branch_ids``.
MEMBER_ROLES = frozenset(BRANCH_ROLES)
# The "跑一次没办成" window: street centres keep it (and register complaints), joint
# branches (secretaries and members) answer the complaints assigned to them.
COMPLAINT_ROLES = frozenset({Role.STREET_OFFICIAL, Role.BRANCH_SECRETARY, Role.BRANCH_MEMBER, Role.CITY_ADMIN})
COMPLAINT_REGISTRARS = frozenset({Role.STREET_OFFICIAL, Role.CITY_ADMIN})
# The assignment board: whoever hands errands out (stations, streets, secretaries, the city).
BOARD_ROLES = frozenset({Role.STATION_STAFF, Role.STREET_OFFICIAL, Role.BRANCH_SECRETARY, Role.CITY_ADMIN})
# Resident spreadsheets come from the offices above the grid.
ROSTER_IMPORTERS = frozenset({Role.STATION_STAFF, Role.STREET_OFFICIAL, Role.CITY_ADMIN})
# Streets and the city ask "who fell behind?" first: the coverage map is their map.
COVERAGE_WATCHERS = frozenset({Role.STREET_OFFICIAL, Role.CITY_ADMIN})
# The audit log (PIPL) of an area is read by its street centre and by the city.
AUDIT_READERS = frozenset({Role.STREET_OFFICIAL, Role.CITY_ADMIN})


@dataclass(frozen=True)
class Reach:
    """What a user's scopes add up to."""

    roles: frozenset[str]
    area_ids: tuple[int, ...]
    area_paths: tuple[str, ...]  # roots of the subtrees the user sees
    branch_ids: tuple[int, ...]  # branches the user belongs to (secretary or member)
    led_branch_ids: tuple[int, ...] = ()  # of those, the ones the user leads as secretary
    area_roles: tuple[tuple[str, str], ...] = ()  # (role, area path) of each area scope

    def roles_over(self, path: str) -> frozenset[str]:
        """The user's roles whose area holds the area at ``path`` (or is it)."""
        return frozenset(role for role, root in self.area_roles if path.startswith(root))

    @property
    def is_city_admin(self) -> bool:
        return Role.CITY_ADMIN in self.roles

    @property
    def reads_all_branches(self) -> bool:
        """City administrators and street officials read every branch's workspace."""
        return bool(self.roles & BRANCH_READERS)

    def is_field_worker(self) -> bool:
        """A grid worker (whatever else): Today is their home, visits lead back to it."""
        return Role.GRID_WORKER in self.roles

    def is_only_field_worker(self) -> bool:
        """A grid worker and nothing else: the phone's bar of a worker."""
        return self.roles == {Role.GRID_WORKER}

    def home_is_branch(self) -> bool:
        """Belongs to one joint branch and looks after no area: the branch's workspace is
        their home and their first tab."""
        return len(self.branch_ids) == 1 and not self.area_paths

    def has_areas(self) -> bool:
        """Scoped to areas (not only to a joint branch): residents, coverage, area dashboards."""
        return bool(self.roles & AREA_ROLES and self.area_paths)

    def sees_areas_as_field_worker(self) -> bool:
        """Their areas are theirs as a grid worker only: the dashboard's worker figures."""
        return self.roles & AREA_ROLES == {Role.GRID_WORKER}

    def sees_dashboard(self) -> bool:
        """An area dashboard, or a joint branch's (``dashboard.subject_for_user_or_404``)."""
        return self.has_areas() or bool(self.branch_ids)

    def watches_coverage(self) -> bool:
        """Street officials and the city administrator: the coverage map is their map tab."""
        return bool(self.roles & COVERAGE_WATCHERS)

    def may_see_complaints(self) -> bool:
        """The complaints window: its list, its pages, its home tile and dashboard figures."""
        return bool(self.roles & COMPLAINT_ROLES)

    def may_register_complaints(self) -> bool:
        """Registering a complaint at a street centre of the user's areas."""
        return bool(self.roles & COMPLAINT_REGISTRARS)

    def may_use_board(self) -> bool:
        """The assignment board and its Errands tab."""
        return bool(self.roles & BOARD_ROLES)

    def may_import_rosters(self) -> bool:
        """Importing residents from a spreadsheet (page and management command)."""
        return bool(self.roles & ROSTER_IMPORTERS)

    def may_reveal_national_ids(self) -> bool:
        """Pressing "show" on a masked national ID (each reveal is audited): the area
        roles, who serve the resident by name."""
        return bool(self.roles & AREA_ROLES)

    def may_see_coverage_residents(self) -> bool:
        """Residents on the coverage screens (the missed list, homes, overdue errands):
        the area roles. Joint branches see the figures of their paired points' areas."""
        return bool(self.roles & AREA_ROLES)

    def may_read_audit(self) -> bool:
        """The audit log of the areas held as a street official or city administrator."""
        return bool(self.roles & AUDIT_READERS and self.audit_paths)

    @property
    def audit_paths(self) -> tuple[str, ...]:
        """The subtrees whose audit log the user reads: only those of the scopes that give
        it (a street official who is also a grid worker elsewhere reads their street's)."""
        return tuple(root for role, root in self.area_roles if role in AUDIT_READERS)

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


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view or API operation behind a login: its user is a User, never
    the anonymous one (an annotation for type checkers; Django builds plain requests)."""

    user: User


EMPTY_REACH = Reach(roles=frozenset(), area_ids=(), area_paths=(), branch_ids=())


def reach_of(user: User | AnonymousUser) -> Reach:
    if not getattr(user, "is_authenticated", False) or isinstance(user, AnonymousUser):
        return EMPTY_REACH
    cached: Reach | None = getattr(user, "_daiban_reach", None)
    if cached is not None:
        return cached
    scopes = list(Scope.objects.filter(user=user).select_related("area").only("role", "branch_id", "area__path"))
    paths = sorted({s.area.path for s in scopes if s.area is not None})
    # A path already covered by a shorter one adds nothing to the filter.
    roots = tuple(p for p in paths if not any(p != q and p.startswith(q) for q in paths))
    reach = Reach(
        roles=frozenset(s.role for s in scopes),
        area_ids=tuple(sorted({s.area_id for s in scopes if s.area_id is not None})),
        area_paths=roots,
        branch_ids=tuple(sorted({s.branch_id for s in scopes if s.branch_id and s.role in MEMBER_ROLES})),
        led_branch_ids=tuple(
            sorted({s.branch_id for s in scopes if s.role == Role.BRANCH_SECRETARY and s.branch_id is not None})
        ),
        area_roles=tuple(sorted({(s.role, s.area.path) for s in scopes if s.area is not None})),
    )
    user._daiban_reach = reach  # type: ignore[attr-defined]  # a per-request cache, not a field
    return reach
