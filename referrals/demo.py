"""Demo cases: referral notices and return requests in every state for every country pair."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from agencies.authentication import Caller
from agencies.demo import demo_username
from agencies.models import Agency, Checkpoint, Membership

from . import services
from .models import ReferralNotice, ReturnRequest

REFERRAL_PATHS = {
    "draft": [],
    "sent": ["send"],
    "acknowledged": ["send", "acknowledge"],
    "accepted": ["send", "acknowledge", "accept"],
    "rejected": ["send", "reject"],
    "withdrawn": ["send", "withdraw"],
    "closed": ["send", "acknowledge", "accept", "close"],
}
RETURN_PATHS = {
    "draft": [],
    "requested": ["send"],
    "acknowledged": ["send", "acknowledge"],
    "verified": ["send", "acknowledge", "verify"],
    "rejected": ["send", "reject"],
    "scheduled": ["send", "verify", "schedule"],
    "handed_over": ["send", "verify", "schedule", "confirm_handover"],
    "cancelled": ["send", "cancel"],
}
VERIFIED = {
    "identity_confirmed": True,
    "nationality_confirmed": True,
    "family_traced": True,
    "notes": "",
}


def referral_steps(referral: ReferralNotice, *, sender: Caller, recipient: Caller) -> dict:
    """Each workflow step of a referral as the side that takes it would call it."""
    return {
        "send": lambda: services.referral_send(referral=referral, actor=sender),
        "acknowledge": lambda: services.referral_acknowledge(
            referral=referral, actor=recipient, focal_point="Case desk, anti-trafficking unit"
        ),
        "accept": lambda: services.referral_accept(referral=referral, actor=recipient),
        "reject": lambda: services.referral_reject(
            referral=referral,
            actor=recipient,
            reason="The person is not a national of our country.",
        ),
        "withdraw": lambda: services.referral_withdraw(
            referral=referral, actor=sender, reason="Sent to the wrong counterpart."
        ),
        "close": lambda: services.referral_close(
            referral=referral, actor=recipient, outcome="Reunified with family; follow-up by MOSVY."
        ),
    }


def return_steps(return_request: ReturnRequest, *, sender: Caller, recipient: Caller) -> dict:
    """Each workflow step of a return request as the side that takes it would call it."""
    checkpoint = (
        return_request.proposed_checkpoint
        or Checkpoint.objects.filter(
            country_a=min(
                return_request.sender_agency.country, return_request.recipient_agency.country
            ),
            country_b=max(
                return_request.sender_agency.country, return_request.recipient_agency.country
            ),
        ).first()
    )
    return {
        "send": lambda: services.return_send(return_request=return_request, actor=sender),
        "acknowledge": lambda: services.return_acknowledge(
            return_request=return_request, actor=recipient
        ),
        "verify": lambda: services.return_verify(
            return_request=return_request, actor=recipient, verification=VERIFIED
        ),
        "reject": lambda: services.return_reject(
            return_request=return_request,
            actor=recipient,
            reason="Nationality could not be confirmed.",
        ),
        "schedule": lambda: services.return_schedule(
            return_request=return_request,
            actor=sender,
            date=timezone.localdate() + timedelta(days=7),
            checkpoint=checkpoint,
        ),
        "confirm_handover": lambda: services.return_confirm_handover(
            return_request=return_request,
            actor=recipient,
            handover={
                "at": timezone.now(),
                "received_by": "Provincial social affairs officer",
                "notes": "",
            },
        ),
        "cancel": lambda: services.return_cancel(
            return_request=return_request, actor=sender, reason="The person chose to stay."
        ),
    }


def drive(case, steps: dict, path: list[str]):
    """Take the steps of ``path`` in order and return the case as it is then."""
    for step in path:
        steps[step]()
    case.refresh_from_db()
    return case


# (sender, recipient) per country pair, and a person each, as the demo's subjects.
DEMO_PAIRS = [
    (
        "TH-MSDHS",
        "KH-MOSVY",
        {
            "given_name": "Sokha",
            "family_name": "Chan",
            "name_native": "ចាន់ សុខា",
            "nationality_claimed": "KH",
            "languages": ["km"],
        },
    ),
    (
        "VN-MOH",
        "KH-MOSVY",
        {
            "given_name": "Dara",
            "family_name": "Keo",
            "name_native": "កែវ ដារា",
            "nationality_claimed": "KH",
            "languages": ["km"],
        },
    ),
    (
        "TH-MSDHS",
        "VN-MOH",
        {
            "given_name": "Lan",
            "family_name": "Nguyen",
            "name_native": "Nguyễn Thị Lan",
            "nationality_claimed": "VN",
            "languages": ["vi"],
        },
    ),
]


def _caller(agency: Agency) -> Caller:
    membership = Membership.objects.select_related("user", "agency").get(
        user__username=demo_username(agency.code, "officer")
    )
    return Caller(user=membership.user, membership=membership)


def _subject(person: dict, minor: bool) -> dict:
    born = date(2010, 6, 1) if minor else date(1998, 2, 20)
    return {
        **person,
        "sex": "female",
        "birth_date": born,
        "consent_status": "guardian_given" if minor else "given",
        "consent_scope": ["social_welfare", "international_org"],
        "vulnerabilities": ["debt bondage"],
    }


@transaction.atomic
def seed_cases() -> int:
    """Create the demo cases once per country pair; running it again creates nothing."""
    created = 0
    for sender_code, recipient_code, person in DEMO_PAIRS:
        sender_agency = Agency.objects.get(code=sender_code)
        recipient_agency = Agency.objects.get(code=recipient_code)
        sender, recipient = _caller(sender_agency), _caller(recipient_agency)
        if ReferralNotice.objects.filter(
            sender_agency=sender_agency, recipient_agency=recipient_agency, created_by=sender.user
        ).exists():
            continue
        for index, status in enumerate(REFERRAL_PATHS):
            referral = services.referral_create(
                actor=sender,
                recipient_agency=recipient_agency,
                subject=_subject(person, minor=index % 3 == 0),
                category="trafficking_victim" if index % 2 else "presumed_victim",
                exploitation_types=["forced_criminality"] if index % 2 else ["forced_labour"],
                urgency=["routine", "urgent", "emergency"][index % 3],
                summary="Identified during a labour inspection; wishes to return home.",
                requested_actions=["family_tracing", "repatriation"],
                identified_on=timezone.localdate() - timedelta(days=10),
                identified_place="Sa Kaeo" if sender_code.startswith("TH") else "Tay Ninh",
            )
            steps = referral_steps(referral, sender=sender, recipient=recipient)
            drive(referral, steps, REFERRAL_PATHS[status])
            created += 1
        for status in RETURN_PATHS:
            return_request = services.return_create(
                actor=sender,
                recipient_agency=recipient_agency,
                subject=_subject(person, minor=False),
                basis="victim_repatriation",
                proposed_date=timezone.localdate() + timedelta(days=14),
            )
            steps = return_steps(return_request, sender=sender, recipient=recipient)
            drive(return_request, steps, RETURN_PATHS[status])
            created += 1
    return created
