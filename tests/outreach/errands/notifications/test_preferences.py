"""The 通知方式 page: a staff member chooses the channels that reach them besides the
bell, among those set up; only their own."""

import re

import pytest
from django.urls import reverse

from outreach.models import NotificationPreference

pytestmark = pytest.mark.django_db

URL = reverse("notification-preferences")


@pytest.fixture
def channels_on(settings):
    settings.DAIBAN_SMS_URL = "http://127.0.0.1:9/sms"
    settings.DAIBAN_WECOM_WEBHOOK = "http://127.0.0.1:9/wecom"
    settings.DAIBAN_DINGTALK_WEBHOOK = ""  # not set up


def test_the_account_page_leads_to_it(client_for):
    html = client_for("worker").get(reverse("account")).content.decode()
    assert f'href="{URL}"' in html


def test_channels_not_set_up_are_shown_unavailable(client_for, channels_on, django_assert_num_queries):
    client = client_for("worker")
    client.get(URL)
    with django_assert_num_queries(4):  # session, user, the preference, the unread count
        response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    for name in ["mobile", "sms", "dingtalk", "wecom"]:
        assert f'<label class="choice" for="id_{name}">' in html or f'<label for="id_{name}">' in html
    assert re.search(r'<input[^>]*name="dingtalk"[^>]*disabled', html)
    assert not re.search(r'<input[^>]*name="sms"[^>]*disabled', html)
    assert str(response.context["form"].fields["dingtalk"].help_text) in html
    # The account's phone is offered as the number until one is saved.
    assert response.context["form"].initial["mobile"] == response.wsgi_request.user.phone


def test_saving_ones_own_choice(client_for, demo_users, channels_on):
    client = client_for("worker")
    response = client.post(URL, {"mobile": "138 0000 0001", "sms": "on", "wecom": "on", "dingtalk": "on"})
    assert response.status_code == 302 and response["Location"] == URL
    preference = NotificationPreference.objects.get(user=demo_users["worker"])
    # DingTalk is not set up: it could not be chosen.
    assert (preference.mobile, preference.sms, preference.wecom, preference.dingtalk) == (
        "13800000001",
        True,
        True,
        False,
    )
    assert not NotificationPreference.objects.exclude(user=demo_users["worker"]).exists()
    html = client.get(URL).content.decode()
    assert 'value="13800000001"' in html
    client.post(URL, {"mobile": "13800000001"})  # all off again
    preference.refresh_from_db()
    assert not (preference.sms or preference.wecom)


def test_a_channel_needs_a_good_mobile_number(client_for, demo_users, channels_on):
    client = client_for("worker")
    response = client.post(URL, {"mobile": "", "sms": "on"})
    assert response.status_code == 200 and response.context["form"].errors["mobile"]
    response = client.post(URL, {"mobile": "12345", "sms": "on"})
    assert response.status_code == 200 and response.context["form"].errors["mobile"]
    assert not NotificationPreference.objects.exists()


def test_a_channel_switched_off_keeps_the_choice_for_when_it_returns(client_for, demo_users, settings, channels_on):
    NotificationPreference.objects.create(user=demo_users["worker"], mobile="13800000001", dingtalk=True)
    client_for("worker").post(URL, {"mobile": "13800000001", "sms": "on"})
    preference = NotificationPreference.objects.get(user=demo_users["worker"])
    assert (preference.sms, preference.dingtalk) == (True, True)


def test_logged_out_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_resident_form_asks_for_sms_consent(client_for):
    html = client_for("worker").get(reverse("resident-create")).content.decode()
    assert 'name="sms_consent"' in html and 'name="sms_to"' in html
