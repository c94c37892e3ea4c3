"""The worker as its own process (``manage.py worker``), as production runs it: on a
database of its own (a fresh SQLite file; the suite's database is inside each test's
transaction, which no other process sees). It runs what was queued and exits with
``--batch``; left running, its scheduler queues the day's periodic tasks at their hour
and it runs them. (CI also runs it beside two app servers on PostgreSQL: scripts/two-servers.)"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(env: dict, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def shell(env: dict, code: str) -> str:
    return manage(env, "shell", "-v0", "-c", code).strip()


@pytest.fixture
def env(tmp_path) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "DAIBAN_MEDIA_ROOT": str(tmp_path / "media"),
        "DAIBAN_PERIODIC_TIMES": "overdue_notices=00:00,coverage_days=00:00,tally_check=00:00,retention_purge=00:00",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage(env, "migrate", "-v0")
    return env


STATUSES = (
    "from django_tasks_db.models import DBTaskResult as T; print(sorted(T.objects.values_list('status', flat=True)))"
)


def test_the_worker_process_runs_queued_tasks_and_the_days_periodic_ones(env):
    shell(env, "from outreach.jobs.tasks import run_command; run_command.enqueue('purge_expired', ['--dry-run'])")
    assert shell(env, STATUSES) == "['READY']"
    manage(env, "worker", "--batch", "--no-reload", "--no-startup-delay", "-v0")
    assert shell(env, STATUSES) == "['SUCCESSFUL']"

    # Left running, it queues the four daily tasks (their hour, midnight, has passed) and runs them.
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--no-reload", "--tick", "0.5", "--interval", "0.2", "-v0"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if shell(env, STATUSES) == str(["SUCCESSFUL"] * 5):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"the periodic tasks did not run: {shell(env, STATUSES)}")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    assert shell(env, "from outreach.models import PeriodicRun as P; print(P.objects.count())") == "4"
