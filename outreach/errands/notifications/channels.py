"""The channels that carry a notification beyond the bell: an SMS gateway, a DingTalk
(浙政钉) group robot and a WeCom (企业微信) group robot, behind one interface.

Each is off until its settings are given (``config/settings.py``, the README's
Notifications section). A channel only talks HTTP: it sends one ``Message`` or raises
``DeliveryError`` with a reason fit for the delivery log, which never holds a secret
(the robots' webhooks carry their token in the URL, so no error names a URL).
"""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from outreach.models import Channel as ChannelName

# What the log keeps of a gateway's answer.
ANSWER_IN_ERROR = 200


class DeliveryError(Exception):
    """A channel did not take the message; the message is the reason, without secrets."""


@dataclass(frozen=True)
class Message:
    recipient: str  # a mobile number; a robot mentions (@) it in the group
    kind: str  # what the message is about: a notification's kind, or errand_accepted…
    text: str
    params: dict[str, str] = field(default_factory=dict)  # an SMS template's variables


class Channel(Protocol):
    name: str

    def configured(self) -> bool: ...

    def handles(self, kind: str) -> bool: ...

    def send(self, message: Message) -> None: ...


def post_json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    """POST ``body`` as JSON; the answer's JSON (None when it is not JSON). A status other
    than 2xx, or no answer within the timeout, raises DeliveryError."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https") or not urllib.parse.urlsplit(url).netloc:
        raise DeliveryError("the address set for this channel is not an http(s) URL")  # without it: a token
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.DAIBAN_NOTIFY_TIMEOUT_SECONDS) as response:
            raw = response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code}: {_answer(error.read(ANSWER_IN_ERROR))}") from None
    except urllib.error.URLError as error:  # refused, no such host…: the reason names no URL
        raise DeliveryError(f"unreachable: {error.reason}") from None
    except (TimeoutError, OSError) as error:
        raise DeliveryError(f"no answer: {error or type(error).__name__}") from None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _answer(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")[:ANSWER_IN_ERROR]


def _robot_answer(answer: Any) -> None:
    """DingTalk and WeCom robots both answer {"errcode": 0, "errmsg": "ok"} when they took it."""
    if not isinstance(answer, dict) or answer.get("errcode") != 0:
        raise DeliveryError(f"refused: {json.dumps(answer, ensure_ascii=False)[:ANSWER_IN_ERROR]}")


# An SMS gateway's answer that says "done"; any other code (or an "error") is a refusal.
SMS_OK_CODES = {0, "0", "OK", "ok", "success", 200, "200"}


class SmsChannel:
    """A generic HTTP SMS gateway: POST {phone, template_id, params, sign} as JSON, with
    the key as a bearer token. Only kinds of message with a template id are sent."""

    name: str = ChannelName.SMS

    def configured(self) -> bool:
        return bool(settings.DAIBAN_SMS_URL)

    def handles(self, kind: str) -> bool:
        return kind in settings.DAIBAN_SMS_TEMPLATES

    def send(self, message: Message) -> None:
        if not self.handles(message.kind):
            raise DeliveryError(f"no SMS template for {message.kind}")
        headers = {"Authorization": f"Bearer {settings.DAIBAN_SMS_KEY}"} if settings.DAIBAN_SMS_KEY else {}
        body = {
            "phone": message.recipient,
            "template_id": settings.DAIBAN_SMS_TEMPLATES[message.kind],
            "params": message.params,
            "sign": settings.DAIBAN_SMS_SIGN,
        }
        answer = post_json(settings.DAIBAN_SMS_URL, body, headers)
        if isinstance(answer, dict):
            code = answer.get("code", answer.get("errcode", 0))
            if answer.get("error") or code not in SMS_OK_CODES:
                raise DeliveryError(f"refused: {json.dumps(answer, ensure_ascii=False)[:ANSWER_IN_ERROR]}")


def dingtalk_signed(webhook: str, secret: str, timestamp_ms: int) -> str:
    """The webhook with DingTalk's 加签: HMAC-SHA256 of "timestamp\\nsecret" keyed with the
    secret, base64, URL-encoded, appended with the timestamp (milliseconds)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{webhook}&timestamp={timestamp_ms}&sign={sign}"


class RobotChannel:
    """A group robot: every kind of message, posted in its group, mentioning the mobile."""

    name: str
    webhook_setting: str

    def configured(self) -> bool:
        return bool(getattr(settings, self.webhook_setting))

    def handles(self, kind: str) -> bool:
        return True


class DingTalkChannel(RobotChannel):
    """A DingTalk (or 浙政钉) group robot, its webhook signed with the 加签 secret."""

    name: str = ChannelName.DINGTALK
    webhook_setting = "DAIBAN_DINGTALK_WEBHOOK"

    def send(self, message: Message) -> None:
        url = settings.DAIBAN_DINGTALK_WEBHOOK
        if settings.DAIBAN_DINGTALK_SECRET:
            url = dingtalk_signed(url, settings.DAIBAN_DINGTALK_SECRET, int(time.time() * 1000))
        mention = f" @{message.recipient}" if message.recipient else ""
        body = {
            "msgtype": "text",
            "text": {"content": message.text + mention},
            "at": {"atMobiles": [message.recipient] if message.recipient else []},
        }
        _robot_answer(post_json(url, body))


class WeComChannel(RobotChannel):
    """A WeCom (企业微信) group robot."""

    name: str = ChannelName.WECOM
    webhook_setting = "DAIBAN_WECOM_WEBHOOK"

    def send(self, message: Message) -> None:
        text = {"content": message.text, "mentioned_mobile_list": [message.recipient] if message.recipient else []}
        _robot_answer(post_json(settings.DAIBAN_WECOM_WEBHOOK, {"msgtype": "text", "text": text}))


CHANNELS: dict[str, Channel] = {c.name: c for c in (SmsChannel(), DingTalkChannel(), WeComChannel())}


def configured_channels() -> list[Channel]:
    """The channels whose settings are given, in the order of ``Channel`` (SMS first)."""
    return [channel for channel in CHANNELS.values() if channel.configured()]


def channel(name: str) -> Channel:
    return CHANNELS[name]
