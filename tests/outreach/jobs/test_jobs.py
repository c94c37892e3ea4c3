"""Background jobs: what the person waiting sees (the bar, the file, what went wrong),
that only they see it, that a job run twice does no harm, that a dead worker's job is
run again or given up with a message, and the scheduler of the daily tasks."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from outreach.jobs import periodic, services
from outreach.jobs.tasks import run_job
from outreach.models import Job, Notification, PeriodicRun
from tests import factories
from tests.tasks import queued, run_tasks

pytestmark = [pytest.mark.django_db]


def start_missed_export(client, fmt: str = "xlsx"):
    query = factories.period_query(area=factories.town().pk, table="missed")
    return client.post(f"{reverse('dashboard-export', args=[fmt])}?{urlencode(query)}")


@pytest.fixture
def missed(demo_users):
    factories.resident(actor=demo_users["admin"], name="赵大妈", registered_days_ago=40)


def test_a_started_export_shows_its_bar_then_its_file(client_for, missed, django_assert_num_queries):
    client = client_for("street")
    started = start_missed_export(client)
    job = Job.objects.get()
    assert started.status_code == 302 and started.url == reverse("job-detail", args=[job.pk])
    assert [t.task_path for t in queued()] == ["outreach.jobs.tasks.run_job"]
    page = client.get(started.url)
    html = page.content.decode()
    assert "漏访服务对象导出" in html and "排队" in html and 'hx-trigger="every 1s"' in html
    # htmx asks again: the card alone (session, user, the job, the scopes for the menu's context)
    with django_assert_num_queries(4):
        partial = client.get(started.url, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<section id="job-progress"')
    assert run_tasks() == 1
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.attempts) == (Job.State.DONE, 1, 1, 1)
    html = client.get(started.url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in html  # finished: no more asking
    assert reverse("job-download", args=[job.pk]) in html and "1 行" in html
    download = client.get(reverse("job-download", args=[job.pk]))
    assert download["Content-Disposition"].startswith("attachment;") and "漏访服务对象-" in job.result_filename


def test_a_job_is_its_starters_alone(client_for, missed, demo_users):
    start_missed_export(client_for("street"))
    run_tasks()
    job = Job.objects.get()
    for username in ("admin", "station", "worker"):
        other = client_for(username)
        assert other.get(reverse("job-detail", args=[job.pk])).status_code == 404
        assert other.get(reverse("job-download", args=[job.pk])).status_code == 404


def test_a_scope_lost_after_the_list_was_written_keeps_its_file_closed(client_for, missed, demo_users):
    client = client_for("street")
    start_missed_export(client)
    run_tasks()
    job = Job.objects.get()
    assert client.get(reverse("job-download", args=[job.pk])).status_code == 200
    demo_users["street"].scopes.all().delete()
    assert client.get(reverse("job-download", args=[job.pk])).status_code == 404


def test_outside_the_scope_no_job_starts(client_for, missed):
    client = client_for("worker")
    query = factories.period_query(area=factories.town().pk, table="missed")
    assert client.post(f"{reverse('dashboard-export', args=['xlsx'])}?{urlencode(query)}").status_code == 404
    assert client.get(reverse("dashboard-export", args=["xlsx"]), query).status_code == 405  # only by POST
    assert not Job.objects.exists() and not queued()


def test_a_job_run_twice_does_the_work_once(client_for, missed):
    client = client_for("street")
    start_missed_export(client)
    job = Job.objects.get()
    run_job.enqueue(str(job.pk))  # queued again (a recovery that raced the worker, say)
    assert run_tasks() == 2
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 1


def test_a_scope_lost_meanwhile_fails_the_job_in_words(client_for, missed, demo_users):
    client = client_for("street")
    start_missed_export(client)
    demo_users["street"].scopes.all().delete()
    run_tasks()
    job = Job.objects.get()
    assert job.state == Job.State.FAILED and "不能再查看" in job.error and not job.result_file
    html = client.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert job.error in html and 'role="alert"' in html


def test_a_dead_workers_job_runs_again_then_is_given_up(client_for, missed, settings):
    settings.DAIBAN_JOB_ATTEMPTS = 2
    client = client_for("street")
    start_missed_export(client)
    job = Job.objects.get()
    # The worker claims the task and dies: the job is marked running and never beats again.
    task = DBTaskResult.objects.get(pk=job.task_id)
    task.claim("dead-worker")
    services._claim(str(job.pk))
    later = timezone.now() + timedelta(seconds=settings.DAIBAN_JOB_STALL_SECONDS + 1)
    assert services.recover(now=timezone.now()) == (0, 0)  # still beating
    assert services.recover(now=later) == (1, 0)
    task.refresh_from_db()
    assert task.status == "FAILED" and task.exception_class_path == services.WORKER_LOST
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.task_id != str(task.pk)
    # The second worker dies too: two attempts, given up with a message.
    DBTaskResult.objects.get(pk=job.task_id).claim("dead-too")
    services._claim(str(job.pk))
    assert services.recover(now=later + timedelta(minutes=5)) == (0, 1)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "2 次" in job.error
    assert not queued()


def test_a_dead_workers_other_task_is_queued_again(settings):
    result = periodic.run_command.enqueue("purge_expired", [])
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("dead-worker")
    later = timezone.now() + timedelta(minutes=settings.DAIBAN_TASK_STALL_MINUTES + 1)
    assert services.recover(now=later) == (1, 0)
    again = queued("outreach.jobs.tasks.run_command")
    assert len(again) == 1 and again[0].args_kwargs == {"args": ["purge_expired", []], "kwargs": {}}


def at(hour: int, minute: int, days: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def test_the_scheduler_queues_each_daily_task_once_a_day(settings, demo_users, catalogue):
    settings.DAIBAN_PERIODIC_TIMES = {
        "overdue_notices": time(7, 30),
        "coverage_days": time(1, 30),
        "tally_check": time(2, 30),
        "retention_purge": time(3, 30),
    }
    assert periodic.tick(now=at(1, 0)) == []
    assert periodic.tick(now=at(2, 0)) == ["coverage_days"]
    assert periodic.tick(now=at(3, 0)) == ["tally_check"]
    assert periodic.tick(now=at(8, 0)) == ["overdue_notices", "retention_purge"]  # the worker was down at 3:30
    assert periodic.tick(now=at(8, 0, 0)) == []  # a second worker, or a restart
    assert sorted(PeriodicRun.objects.values_list("name", flat=True)) == [
        "coverage_days",
        "overdue_notices",
        "retention_purge",
        "tally_check",
    ]
    assert periodic.tick(now=at(7, 45, days=1)) == [
        "overdue_notices",
        "coverage_days",
        "tally_check",
        "retention_purge",
    ]
    # The notices really go out when the worker runs them: an errand past its due date.
    resident = factories.resident(actor=demo_users["admin"], name="孙老汉")
    errand = factories.errand(actor=demo_users["worker"], resident=resident, code="YB-CB", ago=timedelta(days=5))
    assert not Notification.objects.filter(errand=errand, kind=Notification.Kind.OVERDUE).exists()
    notices = [t for t in queued() if t.args_kwargs["args"][0] == "notify_overdue_errands"]
    DBTaskResult.objects.filter(status="READY").exclude(pk__in=[t.pk for t in notices]).delete()
    assert run_tasks(now=at(7, 45, days=1)) == 2
    assert Notification.objects.filter(errand=errand, kind=Notification.Kind.OVERDUE, user__username="worker").exists()
