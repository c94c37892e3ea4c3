"""Demo residents and six months of visit history in 稠城街道, so that Today has
overdue and due rows for the demo workers. Deterministic; a second run adds nothing."""

import random
import uuid
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape
from stdnum.cn import ric

from grid import demo_data as data
from grid.geo import distance_m, random_points_within
from grid.models import Area, Role, Scope, User
from outreach import crypto
from outreach.models import Category, Resident, Visit
from outreach.services import VisitInput, resident_create, resident_refresh_due, visit_digest

SEED = 3307820
HISTORY_DAYS = 183
RESIDENTS_PER_GRID = {"绣湖社区第1网格": 40, "绣湖社区第2网格": 35}
RESIDENTS_PER_OTHER_GRID = 4
ROADS = ["工人路", "稠州路", "县前街", "朝阳路", "绣湖路", "宾王路", "江滨路", "丹溪路", "城中路", "环城路"]
VISIT_NAMESPACE = uuid.UUID("6f1b8a52-5d1e-4c36-9a63-7d4f0c0d2026")


def _national_id(rng: random.Random, born: date, male: bool) -> str:
    sequence = rng.randrange(0, 499) * 2 + (1 if male else 0)
    body = f"330782{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit


def _categories(rng: random.Random, age: int) -> tuple[list[str], int | None]:
    chosen = []
    if age >= 80:
        chosen.append(Category.AGED_80)
    for category, share in [(Category.LIVING_ALONE, .3), (Category.DISABLED, .15), (Category.SERIOUS_ILLNESS, .1),
                            (Category.LIMITED_MOBILITY, .2), (Category.MINIMUM_LIVING, .1),
                            (Category.EXTREME_POVERTY, .03), (Category.EMPTY_NEST, .2), (Category.VETERAN, .05)]:
        if rng.random() < share:
            chosen.append(category)
    if not chosen:
        chosen.append(Category.EMPTY_NEST)
    grade = rng.randint(1, 4) if Category.DISABLED in chosen else None
    return chosen, grade


def _care_level(categories: list[str], grade: int | None) -> str:
    if Category.SERIOUS_ILLNESS in categories or (grade is not None and grade <= 2) or \
            {Category.LIVING_ALONE, Category.AGED_80} <= set(categories):
        return "A"
    if Category.AGED_80 in categories or Category.LIMITED_MOBILITY in categories:
        return "B"
    return "C"


def _grid_workers(town: Area) -> dict[int, User]:
    """The demo workers for their grids; other grids get a named worker without a login."""
    workers = {s.area_id: s.user for s in Scope.objects.filter(role=Role.GRID_WORKER).select_related("user")}
    password = make_password(None)
    rng = random.Random(SEED - 1)
    for grid in Area.objects.filter(path__startswith=town.path, level=Area.Level.GRID).order_by("code"):
        full_name = rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES)
        if grid.id in workers:
            continue
        user, _ = User.objects.get_or_create(username=f"gw{grid.code}", defaults={"full_name": full_name, "password": password})
        Scope.objects.get_or_create(user=user, role=Role.GRID_WORKER, area=grid)
        workers[grid.id] = user
    return workers


def _visit_history(rng, resident: Resident, worker: User, today: date) -> list[Visit]:
    interval = {"A": 7, "B": 14, "C": 30}[resident.care_level]
    visits = []
    day = resident.registered_on + timedelta(days=rng.randint(0, interval))
    # Some residents fall behind: the last stretch of their history stops early.
    stop = today - timedelta(days=rng.choice([0, 0, 0, 1, 3, interval, interval + 5, 2 * interval]))
    n = 0
    while day < stop:
        outcome = rng.choices(["met", "not_home", "refused", "in_hospital"], weights=[85, 10, 2, 3])[0]
        at = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59))))
        lat = lng = accuracy = None
        if resident.has_home_location and rng.random() > .05:
            lat = resident.home_lat + rng.uniform(-0.0008, 0.0008)
            lng = resident.home_lng + rng.uniform(-0.0008, 0.0008)
            accuracy = float(rng.randint(5, 60))
        visit_input = VisitInput(visited_at=at, outcome=outcome, lat=lat, lng=lng, accuracy_m=accuracy,
                                 no_location_reason="" if lat else "楼道内无信号",
                                 health=rng.choice(["good", "good", "fair", "poor"]) if outcome == "met" else "",
                                 needs=rng.choice(["", "", "", "需要代办医保报销", "高龄津贴资格认证", "想办理居家养老服务"]))
        distance = round(distance_m(lat, lng, resident.home_lat, resident.home_lng), 1) if lat else None
        visits.append(Visit(
            id=uuid.uuid5(VISIT_NAMESPACE, f"{resident.national_id_digest}:{n}"), resident=resident, worker=worker,
            visited_at=at, outcome=outcome, lat=lat, lng=lng, accuracy_m=accuracy, distance_m=distance,
            location_check=(Visit.LocationCheck.NO_LOCATION if lat is None
                            else Visit.LocationCheck.AWAY if distance > 200 else Visit.LocationCheck.NEAR_HOME),
            no_location_reason=visit_input.no_location_reason, health=visit_input.health, needs=visit_input.needs,
            content_digest=visit_digest(resident_id=resident.pk, data=visit_input),
        ))
        n += 1
        day += timedelta(days=max(1, interval + rng.randint(-2, interval // 2) if outcome == "met" else rng.randint(1, 4)))
    return visits


@transaction.atomic
def seed_outreach() -> int:
    """Returns the number of residents created by this run."""
    rng = random.Random(SEED)
    today = timezone.localdate()
    town = Area.objects.get(name=data.TOWNS[0][1], level=Area.Level.TOWN)
    admin = User.objects.get(username="admin")
    workers = _grid_workers(town)
    existing = set(Resident.objects.values_list("national_id_digest", flat=True))
    created = 0
    for grid in Area.objects.filter(path__startswith=town.path, level=Area.Level.GRID).order_by("code"):
        count = RESIDENTS_PER_GRID.get(grid.name, RESIDENTS_PER_OTHER_GRID)
        homes = random_points_within(shape(grid.boundary), count, rng)
        community = grid.parent.name if grid.parent_id else ""
        for home in homes:
            male = rng.random() < .45
            born = date(rng.randint(1928, 1968), rng.randint(1, 12), rng.randint(1, 28))
            national_id = _national_id(rng, born, male)
            categories, grade = _categories(rng, today.year - born.year)
            care_level = _care_level(categories, grade)
            fields = dict(
                name=rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES),
                address=f"{community}{rng.choice(ROADS)}{rng.randint(1, 300)}号{rng.randint(1, 6)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}室",
                phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                home_lat=round(home.y, 6), home_lng=round(home.x, 6),
                guardian_name=rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES),
                guardian_phone=f"15{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                guardian_relation=rng.choice(["儿子", "女儿", "侄子", "邻居"]),
                consent_basis=rng.choice(["written", "written", "guardian", "statutory"]),
                registered_on=today - timedelta(days=HISTORY_DAYS + rng.randint(0, 60)),
            )
            if crypto.digest(national_id) in existing:
                continue
            resident = resident_create(actor=admin, grid=grid, care_level=care_level, national_id=national_id,
                                       categories=categories, disability_grade=grade, **fields)
            # its own generator, so skipping an existing resident leaves the sequence unchanged
            Visit.objects.bulk_create(_visit_history(random.Random(national_id), resident, workers[grid.id], today))
            resident_refresh_due(resident=resident)
            created += 1
    return created



ERRAND_NAMESPACE = uuid.UUID("0c9d3a57-2f9e-4f57-8d71-6a1f4e2b2026")
# (service code, steps after creation, days ago requested, who escalates) — every state,
# some overdue, some on their way up to the joint branches.
ERRAND_PLAN = [
    ("MZ-GL", [], 1),
    ("YB-CB", ["accept"], 2),
    ("YL-RZ", ["accept", "start"], 3),
    ("CL-HL", ["accept", "start", "return"], 20),
    ("YB-ZW", ["accept", "start", "complete"], 4),
    ("MZ-YD", ["accept", "start", "complete", "deliver"], 9),
    ("SB-BH", ["cancel"], 6),
    ("GJJ-TQ", ["escalate"], 5),
    ("MZ-DB", ["escalate", "accept"], 40),
    ("SB-SL", ["to_branch"], 12),
    ("YL-SL", ["to_branch", "accept"], 25),
    ("SB-SZ", ["to_branch"], 2),
    ("YB-LX", ["accept", "start"], 35),
]


def _steps_to_branch(errand) -> int:
    """Escalations from where an errand starts up to the joint branches."""
    order = ["grid_point", "community_station", "street_centre"]
    return len(order) - order.index(errand.holder_point.tier)


@transaction.atomic
def seed_errands() -> int:
    """Errands for the demo community's residents, walked through the real services."""
    from django.core.management import call_command

    from outreach import errand_services
    from outreach.models import Errand, ServiceType

    call_command("loaddata", "service_catalogue", verbosity=0)
    users = {u.username: u for u in User.objects.filter(username__in=["worker", "worker2", "station", "street", "secretary"])}
    residents = list(Resident.objects.filter(grid__parent__name=data.DEMO_COMMUNITY_NAME).order_by("grid__code", "pk"))
    created = 0
    for index, (code, steps, days_ago) in enumerate(ERRAND_PLAN * 2):
        resident = residents[(index * 7) % len(residents)]
        errand_id = uuid.uuid5(ERRAND_NAMESPACE, f"{resident.national_id_digest}:{index}")
        if Errand.objects.filter(pk=errand_id).exists():
            continue
        worker = users["worker"] if resident.grid.name.endswith("第1网格") else users["worker2"]
        errand, _ = errand_services.errand_create(
            actor=worker, errand_id=errand_id, resident=resident, service=ServiceType.objects.get(code=code),
            source=["visit", "phone", "walk_in"][index % 3], description="",
            requested_at=timezone.now() - timedelta(days=days_ago + index % 2),
        )
        # who takes each step: whoever holds the errand at that point of its way up
        steps = [s for step in steps for s in (["escalate"] * _steps_to_branch(errand) if step == "to_branch" else [step])]
        for step in steps:
            holder = errand.holder_point.tier if errand.holder_point_id else "branch"
            actor = {"grid_point": worker, "community_station": users["station"], "street_centre": users["street"],
                     "branch": users["secretary"]}[holder]
            if holder == "branch" and errand.holder_branch.secretary_id != actor.pk:
                break  # another branch's queue: the demo secretary cannot act there
            if step == "deliver":
                errand = errand_services.errand_deliver(actor=actor, errand=errand, expected_version=errand.version,
                                                        via="in_person", satisfaction=5 - index % 2)
            else:
                errand = errand_services.errand_transition(
                    actor=actor, errand=errand, action=step, expected_version=errand.version,
                    note="需要上级窗口办理" if step == "escalate" else "缺少户口簿复印件" if step == "return" else "",
                    reason="家属已自行办理" if step == "cancel" else "",
                )
        created += 1
    return created
