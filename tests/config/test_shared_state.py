"""Nothing lives in one app server's memory: the cache is the database's (or Redis's),
sessions the database's (read through Redis when it is there), login failures the
database's; photos and a replica are configured from the environment alone."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/5"  # the tests' own Redis database

SHOW_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "sessions": settings.SESSION_ENGINE,
    "axes": settings.AXES_HANDLER,
    "storage": settings.STORAGES["default"],
    "databases": sorted(settings.DATABASES),
    "replica": settings.DATABASES.get("replica", {}).get("NAME"),
}))
"""


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DAIBAN_", "DATABASE_URL", "DJANGO_ALLOW"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "DATABASE_URL": "sqlite:///:memory:", **env},
    )


def settings_with(**env: str) -> dict:
    result = manage("shell", "-c", SHOW_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def redis_available() -> bool:
    try:
        return bool(RedisCache(REDIS_URL, {}).get("daiban-test-probe", True))
    except Exception:  # noqa: BLE001 — any failure to reach it: the test is skipped
        return False


def test_by_default_cache_and_sessions_are_in_the_database_and_photos_on_disk():
    found = settings_with()
    assert found["cache"] == "django.core.cache.backends.db.DatabaseCache" and found["cache_location"] == "daiban_cache"
    assert found["sessions"] == "django.contrib.sessions.backends.db"
    assert found["axes"] == "axes.handlers.database.AxesDatabaseHandler"
    assert found["storage"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert found["databases"] == ["default"]


@pytest.mark.django_db
def test_the_cache_table_is_made_with_the_test_database():
    """Django's test database creation runs createcachetable, as `make migrate` does."""
    assert type(caches["default"]).__name__ == "DatabaseCache"
    cache.set("daiban-test-probe", {"stored": True}, 30)
    assert cache.get("daiban-test-probe") == {"stored": True}


def test_redis_replica_and_object_storage_come_from_the_environment():
    found = settings_with(
        DAIBAN_REDIS_URL=REDIS_URL,
        DAIBAN_REPLICA_URL="postgres://reader@replica.internal:5432/daiban",
        DAIBAN_S3_BUCKET="daiban-photos",
        DAIBAN_S3_ENDPOINT_URL="https://oss-cn-hangzhou.aliyuncs.com",
        DAIBAN_S3_ACCESS_KEY="key",
        DAIBAN_S3_SECRET_KEY="secret",
        DAIBAN_S3_ADDRESSING_STYLE="virtual",
    )
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache" and found["cache_location"] == REDIS_URL
    assert found["sessions"] == "django.contrib.sessions.backends.cached_db"
    assert found["databases"] == ["default", "replica"] and found["replica"] == "daiban"
    storage = found["storage"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] | {"secret_key": "…"} == {
        "bucket_name": "daiban-photos",
        "endpoint_url": "https://oss-cn-hangzhou.aliyuncs.com",
        "access_key": "key",
        "secret_key": "…",
        "region_name": None,
        "addressing_style": "virtual",
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": True,
    }


# Skipped on a machine without Redis; never in CI, which starts one (.ci/run).
@pytest.mark.skipif(not redis_available() and os.environ.get("CI") != "true", reason=f"no Redis at {REDIS_URL}")
def test_a_value_cached_by_one_redis_client_is_read_by_another():
    key = f"daiban-test-{uuid.uuid4().hex}"
    RedisCache(REDIS_URL, {"KEY_PREFIX": "daiban"}).set(key, {"tries": 3}, 30)
    assert RedisCache(REDIS_URL, {"KEY_PREFIX": "daiban"}).get(key) == {"tries": 3}
    RedisCache(REDIS_URL, {"KEY_PREFIX": "daiban"}).delete(key)


# Skipped on a machine without Redis; never in CI, which starts one (.ci/run).
@pytest.mark.skipif(not redis_available() and os.environ.get("CI") != "true", reason=f"no Redis at {REDIS_URL}")
@pytest.mark.django_db
def test_a_session_written_here_is_read_by_another_process_from_redis(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "daiban",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    session = SessionStore()
    session["marker"] = "written by the first app server"
    session.create()
    try:
        # The other process has an empty in-memory database: what it reads came from Redis.
        result = manage(
            "shell",
            "-c",
            "from django.contrib.sessions.backends.cached_db import SessionStore;"
            f"print(SessionStore(session_key={session.session_key!r}).load().get('marker'))",
            DAIBAN_REDIS_URL=REDIS_URL,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "written by the first app server"
    finally:
        caches["default"].delete(session.cache_key)
