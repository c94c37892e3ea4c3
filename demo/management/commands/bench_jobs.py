"""What the background jobs cost at city scale (README, Performance): the city-wide
missed-residents list as a job, and a 5,000-row roster checked and imported as jobs, each
timed for its request (which only starts the job) and for the job itself, run here in
this process as the worker runs it. Run on the synthetic city (`seed_city`): everything it
writes is rolled back at the end.

    DATABASE_URL=postgres://…/daiban_bench manage.py bench_jobs
"""

import logging
import time
from datetime import timedelta
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grid.models import Area, User
from outreach.jobs.inline import run_due
from outreach.models import Job, Resident, RosterImport

ROWS = 5000


class Rollback(Exception):
    pass


def run_queued() -> float:
    """Run what is queued, as ``manage.py worker`` does; the seconds it took."""
    started = time.perf_counter()
    run_due(worker_id="bench")
    return time.perf_counter() - started


def timed(call):
    started = time.perf_counter()
    response = call()
    return response, (time.perf_counter() - started) * 1000


class Command(BaseCommand):
    help = "Time the city-wide missed list and a 5,000-row roster import as background jobs (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--admin", default="city_admin", help="A city administrator of the synthetic city.")
        parser.add_argument("--station", default="city_station", help="A station whose grids take the roster.")

    def handle(self, *args, admin: str, station: str, **options):
        logging.getLogger("django.tasks").setLevel(logging.WARNING)  # a line per task otherwise
        try:
            with transaction.atomic():
                self.measure(User.objects.get(username=admin), User.objects.get(username=station))
                raise Rollback
        except User.DoesNotExist:
            raise CommandError("No synthetic city here: run seed_city first.") from None
        except Rollback:
            self.stdout.write("(everything written was rolled back)")

    def missed_list(self, city: Client, fmt: str, label: str) -> None:
        url = f"{reverse('dashboard-export', args=[fmt])}?{urlencode({'period': 'month', 'table': 'missed'})}"
        response, ms = timed(lambda: city.post(url))
        assert response.status_code == 302, response.status_code
        seconds = run_queued()
        job = Job.objects.filter(kind=Job.Kind.MISSED_EXPORT).latest("created_at")
        assert job.state == Job.State.DONE, job.error
        self.stdout.write(
            f"missed list of the whole city, {label}, {fmt.upper()}: request {ms:.0f} ms, job {seconds:.1f} s, "
            f"{job.result['rows']:,} rows"
        )

    def measure(self, admin: User, station: User) -> None:
        city = Client(SERVER_NAME="localhost")
        city.force_login(admin)
        self.missed_list(city, "xlsx", f"as seeded ({timezone.localdate():%Y-%m})")
        # Every resident overdue (rolled back with the rest): the list at its largest.
        Resident.objects.filter(status=Resident.Status.ACTIVE).update(due_on=timezone.localdate() - timedelta(days=60))
        for fmt in ("xlsx", "csv"):
            self.missed_list(city, fmt, "every resident overdue")

        office = Client(SERVER_NAME="localhost")
        office.force_login(station)
        grids = list(
            Area.objects.filter(level=Area.Level.GRID, path__startswith=station.scopes.get().area.path).values_list(
                "code", flat=True
            )
        )
        lines = ["姓名,住址,网格编码,照护等级,同意依据"]
        lines += [f"批量居民{i},测试路{i}号,{grids[i % len(grids)]},{'ABC'[i % 3]},written" for i in range(ROWS)]
        data = ("\n".join(lines) + "\n").encode()
        upload = SimpleUploadedFile("花名册.csv", data, content_type="text/csv")
        response, upload_ms = timed(lambda: office.post(reverse("roster-import"), {"file": upload}))
        assert response.status_code == 302, response.status_code
        check_seconds = run_queued()
        staged = RosterImport.objects.filter(uploaded_by=station).latest("created_at")
        check = Job.objects.get(kind=Job.Kind.ROSTER_CHECK, params__import=staged.pk)
        assert check.state == Job.State.DONE and check.result["ok"], check.error or check.result["bad_rows"][:3]
        response, page_ms = timed(lambda: office.get(reverse("roster-preview", args=[staged.pk])))
        response, commit_ms = timed(lambda: office.post(reverse("roster-commit", args=[staged.pk])))
        assert response.status_code == 302
        commit_seconds = run_queued()
        staged.refresh_from_db()
        assert staged.resident_count == ROWS, staged.resident_count
        self.stdout.write(
            f"{ROWS:,}-row roster ({len(data) / 1024:.0f} KB CSV): upload request {upload_ms:.0f} ms, check job "
            f"{check_seconds:.1f} s, report page {page_ms:.0f} ms, import request {commit_ms:.0f} ms, "
            f"import job {commit_seconds:.1f} s"
        )
