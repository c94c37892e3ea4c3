"""Every model has an admin, in Chinese, and a staff member's lists are cut to their reach."""

import pytest
from django.contrib import admin
from django.urls import reverse

from grid.models import Area, Role, Scope, ServicePoint

pytestmark = pytest.mark.django_db


def test_every_grid_model_is_registered():
    from django.apps import apps

    for model in apps.get_app_config("grid").get_models():
        assert model in admin.site._registry, model


@pytest.mark.parametrize(
    "model", ["area", "servicepoint", "department", "servicewindow", "jointbranch", "pairing", "scope", "user"]
)
def test_changelists_open_for_the_city_admin(client_for, model):
    response = client_for("admin").get(reverse(f"admin:grid_{model}_changelist"))
    assert response.status_code == 200


def test_admin_speaks_chinese(client_for):
    html = client_for("admin").get(reverse("admin:grid_servicepoint_changelist")).content.decode()
    assert "服务站点" in html or "代办点" in html


def test_staff_without_superuser_sees_only_their_reach(client_for, demo_users):
    street = demo_users["street"]
    street.is_staff = True
    street.save(update_fields=["is_staff"])
    from django.contrib.auth.models import Permission

    street.user_permissions.add(
        Permission.objects.get(codename="view_area"), Permission.objects.get(codename="view_servicepoint")
    )
    client = client_for("street")
    response = client.get(reverse("admin:grid_area_changelist"), {"q": "佛堂"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    response = client.get(reverse("admin:grid_servicepoint_changelist"))
    town = Area.objects.get(name="稠城街道")
    expected = ServicePoint.objects.filter(area__path__startswith=town.path).count() + 1  # + the city has no point
    assert response.context["cl"].result_count == expected - 1


def test_new_area_gets_its_path_from_the_parent(client_for):
    community = Area.objects.get(name="绣湖社区")
    response = client_for("admin").post(
        reverse("admin:grid_area_add"),
        {
            "code": "330782001001NEW",
            "name": "绣湖社区第9网格",
            "level": 3,
            "parent": community.pk,
            "boundary": "null",
            "scopes-TOTAL_FORMS": 0,
            "scopes-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    area = Area.objects.get(code="330782001001NEW")
    assert area.path == f"{community.path}330782001001NEW/"
    assert Scope.objects.filter(role=Role.GRID_WORKER).exists()


# --- review: staff change only what is theirs, and point only at what is theirs ----------


def make_staff(user, *codenames):
    from django.contrib.auth.models import Permission

    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="grid", codename__in=codenames))
    return user


POINT_FORM = {
    "name": "新代办中心",
    "tier": "street_centre",
    "address": "",
    "opening_hours": "",
    "phone": "",
    "lat": "",
    "lng": "",
}


def test_staff_cannot_put_a_point_or_an_area_outside_their_reach(client_for, demo_users):
    """An autocomplete widget only suggests areas in reach; the form must refuse the others."""
    make_staff(demo_users["street"], "add_servicepoint", "view_servicepoint", "add_area", "view_area")
    client = client_for("street")
    far_community = Area.objects.get(name="佛堂镇").children.order_by("code").first()
    own_community = Area.objects.get(name="绣湖社区")

    response = client.post(reverse("admin:grid_servicepoint_add"), {**POINT_FORM, "area": far_community.pk})
    assert response.status_code == 200 and "area" in response.context["adminform"].form.errors
    response = client.post(
        reverse("admin:grid_area_add"),
        {"code": "FAR9", "name": "外镇网格", "level": 3, "parent": far_community.pk, "boundary": "null"},
    )
    assert response.status_code == 200 and "parent" in response.context["adminform"].form.errors
    assert not ServicePoint.objects.filter(name="新代办中心").exists() and not Area.objects.filter(code="FAR9").exists()

    response = client.post(reverse("admin:grid_servicepoint_add"), {**POINT_FORM, "area": own_community.pk})
    assert response.status_code == 302
    response = client.post(
        reverse("admin:grid_area_add"),
        {"code": "OWN9", "name": "绣湖社区第9网格", "level": 3, "parent": own_community.pk, "boundary": "null"},
    )
    assert response.status_code == 302
    assert Area.objects.get(code="OWN9").path == f"{own_community.path}OWN9/"


def test_the_centre_above_a_station_is_for_looking_at(client_for, demo_users):
    make_staff(demo_users["station"], "view_servicepoint", "change_servicepoint", "delete_servicepoint")
    client = client_for("station")
    centre = ServicePoint.objects.get(area__name="稠城街道", tier=ServicePoint.Tier.STREET_CENTRE)
    own = ServicePoint.objects.get(area__name="绣湖社区", tier=ServicePoint.Tier.COMMUNITY_STATION)
    url = reverse("admin:grid_servicepoint_change", args=[centre.pk])
    response = client.get(url)
    assert response.status_code == 200 and response.context["has_change_permission"] is False
    fields = {
        "name": centre.name,
        "tier": centre.tier,
        "area": centre.area_id,
        "address": "",
        "opening_hours": "",
        "phone": "0579-00000000",
        "lat": "",
        "lng": "",
    }
    assert client.post(url, fields).status_code == 403
    changelist = reverse("admin:grid_servicepoint_changelist")
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [centre.pk], "post": "yes"})
    assert response.status_code == 403
    assert ServicePoint.objects.get(pk=centre.pk).phone == centre.phone
    assert client.get(reverse("admin:grid_servicepoint_change", args=[own.pk])).context["has_change_permission"] is True


def test_a_street_official_reads_every_branch_but_changes_none_they_do_not_lead(client_for, demo_users):
    from grid.models import JointBranch

    make_staff(demo_users["street"], "view_jointbranch", "change_jointbranch")
    make_staff(demo_users["secretary"], "view_jointbranch", "change_jointbranch")
    branch = JointBranch.objects.get(number=1)  # the secretary's
    url = reverse("admin:grid_jointbranch_change", args=[branch.pk])
    response = client_for("street").get(url)
    assert response.status_code == 200 and response.context["has_change_permission"] is False
    assert client_for("street").post(url, {"number": 1, "name": "改名"}).status_code == 403
    assert client_for("secretary").get(url).context["has_change_permission"] is True
    assert JointBranch.objects.get(pk=branch.pk).name == branch.name


def test_staff_grant_scopes_only_over_their_own_areas_and_see_only_those(client_for, demo_users):
    make_staff(demo_users["street"], "view_scope", "add_scope")
    client = client_for("street")
    city = Area.objects.get(level=Area.Level.CITY)
    town = Area.objects.get(name="稠城街道")
    grant = {"user": demo_users["worker2"].pk, "role": Role.STREET_OFFICIAL, "branch": ""}
    response = client.post(reverse("admin:grid_scope_add"), {**grant, "area": city.pk})
    assert response.status_code == 200 and "area" in response.context["adminform"].form.errors
    assert not Scope.objects.filter(user=demo_users["worker2"], area=city).exists()
    assert client.post(reverse("admin:grid_scope_add"), {**grant, "area": town.pk}).status_code == 302

    listed = client.get(reverse("admin:grid_scope_changelist")).context["cl"].result_list
    assert {s.user.username for s in listed} == {"worker", "worker2", "station", "street", "secretary"}  # not admin's


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"level": 3}, "level"),  # a grid straight under a town
        ({"boundary": '{"type": "Polygon", "coordinates": [[1]]}'}, "boundary"),
        ({"boundary": '{"type": "Polygon", "coordinates": []}'}, "boundary"),
    ],
)
def test_a_bad_new_area_is_a_message_on_the_field_not_a_server_error(client_for, changes, field):
    town = Area.objects.get(name="稠城街道")
    data = {"code": "BAD1", "name": "坏区域", "level": 2, "parent": town.pk, "boundary": "null", **changes}
    response = client_for("admin").post(reverse("admin:grid_area_add"), data)
    assert response.status_code == 200 and field in response.context["adminform"].form.errors
    assert not Area.objects.filter(code="BAD1").exists()
