"""The jobs API: start the missed list (202 with the job), follow it, download its file;
a job is its starter's alone, an area out of reach is 404, a bad period 422 in words."""

import pytest
from django.urls import reverse

from outreach.models import Job
from tests import factories
from tests.tasks import run_tasks

pytestmark = [pytest.mark.django_db]

START = "/api/v1/exports/missed"


def test_start_follow_and_download(client_for, demo_users, django_assert_num_queries):
    factories.resident(actor=demo_users["admin"], name="赵大妈", registered_days_ago=40)
    client = client_for("street")
    answer = client.post(START, {"area": factories.town().pk, "format": "csv"}, content_type="application/json")
    assert answer.status_code == 202
    job = answer.json()
    assert (job["kind"], job["state"], job["download_url"]) == ("missed_export", "queued", None)
    run_tasks()
    # session, user, the job
    with django_assert_num_queries(3):
        done = client.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["state"] == "done" and (done["done"], done["total"]) == (1, 1)
    assert done["download_url"] == reverse("job-download", args=[job["id"]])
    text = b"".join(client.get(done["download_url"]).streaming_content).decode("utf-8-sig")
    assert "赵大妈" in text
    assert client_for("station").get(f"/api/v1/jobs/{job['id']}").status_code == 404


def test_out_of_reach_and_bad_input(client_for):
    worker = client_for("worker")
    town = factories.town().pk
    assert worker.post(START, {"area": town}, content_type="application/json").status_code == 404
    secretary = client_for("secretary")  # a branch sees no residents
    assert secretary.post(START, {}, content_type="application/json").status_code == 404
    bad = client_for("street").post(
        START, {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["message"]
    assert not Job.objects.exists()
