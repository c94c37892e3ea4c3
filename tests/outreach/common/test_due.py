"""The one definition of due and overdue (outreach.common.due), on histories built through the
services, and the database filters every list uses agreeing with it."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from grid.models import Area
from outreach.common import due
from outreach.common.due import Due, days_overdue, due_bucket, due_by_end_of_week_q, due_q, is_overdue
from outreach.models import Resident, Visit
from outreach.residents import selectors, services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def make_resident(grid1, demo_users, today):
    """A resident registered ``registered_days_ago`` days ago (default: a month and a half)."""

    def make(name: str = "王阿婆", *, care_level: str = "A", registered_days_ago: int = 45, **fields) -> Resident:
        return services.resident_create(
            actor=demo_users["admin"],
            grid=fields.pop("grid", grid1),
            name=name,
            address="绣湖路12号",
            consent_basis="written",
            care_level=care_level,
            registered_on=today - timedelta(days=registered_days_ago),
            **fields,
        )

    return make


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An aware time on a local (Asia/Shanghai) calendar day."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def visit(
    resident, worker, *, days_ago: int | None = None, at: datetime | None = None, outcome: str = Visit.Outcome.MET
) -> Visit:
    if at is None:
        today = timezone.localdate()
        at = timezone.now() - timedelta(minutes=1) if days_ago == 0 else local(today - timedelta(days=days_ago))
    return factories.visit(actor=worker, resident=resident, at=at, outcome=outcome, no_location_reason="GPS off")


def stored(resident) -> Resident:
    return Resident.objects.get(pk=resident.pk)


def pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


# --- the definition ---------------------------------------------------------------------------


def test_never_visited_is_due_since_registration_and_overdue_the_next_day(make_resident, today):
    registered_today = make_resident("今天登记", registered_days_ago=0)
    registered_yesterday = make_resident("昨天登记", registered_days_ago=1)

    assert registered_today.last_met_on is None and registered_today.due_on == today
    assert due_bucket(registered_today.due_on, today) == Due.TODAY
    assert not is_overdue(registered_today.due_on, today)
    assert is_overdue(registered_today.due_on, today + timedelta(days=1))

    assert stored(registered_yesterday).due_on == today - timedelta(days=1)
    assert due_bucket(registered_yesterday.due_on, today) == Due.OVERDUE
    assert days_overdue(registered_yesterday.due_on, today) == 1


@pytest.mark.parametrize(("care_level", "interval"), [("A", 7), ("B", 14), ("C", 30)])
def test_a_met_visit_resets_the_clock_by_the_care_levels_interval(make_resident, worker, today, care_level, interval):
    resident = make_resident(care_level=care_level)
    assert stored(resident).due_on == today - timedelta(days=45)  # never met: long overdue

    visit(resident, worker, days_ago=3)
    resident = stored(resident)
    assert resident.last_met_on == today - timedelta(days=3)
    assert resident.due_on == today - timedelta(days=3) + timedelta(days=interval)
    assert resident.due_on == due.due_on_for(
        last_met_on=resident.last_met_on, registered_on=resident.registered_on, care_level=care_level
    )


def test_the_intervals_come_from_the_settings(make_resident, worker, today, settings):
    settings.DAIBAN_CARE_INTERVAL_DAYS = {"A": 3, "B": 10, "C": 60}
    residents = {level: make_resident(f"{level}级", care_level=level) for level in "ABC"}
    for resident in residents.values():
        visit(resident, worker, days_ago=2)
    assert {level: stored(r).due_on - today for level, r in residents.items()} == {
        "A": timedelta(days=1),
        "B": timedelta(days=8),
        "C": timedelta(days=58),
    }
    assert due.care_interval_days("A") == 3


def test_a_later_met_visit_moves_the_due_date_and_an_older_one_sent_late_does_not(make_resident, worker, today):
    resident = make_resident(care_level="B")
    visit(resident, worker, days_ago=2)
    visit(resident, worker, days_ago=9)  # an older visit synced late from the phone's outbox
    assert stored(resident).due_on == today + timedelta(days=12)


@pytest.mark.parametrize("outcome", [Visit.Outcome.NOT_HOME, Visit.Outcome.REFUSED, Visit.Outcome.IN_HOSPITAL])
def test_an_attempt_without_meeting_the_resident_does_not_reset_the_clock(make_resident, worker, today, outcome):
    never_met = make_resident("从未见到", registered_days_ago=20)
    visit(never_met, worker, days_ago=0, outcome=outcome)
    assert (stored(never_met).last_met_on, stored(never_met).due_on) == (None, today - timedelta(days=20))

    met_before = make_resident("十天前见过")
    visit(met_before, worker, days_ago=10)
    visit(met_before, worker, days_ago=0, outcome=outcome)
    assert stored(met_before).last_met_on == today - timedelta(days=10)
    assert stored(met_before).due_on == today - timedelta(days=3)
    assert due_bucket(stored(met_before).due_on, today) == Due.OVERDUE


def test_the_local_date_of_a_late_evening_visit_counts(make_resident, worker, today):
    """23:30 in Shanghai is 15:30 UTC the same day; 00:30 in Shanghai is still the
    previous day in UTC. Either way the worker's calendar day is what counts."""
    late = make_resident("晚上见", care_level="A")
    late_at = local(today - timedelta(days=2), 23, 30)
    assert late_at.astimezone(UTC).time() == time(15, 30)
    visit(late, worker, at=late_at)
    assert stored(late).last_met_on == today - timedelta(days=2)
    assert stored(late).due_on == today + timedelta(days=5)

    early = make_resident("凌晨见", care_level="A")
    early_at = local(today - timedelta(days=1), 0, 30)
    assert early_at.astimezone(UTC).date() == today - timedelta(days=2)
    visit(early, worker, at=early_at)
    assert stored(early).last_met_on == today - timedelta(days=1)
    assert stored(early).due_on == today + timedelta(days=6)


@pytest.mark.parametrize(
    ("met_days_ago", "bucket", "overdue_by"),
    [
        (8, Due.OVERDUE, 1),  # due yesterday
        (7, Due.TODAY, 0),  # due today: not overdue
        (6, Due.WEEK, 0),  # due tomorrow
        (1, Due.WEEK, 0),  # due in 6 days: still this week
        (0, Due.LATER, 0),  # due in 7 days: later
    ],
)
def test_boundaries(make_resident, worker, today, met_days_ago, bucket, overdue_by):
    resident = make_resident(care_level="A")
    visit(resident, worker, days_ago=met_days_ago)
    due_on = stored(resident).due_on
    assert due_on == today + timedelta(days=7 - met_days_ago)
    assert due_bucket(due_on, today) == bucket
    assert days_overdue(due_on, today) == overdue_by
    assert is_overdue(due_on, today) is (bucket == Due.OVERDUE)
    assert pks(Resident.objects.filter(due_q(bucket, today), pk=resident.pk)) == {resident.pk}
    assert pks(Resident.objects.filter(due_q(bucket.value, today), pk=resident.pk)) == {resident.pk}


def test_correcting_a_met_visit_to_not_home_moves_the_due_date_back(make_resident, worker, today):
    resident = make_resident(care_level="A", registered_days_ago=40)
    visit(resident, worker, days_ago=12)
    latest = visit(resident, worker, days_ago=0)
    assert stored(resident).due_on == today + timedelta(days=7)

    services.visit_correct(actor=worker, visit=latest, outcome=Visit.Outcome.NOT_HOME, reason="按错了")
    assert stored(resident).last_met_on == today - timedelta(days=12)
    assert stored(resident).due_on == today - timedelta(days=5)
    assert resident.pk in pks(selectors.residents_due_for(user=worker, today=today))

    services.visit_correct(actor=worker, visit=latest, outcome=Visit.Outcome.MET, reason="其实见到了")
    assert stored(resident).due_on == today + timedelta(days=7)


def test_changing_the_care_level_recomputes_the_due_date(make_resident, worker, today, demo_users):
    resident = make_resident(care_level="C")
    visit(resident, worker, days_ago=10)
    assert stored(resident).due_on == today + timedelta(days=20)
    services.resident_update(actor=demo_users["station"], resident=resident, expected_version=1, care_level="A")
    assert stored(resident).due_on == today - timedelta(days=3)


# --- out of the lists ------------------------------------------------------------------------


def test_moved_and_deceased_residents_are_not_due(make_resident, worker, today, demo_users):
    staying = make_resident("留下")
    moving = make_resident("搬走")
    dying = make_resident("去世")
    assert {staying.pk, moving.pk, dying.pk} <= pks(selectors.residents_due_for(user=worker, today=today))

    moved_visit = visit(moving, worker, days_ago=0, outcome=Visit.Outcome.MOVED)
    services.resident_update(
        actor=demo_users["station"],
        resident=dying,
        expected_version=1,
        status=Resident.Status.DECEASED,
        status_on=today - timedelta(days=1),
    )

    moved = stored(moving)
    assert (moved.status, moved.status_on) == (Resident.Status.MOVED, timezone.localdate(moved_visit.visited_at))
    assert moved.last_met_on is None  # a neighbour saying "they moved" is not meeting them
    due_now = pks(selectors.residents_due_for(user=worker, today=today))
    assert staying.pk in due_now and moving.pk not in due_now and dying.pk not in due_now
    overdue_list = pks(selectors.residents_list(user=worker, today=today, due_bucket=Due.OVERDUE))
    assert staying.pk in overdue_list and moving.pk not in overdue_list and dying.pk not in overdue_list


def test_the_due_list_is_cut_to_the_users_reach_and_sorted_most_urgent_first(make_resident, worker, today, demo_users):
    grid2 = Area.objects.get(name="绣湖社区第2网格")
    week = make_resident("本周", care_level="A")
    visit(week, worker, days_ago=3)
    oldest = make_resident("最久", registered_days_ago=30)
    overdue = make_resident("逾期", registered_days_ago=2)
    later = make_resident("以后", care_level="C")
    visit(later, worker, days_ago=1)
    elsewhere = make_resident("二网格", grid=grid2, registered_days_ago=30)

    listed = list(selectors.residents_due_for(user=worker, today=today))
    assert [r.pk for r in listed if r.pk in {week.pk, oldest.pk, overdue.pk, later.pk, elsewhere.pk}] == [
        oldest.pk,
        overdue.pk,
        week.pk,
    ]
    assert elsewhere.pk in pks(selectors.residents_due_for(user=demo_users["worker2"], today=today))
    assert elsewhere.pk in pks(selectors.residents_due_for(user=demo_users["station"], today=today))
    assert not pks(selectors.residents_due_for(user=demo_users["secretary"], today=today))


def test_the_due_list_costs_the_same_queries_whatever_its_length(
    make_resident, grid1, today, demo_users, django_assert_num_queries
):
    def run():
        user = type(demo_users["worker"]).objects.get(pk=demo_users["worker"].pk)  # no cached reach
        # scopes, the residents (only what a row shows), their categories as plain values
        with django_assert_num_queries(3):
            residents = list(selectors.residents_due_for(user=user, today=today))
            categories = selectors.category_codes(residents)
            assert all(r.name and r.address and categories[r.pk] for r in residents)
        return len(residents)

    make_resident("一", categories=["alone"])
    first = run()
    for n in range(6):
        make_resident(f"多{n}", categories=["alone", "aged80"])
    assert run() == first + 6


# --- Python and database agree -------------------------------------------------------------


def test_due_bucket_agrees_with_the_database_filters_for_every_bucket(make_resident, worker, today):
    residents = []
    for met_days_ago in range(12):  # level A: due from 4 days ago to 7 days ahead
        resident = make_resident(f"A{met_days_ago}", care_level="A")
        visit(resident, worker, days_ago=met_days_ago)
        residents.append(resident)
    residents += [make_resident(f"未见{n}", registered_days_ago=n) for n in (0, 1, 30)]
    mine = Resident.objects.filter(pk__in=[r.pk for r in residents])

    by_python = {r.pk: due_bucket(r.due_on, today) for r in mine}
    assert set(by_python.values()) == set(Due)
    for bucket in Due:
        expected = {pk for pk, b in by_python.items() if b == bucket}
        assert pks(mine.filter(due_q(bucket, today))) == expected, bucket
        # the same filter reached through a join, as visit and errand lists use it
        assert set(
            Visit.objects.filter(due_q(bucket, today, prefix="resident__"), resident__in=mine).values_list(
                "resident_id", flat=True
            )
        ) == expected & set(Visit.objects.filter(resident__in=mine).values_list("resident_id", flat=True)), bucket
    this_week = {pk for pk, b in by_python.items() if b != Due.LATER}
    assert pks(mine.filter(due_by_end_of_week_q(today))) == this_week
    assert pks(mine.filter(due_by_end_of_week_q(today, prefix=""))) == this_week
    assert this_week == pks(selectors.residents_due_for(user=worker, today=today)) & {r.pk for r in residents}


@pytest.mark.parametrize("offset", range(-3, 10))
def test_due_bucket_and_due_q_agree_on_every_day_around_today(make_resident, today, offset):
    resident = make_resident(registered_days_ago=-offset)  # never met: due on the registration day
    bucket = due_bucket(today + timedelta(days=offset), today)
    matching = [b for b in Due if Resident.objects.filter(due_q(b, today), pk=resident.pk).exists()]
    assert matching == [bucket]


def test_recompute_command_follows_a_changed_interval(settings, demo_users):
    from django.core.management import call_command

    resident = factories.resident(actor=demo_users["admin"], name="重算", care_level="B")
    met_at = timezone.now() - timedelta(days=3)
    factories.visit(actor=demo_users["worker"], resident=resident, at=met_at)
    met_on = timezone.localdate(met_at)
    assert Resident.objects.get(pk=resident.pk).due_on == met_on + timedelta(days=14)
    settings.DAIBAN_CARE_INTERVAL_DAYS = {**settings.DAIBAN_CARE_INTERVAL_DAYS, "B": 10}
    call_command("recompute_due_dates")
    assert Resident.objects.get(pk=resident.pk).due_on == met_on + timedelta(days=10)
