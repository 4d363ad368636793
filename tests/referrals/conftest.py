"""A small world for case tests: a Thai sender, a Cambodian recipient and the agencies around them."""

from dataclasses import dataclass
from datetime import date

import pytest
from rest_framework.test import APIClient

from agencies.authentication import Caller
from agencies.roles import Role
from referrals import services

from ..factories import (
    AgencyFactory,
    AgreementFactory,
    CheckpointFactory,
    api_client_with_token,
    member,
)


@dataclass
class World:
    th_sender: object  # TH-MSDHS: where the person was identified
    kh_recipient: object  # KH-MOSVY: the counterpart in the country of origin
    th_other: object  # TH-RTP: another agency of the sender's country
    vn_agency: object  # VN-MOLISA: an agency of the third country
    kh_ngo: object  # KH-NGO: a third agency the sender may share with
    kh_oversight: object  # KH-NCCT: national oversight (auditors)
    vn_oversight: object  # VN-OVS: oversight of a country not in the exchange


@pytest.fixture
def world(db):
    for pair in (("KH", "TH"), ("KH", "VN"), ("TH", "VN")):
        AgreementFactory(country_a=pair[0], country_b=pair[1])
    CheckpointFactory(code="KH-TH-POIPET", country_a="KH", country_b="TH")
    CheckpointFactory(code="KH-VN-BAVET", name="Bavet - Moc Bai", country_a="KH", country_b="VN")
    return World(
        th_sender=AgencyFactory(
            code="TH-MSDHS", country="TH", kind="social_welfare", language="th"
        ),
        kh_recipient=AgencyFactory(
            code="KH-MOSVY", country="KH", kind="social_welfare", language="km"
        ),
        th_other=AgencyFactory(code="TH-RTP", country="TH", kind="police", language="th"),
        vn_agency=AgencyFactory(
            code="VN-MOLISA", country="VN", kind="social_welfare", language="vi"
        ),
        kh_ngo=AgencyFactory(code="KH-NGO", country="KH", kind="ngo"),
        kh_oversight=AgencyFactory(code="KH-NCCT", country="KH", kind="oversight", language="km"),
        vn_oversight=AgencyFactory(code="VN-OVS", country="VN", kind="oversight", language="vi"),
    )


def caller(agency, role=Role.OFFICER) -> Caller:
    user = member(agency, role)
    return Caller(user=user, membership=user.membership)


def partner(agency, role=Role.OFFICER, scopes=None) -> APIClient:
    _, raw = api_client_with_token(agency, role, scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def subject_data(**overrides) -> dict:
    data = {
        "given_name": "Sokha",
        "family_name": "Chan",
        "name_native": "ចាន់ សុខា",
        "sex": "female",
        "birth_date": date(1999, 3, 14),
        "nationality_claimed": "KH",
        "languages": ["km"],
        "home_address": {"province": "Banteay Meanchey", "district": "Poipet"},
        "consent_status": "given",
        "consent_scope": ["social_welfare", "ngo", "international_org"],
    }
    data.update(overrides)
    return data


def referral_payload(recipient="KH-MOSVY", **overrides) -> dict:
    payload = {
        "recipient_agency": recipient,
        "category": "trafficking_victim",
        "exploitation_types": ["forced_criminality"],
        "urgency": "routine",
        "subject": {
            "given_name": "Sokha",
            "family_name": "Chan",
            "sex": "female",
            "birth_date": "1999-03-14",
            "nationality_claimed": "KH",
            "consent": {"status": "given", "scope": ["social_welfare", "ngo"]},
        },
        "summary": "Identified during a raid on a scam compound in Sa Kaeo.",
        "requested_actions": ["family_tracing", "repatriation"],
        "identified_on": "2026-11-20",
        "identified_place": "Sa Kaeo",
    }
    payload.update(overrides)
    return payload


def new_referral(world, status="draft", *, subject=None, urgency="routine"):
    """A TH-MSDHS -> KH-MOSVY referral driven through the services to ``status``."""
    sender, recipient = caller(world.th_sender), caller(world.kh_recipient)
    referral = services.referral_create(
        actor=sender,
        recipient_agency=world.kh_recipient,
        subject=subject or subject_data(),
        category="trafficking_victim",
        urgency=urgency,
        identified_on=date(2026, 11, 20),
    )
    steps = {
        "draft": [],
        "sent": ["send"],
        "acknowledged": ["send", "acknowledge"],
        "accepted": ["send", "accept"],
        "rejected": ["send", "reject"],
        "withdrawn": ["withdraw"],
        "closed": ["send", "accept", "close"],
    }[status]
    for step in steps:
        if step == "send":
            services.referral_send(referral=referral, actor=sender)
        elif step == "acknowledge":
            services.referral_acknowledge(referral=referral, actor=recipient, focal_point="Ms Dara")
        elif step == "accept":
            services.referral_accept(referral=referral, actor=recipient)
        elif step == "reject":
            services.referral_reject(referral=referral, actor=recipient, reason="Not ours")
        elif step == "withdraw":
            services.referral_withdraw(referral=referral, actor=sender, reason="Entered in error")
        elif step == "close":
            services.referral_close(referral=referral, actor=recipient, outcome="Reunified")
    referral.refresh_from_db()
    return referral


def new_return(world, status="draft", *, subject=None):
    """A TH-MSDHS -> KH-MOSVY return request driven through the services to ``status``."""
    from agencies.models import Checkpoint

    sender, recipient = caller(world.th_sender), caller(world.kh_recipient)
    poipet = Checkpoint.objects.get(code="KH-TH-POIPET")
    return_request = services.return_create(
        actor=sender,
        recipient_agency=world.kh_recipient,
        subject=subject or subject_data(),
        basis="victim_repatriation",
        proposed_checkpoint=poipet,
    )
    verification = {
        "identity_confirmed": True,
        "nationality_confirmed": True,
        "family_traced": True,
    }
    steps = {
        "draft": [],
        "requested": ["send"],
        "acknowledged": ["send", "acknowledge"],
        "verified": ["send", "verify"],
        "rejected": ["send", "reject"],
        "scheduled": ["send", "verify", "schedule"],
        "handed_over": ["send", "verify", "schedule", "handover"],
        "cancelled": ["cancel"],
    }[status]
    for step in steps:
        if step == "send":
            services.return_send(return_request=return_request, actor=sender)
        elif step == "acknowledge":
            services.return_acknowledge(return_request=return_request, actor=recipient)
        elif step == "verify":
            services.return_verify(
                return_request=return_request, actor=recipient, verification=verification
            )
        elif step == "reject":
            services.return_reject(
                return_request=return_request, actor=recipient, reason="Not a national"
            )
        elif step == "schedule":
            from django.utils import timezone

            services.return_schedule(
                return_request=return_request,
                actor=sender,
                date=timezone.localdate(),
                checkpoint=poipet,
            )
        elif step == "handover":
            from django.utils import timezone

            services.return_confirm_handover(
                return_request=return_request,
                actor=recipient,
                handover={"at": timezone.now(), "received_by": "Mr Vuthy", "notes": ""},
            )
        elif step == "cancel":
            services.return_cancel(
                return_request=return_request, actor=sender, reason="Stays in TH"
            )
    return_request.refresh_from_db()
    return return_request
