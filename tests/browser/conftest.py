"""Browser tests: pytest-playwright driving Debian's Chromium (/usr/bin/chromium).

Where Chromium is missing they are skipped with a clear reason — except under CI=true,
where a missing browser is a failure, never a silent skip.
"""

import os
import re
import threading
from pathlib import Path

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

from demo.territory import seed_territory

CHROMIUM = Path(os.environ.get("DAIBAN_CHROMIUM", "/usr/bin/chromium"))
PHONE = {"width": 390, "height": 844}


class _OneRequestAtATimeServer(ThreadedWSGIServer):
    """The live server keeps its threads (browsers hold connections open) but runs one
    request at a time: with SQLite's in-memory test database every thread shares one
    connection, and a map that fetches its layers in parallel would use it at once."""

    def set_app(self, application):
        lock = threading.Lock()

        def one_at_a_time(environ, start_response):
            with lock:
                return application(environ, start_response)

        super().set_app(one_at_a_time)


LiveServerThread.server_class = _OneRequestAtATimeServer

# Playwright's sync API runs an event loop in the test thread (from the session-scoped
# browser on), while the ORM calls that seed and check data stay plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _require_chromium():
    if CHROMIUM.exists():
        return
    message = f"Browser tests need Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)."
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} CI must run the browser tests.")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def demo_city(transactional_db, settings):
    """Browser tests run against a live server on a flushed database: seed it again."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_territory()
    from grid.models import User

    for user in User.objects.all():
        user.set_password(settings.DAIBAN_DEMO_PASSWORD)
        user.save(update_fields=["password"])


@pytest.fixture
def log_in(page, live_server, demo_city, settings):
    def login(username: str):
        page.goto(f"{live_server.url}/account/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(settings.DAIBAN_DEMO_PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        # home, whatever query the outbox script may add after a change of user
        page.wait_for_url(re.compile(re.escape(live_server.url) + r"/(\?.*)?$"))
        return page

    return login


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def scroll_top_after_swap(page, timeout_ms: int = 5000) -> int:
    """The page's scroll position once htmx has settled a swap that scrolls up (polled
    with evaluate: wait_for_function compiles its predicate, which the CSP forbids)."""
    for _tick in range(timeout_ms // 100):
        if page.evaluate("window.scrollY") == 0:
            break
        page.wait_for_timeout(100)
    return page.evaluate("window.scrollY")
