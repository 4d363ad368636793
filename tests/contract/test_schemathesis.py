"""Schemathesis over the committed openapi.yaml: every operation, every check, three roles,
and stateful runs that follow the schema's links along the referral and return workflows."""

from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from agencies.roles import Role
from config.wsgi import application

schema = schemathesis.openapi.from_path(Path(settings.BASE_DIR) / "openapi.yaml")
schema.app = application
# The coverage phase's boundary cases run to about 90 per operation: minutes per role on two
# cores. Examples and generated data (positive and negative) keep the run to a few minutes.
schema.config.phases.coverage.enabled = False

ROLES = [Role.OFFICER, Role.ADMIN, Role.AUDITOR]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    missing_required_header,
    unsupported_method,
    use_after_free,
    ensure_resource_availability,
    ignored_auth,
]

# Every exclusion, in one place: (check, which requests, why). Everything else runs every check.
EXCLUSIONS = [
    (
        positive_data_acceptance,
        lambda case: case.operation.method.upper() in {"POST", "PATCH", "DELETE"},
        "Writes with well-formed data are still refused by rules no schema states: agencies "
        "and checkpoints that exist, a case's state and side, consent, password strength, a "
        "webhook URL that resolves to a public address, dates in order, a current ETag.",
    ),
    (
        positive_data_acceptance,
        lambda case: (
            case.operation.path
            in {"/api/v1/audit-events/", "/api/v1/reports/sla/", "/api/v1/reports/statistics/"}
            or bool(case.query and case.query.get("counterpart"))
            or bool(case.query and "cursor" in case.query)
        ),
        "Reads whose parameters must name existing things or agree with each other: an agency "
        "code in counterpart or agency, a from before a to, CSV without paging, and a cursor "
        "only as the server issued it (a made-up one is a 400 naming it).",
    ),
    (
        ensure_resource_availability,
        lambda case: True,
        "A resource created by one party is, by design, 404 to a party of another agency "
        "(the stateful officer run acts as both sides).",
    ),
]

# Figures for the report: operations, cases and scenarios per role.
FIGURES: dict[str, Counter] = {}


def excluded_for(case) -> list:
    return [check for check, applies, _reason in EXCLUSIONS if applies(case)]


def _count(role: str, key: str, value: object = 1) -> None:
    figures = FIGURES.setdefault(role, Counter())
    if key == "operations":
        figures.setdefault("_seen", set()).add(value)
        figures["operations"] = len(figures["_seen"])
    else:
        figures[key] += 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@hypothesis_settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms(case, role, parties):
    _count(role, "operations", case.operation.label)
    _count(role, "cases")
    case.call_and_validate(
        headers={"Authorization": f"Bearer {parties.token(role)}"},
        checks=CHECKS,
        excluded_checks=excluded_for(case),
    )


# The receiving side's actions: the officer run acts as the recipient for these.
RECIPIENT_ACTIONS = {
    "referrals_acknowledge_create",
    "referrals_accept_create",
    "referrals_reject_create",
    "returns_acknowledge_create",
    "returns_verify_create",
    "returns_reject_create",
    "returns_confirm_handover_create",
}


def _workflow_machine(role: str, parties):
    base = schema.as_state_machine()

    class Workflow(base):
        def setup(self):
            _count(role, "scenarios")

        def get_call_kwargs(self, case):
            token = parties.token(role)
            if role == Role.OFFICER and case.operation.definition.raw.get("operationId") in (
                RECIPIENT_ACTIONS
            ):
                token = parties.kh_officer
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            _count(role, "stateful steps")
            if (
                response.status_code < 300
                and case.operation.path.count("}/") == 1
                and (case.operation.method.upper() == "POST")
            ):
                _count(role, "stateful actions taken")
            case.validate_response(
                response,
                checks=CHECKS,
                excluded_checks=excluded_for(case),
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    return Workflow


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_workflows_followed_through_links(role, parties):
    machine = _workflow_machine(role, parties)
    machine.run(
        settings=hypothesis_settings(
            max_examples=12,
            stateful_step_count=8,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    assert FIGURES[role]["scenarios"] > 0
