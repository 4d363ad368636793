"""The agencies of a scale seed: spread over KH, TH and VN, each with an officer."""

import uuid
from dataclasses import dataclass

from agencies import services
from agencies.demo import seed_agreements, seed_checkpoints
from agencies.models import Agency, AgencyKind, Membership
from agencies.roles import Role

from .vocabulary import COUNTRIES, COUNTRY_NAMES, KIND_CODES, LANGUAGES

KINDS = list(KIND_CODES)


@dataclass(frozen=True)
class Party:
    """What the seeder needs of an agency: its ids, code, country, kind and officer."""

    id: uuid.UUID
    group_id: int
    code: str
    country: str
    kind: str
    officer_id: int


def scale_agency(index: int) -> tuple[str, str, str]:
    """Code, country and kind of the ``index``-th agency: countries in turn, then kinds."""
    country = COUNTRIES[index % len(COUNTRIES)]
    number = index // len(COUNTRIES)
    kind = KINDS[number % len(KINDS)]
    return f"{country}-{KIND_CODES[kind]}{number + 1:02d}", country, kind


def scale_directory(count: int) -> list[Party]:
    """``count`` agencies with an officer each, the agreements and checkpoints (reused if there)."""
    services.role_groups_sync()
    seed_agreements()
    seed_checkpoints()
    parties = []
    for index in range(count):
        code, country, kind = scale_agency(index)
        agency = Agency.objects.filter(code=code).first() or services.agency_create(
            actor=None,
            code=code,
            name=f"{AgencyKind(kind).label}, {COUNTRY_NAMES[country]} ({code})",
            country=country,
            kind=kind,
            language=LANGUAGES[country],
            notification_email=f"{code.lower()}@example.org",
        )
        officer = Membership.objects.filter(
            agency=agency, role=Role.OFFICER, is_service_account=False
        ).first() or services.member_create(
            actor=None, agency=agency, username=f"{code.lower()}-officer", role=Role.OFFICER
        )
        parties.append(
            Party(
                id=agency.id,
                group_id=agency.group_id,
                code=code,
                country=country,
                kind=kind,
                officer_id=officer.user_id,
            )
        )
    return parties
