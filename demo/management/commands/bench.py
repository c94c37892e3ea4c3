"""Benchmark the pages with budgets, at the demo scale and at the city scale: median
server time (Django test client, warm, N runs) and query count per page, and the size
of the city coverage GeoJSON before compression. ``make bench`` runs it on a database of
its own (the demo city and the synthetic one of ``seed_city`` side by side).

Then, on PostgreSQL, in the same run: the saturation throughput of the pages under
gunicorn, each as a share of the floor (``/healthz/live``: the same middleware, no work;
``demo/load.py``), at the largest scale; the CPU time of checking a password with the
first password hasher (a login's cost); and the bytes on the wire of Today, the errand
board and the dashboards, compressed as the browser asks and not.

The same pages are opened as the same roles at both scales: the demo logins (``worker``,
``street``, ``admin``) in the demo city, the synthetic city's (``city_worker``,
``city_street``, ``city_admin``) in the city of ``seed_city``. Query counts must be equal
at both scales; the command says when they are not. Nothing here is part of the test
suite: timings depend on the machine.
"""

import gzip
import json
import os
import statistics
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.crypto import get_random_string

from demo import data as demo_data
from demo import load
from demo.management.commands.seed_city import CITY_CODE, LOGINS, SEEDED_COVERAGE_DAYS
from grid.models import Area, Role, Scope, User
from outreach.models import Resident, Visit
from outreach.reporting.coverage import days as coverage_days

# page key, label, budget in ms (issue #16's targets where it set one)
PAGES = [
    ("today", "Today (grid worker)", 30),
    ("town_geojson", "Town coverage GeoJSON", 60),
    ("city_geojson", "City coverage GeoJSON", 60),
    ("city_geojson_past", "City coverage GeoJSON, last month", 60),
    ("dashboard_town", "Dashboard (street official, town)", 80),
    ("dashboard_city", "Dashboard (city administrator, city)", 150),
    ("dashboard_city_past", "Dashboard, city, last month", 150),
    ("board", "Errand board (street official, town)", 60),
]
GEOJSON_BUDGET_BYTES = 1_000_000

# page key, label: the saturation throughput (``demo/load.py``), the floor first.
LOADED = [
    ("floor", "Floor: /healthz/live (same middleware)"),
    ("login_page", "Login page (anonymous)"),
    ("today", "Today (grid worker)"),
    ("visit", "POST visit (API, grid worker)"),
    ("resident", "Resident page (grid worker)"),
    ("board", "Errand board (street official, town)"),
    ("dashboard_town", "Dashboard (street official, town)"),
    ("dashboard_city", "Dashboard (city administrator, city)"),
    ("town_geojson", "Town coverage GeoJSON"),
    ("city_geojson", "City coverage GeoJSON"),
]
# Pages whose bytes on the wire are reported (compressed, and as they would be without).
WIRE = ["today", "board", "dashboard_town", "dashboard_city"]


@dataclass
class Scale:
    name: str
    city: Area
    logins: dict[str, str]  # role → username

    def town(self) -> Area:
        return User.objects.get(username=self.logins["street"]).scopes.select_related("area").get().area


@dataclass
class Result:
    page: str
    scale: str
    median_ms: float
    cpu_ms: float  # this process's CPU time: the whole server's on SQLite (in-process), not PostgreSQL's
    queries: int
    size: int | None = None
    gzipped: int | None = None


class Command(BaseCommand):
    help = "Median server time and query count of Today, the coverage GeoJSON and the dashboard, demo and city scale."

    def add_arguments(self, parser):
        parser.add_argument(
            "--runs", type=int, default=9, help="Timed runs per page after two warm-up runs (default 9)."
        )
        parser.add_argument(
            "--ensure-city",
            type=int,
            metavar="RESIDENTS",
            default=0,
            help="Run seed_city with this many residents first if the synthetic city is missing.",
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print the results as JSON, not a table."
        )
        parser.add_argument(
            "--load-seconds",
            type=float,
            default=8,
            help="Seconds of load per page for the throughput under gunicorn (PostgreSQL only; 0 skips it).",
        )
        parser.add_argument("--load-clients", type=int, default=4, help="Concurrent loopback clients (default 4).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2).")

    def handle(
        self,
        *args,
        runs: int,
        ensure_city: int,
        as_json: bool,
        load_seconds: float,
        load_clients: int,
        workers: int,
        **options,
    ):
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        if not Area.objects.filter(code=demo_data.CITY[0]).exists():
            raise CommandError("No demo city in this database: run seed_demo first.")
        if ensure_city and not Area.objects.filter(code=CITY_CODE).exists():
            call_command("seed_city", residents=ensure_city, force=True, stdout=self.stdout, stderr=self.stderr)
        # What the worker's nightly run keeps written: last month's pages read it (both cities).
        coverage_days.fill(days=SEEDED_COVERAGE_DAYS)
        scales = [
            Scale(
                "demo",
                Area.objects.get(code=demo_data.CITY[0]),
                {"worker": "worker", "street": "street", "admin": "admin"},
            )
        ]
        if Area.objects.filter(code=CITY_CODE).exists():
            scales.append(Scale("city", Area.objects.get(code=CITY_CODE), LOGINS))
        else:
            self.stderr.write("No synthetic city in this database (seed_city): measuring the demo scale only.")
        results = [r for scale in scales for r in self.measure(scale, runs)]
        if not as_json:
            self.report(scales, results, runs)
        extra: dict = {"login_cpu_ms": login_cpu_ms()}
        if load_seconds > 0 and connection.vendor == "postgresql":
            extra |= self.under_load(scales[-1], seconds=load_seconds, clients=load_clients, workers=workers)
        elif load_seconds > 0:
            self.stderr.write("Throughput under gunicorn is measured on PostgreSQL only (BENCH_DATABASE_URL).")
        if as_json:
            self.stdout.write(_json({"pages": [r.__dict__ for r in results], **extra}))
            return
        self.stdout.write(f"Login: checking a password takes {extra['login_cpu_ms']:.0f} ms of CPU (median of 5).")
        if "load" in extra:
            self.report_load(extra, seconds=load_seconds, clients=load_clients, workers=workers)

    def urls(self, scale: Scale) -> dict[str, tuple[str, str]]:
        """{page key: (role, URL)}."""
        town = scale.town()
        worker = User.objects.get(username=scale.logins["worker"])
        return {
            "today": ("worker", reverse("home")),
            "town_geojson": ("street", f"{reverse('coverage-areas')}?area={town.pk}"),
            "city_geojson": ("admin", f"{reverse('coverage-areas')}?area={scale.city.pk}"),
            "dashboard_town": ("street", f"{reverse('dashboard')}?area={town.pk}"),
            "dashboard_city": ("admin", f"{reverse('dashboard')}?area={scale.city.pk}"),
            "city_geojson_past": ("admin", f"{reverse('coverage-areas')}?area={scale.city.pk}&period=last_month"),
            "dashboard_city_past": ("admin", f"{reverse('dashboard')}?area={scale.city.pk}&period=last_month"),
            "board": ("street", reverse("errand-board")),
            "resident": ("worker", reverse("resident-detail", args=[_worker_residents(worker)[0].pk])),
            "visit": ("visitor", "/api/v1/visits"),
            "floor": ("", reverse("health-live")),
            "login_page": ("", reverse("login")),
        }

    def clients(self, scale: Scale) -> dict[str, Client]:
        clients = {}
        for role in ("worker", "street", "admin"):
            clients[role] = Client()
            clients[role].force_login(User.objects.get(username=scale.logins[role]))
        return clients

    def measure(self, scale: Scale, runs: int) -> list[Result]:
        urls = self.urls(scale)
        clients = self.clients(scale)
        results = []
        for page, _label, _budget in PAGES:
            role, url = urls[page]
            client = clients[role]
            for _ in range(2):  # warm: caches, the query plans, the pages of the database file
                response = client.get(url)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code} for {scale.logins[role]}.")
            times, cpu = [], []
            for _ in range(runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            result = Result(page, scale.name, statistics.median(times), statistics.median(cpu), len(queries))
            if page.endswith("geojson"):
                body = response.content
                result.size, result.gzipped = len(body), len(gzip.compress(body))
            results.append(result)
        return results

    def under_load(self, scale: Scale, *, seconds: float, clients: int, workers: int) -> dict:
        """Throughput of each page of ``LOADED`` under gunicorn, the bytes on the wire of
        ``WIRE``, and whether every acknowledged visit was stored."""
        urls = self.urls(scale)
        sessions = {role: _cookie(client) for role, client in self.clients(scale).items()}
        # The visits go to another worker's grid: visited, the Today worker's residents
        # would leave the list that the next run measures.
        visitor = _other_worker(scale)
        visiting = Client()
        visiting.force_login(visitor)
        sessions["visitor"] = _cookie(visiting)
        csrf = get_random_string(32)  # the cookie's secret, sent back in the header
        residents = _worker_residents(visitor)
        targets = {}
        for key, label in LOADED:
            role, url = urls[key]
            target = load.Target(key, label, url, cookies=sessions.get(role, ""))
            if key == "visit":
                target.method = "POST"
                target.cookies += f"; {settings.CSRF_COOKIE_NAME}={csrf}"
                target.headers = {"X-CSRFToken": csrf}
                target.body = load.visit_body(
                    [r.pk for r in residents], {r.pk: (r.home_lat or 29.3, r.home_lng or 120.07) for r in residents}
                )
            targets[key] = target
        self.stderr.write(
            f"Throughput under gunicorn ({workers} workers, {clients} clients, {seconds:g} s per page) "
            f"at the {scale.name} scale…"
        )
        with load.Gunicorn(workers=workers, database_url=os.environ.get("DATABASE_URL", "")) as server:
            wire = {}
            for key in WIRE:
                status, compressed, headers = load.request(server.port, targets[key])
                _status, plain, _headers = load.request(server.port, targets[key], encoding="identity")
                if status != 200:
                    raise CommandError(f"{targets[key].path} answered {status} under gunicorn.")
                wire[key] = {
                    "bytes": len(compressed),
                    "encoding": headers.get("content-encoding", ""),
                    "plain": len(plain),
                }
            loads = [load.saturate(server.port, targets[key], clients=clients, seconds=seconds) for key, _ in LOADED]
        acknowledged = [i for result in loads for i in result.acknowledged]
        stored = Visit.objects.filter(pk__in=acknowledged).count()
        return {
            "load": [
                {
                    "page": r.key,
                    "label": r.label,
                    "per_second": r.per_second,
                    "median_ms": r.median_ms,
                    "p95_ms": r.percentile(0.95),
                    "responses": r.responses,
                    "statuses": r.statuses,
                }
                for r in loads
            ],
            "wire": wire,
            "visits": {"acknowledged": len(acknowledged), "stored": stored},
            "load_scale": scale.name,
            "load_average": os.getloadavg()[0],
        }

    def report_load(self, extra: dict, *, seconds: float, clients: int, workers: int) -> None:
        rows = extra["load"]
        floor = rows[0]["per_second"] or 1.0
        self.stdout.write(
            f"Saturation throughput at the {extra['load_scale']} scale: gunicorn with {workers} sync workers, "
            f"production settings, {clients} loopback clients, {seconds:g} s per page after a 1 s warm-up; "
            f"load average {extra['load_average']:.1f} on {os.cpu_count()} CPUs at the end"
        )
        header = f"{'page':<40} {'req/s':>8} {'of floor':>9} {'p50 ms':>8} {'p95 ms':>8} {'answers':>8} {'not 2xx':>8}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        problems = []
        for row in rows:
            others = sum(n for status, n in row["statuses"].items() if status not in (200, 201))
            self.stdout.write(
                f"{row['label']:<40} {row['per_second']:>8.1f} {row['per_second'] / floor:>9.2f} "
                f"{row['median_ms']:>8.0f} {row['p95_ms']:>8.0f} {row['responses']:>8} {others:>8}"
            )
            if others:
                problems.append(f"{row['label']}: answers {row['statuses']}")
        for key, sizes in extra["wire"].items():
            self.stdout.write(
                f"On the wire, {key}: {sizes['bytes']:,} bytes ({sizes['encoding'] or 'not compressed'}; "
                f"{sizes['plain']:,} uncompressed)"
            )
            if not sizes["encoding"]:
                problems.append(f"{key} went out uncompressed")
        visits = extra["visits"]
        self.stdout.write(f"Visits acknowledged (201): {visits['acknowledged']:,}; stored: {visits['stored']:,}")
        if visits["stored"] != visits["acknowledged"]:
            problems.append("some acknowledged visits were not stored")
        if problems:
            self.stdout.write(self.style.WARNING("Under load:\n  " + "\n  ".join(problems)))

    def report(self, scales: list[Scale], results: list[Result], runs: int) -> None:
        by_key = {(r.page, r.scale): r for r in results}
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        self.stdout.write(
            f"Database: {connection.vendor} · median of {runs} warm runs · Django test client · "
            f"load average {load} on {os.cpu_count()} CPUs"
        )
        for scale in scales:
            residents = Resident.objects.filter(grid__path__startswith=scale.city.path).count()
            visits = Visit.objects.filter(resident__grid__path__startswith=scale.city.path).count()
            grids = Area.objects.filter(path__startswith=scale.city.path, level=Area.Level.GRID).count()
            self.stdout.write(
                f"  {scale.name}: {scale.city.name}, {grids:,} grids, {residents:,} residents, {visits:,} visits"
            )
        header = f"{'page':<40} {'budget':>8}" + "".join(
            f" {s.name + ' ms':>10} {'cpu ms':>8} {'queries':>8}" for s in scales
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        problems = []
        for page, label, budget in PAGES:
            line = f"{label:<40} {budget:>6} ms"
            counts = set()
            for scale in scales:
                r = by_key[(page, scale.name)]
                counts.add(r.queries)
                line += f" {r.median_ms:>10.1f} {r.cpu_ms:>8.1f} {r.queries:>8}"
                if r.median_ms > budget:
                    problems.append(f"{label} at the {scale.name} scale: {r.median_ms:.0f} ms, over {budget} ms")
            self.stdout.write(line)
            if len(counts) > 1:
                problems.append(f"{label}: query counts differ between scales ({sorted(counts)})")
        for scale in scales:
            r = by_key[("city_geojson", scale.name)]
            self.stdout.write(
                f"City coverage GeoJSON at the {scale.name} scale: {r.size:,} bytes "
                f"({r.gzipped:,} gzipped); budget {GEOJSON_BUDGET_BYTES:,} bytes before compression"
            )
            if r.size > GEOJSON_BUDGET_BYTES:
                problems.append(f"City coverage GeoJSON at the {scale.name} scale is {r.size:,} bytes")
        if os.getloadavg()[0] > (os.cpu_count() or 1):
            self.stdout.write(
                "The machine is busier than it has CPUs: wall-clock times include waiting for a CPU; "
                "on SQLite the cpu column is the server's own time."
            )
        if problems:
            self.stdout.write(self.style.WARNING("Over budget or unequal:\n  " + "\n  ".join(problems)))
        else:
            self.stdout.write(self.style.SUCCESS("Every page within budget; query counts equal at every scale."))


def _other_worker(scale: Scale) -> User:
    """A grid worker of the scale's city other than the one whose Today is measured."""
    scopes = Scope.objects.filter(role=Role.GRID_WORKER, area__path__startswith=scale.city.path)
    scope = scopes.exclude(user__username=scale.logins["worker"]).select_related("user").order_by("-area__path").first()
    if scope is None:
        raise CommandError(f"No second grid worker at the {scale.name} scale to send the visits.")
    return scope.user


def _worker_residents(worker: User) -> list[Resident]:
    """The active residents of the worker's grid(s), in id order."""
    grids = [scope.area for scope in worker.scopes.select_related("area") if scope.area is not None]
    return list(
        Resident.objects.filter(grid__in=grids, status=Resident.Status.ACTIVE)
        .only("id", "home_lat", "home_lng")
        .order_by("pk")
    )


def _cookie(client: Client) -> str:
    """The session cookie a logged-in test client holds, as a Cookie header value."""
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def login_cpu_ms(runs: int = 5) -> float:
    """CPU time (all threads of this process) of checking a password hashed by the first
    password hasher: what a login costs the server."""
    encoded = make_password(settings.DAIBAN_DEMO_PASSWORD)
    times = []
    for _ in range(runs):
        started = time.process_time()
        assert check_password(settings.DAIBAN_DEMO_PASSWORD, encoded)
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
