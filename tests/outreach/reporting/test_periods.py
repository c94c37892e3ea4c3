"""Periods and months: the one parser (outreach.reporting.periods) and, through the front
door, the same message for a bad period or month on every screen and export that takes
one — a page shows it beside this month, an export or JSON answers 400 with it."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from grid.models import Area, JointBranch
from outreach.reporting import periods

DAY = timedelta(days=1)


# --- the parser ------------------------------------------------------------------------------


def test_periods():
    today = date(2026, 11, 27)  # a Friday
    week = periods.period_for("week", today=today)
    assert (week.start, week.end, week.as_of, week.is_running) == (date(2026, 11, 23), date(2026, 11, 29), today, True)
    month = periods.period_for("month", today=today)
    assert (month.start, month.end) == (date(2026, 11, 1), date(2026, 11, 30))
    last = periods.period_for("last_month", today=date(2026, 1, 15))
    assert (last.start, last.end, last.as_of, last.is_running) == (
        date(2025, 12, 1),
        date(2025, 12, 31),
        date(2025, 12, 31),
        False,
    )
    for start, end, field in [
        (None, today, "start"),
        (today, None, "end"),
        (today + DAY, today + 2 * DAY, "start"),
        (today, today - DAY, "end"),
        (today - 400 * DAY, today, "end"),
    ]:
        with pytest.raises(ValidationError) as error:
            periods.period_for("custom", today=today, start=start, end=end)
        assert field in error.value.error_dict


def month_error(raw: str, today: date) -> str:
    with pytest.raises(ValidationError) as error:
        periods.month_parse(raw, today=today)
    [message] = error.value.messages
    return message


def test_a_month_is_yyyy_mm_from_2000_up_to_this_one():
    today = date(2026, 11, 27)
    assert periods.month_parse("", today=today) == periods.month_parse(None, today=today) == date(2026, 11, 1)
    assert periods.month_parse(" 2026-05 ", today=today) == date(2026, 5, 1)
    assert periods.month_parse("2026-11", today=today) == date(2026, 11, 1)
    assert periods.month_parse("2000-01", today=today) == date(2000, 1, 1)
    with translation.override("en"):
        for raw in ("2026-13", "2026-00", "2026-5", "2026-05-01", "last month", "0000-01", "２０２６年"):
            assert month_error(raw, today) == f"“{raw}” is not a month: write it as YYYY-MM, for example 2026-05."
        assert month_error("2026-12", today) == (
            "The month 2026-12 has not begun yet: choose this month or an earlier one."
        )
        assert month_error("1999-12", today) == "Choose a month from 2000-01 on."
    with translation.override("zh-hans"):
        assert month_error("2026-13", today) == "“2026-13”不是有效月份：请按 YYYY-MM 填写，例如 2026-05。"


def test_a_month_as_a_period_and_its_neighbours():
    today = date(2026, 11, 27)
    running = periods.month_period(date(2026, 11, 1), today=today)
    assert (running.kind, running.start, running.end, running.as_of) == (
        "custom",
        date(2026, 11, 1),
        date(2026, 11, 30),
        today,
    )
    february = periods.month_period(date(2024, 2, 1), today=today)
    assert (february.end, february.is_running) == (date(2024, 2, 29), False)
    assert periods.month_nav(date(2026, 1, 1), today=today) == {
        "month": date(2026, 1, 1),
        "previous": date(2025, 12, 1),
        "next": date(2026, 2, 1),
    }
    assert periods.month_nav(date(2026, 11, 1), today=today)["next"] is None
    assert periods.month_nav(periods.FIRST_MONTH, today=today)["previous"] is None


def test_the_query_forms_parse_a_period_and_a_month():
    today = date(2026, 11, 27)
    form = periods.PeriodQueryForm({"period": "week"}, today=today)
    assert form.is_valid() and form.cleaned_data["the_period"].start == date(2026, 11, 23)
    assert periods.PeriodQueryForm({}, today=today).is_valid()
    with translation.override("en"):
        form = periods.PeriodQueryForm({"period": "decade", "start": "2026-13-45"}, today=today)
        assert not form.is_valid()
        assert form.period_errors() == [str(periods.PERIOD_INVALID), str(periods.START_INVALID)]
        form = periods.PeriodQueryForm({"period": "custom", "start": "2026-11-20"}, today=today)
        assert not form.is_valid() and form.period_errors() == [str(periods.END_MISSING)]
        form = periods.MonthQueryForm({"month": "2026-13"}, today=today)
        assert not form.is_valid() and form.errors["month"] == [month_error("2026-13", today)]
    form = periods.MonthQueryForm({"month": "2026-02"}, today=today)
    assert form.is_valid() and form.cleaned_data["the_period"].end == date(2026, 2, 28)


# --- every door says the same -------------------------------------------------------------------


def expected(raw: str) -> str:
    """The message for a bad ?month=, in the screens' language (Chinese by default)."""
    with translation.override("zh-hans"):
        return month_error(raw, timezone.localdate())


def secretary_branch(demo_users) -> JointBranch:
    return JointBranch.objects.get(secretary=demo_users["secretary"])


def town() -> Area:
    return Area.objects.get(name="稠城街道")


def bad_months() -> list[str]:
    today = timezone.localdate()
    return ["2026-13", f"{today.year + 1}-01", "1999-12"]


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["branch-report", "branch-activities"])
def test_a_branch_page_shows_the_month_message_and_this_month(client_for, demo_users, door):
    client = client_for("secretary")
    url = reverse(door, args=[secretary_branch(demo_users).pk])
    for raw in bad_months():
        response = client.get(url, {"month": raw})
        assert response.status_code == 200 and response.context["month_error"] == expected(raw)
        assert response.context["month"] == timezone.localdate().replace(day=1)
        assert f"{expected(raw)}现显示本月。" in response.content.decode()  # one Chinese sentence after another


@pytest.mark.django_db
def test_the_branches_city_view_shows_the_month_message(client_for):
    for raw in bad_months():
        response = client_for("street").get(reverse("branch-list"), {"month": raw})
        assert response.status_code == 200 and response.context["month_error"] == expected(raw)
        assert expected(raw) in response.content.decode()


# Before, the branches' spreadsheets of a bad month were this month's, named as such,
# while the dashboard's monthly report answered 400: every export now says why, with 400.
@pytest.mark.django_db
def test_a_branch_report_export_of_a_bad_month_is_a_400_with_the_message(client_for, demo_users):
    client = client_for("secretary")
    url = reverse("branch-report-xlsx", args=[secretary_branch(demo_users).pk])
    for raw in bad_months():
        response = client.get(url, {"month": raw})
        assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
        assert response.content.decode() == f"month: {expected(raw)}"
    assert client.get(url, {"month": f"{timezone.localdate():%Y-%m}"}).status_code == 200


@pytest.mark.django_db
def test_the_branches_export_of_a_bad_month_is_a_400_with_the_message(client_for):
    client = client_for("street")
    for raw in bad_months():
        response = client.get(reverse("branch-list-xlsx"), {"month": raw})
        assert response.status_code == 400 and response.content.decode() == f"month: {expected(raw)}"


@pytest.mark.django_db
def test_the_monthly_coverage_report_of_a_bad_month_is_a_400_with_the_message(client_for):
    client = client_for("street")
    for raw in bad_months():
        response = client.get(reverse("coverage-report"), {"area": town().pk, "month": raw})
        assert response.status_code == 400 and response.content.decode() == f"month: {expected(raw)}"


def period_messages(*messages) -> list[str]:
    with translation.override("zh-hans"):
        return [str(m) for m in messages]


BAD_PERIOD = {"period": "decade", "start": "2026-13-45"}


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["coverage-map", "dashboard"])
def test_a_period_page_shows_the_period_messages_and_this_month(client_for, door):
    response = client_for("street").get(reverse(door), BAD_PERIOD)
    assert response.status_code == 200 and response.context["period"].kind == "month"
    assert response.context["period_errors"] == period_messages(periods.PERIOD_INVALID, periods.START_INVALID)


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["coverage-areas", "coverage-layers"])
def test_the_map_data_of_a_bad_period_is_a_400_with_the_messages(client_for, door):
    response = client_for("street").get(reverse(door), BAD_PERIOD)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [errors["period"][0]["message"], errors["start"][0]["message"]] == period_messages(
        periods.PERIOD_INVALID, periods.START_INVALID
    )


# Before, the dashboard's exports answered Django's generic "Select a valid choice" and
# "Enter a valid date" where the map said what a period is: now both say the map's words.
@pytest.mark.django_db
def test_an_export_of_a_bad_period_is_a_400_with_the_messages(client_for):
    response = client_for("street").get(reverse("dashboard-export", args=["csv"]), {**BAD_PERIOD, "table": "children"})
    assert response.status_code == 400
    invalid, start = period_messages(periods.PERIOD_INVALID, periods.START_INVALID)
    assert response.content.decode().splitlines() == [f"period: {invalid}", f"start: {start}"]
