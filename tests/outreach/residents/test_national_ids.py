"""No national-ID oracle (issue 13 §3): duplicates are still caught, but an ID registered
outside the user's areas gets a neutral answer (neither where nor whether), each such
attempt leaves an audit row with the actor, and each user may check so many IDs a day."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from outreach.models import AuditEvent, NationalIdCheck, Resident
from outreach.residents import national_ids
from tests import factories
from tests.outreach.residents.test_roster import errors_by_row, good_row, grids, preview_page, staged_import, xlsx

pytestmark = pytest.mark.django_db
__all__ = ["grids"]  # the roster tests' fixture, used here too


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


def neutral() -> str:
    with translation.override("zh-hans"):
        return national_ids.neutral_message()


def registered_far_away(demo_users, name: str = "远方的人") -> tuple[Resident, str]:
    """A resident of another town, registered by the city administrator."""
    number = factories.national_id(born="19400101")
    resident = factories.resident(
        actor=demo_users["admin"], grid_name=factories.other_grid(same_town=False).name, name=name, national_id=number
    )
    return resident, number


def resident_form(**changes) -> dict:
    data = {
        "name": "试探者",
        "address": "绣湖社区工人路9号",
        "grid": factories.grid().pk,
        "care_level": "B",
        "consent_basis": "written",
    }
    data.update(changes)
    return data


def refusals():
    return AuditEvent.objects.filter(action=AuditEvent.Action.NATIONAL_ID_REFUSED)


def test_an_id_registered_outside_the_users_reach_gets_the_neutral_answer_and_an_audit_row(client_for, demo_users):
    far, number = registered_far_away(demo_users)
    response = client_for("worker").post(
        reverse("resident-create"), resident_form(national_id=number), REMOTE_ADDR="10.3.0.9"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["form"].errors["national_id"] == [neutral()]
    assert (
        "市级管理员" in html
        and zh("A resident with this national ID is already registered. Search for them instead of registering again.")
        not in html
    )
    for secret in (far.name, far.grid.name, far.grid.parent.name, far.grid.parent.parent.name):
        assert secret not in html
    (event,) = refusals()
    assert (event.actor, event.resident, event.address) == (demo_users["worker"], far, "10.3.0.9")
    assert event.detail == {"door": "form", "national_id": far.national_id_masked}
    assert number not in str(event.detail)
    assert Resident.objects.filter(national_id_digest=far.national_id_digest).count() == 1


def test_an_id_of_the_users_own_resident_is_still_named_a_duplicate(client_for, demo_users):
    number = factories.national_id(born="19400202")
    factories.resident(actor=demo_users["station"], grid_name="绣湖社区第2网格", name="本社区的人", national_id=number)
    response = client_for("station").post(reverse("resident-create"), resident_form(national_id=number))
    assert response.context["form"].errors["national_id"] == [
        zh("A resident with this national ID is already registered. Search for them instead of registering again.")
    ]
    assert not refusals().exists()
    # the same resident is outside the grid worker's own grid: neutral for them
    response = client_for("worker").post(reverse("resident-create"), resident_form(national_id=number))
    assert response.context["form"].errors["national_id"] == [neutral()]
    assert refusals().get().actor == demo_users["worker"]


def test_editing_a_resident_to_someone_elses_id_is_neutral_too(client_for, demo_users):
    far, number = registered_far_away(demo_users)
    mine = factories.resident(actor=demo_users["station"], name="我的居民")
    client = client_for("station")
    form = client.get(reverse("resident-edit", args=[mine.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(grid=mine.grid_id, categories=[], national_id=number)
    response = client.post(reverse("resident-edit", args=[mine.pk]), data)
    assert response.status_code == 200 and response.context["form"].errors["national_id"] == [neutral()]
    assert refusals().get().resident == far


def test_ids_checked_per_user_per_day_are_limited_with_a_clear_429(client_for, demo_users, settings):
    settings.DAIBAN_ID_CHECKS_PER_DAY = 3
    client = client_for("worker")
    numbers = [factories.national_id(born="19410303") for _ in range(4)]
    for i, number in enumerate(numbers[:3]):
        assert (
            client.post(reverse("resident-create"), resident_form(name=f"居民{i}", national_id=number)).status_code
            == 302
        )
    # the same ID again is not a new check (here: a duplicate of the worker's own resident)
    again = client.post(reverse("resident-create"), resident_form(national_id=numbers[0]))
    assert again.status_code == 200
    response = client.post(reverse("resident-create"), resident_form(name="第四位", national_id=numbers[3]))
    assert response.status_code == 429
    message = response.context["form"].errors["national_id"][0]
    assert "3" in message and "市级管理员" in message and message in response.content.decode()
    assert not Resident.objects.filter(name="第四位").exists()
    assert NationalIdCheck.objects.filter(user=demo_users["worker"]).count() == 3
    # another person's day is their own; the city administrator sees everyone and is not counted
    assert (
        client_for("station")
        .post(reverse("resident-create"), resident_form(name="第四位", national_id=numbers[3]))
        .status_code
        == 302
    )
    for i in range(4):
        factories.resident(
            actor=demo_users["admin"], name=f"市里登记{i}", national_id=factories.national_id(born="19420404")
        )
    assert not NationalIdCheck.objects.filter(user=demo_users["admin"]).exists()


def test_the_roster_preview_reports_ids_registered_elsewhere_the_same_neutral_way(client_for, demo_users, grids):
    far, number = registered_far_away(demo_users)
    own = factories.national_id(born="19430505")
    factories.resident(actor=demo_users["station"], grid_name="绣湖社区第2网格", name="本社区的人", national_id=own)
    client = client_for("station")
    rows = [good_row(grids, 1), good_row(grids, 2, national_id=number), good_row(grids, 3, national_id=own)]
    response = preview_page(client, staged_import(client, xlsx(rows)))
    found = errors_by_row(response.context["check"])
    assert found[3] == [("身份证号", neutral())]
    assert found[4] == [
        (
            "身份证号",
            zh("A resident with this national ID is already registered. Search for them instead of registering again."),
        )
    ]
    html = response.content.decode()
    assert far.name not in html and far.grid.name not in html
    (event,) = refusals()
    assert (event.actor, event.resident, event.detail["door"]) == (demo_users["station"], far, "roster")


def test_a_roster_over_the_days_limit_is_refused_with_429_before_any_check(client_for, demo_users, grids, settings):
    settings.DAIBAN_ID_CHECKS_PER_DAY = 3
    far, number = registered_far_away(demo_users)
    client = client_for("station")
    rows = [good_row(grids, i) for i in range(1, 4)] + [good_row(grids, 4, national_id=number)]
    staged = staged_import(client, xlsx(rows))
    response = preview_page(client, staged)
    assert response.status_code == 429
    check = response.context["check"]
    assert check.limited and not check.ok and "4" in check.file_errors[0] and "3" in check.file_errors[0]
    assert check.file_errors[0] in response.content.decode()
    assert not NationalIdCheck.objects.exists() and not refusals().exists()  # nothing was checked
    # A crafted import (no button was shown) checks again in its job, and is refused the same way.
    assert client.post(reverse("roster-commit", args=[staged.pk])).status_code == 302
    assert preview_page(client, staged).status_code == 429
    assert not Resident.objects.filter(name__startswith="居民").exists()


def test_the_import_command_is_audited_but_not_limited(tmp_path, demo_users, grids, settings):
    settings.DAIBAN_ID_CHECKS_PER_DAY = 1
    far, number = registered_far_away(demo_users)
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(xlsx([good_row(grids, 1), good_row(grids, 2), good_row(grids, 3, national_id=number)]))
    with pytest.raises(CommandError):  # the refused row fails the command
        call_command("import_residents", str(path), "--user", "station")
    assert refusals().get().detail["door"] == "command"
    assert not NationalIdCheck.objects.exists()


def test_the_audit_row_takes_the_forwarded_address_from_a_trusted_proxy_only(client_for, demo_users, settings):
    settings.DAIBAN_TRUSTED_PROXIES = ("10.9.0.0/16",)
    far, number = registered_far_away(demo_users)
    client = client_for("worker")
    form = resident_form(national_id=number)
    client.post(reverse("resident-create"), form, REMOTE_ADDR="10.9.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    client.post(reverse("resident-create"), form, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert list(refusals().order_by("pk").values_list("address", flat=True)) == ["198.51.100.7", "203.0.113.9"]


def test_a_user_without_areas_finds_every_registered_id_outside_their_reach(demo_users):
    far, number = registered_far_away(demo_users)
    checked = national_ids.national_ids_check(
        actor=demo_users["secretary"],
        masked_by_digest={far.national_id_digest: far.national_id_masked},
        door=national_ids.Door.ROSTER,
    )
    assert checked.registered == {far.national_id_digest: national_ids.Registered.ELSEWHERE}
