"""The demo (`make run`, DEBUG on) answers a missing or out-of-scope address with
Daiban's own 404 page, as production does, never Django's technical page."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def debugging(settings):
    settings.DEBUG = True  # as `make run` serves the demo


def test_an_unknown_address_gets_daibans_page(client_for, debugging):
    response = client_for("worker").get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "该页面不存在，或不在您负责的区域内。" in html and "返回首页" in html
    assert "URLconf" not in html and "Using the URLconf" not in html  # the technical page lists every pattern


def test_a_resident_out_of_scope_gets_the_same_page(client_for, debugging, demo_users):
    elsewhere = factories.resident(actor=demo_users["admin"], name="外网格居民", grid_name="绣湖社区第2网格")
    response = client_for("worker").get(f"/residents/{elsewhere.pk}/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "该页面不存在，或不在您负责的区域内。" in html
    assert "Http404" not in html and "Page not found" not in html


def test_the_api_still_answers_json(client_for, debugging):
    response = client_for("worker").get("/api/v1/residents/999999999")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert "message" in response.json()
