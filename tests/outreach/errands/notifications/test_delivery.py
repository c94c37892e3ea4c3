"""Notifications beyond the bell: the SMS gateway, the DingTalk and WeCom robots, played
by a local HTTP server; the deliver task's retries, backoff and giving up; sending once;
residents' progress SMS only with their consent."""

import base64
import hashlib
import hmac
import io
import json
import threading
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from outreach.errands.notifications import services as notify
from outreach.errands.notifications import tasks
from outreach.models import Delivery, Notification, NotificationPreference
from outreach.tracking import codes
from tests import factories
from tests.tasks import queued, run_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

SMS_KEY = "sms-key-not-for-logs"
DINGTALK_SECRET = "SECdingtalk-secret"
DINGTALK_TOKEN = "dingtalk-token-not-for-logs"
TEMPLATES = {"escalated": "SMS_ESC", "overdue": "SMS_LATE", "errand_accepted": "SMS_OK", "errand_completed": "SMS_DONE"}


class Gateway:
    """The SMS gateway and both robots on one local server: records every request and
    answers as told (``fail``: the next n requests to a path get a failure)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failures: dict[str, tuple[int, int, dict]] = {}
        self.url = ""

    def fail(self, path: str, times: int, *, status: int = 500, answer: dict | None = None) -> None:
        self.failures[path] = (times, status, answer or {"error": "busy"})

    def answer(self, path: str) -> tuple[int, dict]:
        times, status, answer = self.failures.get(path, (0, 200, {}))
        if times > 0:
            self.failures[path] = (times - 1, status, answer)
            return status, answer
        return 200, {"code": "OK"} if path == "/sms" else {"errcode": 0, "errmsg": "ok"}

    def to(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]


@pytest.fixture
def gateway(settings):
    gateway = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            query = dict(urllib.parse.parse_qsl(url.query))
            gateway.requests.append({"path": url.path, "query": query, "headers": dict(self.headers), "json": body})
            status, answer = gateway.answer(url.path)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway.url = f"http://127.0.0.1:{server.server_port}"
    settings.DAIBAN_SMS_URL = f"{gateway.url}/sms"
    settings.DAIBAN_SMS_KEY = SMS_KEY
    settings.DAIBAN_SMS_SIGN = "义乌代办"
    settings.DAIBAN_SMS_TEMPLATES = TEMPLATES
    settings.DAIBAN_DINGTALK_WEBHOOK = f"{gateway.url}/robot/send?access_token={DINGTALK_TOKEN}"
    settings.DAIBAN_DINGTALK_SECRET = DINGTALK_SECRET
    settings.DAIBAN_WECOM_WEBHOOK = f"{gateway.url}/cgi-bin/webhook/send?key=wecom-key"
    yield gateway
    server.shutdown()
    server.server_close()


def prefer(user, *, mobile="13800000001", **channels) -> NotificationPreference:
    return NotificationPreference.objects.create(user=user, mobile=mobile, **channels)


@pytest.fixture
def arrived(demo_users, django_capture_on_commit_callbacks):
    """An errand opened by the city for 张大爷: it arrives at grid 1's point, whose worker
    is told (kind "escalated"). Returns a function doing it, after preferences are set."""

    def arrive():
        admin = demo_users["admin"]
        with django_capture_on_commit_callbacks(execute=True):
            errand = factories.errand(actor=admin, resident=factories.resident(actor=admin), code="MZ-GL")
        return errand

    return arrive


# --- the channels -------------------------------------------------------------------------


def test_staff_notice_goes_to_every_channel_chosen(gateway, demo_users, arrived):
    prefer(demo_users["worker"], sms=True, dingtalk=True, wecom=True)
    errand = arrived()
    assert run_tasks() == 3
    notice = Notification.objects.get(user=demo_users["worker"], errand=errand)

    (sms,) = gateway.to("/sms")
    assert sms["json"] == {
        "phone": "13800000001",
        "template_id": "SMS_ESC",
        "params": {"text": notice.text},
        "sign": "义乌代办",
    }
    assert sms["headers"]["Authorization"] == f"Bearer {SMS_KEY}"

    (ding,) = gateway.to("/robot/send")
    assert ding["json"] == {
        "msgtype": "text",
        "text": {"content": f"{notice.text} @13800000001"},
        "at": {"atMobiles": ["13800000001"]},
    }
    query = ding["query"]
    assert query["access_token"] == DINGTALK_TOKEN
    now_ms = timezone.now().timestamp() * 1000
    assert now_ms - 60_000 < int(query["timestamp"]) <= now_ms
    expected = base64.b64encode(
        hmac.new(DINGTALK_SECRET.encode(), f"{query['timestamp']}\n{DINGTALK_SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == expected  # parse_qsl decoded what the channel URL-encoded

    (wecom,) = gateway.to("/cgi-bin/webhook/send")
    assert wecom["query"] == {"key": "wecom-key"}
    assert wecom["json"] == {
        "msgtype": "text",
        "text": {"content": notice.text, "mentioned_mobile_list": ["13800000001"]},
    }
    deliveries = Delivery.objects.filter(notification=notice)
    assert sorted(deliveries.values_list("channel", "status", "attempts")) == [
        ("dingtalk", "sent", 1),
        ("sms", "sent", 1),
        ("wecom", "sent", 1),
    ]
    assert all(d.sent_at and d.errand_id == errand.pk for d in deliveries)


def test_only_the_channels_chosen_and_configured(gateway, settings, demo_users, arrived):
    settings.DAIBAN_DINGTALK_WEBHOOK = ""  # not set up: chosen or not, nothing goes there
    prefer(demo_users["worker"], sms=False, dingtalk=True, wecom=True)
    prefer(demo_users["station"], mobile="", wecom=True)  # no number: nobody to reach
    arrived()
    run_tasks()
    assert [r["path"] for r in gateway.requests] == ["/cgi-bin/webhook/send"]


def test_nothing_but_the_bell_by_default(demo_users, arrived):
    prefer(demo_users["worker"], sms=True, dingtalk=True, wecom=True)
    arrived()
    assert Notification.objects.filter(user=demo_users["worker"]).exists()
    assert not Delivery.objects.exists() and not queued()


def test_a_failure_is_retried_with_backoff_until_it_goes_through(gateway, demo_users, arrived):
    gateway.fail("/sms", 2)
    prefer(demo_users["worker"], sms=True)
    arrived()
    start = timezone.now()
    assert run_tasks() == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("HTTP 500")
    assert start + timedelta(seconds=50) < delivery.next_attempt_at < start + timedelta(minutes=2)
    (retry,) = queued("outreach.errands.notifications.tasks.deliver")
    assert retry.run_after == delivery.next_attempt_at and retry.args_kwargs["args"] == [delivery.pk]

    assert run_tasks() == 0  # not before its time
    assert run_tasks(now=start + timedelta(minutes=2)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.next_attempt_at > start + timedelta(minutes=4)  # then 5 minutes
    assert run_tasks(now=start + timedelta(minutes=3)) == 0
    assert run_tasks(now=start + timedelta(minutes=10)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert len(gateway.to("/sms")) == 3 and not queued()


def test_gives_up_after_the_limit_and_keeps_the_last_error(gateway, settings, demo_users, arrived):
    settings.DAIBAN_NOTIFY_MAX_ATTEMPTS = 3
    # A DingTalk robot refusing (wrong 加签 secret) answers 200 with an error code.
    gateway.fail("/robot/send", 99, status=200, answer={"errcode": 310000, "errmsg": "sign not match"})
    prefer(demo_users["worker"], dingtalk=True)
    arrived()
    assert run_tasks(now=timezone.now() + timedelta(days=1)) == 3
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("gave_up", 3, None)
    assert "310000" in delivery.last_error and "sign not match" in delivery.last_error
    assert DINGTALK_TOKEN not in delivery.last_error and DINGTALK_SECRET not in delivery.last_error
    assert len(gateway.to("/robot/send")) == 3 and not queued()


def test_an_unreachable_gateway_is_a_failure_without_secrets(settings, demo_users, arrived):
    settings.DAIBAN_SMS_URL = "http://127.0.0.1:9/sms"  # discard port: refused
    settings.DAIBAN_SMS_KEY, settings.DAIBAN_SMS_TEMPLATES = SMS_KEY, TEMPLATES
    prefer(demo_users["worker"], sms=True)
    arrived()
    run_tasks()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.last_error.startswith("unreachable")
    assert SMS_KEY not in delivery.last_error


def test_sms_answer_with_an_error_code_is_a_failure(gateway, demo_users, arrived):
    gateway.fail("/sms", 1, status=200, answer={"code": "isv.BUSINESS_LIMIT_CONTROL", "message": "limit"})
    prefer(demo_users["worker"], sms=True)
    arrived()
    run_tasks()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "BUSINESS_LIMIT_CONTROL" in delivery.last_error


def test_running_the_task_twice_sends_once(gateway, demo_users, arrived):
    prefer(demo_users["worker"], wecom=True)
    arrived()
    delivery = Delivery.objects.get()
    tasks.deliver.enqueue(delivery.pk)  # a second run of the same delivery
    assert run_tasks() == 2
    assert len(gateway.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_a_row_claimed_by_another_run_is_left_alone(gateway, demo_users, arrived):
    prefer(demo_users["worker"], wecom=True)
    arrived()
    delivery = Delivery.objects.get()
    # Another worker claimed it a moment ago and is sending it now.
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    run_tasks()
    assert not gateway.requests
    assert Delivery.objects.get().status == "sending"


def test_overdue_notices_are_delivered_once(gateway, demo_users, django_capture_on_commit_callbacks):
    admin = demo_users["admin"]
    factories.errand(actor=admin, resident=factories.resident(actor=admin), code="YB-CB", ago=timedelta(days=5))
    prefer(demo_users["worker"], wecom=True)
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("notify_overdue_errands", stdout=io.StringIO())
        run_tasks()
    (request,) = gateway.requests
    assert "逾期" in request["json"]["text"]["content"] or "overdue" in request["json"]["text"]["content"]
    assert Delivery.objects.get().kind == "overdue"


# --- residents -------------------------------------------------------------------------------


@pytest.fixture
def consenting(demo_users):
    return factories.resident(
        actor=demo_users["admin"], phone="13900000002", guardian_phone="13700000003", sms_consent=True
    )


def walk(errand, worker, actions, capture):
    with capture(execute=True):
        return factories.errand_walk(errand=errand, actor=worker, actions=actions)


def test_resident_is_told_when_the_errand_is_accepted_and_done(
    gateway, demo_users, consenting, django_capture_on_commit_callbacks
):
    worker = demo_users["worker"]
    errand = factories.errand(actor=worker, resident=consenting, code="MZ-GL")
    errand = walk(errand, worker, ["accept", "start"], django_capture_on_commit_callbacks)
    run_tasks()
    (accepted,) = gateway.to("/sms")
    params = {"number": errand.number, "service": errand.service.name, "code": codes.shown(errand.progress_code)}
    assert accepted["json"] == {"phone": "13900000002", "template_id": "SMS_OK", "params": params, "sign": "义乌代办"}
    walk(errand, worker, ["complete"], django_capture_on_commit_callbacks)
    run_tasks()
    done = gateway.to("/sms")[1]
    assert done["json"]["template_id"] == "SMS_DONE" and done["json"]["params"] == params
    assert len(gateway.requests) == 2  # started: nothing
    body = json.dumps(gateway.requests, ensure_ascii=False)
    assert consenting.name not in body and consenting.address not in body
    log = Delivery.objects.get(kind="errand_accepted")
    assert (log.errand_id, log.recipient, log.dedupe_key) == (errand.pk, "13900000002", f"errand:{errand.pk}:accepted")
    assert "进度码" in log.text or "Progress code" in log.text


def test_the_same_step_again_sends_nothing_more(gateway, demo_users, consenting, django_capture_on_commit_callbacks):
    worker = demo_users["worker"]
    errand = factories.errand(actor=worker, resident=consenting, code="MZ-GL")
    errand = walk(errand, worker, ["accept"], django_capture_on_commit_callbacks)
    run_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.errand_progress_sms(errand=errand) == []  # the same transition's run again
    # Escalated and accepted again higher up: the resident already knows it is accepted.
    errand = walk(errand, worker, ["escalate"], django_capture_on_commit_callbacks)
    walk(errand, demo_users["station"], ["accept"], django_capture_on_commit_callbacks)
    run_tasks()
    assert len(gateway.to("/sms")) == 1
    assert Delivery.objects.count() == 1


def test_the_family_contact_is_told_when_chosen(gateway, demo_users, django_capture_on_commit_callbacks):
    admin, worker = demo_users["admin"], demo_users["worker"]
    resident = factories.resident(
        actor=admin, phone="", guardian_phone="13700000003", sms_consent=True, sms_to="guardian"
    )
    errand = factories.errand(actor=worker, resident=resident, code="MZ-GL")
    walk(errand, worker, ["accept"], django_capture_on_commit_callbacks)
    run_tasks()
    assert [r["json"]["phone"] for r in gateway.requests] == ["13700000003"]


def test_resident_without_consent_gets_nothing(gateway, demo_users, django_capture_on_commit_callbacks):
    worker = demo_users["worker"]
    resident = factories.resident(actor=demo_users["admin"], phone="13900000002")
    errand = factories.errand(actor=worker, resident=resident, code="MZ-GL")
    walk(errand, worker, ["accept", "start", "complete"], django_capture_on_commit_callbacks)
    run_tasks()
    assert not gateway.requests and not Delivery.objects.exists()


def test_consent_needs_the_number_it_names_and_is_dated(demo_users):
    admin = demo_users["admin"]
    with pytest.raises(ValidationError) as error:
        factories.resident(actor=admin, phone="13900000002", sms_consent=True, sms_to="guardian")
    assert "sms_to" in error.value.message_dict
    resident = factories.resident(actor=admin, phone="13900000002", sms_consent=True)
    assert resident.sms_consent_at is not None


# --- the log in the admin ------------------------------------------------------------------


def test_the_delivery_log_in_the_admin(gateway, client_for, demo_users, arrived):
    prefer(demo_users["worker"], sms=True, wecom=True)
    gateway.fail("/sms", 1)
    arrived()
    run_tasks()
    client = client_for("admin")
    url = reverse("admin:outreach_delivery_changelist")
    html = client.get(url).content.decode()
    assert "138****0001" in html and "13800000001" not in html
    assert len(client.get(url, {"status__exact": "failed"}).context["cl"].result_list) == 1
    assert len(client.get(url, {"channel__exact": "wecom"}).context["cl"].result_list) == 1
    assert len(client.get(url, {"q": "13800000001"}).context["cl"].result_list) == 2
    assert len(client.get(url, {"q": "13900000000"}).context["cl"].result_list) == 0
    delivery = Delivery.objects.get(channel="sms")
    page = client.get(reverse("admin:outreach_delivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and "HTTP 500" in page.content.decode()
    assert client.get(reverse("admin:outreach_notificationpreference_changelist")).status_code == 200


def test_a_webhook_that_is_no_url_fails_without_showing_it(settings, demo_users, arrived):
    settings.DAIBAN_WECOM_WEBHOOK = "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-secret-key"  # no https://
    prefer(demo_users["worker"], wecom=True)
    arrived()
    run_tasks()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "not an http(s) URL" in delivery.last_error
    assert "wecom-secret-key" not in delivery.last_error
