"""Stored files without a document: none left by a failed upload, swept after a dead one."""

import os
import secrets
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from exchange.models import AuditEvent
from referrals import tasks
from referrals.models import Document
from referrals.services import documents as document_services

from .conftest import new_referral, partner
from .documents import pdf, upload
from .test_documents import PATHS, document_store, stored_files  # noqa: F401

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture
def store(document_store):  # noqa: F811
    """The directory documents are stored under in these tests."""
    return document_store


class Interrupted(Exception):
    """A failure after the file was stored, before anything committed."""


def sealed_looking_file(store, *, age_seconds: int) -> object:
    """A file as an upload leaves it in storage, last written ``age_seconds`` ago."""
    name = secrets.token_hex(16)
    path = store / name[:2] / f"{name}.sealed"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(secrets.token_bytes(300))
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


def added(world, content=None) -> Document:
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    response = upload(partner(world.th_sender), path, content or pdf(), "a.pdf", "application/pdf")
    assert response.status_code == 201, response.json()
    return Document.objects.get(pk=response.json()["id"])


def test_a_failure_after_the_file_is_stored_leaves_no_file(world, store, monkeypatch):
    def event_emit_fails(**kwargs):
        raise Interrupted()

    monkeypatch.setattr(document_services, "event_emit", event_emit_fails)
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    assert upload(partner(world.th_sender), path, pdf(), "a.pdf", "").status_code == 500
    assert not Document.objects.exists()
    assert stored_files(store) == []


def test_a_failure_of_the_row_itself_leaves_no_file(world, store, monkeypatch):
    taken = added(world)
    (kept,) = stored_files(store)
    case = new_referral(world, "sent")
    # The next upload's file name is taken by a row already: its insert fails after the store.
    original = document_services._seal_into_storage

    def stored_under_a_taken_name(document, mime, spooled, stored):
        original(document, mime, spooled, stored)
        document.storage_name = taken.storage_name

    monkeypatch.setattr(document_services, "_seal_into_storage", stored_under_a_taken_name)
    path = PATHS["referral"].format(case.id)
    assert upload(partner(world.th_sender), path, pdf(), "b.pdf", "").status_code == 500
    assert stored_files(store) == [kept]
    assert Document.objects.count() == 1


def test_a_rolled_back_upload_is_swept_once_its_grace_period_has_passed(world, store):
    case = new_referral(world, "sent")
    with pytest.raises(Interrupted), transaction.atomic():
        response = upload(
            partner(world.th_sender), PATHS["referral"].format(case.id), pdf(), "a.pdf", ""
        )
        assert response.status_code == 201
        raise Interrupted()  # as a process dying before the commit
    assert not Document.objects.exists()
    (orphan,) = stored_files(store)

    assert document_services.document_orphans_sweep() == 0  # it may still be in flight
    assert orphan.exists()
    later = timezone.now() + settings.DOCUMENT_ORPHAN_GRACE + timedelta(minutes=1)
    assert document_services.document_orphans_sweep(now=later) == 1
    assert stored_files(store) == []


def test_the_sweep_deletes_old_orphans_and_keeps_fresh_ones_and_named_files(
    world, store, audit_watch
):
    named = store / added(world).storage_name
    os.utime(named, (time.time() - 30 * 24 * HOUR,) * 2)
    old = sealed_looking_file(store, age_seconds=2 * HOUR)
    fresh = sealed_looking_file(store, age_seconds=10 * 60)
    foreign = store / "notes.txt"
    foreign.write_text("not a document")
    os.utime(foreign, (time.time() - 30 * 24 * HOUR,) * 2)

    assert document_services.document_orphans_sweep() == 1
    assert not old.exists()
    assert fresh.exists() and named.exists() and foreign.exists()
    (row,) = [row for row in audit_watch.new() if row.action == "documents.orphan_sweep"]
    assert row.detail == {"deleted": 1}
    assert document_services.document_orphans_sweep() == 0
    assert not AuditEvent.objects.filter(action="documents.orphan_sweep").exclude(pk=row.pk)


def test_the_dry_run_lists_the_orphans_and_deletes_nothing(world, store, capsys):
    added(world)
    old = sealed_looking_file(store, age_seconds=2 * HOUR)
    sealed_looking_file(store, age_seconds=60)
    call_command("document_orphans_sweep", "--dry-run")
    output = capsys.readouterr().out
    assert f"{old.parent.name}/{old.name}" in output
    assert "1 orphaned file(s) would be deleted" in output
    assert len(stored_files(store)) == 3

    call_command("document_orphans_sweep")
    assert "Deleted 1 orphaned file(s)." in capsys.readouterr().out
    assert not old.exists()


def test_beat_sweeps_orphans_every_hour(world, store):
    schedule = settings.CELERY_BEAT_SCHEDULE["sweep-document-orphans"]
    assert schedule["task"] == "referrals.tasks.sweep_document_orphans"
    assert schedule["schedule"].minute == {29}
    old = sealed_looking_file(store, age_seconds=2 * HOUR)
    assert tasks.sweep_document_orphans.apply().get() == 1
    assert not old.exists()


def test_an_empty_store_has_no_orphans(store):
    assert not store.exists()
    assert list(document_services.document_orphans()) == []
