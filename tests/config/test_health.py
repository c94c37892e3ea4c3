"""The health check answers "ok" to anyone, without a query."""

import pytest


@pytest.mark.django_db
def test_health_check_answers_ok_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
    assert client.post("/healthz").status_code == 405
