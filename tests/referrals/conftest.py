"""A small world for case tests: a Thai sender, a Cambodian recipient and agencies around them."""

from dataclasses import dataclass
from datetime import date

import pytest
from rest_framework.test import APIClient

from agencies.authentication import Caller
from agencies.models import Checkpoint
from agencies.roles import Role
from referrals import services
from referrals.demo import REFERRAL_PATHS, RETURN_PATHS, drive, referral_steps, return_steps
from referrals.models import Reminder

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
    kh_iom: object  # IOM-KH: an international organisation within the consent scope


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
        kh_oversight=AgencyFactory(
            code="KH-NCCT", country="KH", kind="oversight", language="km", audit_scope="country"
        ),
        vn_oversight=AgencyFactory(
            code="VN-OVS", country="VN", kind="oversight", language="vi", audit_scope="country"
        ),
        kh_iom=AgencyFactory(code="IOM-KH", country="KH", kind="international_org"),
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


def sides(world):
    """Callers for the two parties: the Thai sender's officer and the Cambodian recipient's."""
    return caller(world.th_sender), caller(world.kh_recipient)


def draft_referral(world, *, sender=None, subject=None, urgency="routine"):
    return services.referral_create(
        actor=sender or caller(world.th_sender),
        recipient_agency=world.kh_recipient,
        subject=subject or subject_data(),
        category="trafficking_victim",
        urgency=urgency,
        identified_on=date(2026, 11, 20),
    )


def draft_return(world, *, sender=None, subject=None, urgency="routine"):
    return services.return_create(
        actor=sender or caller(world.th_sender),
        recipient_agency=world.kh_recipient,
        subject=subject or subject_data(),
        basis="victim_repatriation",
        urgency=urgency,
        proposed_checkpoint=Checkpoint.objects.get(code="KH-TH-POIPET"),
    )


def new_referral(world, status="draft", **kwargs):
    """A TH-MSDHS -> KH-MOSVY referral driven through the services to ``status``."""
    sender, recipient = sides(world)
    referral = draft_referral(world, sender=sender, **kwargs)
    steps = referral_steps(referral, sender=sender, recipient=recipient)
    return drive(referral, steps, REFERRAL_PATHS[status])


def new_return(world, status="draft", **kwargs):
    """A TH-MSDHS -> KH-MOSVY return request driven through the services to ``status``."""
    sender, recipient = sides(world)
    return_request = draft_return(world, sender=sender, **kwargs)
    steps = return_steps(return_request, sender=sender, recipient=recipient)
    return drive(return_request, steps, RETURN_PATHS[status])


def reminders_of(case) -> list[tuple[str, str]]:
    """The (deadline, threshold) of each reminder sent about ``case``."""
    return sorted(Reminder.objects.filter(case_id=case.id).values_list("deadline", "threshold"))
