"""Documents in S3-compatible object storage, against a local endpoint (moto's server mode)."""

import socket
import subprocess
import sys
import time
from datetime import timedelta

import boto3
import httpx
import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from config.settings.storage import storage_from_url
from referrals.models import Document
from referrals.services import documents as document_services

from .conftest import new_referral, partner
from .documents import pdf, photo, upload

pytestmark = pytest.mark.django_db

BUCKET = "mekong-documents"
CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local-secret"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on 127.0.0.1, a stand-in for the object storage of a deployment."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url, timeout=0.5)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint, settings):
    s3 = boto3.resource("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    bucket = s3.Bucket(BUCKET)
    bucket.create()
    storage = storage_from_url(
        f"s3://{BUCKET}/cases?endpoint_url={s3_endpoint}&region_name=us-east-1", None
    )
    storage["OPTIONS"].update(
        access_key=CREDENTIALS["aws_access_key_id"], secret_key=CREDENTIALS["aws_secret_access_key"]
    )
    settings.STORAGES = {**django_settings.STORAGES, "documents": storage}
    yield bucket
    bucket.objects.all().delete()
    bucket.delete()


def test_documents_go_sealed_to_object_storage_and_come_back_whole(world, bucket):
    case = new_referral(world, "sent")
    path = f"/api/v1/referrals/{case.id}/"
    content = pdf("Passport of the person", padding=300_000)  # several sealed pieces
    added = upload(partner(world.th_sender), path, content, "passport.pdf", "application/pdf")
    assert added.status_code == 201, added.json()
    (stored,) = list(bucket.objects.all())
    assert stored.key.startswith("cases/")
    body = stored.get()["Body"].read()
    assert b"%PDF" not in body and b"Passport" not in body

    response = partner(world.kh_recipient).get(f"{path}documents/{added.json()['id']}/content/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content


def test_a_drafts_document_deleted_leaves_no_object(
    world, bucket, django_capture_on_commit_callbacks
):
    case = new_referral(world, "draft")
    path = f"/api/v1/referrals/{case.id}/"
    th = partner(world.th_sender)
    added = upload(th, path, photo("PNG"), "p.png", "image/png", "photo").json()
    assert len(list(bucket.objects.all())) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert th.delete(f"{path}documents/{added['id']}/").status_code == 204
    assert list(bucket.objects.all()) == []


def test_a_failure_after_the_object_is_stored_leaves_no_object(world, bucket, monkeypatch):
    def event_emit_fails(**kwargs):
        raise RuntimeError("the process fails before the commit")

    monkeypatch.setattr(document_services, "event_emit", event_emit_fails)
    case = new_referral(world, "sent")
    path = f"/api/v1/referrals/{case.id}/"
    assert upload(partner(world.th_sender), path, pdf(), "a.pdf", "").status_code == 500
    assert not Document.objects.exists()
    assert list(bucket.objects.all()) == []


def test_the_sweep_deletes_an_old_orphaned_object_and_keeps_named_and_fresh_ones(
    world, bucket, settings
):
    case = new_referral(world, "sent")
    path = f"/api/v1/referrals/{case.id}/"
    added = upload(partner(world.th_sender), path, pdf(), "a.pdf", "application/pdf")
    assert added.status_code == 201
    named = f"cases/{Document.objects.get().storage_name}"
    orphan = f"cases/ab/{'ab' * 16}.sealed"
    bucket.put_object(Key=orphan, Body=b"\x00" * 300)
    bucket.put_object(Key="cases/inventory.csv", Body=b"not a document")

    assert document_services.document_orphans_sweep() == 0  # stored just now: maybe in flight
    later = timezone.now() + settings.DOCUMENT_ORPHAN_GRACE + timedelta(minutes=1)
    assert [name for name, _at in document_services.document_orphans(now=later)] == [
        orphan.removeprefix("cases/")
    ]
    assert document_services.document_orphans_sweep(now=later) == 1
    assert sorted(stored.key for stored in bucket.objects.all()) == sorted(
        [named, "cases/inventory.csv"]
    )
