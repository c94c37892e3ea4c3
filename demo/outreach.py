"""Demo residents and six months of visit history in 稠城街道, so that Today has
overdue and due rows for the demo workers. Deterministic; a second run adds nothing."""

import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape
from stdnum.cn import ric

from demo import data
from grid.geo import distance_m, random_points_within
from grid.models import Area, Role, Scope, User
from outreach.common import crypto
from outreach.models import Category, Errand, Resident, Visit
from outreach.residents.services import VisitInput, resident_create, resident_refresh_due, visit_digest

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
    chosen: list[str] = []
    if age >= 80:
        chosen.append(Category.AGED_80)
    for category, share in [
        (Category.LIVING_ALONE, 0.3),
        (Category.DISABLED, 0.15),
        (Category.SERIOUS_ILLNESS, 0.1),
        (Category.LIMITED_MOBILITY, 0.2),
        (Category.MINIMUM_LIVING, 0.1),
        (Category.EXTREME_POVERTY, 0.03),
        (Category.EMPTY_NEST, 0.2),
        (Category.VETERAN, 0.05),
    ]:
        if rng.random() < share:
            chosen.append(category)
    if not chosen:
        chosen.append(Category.EMPTY_NEST)
    grade = rng.randint(1, 4) if Category.DISABLED in chosen else None
    return chosen, grade


def _care_level(categories: list[str], grade: int | None) -> str:
    if (
        Category.SERIOUS_ILLNESS in categories
        or (grade is not None and grade <= 2)
        or {Category.LIVING_ALONE, Category.AGED_80} <= set(categories)
    ):
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
        user, _ = User.objects.get_or_create(
            username=f"gw{grid.code}", defaults={"full_name": full_name, "password": password}
        )
        Scope.objects.get_or_create(user=user, role=Role.GRID_WORKER, area=grid)
        workers[grid.id] = user
    return workers


def _visit_plan(rng, resident: Resident, today: date, *, on_time: bool) -> list[tuple[date, str]]:
    """(day, outcome) of a resident's visits, all before today. A worker comes back a
    little before the care level's interval after meeting the resident, within a few
    days after finding nobody home. ``on_time``: the last meeting is within the
    interval today (the worker came by lately); otherwise the visits stopped more than
    an interval ago — the resident is overdue."""
    interval = {"A": 7, "B": 14, "C": 30}[resident.care_level]
    stop = today if on_time else today - timedelta(days=interval + rng.randint(1, interval))
    day = resident.registered_on + timedelta(days=rng.randint(0, interval))
    plan = []
    while day < stop:
        outcome = rng.choices(["met", "not_home", "refused", "in_hospital"], weights=[85, 10, 2, 3])[0]
        plan.append((day, outcome))
        gap = interval - rng.randint(0, max(1, interval // 5)) if outcome == "met" else rng.randint(1, 4)
        day += timedelta(days=max(1, gap))
    if on_time:
        met = [d for d, outcome in plan if outcome == "met"]
        if not met or met[-1] + timedelta(days=interval) < today:
            lately = today - timedelta(days=rng.randint(1, min(interval, 5)))
            if plan and plan[-1][0] >= lately:
                plan[-1] = (plan[-1][0], "met")  # that last call found them home
            else:
                plan.append((lately, "met"))
    return plan


def _visit_history(rng, resident: Resident, worker: User, today: date, *, on_time: bool) -> list[Visit]:
    visits = []
    for n, (day, outcome) in enumerate(_visit_plan(rng, resident, today, on_time=on_time)):
        at = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59))))
        lat = lng = accuracy = None
        if resident.has_home_location and rng.random() > 0.05:
            lat = resident.home_lat + rng.uniform(-0.0008, 0.0008)
            lng = resident.home_lng + rng.uniform(-0.0008, 0.0008)
            accuracy = float(rng.randint(5, 60))
        visit_input = VisitInput(
            visited_at=at,
            outcome=outcome,
            lat=lat,
            lng=lng,
            accuracy_m=accuracy,
            no_location_reason="" if lat else "楼道内无信号",
            health=rng.choice(["good", "good", "fair", "poor"]) if outcome == "met" else "",
            needs=rng.choice(["", "", "", "需要代办医保报销", "高龄津贴资格认证", "想办理居家养老服务"]),
        )
        distance = round(distance_m(lat, lng, resident.home_lat, resident.home_lng), 1) if lat else None
        visits.append(
            Visit(
                id=uuid.uuid5(VISIT_NAMESPACE, f"{resident.national_id_digest}:{n}"),
                resident=resident,
                worker=worker,
                visited_at=at,
                outcome=outcome,
                lat=lat,
                lng=lng,
                accuracy_m=accuracy,
                distance_m=distance,
                location_check=(
                    Visit.LocationCheck.NO_LOCATION
                    if lat is None
                    else Visit.LocationCheck.AWAY
                    if distance > 200
                    else Visit.LocationCheck.NEAR_HOME
                ),
                no_location_reason=visit_input.no_location_reason,
                health=visit_input.health,
                needs=visit_input.needs,
                content_digest=visit_digest(resident_id=resident.pk, data=visit_input),
            )
        )
    return visits


# Coverage of the demo street's communities this month: a working street, where most
# communities visit 75–95 % of their residents on time and a couple fall well behind
# (the red hotspots a street official should spot). Hotspots by their place among the
# street's communities in code order; the demo community is doing well, with enough
# residents overdue that its workers' Today has some.
COVERAGE_HOTSPOTS = {4: 0.45, 11: 0.55}
DEMO_COMMUNITY_COVERAGE = 0.82
COVERAGE_RANGE = (0.78, 0.96)


def _overdue_residents(town: Area) -> dict[int, set[int]]:
    """{community id: the indexes, in seeding order, of its residents left overdue}: at
    least one per community (nobody is perfect), the rest as the plan says."""
    rng = random.Random(SEED + 11)
    communities = list(Area.objects.filter(parent=town, level=Area.Level.COMMUNITY).order_by("code"))
    sizes: dict[int, int] = {c.pk: 0 for c in communities}
    for grid in Area.objects.filter(parent__in=communities, level=Area.Level.GRID):
        sizes[grid.parent_id] += RESIDENTS_PER_GRID.get(grid.name, RESIDENTS_PER_OTHER_GRID)
    chosen = {}
    for index, community in enumerate(communities):
        share = rng.uniform(*COVERAGE_RANGE)  # drawn for every community: the sequence stays the same
        if community.name == data.DEMO_COMMUNITY_NAME:
            share = DEMO_COMMUNITY_COVERAGE
        share = COVERAGE_HOTSPOTS.get(index, share)
        size = sizes[community.pk]
        behind = min(size, max(1, round(size * (1 - share))))
        chosen[community.pk] = set(random.Random(f"{SEED}:{community.code}").sample(range(size), behind))
    return chosen


@transaction.atomic
def seed_outreach() -> int:
    """Returns the number of residents created by this run."""
    rng = random.Random(SEED)
    today = timezone.localdate()
    town = Area.objects.get(name=data.TOWNS[0][1], level=Area.Level.TOWN)
    admin = User.objects.get(username="admin")
    workers = _grid_workers(town)
    existing = set(Resident.objects.values_list("national_id_digest", flat=True))
    overdue = _overdue_residents(town)
    seen: dict[int | None, int] = {}  # residents of each community so far, in seeding order
    created = 0
    for grid in Area.objects.filter(path__startswith=town.path, level=Area.Level.GRID).order_by("code"):
        count = RESIDENTS_PER_GRID.get(grid.name, RESIDENTS_PER_OTHER_GRID)
        homes = random_points_within(shape(grid.boundary), count, rng)
        community = grid.parent.name if grid.parent_id else ""
        for home in homes:
            index = seen[grid.parent_id] = seen.get(grid.parent_id, -1) + 1
            on_time = index not in overdue.get(grid.parent_id, set())
            male = rng.random() < 0.45
            born = date(rng.randint(1928, 1968), rng.randint(1, 12), rng.randint(1, 28))
            national_id = _national_id(rng, born, male)
            categories, grade = _categories(rng, today.year - born.year)
            care_level = _care_level(categories, grade)
            fields = {
                "name": rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES),
                "address": f"{community}{rng.choice(ROADS)}{rng.randint(1, 300)}号{rng.randint(1, 6)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}室",
                "phone": f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                "home_lat": round(home.y, 6),
                "home_lng": round(home.x, 6),
                "guardian_name": rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES),
                "guardian_phone": f"15{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                "guardian_relation": rng.choice(["儿子", "女儿", "侄子", "邻居"]),
                "consent_basis": rng.choice(["written", "written", "guardian", "statutory"]),
                "registered_on": today - timedelta(days=HISTORY_DAYS + rng.randint(0, 60)),
            }
            if not existing.isdisjoint(crypto.digests(national_id)):
                continue
            resident = resident_create(
                actor=admin,
                grid=grid,
                care_level=care_level,
                national_id=national_id,
                categories=categories,
                disability_grade=grade,
                **fields,
            )
            # its own generator, so skipping an existing resident leaves the sequence unchanged
            history = _visit_history(random.Random(national_id), resident, workers[grid.id], today, on_time=on_time)
            Visit.objects.bulk_create(history)
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


def _days_ago_at(days_ago: int, hour: int = 10) -> datetime:
    """A time of day ``days_ago`` days before today, never later than now."""
    at = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=days_ago), time(hour)))
    return min(at, timezone.now())


def _date_errand(errand_id, times: list[datetime]) -> None:
    """Give a seeded errand's timeline the times ``times`` (one per event, in order: the
    first is its creation, at its requested time) and its own dates the matching ones —
    completed, delivered, closed, the trips saved, its notices — so that what it says
    agrees with its number (made from the day it was requested) and with the day the
    demo runs, not with the minute it was seeded."""
    from outreach.models import Errand, ErrandEvent, Notification, TripsSaved

    events = list(ErrandEvent.objects.filter(errand_id=errand_id).order_by("at", "pk"))
    assert len(times) == len(events) and times == sorted(times), "one time per event, in order"
    for event, at in zip(events, times):
        ErrandEvent.objects.filter(pk=event.pk).update(at=at)
    last = {event.action: at for event, at in zip(events, times)}
    dates: dict[str, Any] = {"created_at": times[0]}
    if "complete" in last:
        dates["completed_at"] = last["complete"]
    if "deliver" in last:
        dates["delivered_at"] = dates["closed_at"] = last["deliver"]
        TripsSaved.objects.filter(errand_id=errand_id).update(recorded_on=timezone.localdate(last["deliver"]))
    if "cancel" in last:
        dates["closed_at"] = last["cancel"]
    Errand.objects.filter(pk=errand_id).update(**dates)
    Notification.objects.filter(errand_id=errand_id).update(created_at=times[-1])


def _spread(start: datetime, end: datetime, count: int) -> list[datetime]:
    """``count`` times from ``start``: the creation, then each step on a day a share of
    the way to ``end`` (excluded), in office hours (9:00, then 40 minutes later for each
    step, so that steps on one day stay in order), never after ``end``."""
    local = timezone.get_current_timezone()
    times = [start]
    for i in range(1, count):
        day = timezone.localdate(start + (end - start) * i / count)
        at = datetime.combine(day, time(9), tzinfo=local) + timedelta(minutes=40 * i)
        times.append(min(max(at, times[-1] + timedelta(minutes=5)), end - timedelta(minutes=5 * (count - i))))
    return times


def _steps_to_branch(errand) -> int:
    """Escalations from where an errand starts up to the joint branches."""
    order = ["grid_point", "community_station", "street_centre"]
    return len(order) - order.index(errand.holder_point.tier)


@transaction.atomic
def seed_errands() -> int:
    """Errands for the demo community's residents, walked through the real services."""
    from django.core.management import call_command

    from outreach.errands import services as errand_services
    from outreach.models import Errand, ErrandEvent, ServiceType

    call_command("loaddata", "service_catalogue", verbosity=0)
    users = {
        u.username: u for u in User.objects.filter(username__in=["worker", "worker2", "station", "street", "secretary"])
    }
    residents = list(Resident.objects.filter(grid__parent__name=data.DEMO_COMMUNITY_NAME).order_by("grid__code", "pk"))
    created = 0
    for index, (code, steps, days_ago) in enumerate(ERRAND_PLAN * 2):
        resident = residents[(index * 7) % len(residents)]
        errand_id = uuid.uuid5(ERRAND_NAMESPACE, f"{resident.national_id_digest}:{index}")
        if Errand.objects.filter(pk=errand_id).exists():
            continue
        worker = users["worker"] if resident.grid.name.endswith("第1网格") else users["worker2"]
        errand, _ = errand_services.errand_create(
            actor=worker,
            errand_id=errand_id,
            resident=resident,
            service=ServiceType.objects.get(code=code),
            source=["visit", "phone", "walk_in"][index % 3],
            description="",
            requested_at=_days_ago_at(days_ago + index % 2, hour=8 + index % 9),
        )
        # who takes each step: whoever holds the errand at that point of its way up
        steps = [
            s for step in steps for s in (["escalate"] * _steps_to_branch(errand) if step == "to_branch" else [step])
        ]
        for step in steps:
            holder = errand.holder_point.tier if errand.holder_point_id else "branch"
            actor = {
                "grid_point": worker,
                "community_station": users["station"],
                "street_centre": users["street"],
                "branch": users["secretary"],
            }[holder]
            if holder == "branch" and errand.holder_branch.secretary_id != actor.pk:
                break  # another branch's queue: the demo secretary cannot act there
            if step == "deliver":
                errand = errand_services.errand_deliver(
                    actor=actor,
                    errand=errand,
                    expected_version=errand.version,
                    via="in_person",
                    satisfaction=5 - index % 2,
                )
            else:
                if step == "complete":
                    errand = _materials_in(actor, errand)
                errand = errand_services.errand_transition(
                    actor=actor,
                    errand=errand,
                    action=step,
                    expected_version=errand.version,
                    note="需要上级窗口办理" if step == "escalate" else "缺少户口簿复印件" if step == "return" else "",
                    reason="家属已自行办理" if step == "cancel" else "",
                )
        # The steps were taken over the days since the request, the last one a while ago.
        count = ErrandEvent.objects.filter(errand_id=errand_id).count()
        _date_errand(errand_id, _spread(errand.requested_at, timezone.now() - timedelta(hours=2), count))
        created += 1
    return created


def _materials_in(actor: User, errand: Errand) -> Errand:
    """Tick the whole checklist, as the office does before it completes an errand."""
    from outreach.errands import services as errand_services

    for material in errand.service.materials:
        errand = errand_services.errand_set_material(actor=actor, errand=errand, material=material, collected=True)
    return errand


# --- the joint branches' workspace --------------------------------------------------------

BRANCH_NAMESPACE = uuid.UUID("5b3e1f0c-8a2d-4c1e-9f47-2b6d0e1a2026")
# Members of the demo secretary's branch (社会保障联合支部): party members at its windows.
# No password: they show the branch's people, liaisons and activity authors.
DEMO_BRANCH_MEMBERS = [("zb01-wujie", "吴洁"), ("zb01-loujianhua", "楼建华"), ("zb01-fuchunyan", "傅春燕")]
ACTIVITY_NOTES = [
    "在代办站开展政策宣讲，发放宣传资料",
    "现场解答群众咨询，演示掌上办理",
    "与代办员一起梳理常见疑难事项",
    "走访代办点，指导材料预审",
    "联合社区开展便民服务活动",
    "",
]
TOPICS_OTHER = ["", "", "", "养老保险待遇认证", "灵活就业参保", "医保异地备案"]


# (phone, registered days ago, deadline days ago (None: the default, ahead), answered days ago (None: open))
DEMO_COMPLAINTS = [
    ("13800001001", 1, None, None),  # open
    ("13800001002", 12, 4, None),  # open, past its deadline
    ("13800001003", 20, 13, 14),  # answered in time
    ("13800001004", 40, 33, 30),  # answered late
    ("13800001005", 9, 2, 5),  # answered in time
]


def _branch_activities(
    rng: random.Random,
    branch,
    point_ids: list[int],
    authors: list[User],
    today: date,
    *,
    count: int,
    span_days: int,
    neglected: set[int],
) -> list[dict]:
    """A branch's activity history: held ones over ``span_days``, the ``neglected``
    points left without any in the last DAIBAN_BRANCH_NEGLECT_DAYS + 30 days, every
    other point visited within them, and a few planned ones."""
    from django.conf import settings

    from outreach.models import ActivityTopic, BranchActivity

    quiet = settings.DAIBAN_BRANCH_NEGLECT_DAYS + 30
    kinds = BranchActivity.Kind.values
    plans: list[dict[str, Any]] = []

    def add(day: date, points: list[int], status: str = BranchActivity.Status.HELD) -> None:
        plans.append(
            {
                "kind": rng.choices(kinds, weights=[5, 3, 2])[0],
                "status": status,
                "held_on": day,
                "points": points,
                "people": rng.randint(8, 90) if status == BranchActivity.Status.HELD else 0,
                "topics": sorted(rng.sample(ActivityTopic.values, rng.randint(1, 3))),
                "other": rng.choice(TOPICS_OTHER),
                "notes": rng.choice(ACTIVITY_NOTES),
                "author": rng.choice(authors),
            }
        )

    for _ in range(count):
        days_ago = rng.randint(1, span_days)
        pool = point_ids if days_ago > quiet else [p for p in point_ids if p not in neglected]
        add(today - timedelta(days=days_ago), rng.sample(pool, min(len(pool), rng.randint(1, 3))))
    recent = {p for plan in plans if (today - plan["held_on"]).days <= quiet for p in plan["points"]}
    missing = [p for p in point_ids if p not in neglected and p not in recent]
    for start in range(0, len(missing), 3):  # the rest of the round of visits
        add(today - timedelta(days=rng.randint(1, 60)), missing[start : start + 3])
    for _ in range(4):
        add(today + timedelta(days=rng.randint(0, 30)), rng.sample(point_ids, 2), BranchActivity.Status.PLANNED)
    add(today - timedelta(days=rng.randint(2, 10)), rng.sample(point_ids, 1), BranchActivity.Status.PLANNED)
    return plans


def _store_activities(branch, plans: list[dict]) -> int:
    from outreach.branches.services import ActivityInput, activity_digest
    from outreach.models import BranchActivity, BranchActivityPoint

    existing = set(BranchActivity.objects.filter(branch=branch).values_list("pk", flat=True))
    activities, links = [], []
    for index, plan in enumerate(plans):
        activity_id = uuid.uuid5(BRANCH_NAMESPACE, f"activity:{branch.number}:{index}")
        if activity_id in existing:
            continue
        data = ActivityInput(
            kind=plan["kind"],
            status=plan["status"],
            held_on=plan["held_on"],
            point_ids=tuple(plan["points"]),
            people_reached=plan["people"],
            topics=tuple(plan["topics"]),
            topics_other=plan["other"],
            notes=plan["notes"],
        )
        activities.append(
            BranchActivity(
                id=activity_id,
                branch=branch,
                kind=data.kind,
                status=data.status,
                held_on=data.held_on,
                people_reached=data.people_reached,
                topics=list(data.topics),
                topics_other=data.topics_other,
                notes=data.notes,
                content_digest=activity_digest(branch_id=branch.pk, data=data),
                created_by=plan["author"],
                held_recorded_at=(
                    timezone.make_aware(datetime.combine(data.held_on, time(18)))
                    if data.status == BranchActivity.Status.HELD
                    else None
                ),
            )
        )
        links += [
            BranchActivityPoint(activity_id=activity_id, point_id=point_id) for point_id in sorted(set(plan["points"]))
        ]
    BranchActivity.objects.bulk_create(activities, batch_size=500)
    # Logged when it was held, or (planned) a fortnight ahead: not on the day of seeding.
    for activity in activities:
        ahead = timezone.make_aware(datetime.combine(activity.held_on - timedelta(days=14), time(9)))
        activity.created_at = activity.held_recorded_at or min(ahead, timezone.now())
    BranchActivity.objects.bulk_update(activities, ["created_at"], batch_size=500)
    BranchActivityPoint.objects.bulk_create(links, batch_size=1000)
    return len(activities)


def _branch_members(branch, secretary: User) -> list[User]:
    password = make_password(None)
    members = []
    for username, full_name in DEMO_BRANCH_MEMBERS:
        user, _created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name, "password": password}
        )
        Scope.objects.get_or_create(user=user, role=Role.BRANCH_MEMBER, branch=branch)
        members.append(user)
    return members


def _pairing_history(rng: random.Random, branch, people: list[User], today: date) -> None:
    """Liaisons for the demo branch's pairings, and a little history: three pairings
    ended last year, three new points paired instead. Done once."""
    from grid.models import Pairing, ServicePoint

    open_pairings = list(Pairing.objects.filter(branch=branch, until__isnull=True).order_by("point__area__path", "pk"))
    for index, pairing in enumerate(open_pairings):
        if pairing.liaison_id is None:
            person = people[index % len(people)]
            Pairing.objects.filter(pk=pairing.pk).update(liaison=person, liaison_name=person.display_name)
    if Pairing.objects.filter(branch=branch, until__isnull=False).exists():
        return
    ending = open_pairings[-3:]
    paired = set(Pairing.objects.filter(branch=branch).values_list("point_id", flat=True))
    fresh = [
        p
        for p in ServicePoint.objects.filter(tier=ServicePoint.Tier.COMMUNITY_STATION)
        .order_by("area__path")
        .values_list("pk", flat=True)
        if p not in paired
    ][:3]
    for pairing, point_id in zip(ending, fresh):
        until = today - timedelta(days=rng.randint(120, 300))
        Pairing.objects.filter(pk=pairing.pk).update(until=max(until, pairing.since))
        person = people[point_id % len(people)]
        Pairing.objects.create(
            branch=branch, point_id=point_id, since=until, liaison=person, liaison_name=person.display_name
        )


def _branch_complaints(branch, street: User, secretary: User, today: date) -> None:
    """Complaints from the 稠城街道 centre's "跑一次没办成" window assigned to the demo
    branch, some answered in time, one late, one past its deadline, through the
    complaint services; their dates are then moved into the past."""
    from grid.models import ServicePoint, ServiceWindow
    from outreach.complaints.services import complaint_register, complaint_resolve
    from outreach.models import Complaint, Notification

    town = Area.objects.get(name=data.TOWNS[0][1], level=Area.Level.TOWN)
    centre = ServicePoint.objects.select_related("area").get(tier=ServicePoint.Tier.STREET_CENTRE, area=town)
    communities = list(town.children.order_by("code"))
    departments = [
        w.department
        for w in ServiceWindow.objects.filter(branch=branch).select_related("department").order_by("number")
    ]
    known = set(Complaint.objects.filter(phone__in=[c[0] for c in DEMO_COMPLAINTS]).values_list("phone", flat=True))
    rng = random.Random(SEED + 7)
    for index, (phone, registered_ago, deadline_ago, resolved_ago) in enumerate(DEMO_COMPLAINTS):
        name = rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES)
        if phone in known:
            continue
        registered_at = _days_ago_at(registered_ago, hour=9)
        complaint = complaint_register(
            actor=street,
            point=centre,
            area=communities[index * 3 % len(communities)],
            registered_at=registered_at,
            name=name,
            phone=phone,
            service=None,
            department=departments[index * 4 % len(departments)],
            what_happened="办理社保关系转移，窗口要求补交材料，已往返多次仍未办成",
            trips=2 + index % 3,
            handled_on_spot=False,
        )
        if resolved_ago is not None:
            complaint = complaint_resolve(
                actor=secretary,
                complaint=complaint,
                expected_version=complaint.version,
                resolution="支部协调窗口开辟绿色通道，已电话告知办理结果",
            )
        deadline = today - timedelta(days=deadline_ago) if deadline_ago is not None else complaint.deadline
        Complaint.objects.filter(pk=complaint.pk).update(
            deadline=deadline,
            resolved_at=_days_ago_at(resolved_ago, hour=16) if resolved_ago is not None else None,
        )
        Notification.objects.filter(complaint=complaint).update(created_at=registered_at)


# (service, requested days ago, reached the branch after … days, completed after … days or None, delivered)
BRANCH_ERRANDS = [
    ("SB-SL", 40, 3, 9, True),
    ("YL-SL", 30, 2, 6, True),
    ("SB-SZ", 24, 1, 13, False),  # completed after its ten promised days
    ("SB-BH", 8, 1, 4, False),
    ("YL-SL", 6, 1, None, False),  # with a member now
]


def _branch_errands(branch, members: list[User]) -> None:
    """Errands that climbed to the demo branch and were resolved there (or are being),
    walked through the errand services; their timelines are then spread over the days
    they took, so the monthly report has resolution times to show."""
    from outreach.errands import services as errand_services
    from outreach.models import Errand, ErrandEvent, ServiceType

    users = {
        u.username: u for u in User.objects.filter(username__in=["worker", "worker2", "station", "street", "secretary"])
    }
    residents = list(Resident.objects.filter(grid__parent__name=data.DEMO_COMMUNITY_NAME).order_by("grid__code", "pk"))
    now = timezone.now()
    for index, (code, days_ago, arrive_after, complete_after, delivered) in enumerate(BRANCH_ERRANDS):
        errand_id = uuid.uuid5(BRANCH_NAMESPACE, f"errand:{index}")
        if Errand.objects.filter(pk=errand_id).exists():
            continue
        resident = residents[(index * 11 + 3) % len(residents)]
        worker = users["worker"] if resident.grid.name.endswith("第1网格") else users["worker2"]
        requested_at = now - timedelta(days=days_ago)
        errand, _created = errand_services.errand_create(
            actor=worker,
            errand_id=errand_id,
            resident=resident,
            service=ServiceType.objects.get(code=code),
            source="visit",
            requested_at=requested_at,
        )
        while errand.holder_point_id:
            actor = {"grid_point": worker, "community_station": users["station"], "street_centre": users["street"]}[
                errand.holder_point.tier
            ]
            errand = errand_services.errand_transition(
                actor=actor,
                errand=errand,
                action="escalate",
                expected_version=errand.version,
                note="需要支部协调窗口办理",
            )
        if errand.holder_branch_id != branch.pk:
            continue
        secretary = users["secretary"]
        if complete_after is None:
            errand_services.errand_assign(
                actor=secretary,
                errand=errand,
                assignee=members[index % len(members)],
                expected_version=errand.version,
                note="请跟进窗口办理进度",
            )
        else:
            for action in ("accept", "start", "complete"):
                if action == "complete":
                    errand = _materials_in(secretary, errand)
                errand = errand_services.errand_transition(
                    actor=secretary, errand=errand, action=action, expected_version=errand.version
                )
            if delivered:
                errand_services.errand_deliver(
                    actor=secretary, errand=errand, expected_version=errand.version, via="in_person", satisfaction=5
                )
        # Spread the timeline: created, escalated, reached the branch, handled, completed, delivered.
        events = list(ErrandEvent.objects.filter(errand_id=errand_id).order_by("at", "pk"))
        arrival = next(i for i, e in enumerate(events) if e.to_holder == branch.name and e.from_holder != branch.name)
        times = []
        for i, event in enumerate(events):
            if i < arrival:
                at = requested_at + timedelta(hours=6 * i)
            elif event.action in ("complete", "deliver") and complete_after is not None:
                at = requested_at + timedelta(days=complete_after + (1 if event.action == "deliver" else 0))
            else:
                at = requested_at + timedelta(days=arrive_after, hours=i - arrival)
            times.append(at)
        _date_errand(errand_id, times)


@transaction.atomic
def seed_branches() -> int:
    """The demo secretary's branch gets members, liaisons, pairing history, a year of
    activities (some points left neglected) and complaints in its queue; the other
    branches a few months of activities. Returns the number of activities created."""
    from grid.models import JointBranch, Pairing

    today = timezone.localdate()
    rng = random.Random(SEED + 5)
    secretary = User.objects.get(username="secretary")
    created = 0
    for branch in JointBranch.objects.order_by("number"):
        demo = branch.number == 1
        authors = [branch.secretary] if branch.secretary_id else []
        if demo:
            members = _branch_members(branch, secretary)
            authors = [secretary, *members]
            _pairing_history(rng, branch, authors, today)
        authors = authors or [User.objects.get(username="admin")]
        point_ids = sorted(Pairing.objects.filter(branch=branch, until__isnull=True).values_list("point_id", flat=True))
        if not point_ids:
            continue
        branch_rng = random.Random(f"{SEED}:{branch.number}")
        neglected = set(branch_rng.sample(point_ids, 12 if demo else 25))
        plans = _branch_activities(
            branch_rng,
            branch,
            point_ids,
            authors,
            today,
            count=160 if demo else 40,
            span_days=365 if demo else 150,
            neglected=neglected,
        )
        created += _store_activities(branch, plans)
        if demo:
            _branch_errands(branch, members)
            _branch_complaints(branch, User.objects.get(username="street"), secretary, today)
    return created


COMPLAINT_PLAN = [
    # (name, service code, what happened, trips, on the spot, registered days ago,
    #  the community the person lives in: its place among the street's communities, or None)
    ("楼秀英", "YL-SL", "第一次少带户口簿，第二次窗口说要社区证明", 3, False, 2, 0),
    ("陈国平", "SB-BH", "社保卡补办两次都说系统维护", 2, True, 6, 4),
    ("吴美华", "MZ-GL", "高龄津贴材料来回补了两次", 2, False, 3, 4),
    ("何建华", "BDC-DY", "抵押登记预约后窗口不受理", 2, True, 15, None),  # from outside the street
]


@transaction.atomic
def seed_complaints() -> int:
    """A few "跑一次没办成" complaints registered at the demo street centre, some sent to
    the demo branch. Keyed by name: a second run adds none."""
    from outreach.complaints.services import complaint_register
    from outreach.models import Complaint, Notification, ServiceType

    street = User.objects.get(username="street")
    town = Area.objects.get(name=data.TOWNS[0][1], level=Area.Level.TOWN)
    point = town.service_points.select_related("area").get(tier="street_centre")
    communities = list(town.children.order_by("code"))
    existing = set(Complaint.objects.values_list("name", flat=True))
    created = 0
    for index, (name, code, what, trips, on_spot, days_ago, lives_in) in enumerate(COMPLAINT_PLAN):
        if name in existing:
            continue
        complaint = complaint_register(
            actor=street,
            point=point,
            area=communities[lives_in] if lives_in is not None else None,
            registered_at=_days_ago_at(days_ago),
            name=name,
            phone=f"1390579{index:04d}",
            service=ServiceType.objects.get(code=code),
            department=None,
            what_happened=what,
            trips=trips,
            handled_on_spot=on_spot,
            resolution="现场协调窗口当场办结" if on_spot else "",
        )
        Notification.objects.filter(complaint=complaint).update(created_at=complaint.registered_at)
        created += 1
    return created
