"""Saturation throughput for ``manage.py bench``: the pages under gunicorn on this
machine, each as a share of the floor (``/healthz/live``, the same middleware and
nothing else), with a bounded load generator on the loopback.

How: gunicorn (sync workers, production settings: ``DAIBAN_DEBUG=0``, the database of
the benchmark) is started on a free loopback port; for each page, ``clients`` threads
send requests back to back for ``seconds`` (after a warm-up second), each on a new
connection, as gunicorn's sync workers close them. Throughput is the responses per
second; the latencies are what the clients waited (queueing included). A POSTed visit
is new each time (its own id, a resident of the worker's grid); every acknowledged
visit is checked to be stored afterwards. Nothing here is part of the test suite.
"""

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import cycle
from pathlib import Path

from django.conf import settings
from django.utils import timezone

HOST = "127.0.0.1"


@dataclass
class Target:
    """One page to load: a method, a path, the session it is sent with, and for a POST
    a function making each request's body (and the id it should be stored under)."""

    key: str
    label: str
    path: str
    cookies: str = ""
    method: str = "GET"
    body: Callable[[], tuple[bytes, str]] | None = None  # (JSON body, the visit id)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Load:
    key: str
    label: str
    seconds: float
    responses: int
    statuses: dict[int, int]
    latencies_ms: list[float]
    acknowledged: list[str]  # ids the server answered 201 for (POSTed visits)

    @property
    def per_second(self) -> float:
        return self.responses / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def unexpected(self) -> int:
        """Answers other than 200 and 201: refusals, redirects, errors."""
        return sum(n for status, n in self.statuses.items() if status not in (200, 201))

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving this project with production settings on a loopback port, for
    the length of a ``with`` block."""

    def __init__(self, *, workers: int, database_url: str) -> None:
        self.workers = workers
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DAIBAN_DEBUG": "0",
            # The same keys as this process: its sessions must be valid there, and the
            # national IDs it stored readable.
            "DAIBAN_SECRET_KEY": settings.SECRET_KEY,
            "DAIBAN_FIELD_KEY": settings.DAIBAN_FIELD_KEY,
            "DAIBAN_ALLOWED_HOSTS": HOST,
            "DAIBAN_SSL_REDIRECT": "0",  # plain HTTP on the loopback
        }
        self.process: subprocess.Popen | None = None

    def collect_static(self) -> None:
        """Production pages name the collected static files (a manifest): collect them
        once."""
        if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                env=self.env,
                cwd=settings.BASE_DIR,
                check=True,
            )

    def __enter__(self) -> "Gunicorn":
        self.collect_static()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "config.wsgi", "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers)],
            env=self.env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _body, _headers = request(
                    self.port, Target("up", "", "/healthz")
                )  # ready: the database answers
                if status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not answer within 30 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # its own child processes go with it
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def request(
    port: int, target: Target, *, body: bytes | None = None, encoding: str = "gzip, br"
) -> tuple[int, bytes, dict[str, str]]:
    """One request on a new connection: (status, the body as sent on the wire, headers)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        headers = {"Accept-Encoding": encoding, **target.headers}
        if target.cookies:
            headers["Cookie"] = target.cookies
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection.request(target.method, target.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def saturate(port: int, target: Target, *, clients: int, seconds: float, warm_up: float = 1.0) -> Load:
    """``clients`` threads sending ``target`` back to back: a warm-up, then ``seconds``
    counted. Bounded: at most ``clients`` requests in flight, for a fixed time."""
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    acknowledged: list[str] = []
    start = time.monotonic() + warm_up
    end = start + seconds

    def client() -> None:
        while (now := time.monotonic()) < end:
            body, visit_id = target.body() if target.body else (None, "")
            started = time.perf_counter()
            try:
                status, _content, _headers = request(port, target, body=body)
            except OSError:
                status = 599  # no answer: counted as a server error
            waited = (time.perf_counter() - started) * 1000
            with lock:
                if status == 201 and visit_id:
                    acknowledged.append(visit_id)  # warming up or not: it must be stored
                if now >= start:  # not warming up
                    statuses[status] = statuses.get(status, 0) + 1
                    latencies.append(waited)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    responses = sum(statuses.values())
    return Load(target.key, target.label, seconds, responses, statuses, latencies, acknowledged)


def visit_body(resident_ids: list[int], lat_lng: dict[int, tuple[float, float]]) -> Callable[[], tuple[bytes, str]]:
    """Each call: a new visit (its own id) to the next of ``resident_ids``, at the home,
    a few minutes ago (as a phone would send it)."""
    residents = cycle(resident_ids)
    lock = threading.Lock()

    def make() -> tuple[bytes, str]:
        with lock:
            pk = next(residents)
        visit_id = str(uuid.uuid4())
        lat, lng = lat_lng[pk]
        body = {
            "id": visit_id,
            "resident": pk,
            "visited_at": timezone.localtime(timezone.now() - timedelta(minutes=5)).isoformat(timespec="seconds"),
            "outcome": "met",
            "lat": lat,
            "lng": lng,
            "accuracy_m": 12.0,
            "health": "fair",
            "health_notes": "",
            "living_notes": "",
            "hazards": [],
            "hazard_notes": "",
            "needs": "",
        }
        return json.dumps(body).encode(), visit_id

    return make
