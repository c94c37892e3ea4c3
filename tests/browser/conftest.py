"""Browser tests: pytest-playwright driving Debian's Chromium (/usr/bin/chromium).

Where Chromium is missing they are skipped with a clear reason — except under CI=true,
where a missing browser is a failure, never a silent skip.
"""

import contextlib
import os
import re
import socket
import threading
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.testcases import LiveServerThread
from pytest_django.live_server_helper import LiveServer

from demo.territory import seed_territory

CHROMIUM = Path(os.environ.get("DAIBAN_CHROMIUM", "/usr/bin/chromium"))
PHONE = {"width": 390, "height": 844}


class _OneRequestAtATimeServer(ThreadedWSGIServer):
    """The live server keeps its threads (browsers hold connections open) but runs one
    request at a time: every thread shares the test's one database connection (see
    _live_site_server), and a map that fetches its layers in parallel would use it at once.

    It serves only while a test runs. A request still in flight when the test ends (a
    photo, a service worker's sync) finishes first, closing of its response included,
    before the test's transaction rolls back; one that arrives between tests gets a 503
    without touching the database, never the next test's data."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_requests: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.serving = False

    def set_app(self, application):
        def one_at_a_time(environ, start_response):
            self.lock.acquire()
            if not self.serving:
                self.lock.release()
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"No test is running."]
            try:
                response = application(environ, start_response)
            except BaseException:
                self.lock.release()
                raise
            return _ReleasedOnClose(response, self.lock.release)

        super().set_app(one_at_a_time)

    def serve_test(self) -> None:
        self.serving = True

    def end_test(self) -> None:
        """Wait for the request in flight, if any, and serve no more. A request that never
        ends (a browser that stopped reading) fails the test instead of hanging the run."""
        if not self.lock.acquire(timeout=30):
            raise RuntimeError("The live server is still answering a request 30 s after the test ended.")
        try:
            self.serving = False
        finally:
            self.lock.release()

    def _close_connections(self):
        """Never from a server thread: the connection is the test thread's (see
        _live_site_server). Chromium closes a kept-alive socket whenever it likes, often
        while the next test, browser or not, is using that connection; closing it then
        pulls the socket from under the test thread's query."""

    def process_request_thread(self, request, client_address):
        self.open_requests.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.open_requests.discard(request)

    def end_open_requests(self) -> None:
        """End the connections Chromium keeps alive and wait for their threads, before the
        test thread's database connection is shared no more."""
        threads = [t for t in threading.enumerate() if t.name.endswith("(process_request_thread)")]
        for request in list(self.open_requests):
            with contextlib.suppress(OSError):
                request.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=5)


class _ReleasedOnClose:
    """A WSGI response that runs a callback once the server has closed it (Django sends
    request_finished, which checks the database connection, in close())."""

    def __init__(self, response, callback):
        self.response, self.callback = response, callback

    def __iter__(self):
        return iter(self.response)

    def close(self):
        try:
            if hasattr(self.response, "close"):
                self.response.close()
        finally:
            self.callback()


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


@pytest.fixture(scope="session")
def _live_site_server(django_db_setup, django_db_blocker):
    """One live server per session (per xdist worker: each has its own database and an
    ephemeral port) that shares the test thread's database connection, on SQLite as on
    PostgreSQL. The server then sees, and writes into, each test's transaction, which
    rolls back at the end of the test: the demo city seeded once for the session
    (tests/conftest.py) is never flushed, and nothing a test writes outlives it.

    pytest-django's own ``live_server`` cannot do this: whatever asks for it is made a
    transactional test (a flush after each test, so the city must be seeded every time).
    """
    connection = connections[DEFAULT_DB_ALIAS]  # this thread's wrapper, not the proxy
    with django_db_blocker.unblock():
        connection.ensure_connection()
    server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"), start=False)
    server.thread.connections_override[DEFAULT_DB_ALIAS] = connection
    server.start()
    yield server
    server.thread.httpd.end_open_requests()
    server.stop()


@pytest.fixture
def live_site(db, _live_site_server):
    """The live server, inside this test's transaction."""
    assert connections[DEFAULT_DB_ALIAS] is _live_site_server.thread.connections_override[DEFAULT_DB_ALIAS], (
        "the live server must use the test's own connection"
    )
    connection = connections[DEFAULT_DB_ALIAS]
    # The server closes its connections after each request; closing this one would end
    # the test's transaction. Only while the test runs: other tests of the session close
    # their connection as usual. (SQLite never closes an in-memory connection.)
    connection.close = lambda: None
    httpd = _live_site_server.thread.httpd
    httpd.serve_test()
    try:
        with _live_site_server._live_server_modified_settings:  # ALLOWED_HOSTS gets the server's host
            yield _live_site_server
        httpd.end_test()  # before the transaction rolls back
    finally:
        del connection.close  # the class's close again


@pytest.fixture
def demo_city(db, settings):
    """The demo city of the session, with every demo password hashed by the fast hasher
    (the session seed used the default one, slow at every login). A transactional test
    elsewhere flushes its database at the end: then the city is seeded again, inside this
    test's transaction."""
    from grid.models import User

    if not User.objects.filter(username="worker").exists():
        seed_territory()
    User.objects.update(password=make_password(settings.DAIBAN_DEMO_PASSWORD))


@pytest.fixture
def log_in(page, live_site, demo_city, settings):
    def login(username: str):
        page.goto(f"{live_site.url}/account/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(settings.DAIBAN_DEMO_PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        # home (a joint branch's workspace for its people), whatever query the outbox
        # script may add after a change of user
        page.wait_for_url(re.compile(re.escape(live_site.url) + r"/(branches/\d+/)?(\?.*)?$"))
        return page

    return login


def shot(page, name: str, *, full_page: bool = False) -> None:
    """A screenshot to look at, when DAIBAN_SCREENSHOTS names a folder for them."""
    folder = os.environ.get("DAIBAN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


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


def landing_logged_out(page, live_site):
    """`with landing_logged_out(page, live_site): <the tap that logs out>` waits for the
    logout's landing, the login page at ?logged_out=1. Its script takes the query away at
    once (history.replaceState, so that a reload wipes nothing): a wait started after the
    tap may find the plain login page and wait for a navigation that has already happened."""
    return page.expect_navigation(url=f"{live_site.url}/account/login/?logged_out=1")
