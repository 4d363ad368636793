"""Rotation without downtime: add a key first, run rotate_keys, then the old key may go."""

import base64
import io

import pytest
from django.core.management import call_command
from django.db import connection

from agencies import keyring
from exchange import services as exchange_services
from exchange.models import WebhookEndpoint
from referrals.models import Document

from .conftest import new_referral, partner
from .documents import pdf, upload
from .test_documents import PATHS, document_store  # noqa: F401

pytestmark = pytest.mark.django_db

NEW_KEY = base64.b64encode(b"\x2a" * 32).decode()


def key_ids_in(table: str, column: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        return {keyring.text_key_id(value) for (value,) in cursor.fetchall()}


def test_rotate_keys_reseals_everything_so_the_old_key_can_be_removed(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    content = pdf("Identity card of the person")
    document = upload(partner(world.th_sender), path, content, "id.pdf", "application/pdf").json()
    _, secret = exchange_services.webhook_endpoint_create(
        agency=world.kh_recipient, url="http://127.0.0.1:9/hooks"
    )
    old_id = keyring.keyring().active_id
    old_key = base64.b64encode(keyring._derived_key()[old_id]).decode()
    assert key_ids_in("referrals_subject", "given_name") == {old_id}

    settings.ENCRYPTION_KEYS = f"new:{NEW_KEY},{old_id}:{old_key}"
    kh = partner(world.kh_recipient)
    assert kh.get(path).status_code == 200  # both keys open while rotating
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    assert "referrals.Subject: 1 rows re-sealed with new" in out.getvalue()

    assert key_ids_in("referrals_subject", "given_name") == {"new"}
    assert key_ids_in("referrals_referralnotice", "summary") <= {"new"}
    assert key_ids_in("exchange_webhookendpoint", "secret") == {"new"}
    assert set(Document.objects.values_list("key_id", flat=True)) == {"new"}

    settings.ENCRYPTION_KEYS = f"new:{NEW_KEY}"  # the old key is gone
    shown = kh.get(path)
    assert shown.status_code == 200
    assert shown.json()["subject"]["given_name"] == "Sokha"
    response = kh.get(f"{path}documents/{document['id']}/content/")
    assert b"".join(response.streaming_content) == content
    assert WebhookEndpoint.objects.get().secret == secret


def test_without_rotation_removing_the_old_key_is_a_503_not_a_wrong_answer(world, settings):
    case = new_referral(world, "sent")
    settings.ENCRYPTION_KEYS = f"new:{NEW_KEY}"
    response = partner(world.kh_recipient).get(PATHS["referral"].format(case.id))
    assert response.status_code == 503
    assert response.json()["type"].endswith("key-unavailable")
    assert "Sokha" not in response.content.decode()
