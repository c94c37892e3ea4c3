"""Required fields say which field is missing, on every form and in the API."""

import importlib
import pkgutil

import pytest
from django import forms

import outreach
from outreach.common.forms import NamedRequiredMixin

pytestmark = pytest.mark.django_db


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_daiban_names_its_missing_fields():
    for module in pkgutil.walk_packages(outreach.__path__, "outreach."):
        if module.name.endswith(".forms") or module.name.endswith(".periods"):
            importlib.import_module(module.name)
    # grid's two forms (the directory filter, the admin's area form) have no required
    # field a user can leave empty, and grid does not import outreach.
    daiban_forms = [f for f in _subclasses(forms.BaseForm) if f.__module__.startswith("outreach.")]
    assert len(daiban_forms) > 20
    without = [f"{f.__module__}.{f.__name__}" for f in daiban_forms if not issubclass(f, NamedRequiredMixin)]
    assert without == [], "mix NamedRequiredMixin (outreach.common.forms) into these"


def test_an_empty_form_names_each_missing_field(client_for):
    html = client_for("station").post("/residents/new/", {"name": ""}).content.decode()
    assert "请填写姓名" in html and "请填写地址" in html  # typed
    assert "请选择网格" in html and "请选择照护等级" in html  # chosen
    assert "这个字段是必填项" not in html


def test_the_api_names_a_missing_field(client_for):
    client = client_for("worker")
    response = client.post("/api/v1/errands", {}, content_type="application/json")
    assert response.status_code == 422
    messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert messages["resident"] == "请填写resident"
    assert "Field required" not in response.content.decode()


def test_an_empty_login_says_what_is_missing(client):
    html = client.post("/account/login/", {"username": ""}).content.decode()
    assert "请填写用户名" in html and "请填写密码" in html  # the page showed nothing before


def test_the_password_page_names_its_fields(client_for):
    html = client_for("worker").post("/account/password/", {"old_password": ""}).content.decode()
    assert "请填写旧密码" in html and "这个字段是必填项" not in html


def test_the_api_says_what_is_wrong_in_chinese(client_for, catalogue):
    client = client_for("worker")
    body = {"resident": "not-a-number", "service": "SB-BH", "note": "x" * 5000}
    response = client.post("/api/v1/errands", body, content_type="application/json")
    assert response.status_code == 422
    messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert messages["resident"] == "resident：请填写整数。", messages  # what is wrong, not only that it is
    assert all(message.isascii() is False for message in messages.values()), messages
