"""Benchmark the pages with budgets, at the demo scale and at the city scale: median
server time (Django test client, warm, N runs) and query count per page, and the size
of the city coverage GeoJSON before compression. ``make bench`` runs it on a database of
its own (the demo city and the synthetic one of ``seed_city`` side by side).

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
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo import data as demo_data
from demo.management.commands.seed_city import CITY_CODE, LOGINS
from grid.models import Area, User
from outreach.models import Resident, Visit

# page key, label, budget in ms
PAGES = [
    ("today", "Today (grid worker)", 50),
    ("town_geojson", "Town coverage GeoJSON", 150),
    ("city_geojson", "City coverage GeoJSON", 600),
    ("dashboard_town", "Dashboard (street official, town)", 300),
    ("dashboard_city", "Dashboard (city administrator, city)", 300),
]
GEOJSON_BUDGET_BYTES = 1_000_000


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

    def handle(self, *args, runs: int, ensure_city: int, as_json: bool, **options):
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        if not Area.objects.filter(code=demo_data.CITY[0]).exists():
            raise CommandError("No demo city in this database: run seed_demo first.")
        if ensure_city and not Area.objects.filter(code=CITY_CODE).exists():
            call_command("seed_city", residents=ensure_city, force=True, stdout=self.stdout, stderr=self.stderr)
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
        if as_json:
            self.stdout.write(_json([r.__dict__ for r in results]))
            return
        self.report(scales, results, runs)

    def measure(self, scale: Scale, runs: int) -> list[Result]:
        town = scale.town()
        urls = {
            "today": ("worker", reverse("home")),
            "town_geojson": ("street", f"{reverse('coverage-areas')}?area={town.pk}"),
            "city_geojson": ("admin", f"{reverse('coverage-areas')}?area={scale.city.pk}"),
            "dashboard_town": ("street", f"{reverse('dashboard')}?area={town.pk}"),
            "dashboard_city": ("admin", f"{reverse('dashboard')}?area={scale.city.pk}"),
        }
        clients = {}
        for role in {"worker", "street", "admin"}:
            clients[role] = Client()
            clients[role].force_login(User.objects.get(username=scale.logins[role]))
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


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
