"""Crafted data of the reporting tests (the dashboard and its exports read the same)."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from grid.models import Department, ServicePoint
from outreach.complaints import services as complaint_services
from outreach.errands import services as errand_services
from outreach.models import Errand
from tests import factories

DAY = timedelta(days=1)


@pytest.fixture
def crafted(demo_users, catalogue):
    """In 稠城街道: 绣湖社区 (r1 in grid 1, r2 in grid 2) and one other community (r3).

    visits in the period: r1 met by worker, r1 not home (admin), r2 not home (worker2),
    r3 met (admin) → 绣湖 3 visits, other 1; on time r1 and r3 (r2 never met) → 2 of 3.
    errands: e1 r1 requested 3 days ago, completed after 2 days, delivered (5 stars, one
    trip saved); e2 r2 requested 20 days ago, still open → overdue; e3 r3 requested a day
    ago, completed after 1 day; e4 r1 requested 2 days ago, escalated to the demo joint
    branch (社会保障联合支部). complaints at 稠城街道代办中心: one on the spot, one to the branch.
    """
    admin, worker, worker2 = demo_users["admin"], demo_users["worker"], demo_users["worker2"]
    street, station, secretary = demo_users["street"], demo_users["station"], demo_users["secretary"]
    r1 = factories.resident(actor=admin, name="甲", registered_days_ago=100, care_level="C")
    r2 = factories.resident(
        actor=admin, grid_name="绣湖社区第2网格", name="乙", registered_days_ago=100, care_level="C"
    )
    r3 = factories.resident(
        actor=admin,
        grid_name=factories.other_grid(same_town=True).name,
        name="丙",
        registered_days_ago=100,
        care_level="C",
    )
    factories.visit(actor=worker, resident=r1)
    factories.visit(actor=admin, resident=r1, outcome="not_home", ago=timedelta(hours=2))
    factories.visit(actor=worker2, resident=r2, outcome="not_home")
    factories.visit(actor=admin, resident=r3, ago=2 * DAY)

    e1 = factories.errand_complete(
        errand=factories.errand(actor=worker, resident=r1, code="YB-CB", source="visit", ago=3 * DAY),
        actor=worker,
        after=2 * DAY,
    )
    e1 = errand_services.errand_deliver(
        actor=worker, errand=Errand.objects.get(pk=e1.pk), expected_version=e1.version, via="in_person", satisfaction=5
    )
    e2 = factories.errand(actor=worker2, resident=r2, code="MZ-GL", source="visit", ago=20 * DAY)
    e3 = factories.errand_complete(
        errand=factories.errand(actor=admin, resident=r3, code="YL-RZ", source="visit", ago=DAY), actor=admin, after=DAY
    )
    e4 = factories.errand(
        actor=worker, resident=r1, code="SB-SZ", source="visit", ago=2 * DAY
    )  # held at the community station
    e4 = factories.errand_act(errand=e4, action="escalate", actor=station)
    e4 = factories.errand_act(errand=e4, action="escalate", actor=street)
    assert e4.holder_branch.secretary_id == secretary.pk

    centre = ServicePoint.objects.get(name="稠城街道代办中心")
    department = Department.objects.get(name="社会保险事业管理中心")
    for on_spot in (True, False):
        complaint_services.complaint_register(
            actor=street,
            point=centre,
            name="来访人",
            phone="13800000000",
            service=None,
            department=department,
            what_happened="跑了两次",
            trips=2,
            handled_on_spot=on_spot,
            resolution="当场办结" if on_spot else "",
        )
    return {"r1": r1, "r2": r2, "r3": r3, "e1": e1, "e2": e2, "e3": e3, "e4": e4}


@pytest.fixture
def grow(demo_users, catalogue) -> Callable[[int], None]:
    def more(count: int) -> None:
        """More of everything, in several grids and communities: residents, visits, errands
        (open, completed, delivered), complaints."""
        admin, worker, street = demo_users["admin"], demo_users["worker"], demo_users["street"]
        grids = [
            "绣湖社区第1网格",
            "绣湖社区第2网格",
            factories.other_grid(same_town=True).name,
            factories.other_grid(same_town=False).name,
        ]
        centre = ServicePoint.objects.get(name="稠城街道代办中心")
        for i in range(count):
            r = factories.resident(actor=admin, grid_name=grids[i % len(grids)], name=f"加{i}", registered_days_ago=50)
            factories.visit(actor=worker if i % 4 == 0 else admin, resident=r, ago=timedelta(days=i % 5, hours=1))
            e = factories.errand(
                actor=worker if i % 4 == 0 else admin,
                resident=r,
                code="YB-CB",
                source="visit",
                ago=timedelta(days=i % 6, hours=2),
            )
            if i % 2:
                e = factories.errand_complete(errand=e, actor=admin, after=timedelta(hours=5 + i))
                errand_services.errand_deliver(
                    actor=admin,
                    errand=Errand.objects.get(pk=e.pk),
                    expected_version=e.version,
                    via="express",
                    satisfaction=4,
                )
            complaint_services.complaint_register(
                actor=street,
                point=centre,
                name=f"来访{i}",
                phone="13800000001",
                service=None,
                department=Department.objects.get(name="民政局"),
                what_happened="跑了两次",
                trips=3,
                handled_on_spot=bool(i % 2),
                resolution="当场办结" if i % 2 else "",
            )

    return more
