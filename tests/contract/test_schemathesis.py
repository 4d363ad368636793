"""Schemathesis over the committed openapi.yaml: every operation, every check, three roles,
and stateful runs that follow the schema's links along the referral and return workflows."""

import copy
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from django.utils import timezone
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.engine.link_calibration import LinkCalibrationState
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.stateful.state_machine import normalize_name
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

from agencies.models import Checkpoint
from agencies.roles import Role
from config.wsgi import application
from referrals.workflows import RECIPIENT, REFERRAL_WORKFLOW, RETURN_WORKFLOW

schema = schemathesis.openapi.from_path(Path(settings.BASE_DIR) / "openapi.yaml")
schema.app = application
# The coverage phase's boundary cases run to about 90 per operation: minutes per role on two
# cores. Examples and generated data (positive and negative) keep the run to a few minutes.
schema.config.phases.coverage.enabled = False


def preconditions_come_first(schemathesis_schema) -> None:
    """A change sent with a stale If-Match is a 412 whatever its body (RFC 9110 section 13.2.1:
    preconditions are evaluated before the content is processed), so a 412 is a rejection too."""
    rejection = schemathesis_schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "412"]


preconditions_come_first(schema)

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
]

# Figures for the report: operations, cases, scenarios and steps per role.
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


# The stateful runs: creations, reads and the workflow actions of both kinds of case, following
# only the schema's own links (no inferred ones).
REFERRAL_ACTIONS = [f"referrals_{action}_create" for action in REFERRAL_WORKFLOW.transitions]
RETURN_ACTIONS = [f"returns_{action}_create" for action in RETURN_WORKFLOW.transitions]
READS = {"referrals_retrieve", "returns_retrieve"}
CASE_SETUP = {"referrals_create", "referrals_send_create", "returns_create", "returns_send_create"}
RECIPIENT_ACTIONS = {
    f"{collection}_{action}_create"
    for collection, workflow in (("referrals", REFERRAL_WORKFLOW), ("returns", RETURN_WORKFLOW))
    for action, transition in workflow.transitions.items()
    if transition.side == RECIPIENT
}
workflow_schema = schemathesis.openapi.from_path(Path(settings.BASE_DIR) / "openapi.yaml")
workflow_schema.app = application
workflow_schema.config.phases.stateful.inference.algorithms = []
preconditions_come_first(workflow_schema)

# 2xx answers per role and operation in the stateful runs.
REACHED: dict[str, Counter] = {}


def operation_id(case) -> str:
    return case.operation.definition.raw.get("operationId", "")


def acting_party(role: str, case) -> str:
    """Who makes a stateful call. The officer run is a Thai sender's officer, and the Cambodian
    recipient's officer for the receiving side's actions; in the admin and auditor runs the
    Thai officer drafts and sends each case, so that it reaches their agency, and the role
    under test makes every other call."""
    if role == Role.OFFICER:
        return "recipient" if operation_id(case) in RECIPIENT_ACTIONS else "sender"
    return "sender" if operation_id(case) in CASE_SETUP else role


@contextmanager
def bodies_the_rules_accept(parties):
    """Positive bodies name what exists (the counterpart agency, a checkpoint serving the
    pair) and keep dates in order, and each Idempotency-Key is new, so that cases are created
    and actions taken; negative bodies and headers are left as generated."""
    counterpart = parties.world.kh_recipient.code
    checkpoint = Checkpoint.objects.get(country_a="KH", country_b="TH").code

    def map_case(context, case):
        if "Idempotency-Key" in case.headers and not case.meta.is_negative_at(
            ParameterLocation.HEADER
        ):
            # A client makes a key per change it means; drawn keys repeat across scenarios
            # sharing one database, and a repeat answers with the first case as it is now.
            case.headers["Idempotency-Key"] = uuid.uuid4().hex
        if isinstance(case.body, dict) and not case.meta.is_negative_at(ParameterLocation.BODY):
            case.body = _repaired(operation_id(case), case.body, counterpart, checkpoint)
        return case

    workflow_schema.hooks.register_hook_with_name(map_case, "map_case")
    try:
        yield
    finally:
        workflow_schema.hooks.unregister(map_case)


def _repaired(operation: str, body: dict, counterpart: str, checkpoint: str) -> dict:
    today = timezone.localdate()
    soon = (today + timedelta(days=7)).isoformat()
    body = copy.deepcopy(body)
    if operation in {"referrals_create", "returns_create"}:
        body["recipient_agency"] = counterpart
        body.pop("referral", None)
        if body.get("proposed_checkpoint") is not None:
            body["proposed_checkpoint"] = checkpoint
        if body.get("proposed_date") is not None:
            body["proposed_date"] = soon
        if "identified_on" in body:
            body["identified_on"] = today.isoformat()
        subject = body.setdefault("subject", {"given_name": "Sokha"})
        subject.pop("birth_date", None)
        if isinstance(subject.get("consent"), dict):
            subject["consent"].pop("recorded_at", None)
    elif operation == "returns_verify_create":
        body["verification"].update(
            identity_confirmed=True, nationality_confirmed=True, family_traced=True
        )
    elif operation == "returns_schedule_create":
        body.update(date=soon, checkpoint=checkpoint)
    elif operation == "returns_confirm_handover_create":
        body["handover"].update(at=timezone.now().isoformat(), received_by="Border liaison")
    return _without_blank_texts(body)


def _without_blank_texts(value):
    """Texts of spaces only are blank to the server (it trims them), and NUL is refused: rules
    no schema states."""
    if isinstance(value, dict):
        return {key: _without_blank_texts(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_blank_texts(item) for item in value]
    if isinstance(value, str):
        value = value.replace("\x00", "")
        return "n/a" if value and not value.strip() else value
    return value


class LinksAsWritten(LinkCalibrationState):
    """Every link is followed with all its values, as the schema writes it: schemathesis would
    leave some out at random (outside Hypothesis's control), for a replayed scenario to reach
    the API in another state; exploring around the links is the stateless run's work."""

    def use_probability(self, transition_id: str) -> float:
        return 1.0

    def is_calibrated(self, transition_id: str) -> bool:
        return True


def _starting_from_creations(machine):
    """Scenarios start by creating a case: schemathesis would also start from any POST, and an
    action on a made-up id is a 404 that leads nowhere."""
    creations = machine._root_labels & {"POST /api/v1/referrals/", "POST /api/v1/returns/"}
    for label in machine._root_labels - creations:
        delattr(machine, normalize_name(f"RANDOM -> {label}"))
    machine.root_rules = frozenset(normalize_name(f"RANDOM -> {label}") for label in creations)
    machine._root_labels = frozenset(creations)
    return machine


def _workflow_machine(role: str, walk: str, parties, reached: Counter, answered: Counter):
    """The state machine of one run: ``reached`` counts 2xx per operation, ``answered`` the
    statuses the role's own token received."""
    tokens = {
        "sender": parties.th_officer,
        "recipient": parties.kh_officer,
        role: parties.token(role),
    }
    walked = workflow_schema.include(operation_id=WALKS.get(walk) or MET[walk])

    machine = walked.build_state_machine(feedback=NO_FEEDBACK, link_calibration=LinksAsWritten())

    class Workflow(_starting_from_creations(machine)):
        def setup(self):
            _count(role, "stateful scenarios")

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {tokens[acting_party(role, case)]}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            _count(role, "stateful steps")
            if acting_party(role, case) == role:
                answered[(operation_id(case), response.status_code)] += 1
            if 200 <= response.status_code < 300:
                reached[operation_id(case)] += 1
            case.validate_response(
                response,
                checks=CHECKS,
                excluded_checks=excluded_for(case),
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    return Workflow


# The officer walks each path of the two workflows to its end, each run holding only the
# operations of its path, so that a short scenario gets far; the admin and the auditor meet
# every action of each kind of case on cases the Thai officer sent them.
WALK_ACTIONS = {
    "referral closed": ["send", "acknowledge", "accept", "close"],
    "referral rejected": ["send", "reject"],
    "referral withdrawn": ["send", "withdraw"],
    "return handed over": ["send", "acknowledge", "verify", "schedule", "confirm_handover"],
    "return rejected": ["send", "reject"],
    "return cancelled": ["send", "cancel"],
}
WALKS = {
    walk: [f"{collection}_create", *(f"{collection}_{action}_create" for action in actions)]
    for walk, actions in WALK_ACTIONS.items()
    for collection in ["referrals" if walk.startswith("referral ") else "returns"]
}
MET = {
    "every referral action": ["referrals_create", "referrals_retrieve", *REFERRAL_ACTIONS],
    "every return action": ["returns_create", "returns_retrieve", *RETURN_ACTIONS],
}
STATEFUL_RUNS = [
    *[
        (Role.OFFICER, walk, {"max_examples": 4 * len(actions), "stateful_step_count": 12})
        for walk, actions in WALK_ACTIONS.items()
    ],
    *[
        (role, met, {"max_examples": 10, "stateful_step_count": 10})
        for role in (Role.ADMIN, Role.AUDITOR)
        for met in MET
    ],
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "walk", "run"),
    STATEFUL_RUNS,
    ids=[f"{role}, {walk}" for role, walk, _ in STATEFUL_RUNS],
)
def test_workflows_followed_through_links(role, walk, run, parties):
    reached, answered = Counter(), Counter()
    with bodies_the_rules_accept(parties):
        for attempt in range(2):
            try:
                _workflow_machine(role, walk, parties, reached, answered).run(
                    settings=hypothesis_settings(
                        **run,
                        derandomize=not attempt,
                        deadline=None,
                        phases=[Phase.generate],
                        suppress_health_check=list(HealthCheck),
                    )
                )
                break
            except FlakyStrategyDefinition:
                # A replayed scenario met the API in a later state (the database is shared by
                # the scenarios): schemathesis's own runner then starts another suite, as here,
                # from a fresh seed.
                if attempt:
                    raise
    REACHED.setdefault(role, Counter()).update(reached)
    if walk in WALKS:
        assert [op for op in WALKS[walk] if not reached[op]] == []
    else:
        writes = {op for op, _status in answered} - READS
        assert writes, "the role tried no workflow action"
        assert [(op, status) for op, status in answered if op in writes and status < 300] == []
        assert [op for op in writes if not answered[(op, 403)]] == []
        assert [op for op in READS & set(MET[walk]) if not reached[op]] == []
