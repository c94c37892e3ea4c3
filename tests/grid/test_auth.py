"""Login, throttling by username AND address, logout, password change, language."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "daiban-demo"


@pytest.fixture(autouse=True)
def _demo_password(demo_users):
    for user in demo_users.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


def login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_and_logout(client):
    response = login(client, "worker", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("home")
    assert "王丽" in client.get(reverse("home")).content.decode()
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_a_message(client):
    response = login(client, "worker", "nope")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_lockout_is_per_username_and_address(client, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        login(client, "worker", "wrong", ip="10.0.0.7")
    locked = login(client, "worker", PASSWORD, ip="10.0.0.7")
    assert locked.status_code == 429
    assert "15" in locked.content.decode()
    # the same person from another address, and another person from the same address, still get in
    assert login(client, "worker", PASSWORD, ip="10.0.0.8").status_code == 302
    client.post(reverse("logout"))
    assert login(client, "worker2", PASSWORD, ip="10.0.0.7").status_code == 302


def test_password_change(client_for, demo_users):
    client = client_for("station")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Hongse-daiban-2026",
            "new_password2": "Hongse-daiban-2026",
        },
    )
    assert response.status_code == 302
    demo_users["station"].refresh_from_db()
    assert demo_users["station"].check_password("Hongse-daiban-2026")


def test_chinese_by_default_and_english_on_request(client_for):
    client = client_for("worker")
    html = client.get(reverse("home")).content.decode()
    assert 'lang="zh-hans"' in html and "红色代办" in html and "今日走访" in html
    client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    html = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in html and "Red Proxy Service" in html and "Today's visits" in html


def test_behind_a_trusted_proxy_the_lockout_keys_on_the_forwarded_address(client, settings):
    """DAIBAN_TRUSTED_PROXIES: every visitor reaches Daiban from the proxy's address, so
    throttling must use the address the proxy forwards — one visitor's wrong passwords lock
    that visitor, not everyone behind the proxy."""
    settings.DAIBAN_TRUSTED_PROXIES = ("10.9.0.0/16",)

    def through_proxy(username, password, visitor):
        return client.post(
            reverse("login"),
            {"username": username, "password": password},
            REMOTE_ADDR="10.9.0.1",
            HTTP_X_FORWARDED_FOR=visitor,
        )

    for _ in range(settings.AXES_FAILURE_LIMIT):
        through_proxy("worker", "wrong", "198.51.100.7")
    assert through_proxy("worker", PASSWORD, "198.51.100.7").status_code == 429
    assert through_proxy("worker", PASSWORD, "198.51.100.8").status_code == 302


def test_a_spoofed_forwarded_address_does_not_escape_the_lockout(client, settings):
    """From a peer that is not a trusted proxy, X-Forwarded-For changes nothing: a new
    made-up address per attempt still counts against the real one."""
    settings.DAIBAN_TRUSTED_PROXIES = ("10.9.0.0/16",)
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "worker", "password": "wrong"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )
    locked = client.post(
        reverse("login"),
        {"username": "worker", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert locked.status_code == 429
