"""Fixtures of the exchange tests: events emitted as case services will, webhook receivers."""

import uuid

import pytest
from django.db import transaction

from exchange import services

from .receiver import WebhookReceiver


def emit_referral_event(
    event_type: str,
    *,
    sender,
    recipient,
    actor=None,
    reference: str = "REF-TH-KH-2026-000042",
    object_id: uuid.UUID | None = None,
    data: dict | None = None,
    extra_audience=(),
):
    """An event as the referral services write it: in a transaction, naming the case only."""
    object_id = object_id or uuid.uuid4()
    payload = {
        "path": f"/api/v1/referrals/{object_id}/",
        "status": "sent",
        "urgency": "urgent",
        "sender": sender.code,
        "recipient": recipient.code,
        "acknowledge_due_at": "2026-12-02T03:00:00Z",
    }
    payload.update(data or {})
    with transaction.atomic():
        return services.event_emit(
            type=event_type,
            object_type="referral",
            object_id=object_id,
            reference=reference,
            agencies=[sender, recipient, *extra_audience],
            actor_agency=actor if actor is not None else sender,
            data=payload,
        )


@pytest.fixture
def emit():
    return emit_referral_event


@pytest.fixture
def private_networks_allowed(settings):
    """Tests' receivers listen on 127.0.0.1, which production refuses."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def endpoint_for(private_networks_allowed):
    """Register a webhook endpoint of ``agency`` at ``url``; returns it and its secret."""

    def make(agency, url, **fields):
        return services.webhook_endpoint_create(agency=agency, url=url, **fields)

    return make


# Figures the fault tests measure, printed at the end of every run.
FAULT_FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if FAULT_FIGURES:
        terminalreporter.section("delivery under faults")
        for line in FAULT_FIGURES:
            terminalreporter.write_line(line)
