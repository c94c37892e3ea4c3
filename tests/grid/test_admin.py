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


@pytest.mark.parametrize("model", ["area", "servicepoint", "department", "servicewindow", "jointbranch", "pairing", "scope", "user"])
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

    street.user_permissions.add(Permission.objects.get(codename="view_area"), Permission.objects.get(codename="view_servicepoint"))
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
    response = client_for("admin").post(reverse("admin:grid_area_add"), {
        "code": "330782001001NEW", "name": "绣湖社区第9网格", "level": 3, "parent": community.pk, "boundary": "null",
        "scopes-TOTAL_FORMS": 0, "scopes-INITIAL_FORMS": 0,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    area = Area.objects.get(code="330782001001NEW")
    assert area.path == f"{community.path}330782001001NEW/"
    assert Scope.objects.filter(role=Role.GRID_WORKER).exists()
