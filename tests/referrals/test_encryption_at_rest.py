"""Personal data and secrets are sealed at rest: a dump of the database shows none of them."""

import subprocess
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from agencies.roles import Role
from exchange import services as exchange_services
from referrals import services
from referrals.models import CaseMessage, ReferralNotice, Subject

from .conftest import caller, draft_return, partner, referral_payload, sides

CANARY = "Kx7canaryQ"
BIRTH_DATE = "1987-02-19"


def pg_dump() -> str:
    db = connection.settings_dict
    return subprocess.run(
        ["pg_dump", "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], db["NAME"]],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def plant_canaries(world) -> tuple[str, str]:
    """A referral and a return carrying the canary in every personal field, sent and answered."""
    th, kh = partner(world.th_sender), partner(world.kh_recipient)
    subject = {
        "given_name": f"{CANARY}-given",
        "family_name": f"{CANARY}-family",
        "name_native": f"{CANARY}-native",
        "aliases": [f"{CANARY}-alias"],
        "sex": "female",
        "birth_date": BIRTH_DATE,
        "identity_documents": [
            {"type": "passport", "number": f"{CANARY}N0", "issuing_country": "KH"}
        ],
        "home_address": {"province": "Battambang", "village": f"{CANARY}-village"},
        "family_contact": {"name": f"{CANARY}-mother", "phone": "+85512000000"},
        "vulnerabilities": [f"{CANARY}-vulnerability"],
        "consent": {"status": "given", "scope": ["social_welfare"]},
    }
    created = th.post(
        "/api/v1/referrals/",
        referral_payload(
            subject=subject, summary=f"{CANARY}-summary", identified_place=f"{CANARY}-place"
        ),
        format="json",
    )
    assert created.status_code == 201, created.json()
    path = f"/api/v1/referrals/{created.json()['id']}/"
    assert th.post(f"{path}send/").status_code == 200
    acknowledged = kh.post(f"{path}acknowledge/", {"focal_point": f"{CANARY}-focal"}, format="json")
    assert acknowledged.status_code == 200
    posted = kh.post(f"{path}messages/", {"body": f"{CANARY}-message"}, format="json")
    assert posted.status_code == 201
    assert (
        kh.post(f"{path}reject/", {"reason": f"{CANARY}-reason"}, format="json").status_code == 200
    )

    sender, recipient = sides(world)
    return_request = draft_return(world, sender=sender)
    services.return_send(return_request=return_request, actor=sender)
    services.return_verify(
        return_request=return_request,
        actor=recipient,
        verification={
            "identity_confirmed": True,
            "nationality_confirmed": True,
            "family_traced": True,
            "notes": f"{CANARY}-verification",
        },
    )
    services.return_schedule(
        return_request=return_request,
        actor=sender,
        date=timezone.localdate(),
        checkpoint=return_request.proposed_checkpoint,
    )
    services.return_confirm_handover(
        return_request=return_request,
        actor=recipient,
        handover={"at": timezone.now(), "received_by": f"{CANARY}-officer", "notes": CANARY},
    )
    _, secret = exchange_services.webhook_endpoint_create(
        agency=world.kh_recipient, url="http://127.0.0.1:9/hooks"
    )
    return path, secret


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_shows_no_personal_data_and_no_webhook_secret(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    path, secret = plant_canaries(world)
    world.vn_agency.name = f"Plain{CANARY}Control"  # not personal: stays readable
    world.vn_agency.save()

    dump = pg_dump()

    assert f"Plain{CANARY}Control" in dump  # the dump holds the tables and can be searched
    assert CANARY not in dump.replace(f"Plain{CANARY}Control", "")
    assert BIRTH_DATE not in dump
    assert secret not in dump
    assert secret.removeprefix("whsec_") not in dump
    # ...while the parties read everything back through the API.
    shown = partner(world.kh_recipient).get(path).json()
    assert shown["subject"]["given_name"] == f"{CANARY}-given"
    assert shown["subject"]["birth_date"] == BIRTH_DATE
    assert shown["summary"] == f"{CANARY}-summary"


def test_filters_still_work_on_the_fields_they_use(world):
    th = partner(world.th_sender)
    created = th.post("/api/v1/referrals/", referral_payload(urgency="urgent"), format="json")
    path = f"/api/v1/referrals/{created.json()['id']}/"
    reference = th.post(f"{path}send/").json()["reference"]
    for query in (
        f"reference={reference}",
        "status=sent",
        "urgency=urgent",
        "direction=outgoing",
        "counterpart=KH-MOSVY",
        "country=KH",
        "overdue=false",
    ):
        found = th.get(f"/api/v1/referrals/?{query}").json()["results"]
        assert [case["reference"] for case in found] == [reference], query


@pytest.mark.django_db
def test_sealed_values_round_trip_through_the_orm(world):
    referral = ReferralNotice.objects.create(
        sender_agency=world.th_sender,
        recipient_agency=world.kh_recipient,
        subject=Subject.objects.create(given_name="Dara", birth_date=date(2010, 5, 1)),
        category="trafficking_victim",
        identified_on=date(2026, 11, 20),
        summary="",
        created_by=caller(world.th_sender, Role.OFFICER).user,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT given_name, birth_date, aliases FROM referrals_subject WHERE id = %s",
            [referral.subject_id],
        )
        given_name, birth_date, aliases = cursor.fetchone()
    assert "Dara" not in given_name and "2010" not in birth_date
    assert aliases == ""  # an empty value is stored empty, not sealed
    subject = Subject.objects.get(pk=referral.subject_id)
    assert (subject.given_name, subject.birth_date, subject.aliases) == (
        "Dara",
        date(2010, 5, 1),
        [],
    )
    assert subject.is_minor
    assert ReferralNotice.objects.get(pk=referral.pk).summary == ""
    assert not CaseMessage.objects.exists()
