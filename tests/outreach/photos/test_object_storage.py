"""Photos in an S3-compatible bucket (Aliyun OSS, MinIO, Ceph in production; moto's S3
server on the loopback here): a visit's photo and thumbnail go to the bucket, come back
only through the scope-checked view, byte for byte, and leave it when deleted."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from django.core.files.storage import storages
from django.urls import reverse
from moto.server import ThreadedMotoServer

from outreach.models import Visit
from outreach.photos.pipeline import delete_stored, photo_open
from outreach.reporting import tallies
from tests import factories

pytestmark = pytest.mark.django_db

REGION = "cn-east-1"  # any name: the server is moto's
CREDENTIALS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}


@dataclass
class Bucket:
    client: object
    name: str

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)  # type: ignore[attr-defined]
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()  # type: ignore[attr-defined]

    def acl_grants(self, key: str) -> list[dict]:
        return self.client.get_object_acl(Bucket=self.name, Key=key)["Grants"]  # type: ignore[attr-defined]


@pytest.fixture
def bucket(settings, monkeypatch) -> Iterator[Bucket]:
    """moto's S3 server on 127.0.0.1 (a free port), a private bucket on it, and Daiban's
    default storage pointed at it as DAIBAN_S3_* would (config/settings.py)."""
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)  # nothing leaves the loopback
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["access_key"],
            aws_secret_access_key=CREDENTIALS["secret_key"],
        )
        # moto keeps its buckets for the whole process: each test has its own.
        name = f"daiban-photos-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": name,
                    "endpoint_url": endpoint,
                    "region_name": REGION,
                    "addressing_style": "path",
                    "default_acl": "private",
                    "querystring_auth": True,
                    "file_overwrite": True,
                    **CREDENTIALS,
                },
            },
        }
        yield Bucket(client, name)
    finally:
        server.stop()


def test_changing_storages_replaces_the_cached_backend(bucket, settings):
    """Django's setting_changed handler for STORAGES drops the backends it built, so the
    photo pipeline, which looks the storage up on every call, sees the bucket."""
    assert type(storages["default"]).__name__ == "S3Storage"
    assert storages["default"].bucket_name == bucket.name


def test_a_visit_photo_goes_to_the_bucket_and_comes_back_only_through_the_checked_view(bucket, client_for, demo_users):
    resident = factories.resident(actor=demo_users["admin"], name="王阿婆", address="绣湖路12号")
    client = client_for("worker")
    visit_id = str(uuid.uuid4())
    response = client.post(
        reverse("visit-create", args=[resident.pk]),
        {"id": visit_id, "outcome": "met", "no_location_reason": "室内无信号", "photos": [factories.jpeg()]},
    )
    assert response.status_code == 302, response.context["form"].errors
    photo = Visit.objects.get(pk=visit_id).photos.get()
    image_key, thumb_key = f"photos/{photo.image}", f"photos/{photo.thumbnail}"
    assert bucket.keys() == sorted([image_key, thumb_key])
    # Private: only the owner's grant, no AllUsers/AuthenticatedUsers one.
    assert all("URI" not in grant["Grantee"] for grant in bucket.acl_grants(image_key))

    for url_name, key in (("photo", image_key), ("photo-thumb", thumb_key)):
        served = client.get(reverse(url_name, args=[photo.pk]))
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
        assert "Location" not in served and "no-store" in served["Cache-Control"]
        assert b"".join(served.streaming_content) == bucket.read(key)

    client.force_login(demo_users["worker2"])  # another grid's worker
    assert client.get(reverse("photo", args=[photo.pk])).status_code == 404
    assert client.get(reverse("photo-thumb", args=[photo.pk])).status_code == 404

    delete_stored([photo.image, photo.thumbnail])
    assert bucket.keys() == []
    with pytest.raises(FileNotFoundError):
        photo_open(photo.image)
    client.force_login(demo_users["worker"])
    assert client.get(reverse("photo", args=[photo.pk])).status_code == 404  # gone from the bucket: a 404


def test_a_visit_that_fails_leaves_nothing_in_the_bucket(bucket, client_for, demo_users, monkeypatch):
    resident = factories.resident(actor=demo_users["admin"], name="王阿婆", address="绣湖路12号")

    in_the_bucket_before: list[list[str]] = []

    def fails(visit):
        in_the_bucket_before.append(bucket.keys())
        raise RuntimeError("the database went away")

    monkeypatch.setattr(tallies, "visit_recorded", fails)  # the last write of the visit's transaction
    with pytest.raises(RuntimeError):
        client_for("worker").post(
            reverse("visit-create", args=[resident.pk]),
            {
                "id": str(uuid.uuid4()),
                "outcome": "met",
                "no_location_reason": "室内无信号",
                "photos": [factories.jpeg()],
            },
        )
    assert len(in_the_bucket_before[0]) == 2  # the photo and its thumbnail were written…
    assert bucket.keys() == []  # …and deleted when the transaction failed
