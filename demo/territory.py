"""Builds the deterministic demo city (territory, network, branches, demo users).

Every row has a natural key (area code, point area+tier, department code, window number,
branch number, username); a second run inserts only what is missing, so running the
demo seed twice changes nothing.
"""

import base64
import hashlib
import hmac
import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from shapely.geometry import MultiPoint, Point

from demo import data
from grid.geo import inner_point, random_points_within, split_into_cells, to_geojson
from grid.models import (
    Area,
    Department,
    JointBranch,
    Pairing,
    Role,
    Scope,
    ServicePoint,
    ServiceWindow,
    User,
)

SEED = 20261127
PAIRED_POINTS_PER_BRANCH = 100


def _insert_missing(model, key: str, rows: list) -> int:
    existing = set(model.objects.values_list(key, flat=True))
    missing = [row for row in rows if getattr(row, key) not in existing]
    model.objects.bulk_create(missing, batch_size=500)
    return len(missing)


def _area(code, name, level, parent: Area | None, geometry) -> Area:
    centre = inner_point(geometry)
    return Area(
        code=code,
        name=name,
        level=level,
        parent=parent,
        path=Area.path_for(code=code, parent=parent),
        boundary=to_geojson(geometry),
        centroid_lat=round(centre.y, 6),
        centroid_lng=round(centre.x, 6),
    )


def _village_names(rng: random.Random, count: int, street: bool, taken: set[str]) -> list[str]:
    suffix = "社区" if street else "村"
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(data.NAME_HEADS) + rng.choice(data.NAME_TAILS) + suffix
        if name not in taken and name != data.DEMO_COMMUNITY_NAME:
            taken.add(name)
            names.append(name)
    return names


def build_areas(rng: random.Random) -> None:
    """City → 14 towns (Voronoi around their real positions) → communities → grids."""
    city_code, city_name, _ = data.CITY
    seeds = [Point(lng, lat) for *_, lng, lat in data.TOWNS]
    city_shape = MultiPoint(seeds).convex_hull.buffer(0.07, quad_segs=4).simplify(0.004)
    _insert_missing(Area, "code", [_area(city_code, city_name, Area.Level.CITY, None, city_shape)])
    city = Area.objects.get(code=city_code)

    town_cells = split_into_cells(city_shape, seeds)
    towns = [_area(code, name, Area.Level.TOWN, city, cell) for (code, name, *_), cell in zip(data.TOWNS, town_cells)]
    _insert_missing(Area, "code", towns)
    towns_by_code = {a.code: a for a in Area.objects.filter(level=Area.Level.TOWN)}

    communities: list[Area] = []
    taken_names: set[str] = set()
    for (code, _name, street, *_), cell in zip(data.TOWNS, town_cells):
        town = towns_by_code[code]
        count = rng.randint(16, 28)
        centres = random_points_within(cell, count, rng)
        names = _village_names(rng, count, street, taken_names)
        if code == data.TOWNS[0][0]:
            names[0] = data.DEMO_COMMUNITY_NAME
        for i, (community_cell, community_name) in enumerate(zip(split_into_cells(cell, centres), names), start=1):
            communities.append(_area(f"{code}{i:03d}", community_name, Area.Level.COMMUNITY, town, community_cell))
    _insert_missing(Area, "code", communities)
    communities_by_code = {a.code: a for a in Area.objects.filter(level=Area.Level.COMMUNITY)}

    grids: list[Area] = []
    for community in communities:
        parent = communities_by_code[community.code]
        shape = _shape_of(community)
        count = 2 if community.name == data.DEMO_COMMUNITY_NAME else rng.randint(2, 4)
        centres = random_points_within(shape, count, rng)
        for i, grid_cell in enumerate(split_into_cells(shape, centres), start=1):
            grids.append(
                _area(f"{community.code}{i:02d}", f"{community.name}第{i}网格", Area.Level.GRID, parent, grid_cell)
            )
    _insert_missing(Area, "code", grids)


def _shape_of(area: Area):
    from grid.geo import from_geojson

    return from_geojson(area.boundary)


def demo_public_code(area_code: str, tier: str) -> str:
    """The demo's public order code of a point: a keyed hash of its natural key, so a
    fresh demo prints the same QR codes every time (a live system draws random ones)."""
    digest = hmac.new(f"daiban-demo-{SEED}".encode(), f"{area_code}:{tier}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()


def build_service_points(rng: random.Random) -> None:
    tier_by_level: dict[int, tuple[str, str]] = {
        Area.Level.TOWN: (ServicePoint.Tier.STREET_CENTRE, "代办中心"),
        Area.Level.COMMUNITY: (ServicePoint.Tier.COMMUNITY_STATION, "代办站"),
        Area.Level.GRID: (ServicePoint.Tier.GRID_POINT, "代办点"),
    }
    existing = set(ServicePoint.objects.values_list("area_id", "tier"))
    points = []
    areas = Area.objects.exclude(level=Area.Level.CITY).only(
        "id", "code", "name", "level", "centroid_lat", "centroid_lng"
    )
    for area in areas:
        tier, suffix = tier_by_level[area.level]
        jitter_lat, jitter_lng = rng.uniform(-0.002, 0.002), rng.uniform(-0.002, 0.002)
        if (area.id, tier) in existing:
            continue
        points.append(
            ServicePoint(
                name=f"{area.name}{suffix}",
                tier=tier,
                area=area,
                address=f"{area.name}便民服务中心{rng.randint(1, 99)}号",
                lat=round(area.centroid_lat + jitter_lat / 4, 6),
                lng=round(area.centroid_lng + jitter_lng / 4, 6),
                opening_hours="周一至周五 8:30-12:00, 14:00-17:30"
                if tier != ServicePoint.Tier.GRID_POINT
                else "预约上门",
                phone=f"0579-85{rng.randint(100000, 999999)}",
                public_code=demo_public_code(area.code, tier),
            )
        )
    ServicePoint.objects.bulk_create(points, batch_size=500)


def build_departments_and_branches(rng: random.Random) -> None:
    branches = [JointBranch(number=i, name=name) for i, (name, _) in enumerate(data.BRANCHES, start=1)]
    _insert_missing(JointBranch, "number", branches)
    branch_by_number = {b.number: b for b in JointBranch.objects.all()}

    departments = []
    for i, (_, names) in enumerate(data.BRANCHES, start=1):
        departments += [Department(code=f"D{i:02d}{j:02d}", name=name) for j, name in enumerate(names, start=1)]
    _insert_missing(Department, "code", departments)

    windows = []
    serial = 0
    dept_by_code = {d.code: d for d in Department.objects.all()}
    for index, department in enumerate(sorted(dept_by_code.values(), key=lambda d: d.code)):
        branch = branch_by_number[int(department.code[1:3])]
        # 16 departments keep five windows, the rest four: 240 windows in all.
        for k in range(5 if index % 7 < 2 else 4):
            serial += 1
            windows.append(
                ServiceWindow(
                    department=department,
                    branch=branch,
                    number=f"W{serial:03d}",
                    business=f"{department.name}{data.WINDOW_BUSINESS[k % len(data.WINDOW_BUSINESS)]}",
                )
            )
    _insert_missing(ServiceWindow, "number", windows)


def _person_name(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES)


def build_pairings(rng: random.Random, demo_community: Area) -> None:
    today = timezone.localdate()
    stations = list(
        ServicePoint.objects.filter(tier=ServicePoint.Tier.COMMUNITY_STATION)
        .order_by("area__code")
        .values_list("id", "area_id")
    )
    existing = set(Pairing.objects.values_list("branch_id", "point_id"))
    pairings = []
    for branch in JointBranch.objects.order_by("number"):
        chosen = rng.sample(stations, min(PAIRED_POINTS_PER_BRANCH, len(stations)))
        if branch.number == 1:  # the secretary's branch looks after the demo community
            demo_station = next(s for s in stations if s[1] == demo_community.id)
            if demo_station not in chosen:
                chosen[0] = demo_station
        for point_id, _ in chosen:
            # Paired one to four years before the day of seeding, like everything in the demo.
            since = today - timedelta(days=rng.randint(400, 1300))
            liaison_name = _person_name(rng)  # drawn every run, so the sequence stays the same
            if (branch.id, point_id) not in existing:
                pairings.append(Pairing(branch=branch, point_id=point_id, since=since, liaison_name=liaison_name))
    Pairing.objects.bulk_create(pairings, batch_size=500)


def build_users(demo_community: Area) -> list[User]:
    grids = list(demo_community.children.order_by("code"))
    where = {
        "grid1": grids[0],
        "grid2": grids[1],
        "community": demo_community,
        "town": demo_community.parent,
        "city": Area.objects.get(level=Area.Level.CITY),
    }
    branch = JointBranch.objects.get(number=1)
    password = make_password(settings.DAIBAN_DEMO_PASSWORD)
    users = []
    for username, full_name, role, place in data.DEMO_USERS:
        is_admin = role == Role.CITY_ADMIN
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"full_name": full_name, "password": password, "is_staff": is_admin, "is_superuser": is_admin},
        )
        users.append(user)
        if role == Role.BRANCH_SECRETARY:
            Scope.objects.get_or_create(user=user, role=role, branch=branch)
            if branch.secretary_id is None:
                branch.secretary = user
                branch.save(update_fields=["secretary"])
        else:
            area = where[place]
            Scope.objects.get_or_create(user=user, role=role, area=area)
            tier: dict[int, str] = {
                Area.Level.GRID: ServicePoint.Tier.GRID_POINT,
                Area.Level.COMMUNITY: ServicePoint.Tier.COMMUNITY_STATION,
            }
            if area.level in tier:
                ServicePoint.objects.get(area=area, tier=tier[area.level]).agents.add(user)
    return users


@transaction.atomic
def seed_territory() -> list[User]:
    rng = random.Random(SEED)
    build_areas(rng)
    build_service_points(random.Random(SEED + 1))
    build_departments_and_branches(random.Random(SEED + 2))
    demo_community = Area.objects.select_related("parent").get(
        name=data.DEMO_COMMUNITY_NAME, level=Area.Level.COMMUNITY
    )
    build_pairings(random.Random(SEED + 3), demo_community)
    return build_users(demo_community)
