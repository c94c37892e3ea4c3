"""Generate a synthetic Yiwu-scale city for benchmarks: ~3,000 grids, N residents, two
years of home visits and ~N errands, written with bulk inserts in one transaction.

The city is built beside the demo city, under its own city code (``CITY_CODE``), rather
than by re-cutting the demo's communities into more grids: the demo territory, its users
and the tests that rely on them stay exactly as they are, and the synthetic city has
its own logins (``city_worker``, ``city_station``, ``city_street``, ``city_admin``, the
demo password) so the benchmark can open the same pages as the same roles at both
scales. It shares the demo's departments, joint branches and service catalogue, which
are city-wide institutions; so ``seed_demo`` must have run first.

Speed comes from never calling a service per row: residents, errands and trips go
through ``bulk_create`` in big batches; visits and errand events, the big tables, go
through ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) with values prepared for the
backend. ``Resident.last_met_on``/``due_on`` are computed in Python from the visits as
they are generated (through ``outreach.common.due``, the one definition), never re-read.
The day and due tallies are then rebuilt from what was loaded, and on PostgreSQL the
loaded tables are VACUUMed and ANALYZEd after the commit (index-only scans need it).
Last, the coverage of the past ``SEEDED_COVERAGE_DAYS`` days is written, as the
worker's nightly run would have (``outreach.reporting.coverage.days``; about half a
second a day at 100,000 residents): last month's figures read it.
Running it twice is refused: the city code already exists.
"""

import hashlib
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from shapely.geometry import MultiPoint, Point
from shapely.prepared import prep
from stdnum.cn import ric

from demo import data as demo_data
from grid.geo import distance_m, inner_point, random_points_within, split_into_cells, to_geojson
from grid.models import Area, Department, Role, Scope, ServicePoint, ServiceWindow, User
from outreach.common import crypto, due
from outreach.models import (
    Category,
    Complaint,
    Errand,
    ErrandEvent,
    Resident,
    ResidentCategory,
    ServiceType,
    TripsSaved,
    Visit,
)
from outreach.reporting import tallies
from outreach.reporting.coverage import days as coverage_days
from outreach.tracking import codes

CITY_CODE = "990782"
CITY_NAME = "合成义乌市"
SEEDED_COVERAGE_DAYS = 62  # two months: last month always reads written days
# West of the demo city, so that the two never overlap on a map.
OFFSET_LNG = -0.9
SEED = 20260601
TOWNS = 14
GRIDS_PER_COMMUNITY = 4.3
LOGINS = {"worker": "city_worker", "station": "city_station", "street": "city_street", "admin": "city_admin"}
LOCAL_OFFSET = timedelta(hours=8)  # Asia/Shanghai has had no daylight saving since 1991

# Care-level mix and the share of residents who fall behind (overdue today).
CARE_WEIGHTS = {"A": 3, "B": 14, "C": 83}
FALLS_BEHIND = 0.14
MOVED, DECEASED = 0.03, 0.015
OUTCOMES = ["met", "not_home", "refused", "in_hospital"]
OUTCOME_WEIGHTS = [88, 8, 1, 3]
SURNAMES, GIVEN = demo_data.SURNAMES, demo_data.GIVEN_NAMES
ROADS = ["工人路", "稠州路", "县前街", "朝阳路", "宾王路", "江滨路", "丹溪路", "城中路", "环城路", "商城大道"]

VISIT_FIELDS = [
    "id",
    "resident",
    "worker",
    "visited_at",
    "outcome",
    "lat",
    "lng",
    "accuracy_m",
    "distance_m",
    "location_check",
    "no_location_reason",
    "health",
    "health_notes",
    "living_notes",
    "hazards",
    "hazard_notes",
    "needs",
    "content_digest",
    "photos_expected",
    "created_at",
    "corrected_at",
]
EVENT_FIELDS = [
    "errand",
    "actor",
    "at",
    "action",
    "from_state",
    "to_state",
    "from_holder",
    "to_holder",
    "assignee",
    "note",
]


class Progress:
    """One line on stderr, redrawn at most five times a second: stage, bar, count."""

    WIDTH = 30

    def __init__(self, stream, enabled: bool):
        self.stream, self.enabled = stream, enabled  # a management command's OutputWrapper
        self.stage, self.total, self.done, self.shown_at, self.started = "", 1, 0, 0.0, time.monotonic()

    def start(self, stage: str, total: int) -> None:
        self.finish()
        self.stage, self.total, self.done, self.shown_at = stage, max(total, 1), 0, 0.0
        self.draw(force=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.draw()

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.shown_at < 0.2 and self.done < self.total):
            return
        self.shown_at = now
        filled = int(self.WIDTH * min(self.done, self.total) / self.total)
        self.stream.write(
            f"\r{self.stage:<18} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{self.done:>9,}/{self.total:,}  {now - self.started:6.1f} s",
            ending="",
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.stage and self.enabled:
            self.done = self.total
            self.draw(force=True)
            self.stream.write("")
        self.stage = ""


class RowWriter:
    """Bulk insert of plain tuples: COPY on PostgreSQL, executemany elsewhere. Values
    are converted once per column type to what the backend stores (UUIDs as hex and
    datetimes as UTC text on SQLite), which is what Django itself would write."""

    BATCH = 20_000

    def __init__(self, model, field_names: list[str]):
        fields = [model._meta.get_field(name) for name in field_names]
        required = {
            f.name
            for f in model._meta.concrete_fields
            if not (f.null or f.has_default() or f.primary_key or getattr(f, "auto_now_add", False))
        }
        missing = required - set(field_names)
        if missing:  # the model grew a column this generator does not fill
            raise CommandError(f"seed_city does not fill {model.__name__}.{', '.join(sorted(missing))}; update it.")
        self.table = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.vendor = connection.vendor
        self.rows: list[tuple | list] = []
        self.count = 0
        self.converters = [(i, c) for i, c in enumerate(self._converter(f) for f in fields) if c is not None]

    def _converter(self, field):
        if field.is_relation:
            field = field.target_field
        kind = field.get_internal_type()
        if self.vendor == "postgresql":
            if kind == "JSONField":
                return lambda v: v  # given as JSON text; COPY parses it into jsonb
            return None
        if kind == "UUIDField":
            return lambda v: v.hex if v is not None else None
        if kind == "DateTimeField":  # every datetime here is made in UTC
            return lambda v: v.replace(tzinfo=None).isoformat(" ") if v is not None else None
        if kind == "DateField":
            return lambda v: v.isoformat() if v is not None else None
        return None

    def add(self, row: tuple | list) -> None:
        if self.converters:
            row = list(row)
            for i, convert in self.converters:
                row[i] = convert(row[i])
        self.rows.append(row)
        if len(self.rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        table = connection.ops.quote_name(self.table)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", self.rows)
        self.count += len(self.rows)
        self.rows = []


@dataclass
class Place:
    """A generated grid with what its residents' rows need."""

    area: Area
    shape: object
    worker_id: int = 0
    points: dict = field(default_factory=dict)  # tier -> ServicePoint


def vacuum_statement() -> str:
    """VACUUM (ANALYZE) of the tables seed_city writes: the territory's and outreach's."""
    models = [*django_apps.get_app_config("grid").get_models(), *django_apps.get_app_config("outreach").get_models()]
    tables = [m._meta.db_table for m in models if m._meta.managed and not m._meta.proxy]
    return f"VACUUM (ANALYZE) {', '.join(connection.ops.quote_name(t) for t in tables)}"


def local_datetime(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - LOCAL_OFFSET


class Command(BaseCommand):
    help = "Generate a synthetic Yiwu-scale city (grids, residents, two years of visits, errands) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, default=100_000, help="Residents to generate (default 100,000).")
        parser.add_argument("--grids", type=int, default=3_000, help="Grids to generate (default 3,000).")
        parser.add_argument(
            "--errands", type=int, default=None, help="Errands to generate (default: one per resident)."
        )
        parser.add_argument("--years", type=float, default=2.0, help="Years of visit history (default 2).")
        parser.add_argument("--seed", type=int, default=SEED, help="Random seed (the same seed builds the same city).")
        parser.add_argument(
            "--force", action="store_true", help="Generate even with DEBUG off (never on a live system)."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(
        self,
        *args,
        residents: int,
        grids: int,
        errands: int | None,
        years: float,
        seed: int,
        force: bool,
        no_progress: bool,
        **options,
    ):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to generate a synthetic city with DEBUG off; pass --force if this is a test system."
            )
        if residents < 1 or grids < 1 or years <= 0:
            raise CommandError("--residents and --grids must be at least 1, --years more than 0.")
        if Area.objects.filter(code=CITY_CODE).exists():
            raise CommandError(
                f"The synthetic city ({CITY_CODE} {CITY_NAME}) is already in this database; "
                "seed_city runs once per database. Start from an empty database to build it again."
            )
        if not Department.objects.exists():
            raise CommandError(
                "Run seed_demo first: the synthetic city uses the demo's departments, joint branches "
                "and service catalogue."
            )
        call_command("loaddata", "service_catalogue", verbosity=0)
        started = time.monotonic()
        self.stderr.style_func = None  # a progress bar, not an error: no red
        self.progress = Progress(self.stderr, enabled=not no_progress)
        self.rng = random.Random(seed)
        self.today = timezone.localdate()
        self.window_start = self.today - timedelta(days=round(365 * years))
        errands = residents if errands is None else errands
        if connection.vendor == "sqlite":
            # Random UUID keys land all over the indexes: keep them in memory (1 GB at most)
            # rather than spilling pages to disk and reading them back.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -1000000")
        with transaction.atomic():
            places = self.build_territory(grids)
            self.build_points(places)
            self.build_people(places)
            people = self.build_residents(places, residents)
            errand_count = self.build_errands(places, people, errands)
            complaints = self.build_complaints()
            self.progress.start("day tallies", 1)
            tallies.rebuild()  # the demo city's too: one pass over every fact
            tallies.rebuild_due()  # the residents went in by bulk too
            tallies.coverage_days_stale_from(date.min)  # the past just changed: every written day
            self.progress.advance(1)
            # Fresh statistics after a bulk load, so the query planner knows the tables' sizes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.vacuum()
        self.progress.start("coverage of past days", 1)
        coverage_days.fill(days=SEEDED_COVERAGE_DAYS)  # what the worker's nightly run would have written
        self.progress.advance(1)
        self.progress.finish()
        self.stdout.write(
            self.style.SUCCESS(
                f"Synthetic city {CITY_NAME} ready in {time.monotonic() - started:.1f} s: {len(places):,} grids, "
                f"{len(people):,} residents, {self.visit_count:,} visits, {errand_count:,} errands, "
                f"{complaints:,} complaints. "
                f"Logins: {', '.join(LOGINS.values())} (the demo password)."
            )
        )

    def vacuum(self) -> None:
        """On PostgreSQL, VACUUM (ANALYZE) the tables just loaded, after the commit. Without
        it their visibility maps stay empty until autovacuum comes round, and PostgreSQL
        reads every row that a covering index could have answered alone (an index-only
        scan needs the pages marked all-visible). VACUUM cannot run in a transaction: inside
        one (a test's) there is nothing to do."""
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return
        self.progress.start("vacuum", 1)
        with connection.cursor() as cursor:
            cursor.execute(vacuum_statement())
        self.progress.advance(1)

    # --- territory ----------------------------------------------------------------------

    def _area(self, code: str, name: str, level: int, parent: Area | None, geometry) -> Area:
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

    def build_territory(self, grid_count: int) -> list[Place]:
        rng = self.rng
        town_count = max(1, min(TOWNS, grid_count // 40))
        community_count = max(town_count, round(grid_count / GRIDS_PER_COMMUNITY))
        self.progress.start("territory", town_count + community_count + grid_count)
        seeds = [Point(lng + OFFSET_LNG, lat) for *_, lng, lat in demo_data.TOWNS]
        city_shape = MultiPoint(seeds).convex_hull.buffer(0.07, quad_segs=4).simplify(0.004)
        city = self._area(CITY_CODE, CITY_NAME, Area.Level.CITY, None, city_shape)
        city.save()
        town_seeds = seeds[:town_count] if town_count > 2 else random_points_within(city_shape, town_count, rng)
        town_cells = split_into_cells(city_shape, town_seeds) if town_count > 1 else [city_shape]
        towns = [
            self._area(f"{CITY_CODE}{i:03d}", f"合成{demo_data.TOWNS[i - 1][1]}", Area.Level.TOWN, city, cell)
            for i, cell in enumerate(town_cells, start=1)
        ]
        Area.objects.bulk_create(towns)
        self.progress.advance(len(towns))

        # Communities in proportion to each town's area, at least one each.
        total_area = sum(c.area for c in town_cells)
        per_town = [max(1, round(community_count * cell.area / total_area)) for cell in town_cells]
        communities, community_shapes = [], []
        names: set[str] = set()
        for town, cell, count in zip(towns, town_cells, per_town):
            cells = split_into_cells(cell, random_points_within(cell, count, rng)) if count > 1 else [cell]
            for i, community_cell in enumerate(cells, start=1):
                name = self._unique_name(names, street=int(town.code[-3:]) <= 8)
                communities.append(self._area(f"{town.code}{i:03d}", name, Area.Level.COMMUNITY, town, community_cell))
                community_shapes.append(community_cell)
        Area.objects.bulk_create(communities, batch_size=1000)
        self.progress.advance(len(communities))

        # Grids: the remainder after an even share goes to the largest communities.
        base, extra = divmod(grid_count, len(communities))
        by_size = sorted(range(len(communities)), key=lambda i: -community_shapes[i].area)
        counts = [base] * len(communities)
        for i in by_size[:extra]:
            counts[i] += 1
        grids, shapes = [], []
        for community, shape, count in zip(communities, community_shapes, counts):
            if count == 0:
                continue
            cells = split_into_cells(shape, random_points_within(shape, count, rng)) if count > 1 else [shape]
            for i, grid_cell in enumerate(cells, start=1):
                grids.append(
                    self._area(
                        f"{community.code}{i:02d}", f"{community.name}第{i}网格", Area.Level.GRID, community, grid_cell
                    )
                )
                shapes.append(grid_cell)
            self.progress.advance(count)
        Area.objects.bulk_create(grids, batch_size=1000)
        self.towns, self.communities = towns, communities
        return [Place(area=g, shape=s) for g, s in zip(grids, shapes)]

    def _unique_name(self, taken: set[str], street: bool) -> str:
        suffix = "社区" if street else "村"
        while True:
            name = self.rng.choice(demo_data.NAME_HEADS) + self.rng.choice(demo_data.NAME_TAILS) + suffix
            name = name if name not in taken else f"{name[: -len(suffix)]}{len(taken) % 97 + 1}{suffix}"
            if name not in taken:
                taken.add(name)
                return name

    def build_points(self, places: list[Place]) -> None:
        rng = self.rng
        tier_of: dict[int, tuple[str, str]] = {
            Area.Level.TOWN: (ServicePoint.Tier.STREET_CENTRE, "代办中心"),
            Area.Level.COMMUNITY: (ServicePoint.Tier.COMMUNITY_STATION, "代办站"),
            Area.Level.GRID: (ServicePoint.Tier.GRID_POINT, "代办点"),
        }
        areas = [*self.towns, *self.communities, *(p.area for p in places)]
        self.progress.start("service points", len(areas))
        points = []
        for area in areas:
            tier, suffix = tier_of[area.level]
            points.append(
                ServicePoint(
                    name=f"{area.name}{suffix}",
                    tier=tier,
                    area=area,
                    address=f"{area.name}便民服务中心{rng.randint(1, 99)}号",
                    lat=round(area.centroid_lat + rng.uniform(-5e-4, 5e-4), 6),
                    lng=round(area.centroid_lng + rng.uniform(-5e-4, 5e-4), 6),
                    opening_hours="周一至周五 8:30-12:00, 14:00-17:30"
                    if tier != ServicePoint.Tier.GRID_POINT
                    else "预约上门",
                    phone=f"0579-86{rng.randint(100000, 999999)}",
                )
            )
        ServicePoint.objects.bulk_create(points, batch_size=2000)
        self.progress.advance(len(points))
        by_area = {p.area.code: p for p in points}
        for place in places:
            codes = place.area.ancestor_codes + [place.area.code]
            place.points = {
                ServicePoint.Tier.STREET_CENTRE: by_area[codes[1]],
                ServicePoint.Tier.COMMUNITY_STATION: by_area[codes[2]],
                ServicePoint.Tier.GRID_POINT: by_area[place.area.code],
            }

    def build_people(self, places: list[Place]) -> None:
        """One grid worker per grid (agent of its grid point), and the four logins."""
        rng = self.rng
        self.progress.start("staff", len(places) + 4)
        unusable, demo = make_password(None), make_password(settings.DAIBAN_DEMO_PASSWORD)
        first = places[0].area
        named = {
            LOGINS["street"]: ("城东官员", Role.STREET_OFFICIAL, first.parent.parent),
            LOGINS["station"]: ("站长", Role.STATION_STAFF, first.parent),
            LOGINS["admin"]: ("合成市管理员", Role.CITY_ADMIN, Area.objects.get(code=CITY_CODE)),
        }
        users = [User(username=LOGINS["worker"], full_name=rng.choice(SURNAMES) + rng.choice(GIVEN), password=demo)]
        users += [
            User(username=f"cw{p.area.code}", full_name=rng.choice(SURNAMES) + rng.choice(GIVEN), password=unusable)
            for p in places[1:]
        ]
        users += [User(username=u, full_name=n, password=demo) for u, (n, _, _) in named.items()]
        User.objects.bulk_create(users, batch_size=2000)
        self.logins = {u.username: u for u in users[-3:]} | {users[0].username: users[0]}
        scopes = [Scope(user=u, role=Role.GRID_WORKER, area=p.area) for u, p in zip(users, places)]
        scopes += [Scope(user=self.logins[u], role=role, area=area) for u, (_, role, area) in named.items()]
        Scope.objects.bulk_create(scopes, batch_size=2000)
        Agents = ServicePoint.agents.through
        Agents.objects.bulk_create(
            [
                Agents(servicepoint_id=p.points[ServicePoint.Tier.GRID_POINT].pk, user_id=u.pk)
                for u, p in zip(users, places)
            ],
            batch_size=2000,
        )
        station = places[0].points[ServicePoint.Tier.COMMUNITY_STATION]
        Agents.objects.create(servicepoint_id=station.pk, user_id=self.logins[LOGINS["station"]].pk)
        for user, place in zip(users, places):
            place.worker_id = user.pk
        self.progress.advance(len(users))

    # --- residents and visits -----------------------------------------------------------

    def build_residents(self, places: list[Place], total: int) -> list[tuple]:
        """Residents grid by grid, each with its visit history; returns (resident id,
        place index, registered_on, end of care) for the errands."""
        rng = self.rng
        weights = [rng.uniform(0.6, 1.4) for _ in places]
        scale = total / sum(weights)
        counts = [int(w * scale) for w in weights]
        for i in rng.sample(range(len(places)), total - sum(counts)) if total > sum(counts) else []:
            counts[i] += 1
        while sum(counts) > total:  # rounding can only undershoot, but keep the total exact regardless
            counts[counts.index(max(counts))] -= 1
        self.progress.start("residents+visits", total)
        visits = RowWriter(Visit, VISIT_FIELDS)
        care_levels, care_weights = list(CARE_WEIGHTS), list(CARE_WEIGHTS.values())
        interval = settings.DAIBAN_CARE_INTERVAL_DAYS
        people: list[tuple] = []
        serial = 0
        batch: list[tuple[Resident, list[str], list[tuple]]] = []
        now = timezone.now()
        for index, (place, count) in enumerate(zip(places, counts)):
            if not count:
                continue
            homes = random_points_within(place.shape, count, rng) if count < 40 else self._homes(place.shape, count)
            for home in homes:
                serial += 1
                care = rng.choices(care_levels, care_weights)[0]
                national_id, born, male = self._national_id(serial)
                resident = Resident(
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    sex="M" if male else "F",
                    birth_date=born,
                    national_id_cipher=crypto.encrypt(national_id),
                    national_id_digest=crypto.digest(national_id),
                    national_id_masked=crypto.mask(national_id),
                    phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                    address=f"{place.area.parent.name}{rng.choice(ROADS)}{rng.randint(1, 300)}号",
                    home_lat=round(home.y, 6),
                    home_lng=round(home.x, 6),
                    grid=place.area,
                    care_level=care,
                    consent_basis=rng.choice(["written", "written", "guardian", "statutory"]),
                    registered_on=self._registered_on(),
                )
                plan = self._visit_plan(resident, interval[care])
                met = [day for day, outcome, _, _ in plan if outcome == "met"]
                resident.last_met_on = met[-1] if met else None
                resident.due_on = due.due_on_for(
                    last_met_on=resident.last_met_on, registered_on=resident.registered_on, care_level=care
                )
                categories = self._categories(care, born)
                batch.append((resident, categories, plan))
                people.append((index, resident))
            if len(batch) >= 2000:
                self._flush_residents(batch, places, visits, now)
                batch = []
        self._flush_residents(batch, places, visits, now)
        visits.flush()
        self.visit_count = visits.count
        return [(r.pk, index, r.registered_on, r.status_on or self.today) for index, r in people]

    def _homes(self, shape, count: int) -> list[Point]:
        prepared, (minx, miny, maxx, maxy) = prep(shape), shape.bounds
        homes: list[Point] = []
        while len(homes) < count:
            p = Point(self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy))
            if prepared.contains(p):
                homes.append(p)
        return homes

    def _national_id(self, serial: int) -> tuple[str, date, bool]:
        # (birth date, sequence) is unique per serial: 999 people per birth date, and
        # 97 × k mod 14,600 visits every day of forty years once before repeating.
        born = date(1930, 1, 1) + timedelta(days=(serial // 999) * 97 % 14_600)
        sequence = serial % 999
        body = f"330783{born:%Y%m%d}{sequence:03d}"
        return body + ric.calc_check_digit(body + "0"), born, sequence % 2 == 1

    def _registered_on(self) -> date:
        # Most residents were on the roster before the history starts; the rest joined since.
        if self.rng.random() < 0.75:
            return self.window_start - timedelta(days=self.rng.randint(0, 400))
        return self.window_start + timedelta(days=self.rng.randint(0, (self.today - self.window_start).days))

    def _categories(self, care: str, born: date) -> list[str]:
        rng = self.rng
        chosen = {Category.AGED_80} if self.today.year - born.year >= 80 else set()
        for category, share in [
            (Category.LIVING_ALONE, 0.3),
            (Category.LIMITED_MOBILITY, 0.2),
            (Category.MINIMUM_LIVING, 0.1),
            (Category.EMPTY_NEST, 0.25),
        ]:
            if rng.random() < share:
                chosen.add(category)
        if care == "A" and rng.random() < 0.5:
            chosen.add(Category.SERIOUS_ILLNESS)
        return sorted(chosen or {Category.EMPTY_NEST})

    def _visit_plan(self, resident: Resident, every: int) -> list[tuple]:
        """(day, outcome, hour, minute) of each visit. Workers are a little late now and
        then, a missed stretch happens, some residents fall behind at the end, a few move
        away or die (their visits stop; a move is recorded by a last "moved" visit)."""
        rng = self.rng
        end = self.today
        if rng.random() < MOVED + DECEASED:
            moved = rng.random() < MOVED / (MOVED + DECEASED)
            resident.status = Resident.Status.MOVED if moved else Resident.Status.DECEASED
            start = max(resident.registered_on, self.window_start) + timedelta(days=1)
            resident.status_on = start + timedelta(days=rng.randint(0, max((self.today - start).days, 0)))
            end = resident.status_on
        elif rng.random() < FALLS_BEHIND:
            end = self.today - timedelta(days=rng.randint(every + 1, 3 * every + 10))
        day = max(resident.registered_on, self.window_start) + timedelta(days=rng.randint(0, every - 1))
        plan = []
        while day < end:
            outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
            plan.append((day, outcome, rng.randint(8, 17), rng.randint(0, 59)))
            if outcome == "met":
                step = every + rng.randint(-2, max(every // 4, 1))
                if rng.random() < 0.04:
                    step += every  # a missed round
            else:
                step = rng.randint(1, 4)
            day += timedelta(days=max(step, 1))
        if resident.status == Resident.Status.MOVED:
            plan.append((resident.status_on, "moved", rng.randint(8, 17), rng.randint(0, 59)))
        return plan

    def _flush_residents(self, batch, places, visits: RowWriter, now) -> None:
        if not batch:
            return
        rng = self.rng
        Resident.objects.bulk_create([r for r, _, _ in batch], batch_size=2000)
        ResidentCategory.objects.bulk_create(
            [ResidentCategory(resident_id=r.pk, category=c) for r, categories, _ in batch for c in categories],
            batch_size=5000,
        )
        worker_of = {p.area.pk: p.worker_id for p in places}
        for resident, _, plan in batch:
            worker_id = worker_of[resident.grid_id]
            for day, outcome, hour, minute in plan:
                visit_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                roll = rng.random()
                if roll < 0.05:
                    lat = lng = accuracy = distance = None
                    check, reason = Visit.LocationCheck.NO_LOCATION, "楼道内无信号"
                else:
                    far = roll > 0.97
                    spread = 0.004 if far else 0.0006
                    lat = round(resident.home_lat + rng.uniform(-spread, spread), 6)
                    lng = round(resident.home_lng + rng.uniform(-spread, spread), 6)
                    accuracy = float(rng.randint(5, 60))
                    distance = round(distance_m(lat, lng, resident.home_lat, resident.home_lng), 1)
                    check = (
                        Visit.LocationCheck.AWAY
                        if distance > settings.DAIBAN_VISIT_AWAY_METERS
                        else Visit.LocationCheck.NEAR_HOME
                    )
                    reason = ""
                at = local_datetime(day, hour, minute)
                visits.add(
                    (
                        visit_id,
                        resident.pk,
                        worker_id,
                        at,
                        outcome,
                        lat,
                        lng,
                        accuracy,
                        distance,
                        check,
                        reason,
                        rng.choice(("good", "good", "fair", "poor")) if outcome == "met" else "",
                        "",
                        "",
                        "[]",
                        "",
                        "",
                        visit_id.hex * 2,
                        0,  # the synthetic city's visits announce no photos
                        min(at + timedelta(minutes=20), now),
                        None,
                    )
                )
        self.progress.advance(len(batch))

    # --- errands, trips saved, complaints ---------------------------------------------------

    def build_errands(self, places: list[Place], people: list[tuple], total: int) -> int:
        rng = self.rng
        if not people or total < 1:
            return 0
        services = list(ServiceType.objects.filter(is_active=True).order_by("code"))
        if not services:
            raise CommandError("The service catalogue is empty; load it with: manage.py loaddata service_catalogue")
        branch_of: dict[int, int] = {}
        for window in ServiceWindow.objects.filter(branch__isnull=False).order_by("number"):
            branch_of.setdefault(window.department_id, window.branch_id)
        branch_names = dict(ServiceWindow.objects.values_list("branch_id", "branch__name"))
        street_user = self.logins[LOGINS["street"]]
        now = timezone.now()
        self.progress.start("errands", total)
        events = RowWriter(ErrandEvent, EVENT_FIELDS)
        numbers: set[str] = set()
        errands, trips = [], []
        for _ in range(total):
            resident_id, place_index, registered_on, until = people[rng.randrange(len(people))]
            place = places[place_index]
            first = max(registered_on, self.window_start)
            span = max((until - first).days, 0)
            requested = local_datetime(
                first + timedelta(days=rng.randint(0, span)), rng.randint(8, 17), rng.randint(0, 59)
            )
            requested = min(requested, now - timedelta(minutes=5))
            service = services[rng.randrange(len(services))]
            errand = Errand(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                resident_id=resident_id,
                service=service,
                source=rng.choice(["visit", "visit", "phone", "walk_in", "online"]),
                state=Errand.State.REQUESTED,
                requested_at=requested,
                due_on=due.errand_due_on(requested_at=requested, promised_days=service.promised_days),
                content_digest="",
                created_by_id=place.worker_id,
                progress_code="".join(rng.choice(codes.ALPHABET) for _ in range(codes.LENGTH)),
            )
            errand.content_digest = hashlib.sha256(errand.id.bytes).hexdigest()
            errand.number = self._errand_number(errand, numbers)
            point = place.points[service.lowest_tier]
            errand.holder_point = point
            errand.assignee_id = place.worker_id if service.lowest_tier == ServicePoint.Tier.GRID_POINT else None
            actor = errand.assignee_id or street_user.pk
            to_branch = rng.random() < 0.08 and service.department_id in branch_of
            if to_branch:  # sent straight up to the joint branch whose windows handle it
                errand.holder_point, errand.assignee_id = None, None
                errand.holder_branch_id = branch_of[service.department_id]
            for action, at, from_state, to_state in self._errand_history(errand, service, now, escalated=to_branch):
                from_holder, to_holder = point.name, point.name
                if action == "escalate":
                    to_holder = branch_names[errand.holder_branch_id]
                elif errand.holder_branch_id and action != "created":
                    from_holder = to_holder = branch_names[errand.holder_branch_id]
                events.add(
                    (
                        errand.id,
                        actor,
                        at,
                        action,
                        from_state,
                        to_state,
                        from_holder if action != "created" else "",
                        to_holder,
                        None,
                        "",
                    )
                )
            errands.append(errand)
            if errand.state == Errand.State.DELIVERED:
                trips.append(
                    TripsSaved(
                        resident_id=resident_id,
                        errand_id=errand.id,
                        trips=service.trips_saved,
                        recorded_on=timezone.localdate(errand.delivered_at),
                    )
                )
            if len(errands) >= 5000:
                self._flush_errands(errands, trips, events)
                errands, trips = [], []
        self._flush_errands(errands, trips, events)
        events.flush()
        return total

    def _errand_number(self, errand: Errand, taken: set[str]) -> str:
        day = timezone.localdate(errand.requested_at)
        for digits in (8, 11):
            number = f"DB{day:%y%m%d}-{errand.id.hex[:digits].upper()}"
            if number not in taken:
                taken.add(number)
                return number
        raise CommandError("Errand numbers collide; run again with another --seed.")

    def _errand_history(self, errand: Errand, service: ServiceType, now, escalated: bool) -> list[tuple]:
        """Walk the errand through its lifecycle as far as its age allows; returns the
        events (action, at, from, to) and leaves the errand in its final state."""
        rng = self.rng
        age = (now - errand.requested_at).total_seconds() / 86400
        # Turnaround in days: mostly within the promise, some late.
        turnaround = max(0.05, rng.lognormvariate(math.log(max(service.promised_days, 1) * 0.55), 0.6))
        stuck = rng.random() < 0.03
        cancelled = rng.random() < 0.04
        steps = [("created", 0.0, "", "requested")]
        if escalated:
            steps.append(("escalate", min(turnaround * 0.05, 0.2, age / 2), "requested", "requested"))
        accept_at = min(turnaround * 0.1, 0.5) + (0.2 if escalated else 0)
        plan = [
            ("accept", accept_at, "requested", "accepted"),
            ("start", accept_at + turnaround * 0.1, "accepted", "in_progress"),
        ]
        if rng.random() < 0.1:
            plan += [
                ("return", turnaround * 0.4, "in_progress", "needs_materials"),
                ("resume", turnaround * 0.7, "needs_materials", "in_progress"),
            ]
        plan.append(("complete", turnaround, "in_progress", "completed"))
        plan.append(("deliver", turnaround + rng.uniform(0.05, 2.0), "completed", "delivered"))
        for action, offset, from_state, to_state in plan:
            if offset >= age or (stuck and action in {"complete", "deliver"}):
                break
            if cancelled and action in {"start", "complete"}:
                steps.append(("cancel", offset, from_state, "cancelled"))
                break
            if action == "deliver" and rng.random() < 0.04:
                break  # done, not yet handed back
            steps.append((action, offset, from_state, to_state))
        events = [(action, errand.requested_at + timedelta(days=offset), frm, to) for action, offset, frm, to in steps]
        errand.state = steps[-1][3]
        last_at = events[-1][1]
        errand.completed_at = next((at for action, at, _frm, _to in events if action == "complete"), None)
        if errand.state == Errand.State.CANCELLED:
            errand.cancel_reason, errand.closed_at = "家属已自行办理", last_at
        if errand.state == Errand.State.DELIVERED:
            errand.delivered_via = rng.choice(["in_person", "in_person", "express", "pickup"])
            errand.delivered_at = errand.closed_at = last_at
            errand.satisfaction = rng.choices([None, 1, 2, 3, 4, 5], [10, 1, 2, 7, 25, 55])[0]
        if errand.state in {"completed", "delivered"} or errand.state == "cancelled":
            errand.materials_collected = list(service.materials)
        errand.version = len(events)
        return events

    def _flush_errands(self, errands: list[Errand], trips: list[TripsSaved], events: RowWriter) -> None:
        if not errands:
            return
        Errand.objects.bulk_create(errands, batch_size=2000)
        TripsSaved.objects.bulk_create(trips, batch_size=5000)
        events.flush()
        self.progress.advance(len(errands))

    def build_complaints(self) -> int:
        """A few "跑一次没办成" complaints a month at every street centre of the city."""
        rng = self.rng
        centres = list(ServicePoint.objects.filter(area__in=self.towns, tier=ServicePoint.Tier.STREET_CENTRE))
        departments = list(Department.objects.order_by("code"))
        branch_of: dict[int, int] = {}
        for window in ServiceWindow.objects.filter(branch__isnull=False).order_by("number"):
            branch_of.setdefault(window.department_id, window.branch_id)
        street_user = self.logins[LOGINS["street"]]
        months = max(1, (self.today - self.window_start).days // 30)
        complaints, numbers = [], set()
        now = timezone.now()
        for centre in centres:
            for _ in range(months * 3):
                registered = min(
                    local_datetime(
                        self.window_start + timedelta(days=rng.randint(0, months * 30)),
                        rng.randint(8, 17),
                        rng.randint(0, 59),
                    ),
                    now - timedelta(minutes=5),
                )
                department = departments[rng.randrange(len(departments))]
                on_spot = rng.random() < 0.6 or department.pk not in branch_of
                number = f"TS{timezone.localdate(registered):%y%m%d}-{rng.getrandbits(32):08X}"
                if number in numbers:
                    continue
                numbers.add(number)
                complaint = Complaint(
                    number=number,
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                    department=department,
                    what_happened="材料要求前后不一致，跑了两次",
                    trips=rng.choice([2, 2, 2, 3, 4]),
                    point=centre,
                    registered_by=street_user,
                    registered_at=registered,
                    handled_on_spot=on_spot,
                )
                if on_spot:
                    complaint.state, complaint.resolution = Complaint.State.CLOSED, "当场联系窗口办结"
                    complaint.resolved_by, complaint.resolved_at = street_user, registered
                else:
                    complaint.branch_id = branch_of[department.pk]
                    complaint.deadline = due.complaint_default_deadline(timezone.localdate(registered))
                    if complaint.deadline < self.today or rng.random() < 0.5:
                        complaint.state, complaint.resolution = Complaint.State.CLOSED, "窗口已回访并办结"
                        complaint.resolved_by = street_user
                        complaint.resolved_at = min(registered + timedelta(days=rng.uniform(0.5, 6)), now)
                complaints.append(complaint)
        Complaint.objects.bulk_create(complaints, batch_size=2000)
        return len(complaints)
