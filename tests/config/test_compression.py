"""Compressed on the wire: pages, partials and the API's JSON gzipped when the browser
accepts it (never photos, which are JPEG already), and the collected static files with
Brotli beside gzip, which WhiteNoise serves to a browser that accepts it."""

import gzip
import json
import re
import uuid
from pathlib import Path

import brotli
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from whitenoise.middleware import WhiteNoiseMiddleware

from outreach.residents import services
from tests import factories

pytestmark = pytest.mark.django_db

CHROME = "gzip, deflate, br, zstd"  # what Chromium on a phone sends
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def unzipped(response) -> str:
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    return gzip.decompress(response.content).decode()


def test_a_workers_today_goes_out_gzipped_and_reads_the_same(client_for):
    client = client_for("worker")
    plain = client.get(reverse("home"))
    assert "Content-Encoding" not in plain  # a client that does not say it accepts gzip
    packed = client.get(reverse("home"), headers={"Accept-Encoding": CHROME})
    html = unzipped(packed)
    assert "王丽" in html and html.count("<") == plain.content.decode().count("<")
    assert len(packed.content) < len(plain.content) / 2


def test_htmx_partials_and_the_api_are_gzipped_too(client_for):
    client = client_for("street")
    partial = client.get(reverse("dashboard"), headers={"Accept-Encoding": CHROME, "HX-Request": "true"})
    html = unzipped(partial)
    assert "<html" not in html and 'class="dash-tiles"' in html
    api = client.get("/api/v1/areas", headers={"Accept-Encoding": CHROME})
    assert json.loads(unzipped(api))["count"] > 0


def test_the_token_in_two_compressed_pages_never_repeats(client):
    """BREACH needs a secret that repeats byte for byte across responses: Django masks the
    CSRF token afresh in each, and pads each gzip stream by a random length."""
    first, second = (unzipped(client.get(reverse("login"), headers={"Accept-Encoding": CHROME})) for _ in range(2))
    assert TOKEN.search(first)[1] != TOKEN.search(second)[1]


def test_photos_are_not_compressed_again(client_for, demo_users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    resident = factories.resident(actor=demo_users["admin"], name="王阿婆")
    visit = services.visit_record(
        actor=demo_users["worker"],
        resident=resident,
        visit_id=uuid.uuid4(),
        uploads=[factories.jpeg()],
        data=services.VisitInput(visited_at=timezone.now(), outcome="met", lat=30.0, lng=120.0, accuracy_m=5),
    )[0]
    response = client_for("worker").get(
        reverse("photo", args=[visit.photos.get().pk]), headers={"Accept-Encoding": CHROME}
    )
    assert response["Content-Type"] == "image/jpeg"
    assert "Content-Encoding" not in response
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")  # the JPEG itself


# --- static files: Brotli beside gzip ---------------------------------------------------------


@pytest.fixture
def collected(settings, tmp_path) -> Path:
    """Daiban's own static files collected as production collects them (hashed names,
    compressed copies); Django's and the apps' are left out to keep the test short."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    return settings.STATIC_ROOT


def _htmx() -> str:
    [path] = (Path(django_settings.BASE_DIR) / "static").glob("vendor/htmx/htmx-*.min.js")
    return path.relative_to(Path(django_settings.BASE_DIR) / "static").as_posix()


def test_collectstatic_writes_brotli_beside_gzip(collected):
    name = json.loads((collected / "staticfiles.json").read_text())["paths"][_htmx()]
    source = (collected / name).read_bytes()
    br, gz = (collected / f"{name}.br").read_bytes(), (collected / f"{name}.gz").read_bytes()
    assert brotli.decompress(br) == source and gzip.decompress(gz) == source
    assert len(br) < len(gz) < len(source) / 2
    assert (collected / "daiban/app.css.br").exists()


def test_whitenoise_serves_brotli_to_a_browser_that_accepts_it(collected, settings):
    settings.DEBUG = False
    name = json.loads((collected / "staticfiles.json").read_text())["paths"][_htmx()]
    serve = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))
    url = f"{django_settings.STATIC_URL}{name}"

    def fetch(accept: str):
        response = serve(RequestFactory().get(url, headers={"Accept-Encoding": accept}))
        return response, b"".join(response.streaming_content)

    response, body = fetch(CHROME)
    assert response["Content-Encoding"] == "br"
    assert brotli.decompress(body) == (collected / name).read_bytes()
    response, body = fetch("gzip")
    assert response["Content-Encoding"] == "gzip"
    response, body = fetch("")
    assert "Content-Encoding" not in response and body == (collected / name).read_bytes()
