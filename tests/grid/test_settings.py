"""Production settings pass Django's deployment checklist with no warning."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DAIBAN_DEBUG": "0",
    "DAIBAN_SECRET_KEY": "x7#Qm2@pL9!vR4$wT8^zK1&nB6*cJ3(hF5)dG0_sY-uE+aW=oI~" * 2,
    "DAIBAN_ALLOWED_HOSTS": "daiban.example.gov.cn",
    "DAIBAN_FIELD_KEY": "field-key-for-the-deploy-check-0123456789abcdef",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}, **PRODUCTION_ENV, **env},
    )


def test_check_deploy_has_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DAIBAN_SECRET_KEY="")
    assert result.returncode != 0 and "DAIBAN_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_a_field_key():
    result = manage("check", DAIBAN_FIELD_KEY="")
    assert result.returncode != 0 and "DAIBAN_FIELD_KEY" in result.stderr


def test_unknown_tile_provider_is_refused():
    result = manage("check", DAIBAN_TILE_PROVIDER="google")
    assert result.returncode != 0 and "DAIBAN_TILE_PROVIDER" in result.stderr
