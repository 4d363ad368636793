"""The parties of the contract tests: two agencies' officers, an agency admin, an auditor."""

from dataclasses import dataclass

import pytest
from django.core import signals
from django.db import close_old_connections

from agencies.roles import Role

from ..factories import api_client_with_token
from ..referrals.conftest import new_referral, new_return, world  # noqa: F401  (fixtures)

ROLE_SCOPES = {
    Role.OFFICER: ["referrals:read", "referrals:write"],
    Role.ADMIN: ["referrals:read", "agency:admin"],
    Role.AUDITOR: ["referrals:read", "audit:read"],
}


@dataclass
class Parties:
    """Bearer tokens: the Thai sender's officer, the Cambodian recipient's officer, admin and
    a Cambodian national oversight auditor; and a case of each kind sent between them."""

    world: object
    th_officer: str
    kh_officer: str
    kh_admin: str
    kh_auditor: str
    referral: object
    return_request: object

    def token(self, role: str) -> str:
        return {
            Role.OFFICER: self.th_officer,
            Role.ADMIN: self.kh_admin,
            Role.AUDITOR: self.kh_auditor,
        }[role]


@pytest.fixture
def keep_test_connection():
    """Calls into the WSGI app keep the test's database connection open, as Django's client."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _token(agency, role) -> str:
    return api_client_with_token(agency, role, ROLE_SCOPES[role])[1]


@pytest.fixture
def parties(world, keep_test_connection):  # noqa: F811
    return Parties(
        world=world,
        th_officer=_token(world.th_sender, Role.OFFICER),
        kh_officer=_token(world.kh_recipient, Role.OFFICER),
        kh_admin=_token(world.kh_recipient, Role.ADMIN),
        kh_auditor=_token(world.kh_oversight, Role.AUDITOR),
        referral=new_referral(world, "acknowledged"),
        return_request=new_return(world, "verified"),
    )


def pytest_terminal_summary(terminalreporter):
    """Schemathesis figures per role, for the record: the runs, then the 2xx answers the
    stateful run reached per operation."""
    from .test_schemathesis import FIGURES, REACHED

    for role, figures in sorted(FIGURES.items()):
        shown = ", ".join(f"{k} {v}" for k, v in sorted(figures.items()) if not k.startswith("_"))
        terminalreporter.write_line(f"schemathesis {role}: {shown}")
        reached = ", ".join(f"{k} {v}" for k, v in sorted(REACHED.get(role, {}).items()))
        terminalreporter.write_line(f"schemathesis {role} stateful 2xx: {reached or 'none'}")
