"""The health checks: /healthz/live answers "ok" without a query; /healthz reports the
database, the photo storage and the task queue in two queries, names nothing of the
machines behind it, and answers 503 when the database or the storage fails."""

from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max


def queued(*, enqueued_ago: timedelta, run_after=None, status: str = "READY") -> DBTaskResult:
    task = DBTaskResult.objects.create(
        task_path="outreach.jobs.example",
        args_kwargs={"args": [], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        run_after=run_after or get_date_max(),
        status=status,
        exception_class_path="",
        traceback="",
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - enqueued_ago)
    return task


@pytest.mark.django_db
def test_liveness_answers_ok_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200 and response.content == b"ok"
    assert client.post("/healthz/live").status_code == 405


@pytest.mark.django_db
def test_health_reports_database_storage_and_queue_in_two_queries(client, django_assert_num_queries):
    queued(enqueued_ago=timedelta(minutes=5))  # waiting five minutes
    queued(enqueued_ago=timedelta(hours=1), run_after=timezone.now() - timedelta(seconds=90))  # due 90 s ago
    queued(enqueued_ago=timedelta(hours=2), run_after=timezone.now() + timedelta(hours=1))  # not due yet
    queued(enqueued_ago=timedelta(days=1), status="SUCCESSFUL")  # done
    with django_assert_num_queries(2):
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "database": "ok", "storage": "ok", "queue": body["queue"]}
    assert body["queue"]["ready"] == 2 and 299 <= body["queue"]["oldest_seconds"] <= 305
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_an_empty_queue_has_no_oldest_task(client):
    assert client.get("/healthz").json()["queue"] == {"ready": 0, "oldest_seconds": None}


@pytest.mark.django_db
def test_a_storage_that_does_not_answer_is_a_503_that_names_nothing(client, monkeypatch, caplog):
    def refuses(name):
        raise PermissionError("AccessDenied for key photos/.healthz at oss-cn-hangzhou.internal")

    monkeypatch.setattr(storages["default"], "exists", refuses)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "failing" and response.json()["storage"] == "failing"
    assert response.json()["database"] == "ok"
    assert b"oss-cn-hangzhou" not in response.content and b"AccessDenied" not in response.content
    assert "AccessDenied" in caplog.text  # the log says why


@pytest.mark.django_db
def test_a_database_that_does_not_answer_is_a_503(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("could not connect to server at db.internal:5432")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "failing", "storage": "ok", "queue": "unknown"}
    assert b"db.internal" not in response.content
