"""The migrations seal what was written in plain before them, and unseal it when reversed."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from exchange.models import WebhookEndpoint
from referrals.models import ReferralNotice, Subject

from ..factories import member

BEFORE = [
    ("referrals", "0002_deadline_reminders"),
    ("exchange", "0004_counter_idempotencykey_to_protocol"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def leaves():
    executor = MigrationExecutor(connection)
    return [
        node for node in executor.loader.graph.leaf_nodes() if node[0] in ("referrals", "exchange")
    ]


def raw(table: str, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_plain_rows_are_sealed_by_the_migration_and_opened_by_its_reverse(world):
    user = member(world.th_sender)
    latest = leaves()
    old = migrate(BEFORE)
    subject = old.get_model("referrals", "Subject").objects.create(
        given_name="Bopha",
        birth_date=date(2001, 1, 2),
        aliases=["Pha"],
        home_address={"village": "Ou Chrov"},
    )
    referral = old.get_model("referrals", "ReferralNotice").objects.create(
        sender_agency_id=world.th_sender.pk,
        recipient_agency_id=world.kh_recipient.pk,
        subject_id=subject.pk,
        category="trafficking_victim",
        identified_on=date(2026, 11, 1),
        summary="Found at a karaoke bar in Ou Chrov",
        created_by_id=user.pk,
    )
    endpoint = old.get_model("exchange", "WebhookEndpoint").objects.create(
        agency_id=world.kh_recipient.pk, url="https://partner.example.org/h", secret="whsec_plain"
    )

    migrate(latest)

    assert "Bopha" not in raw("referrals_subject", "given_name", subject.pk)
    assert "Ou Chrov" not in raw("referrals_subject", "home_address", subject.pk)
    assert "2001" not in raw("referrals_subject", "birth_date", subject.pk)
    assert "karaoke" not in raw("referrals_referralnotice", "summary", referral.pk)
    assert "plain" not in raw("exchange_webhookendpoint", "secret", endpoint.pk)
    sealed = Subject.objects.get(pk=subject.pk)
    assert (sealed.given_name, sealed.birth_date, sealed.aliases, sealed.family_name) == (
        "Bopha",
        date(2001, 1, 2),
        ["Pha"],
        "",
    )
    assert sealed.home_address == {"village": "Ou Chrov"}
    assert ReferralNotice.objects.get(pk=referral.pk).summary.startswith("Found at a karaoke")
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == "whsec_plain"

    migrate(BEFORE)
    assert raw("referrals_subject", "given_name", subject.pk) == "Bopha"
    assert raw("referrals_subject", "aliases", subject.pk) == '["Pha"]'
    migrate(latest)
    assert Subject.objects.get(pk=subject.pk).given_name == "Bopha"
