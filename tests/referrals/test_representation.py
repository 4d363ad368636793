"""The planned case representation is DRF's, field for field, in every state and reader."""

import json

import pytest
from rest_framework import serializers

from agencies.authentication import Caller
from agencies.roles import Role
from protocol.representation import PlannedRepresentation
from referrals.demo import REFERRAL_PATHS, RETURN_PATHS
from referrals.serializers import (
    RedactedReferralSerializer,
    RedactedReturnSerializer,
    ReferralSerializer,
    ReturnSerializer,
)

from ..factories import member
from .conftest import new_referral, new_return, subject_data

pytestmark = pytest.mark.django_db

SUBJECT = subject_data(
    aliases=["Mom"],
    identity_documents=[{"type": "passport", "number": "N123", "issuing_country": "KH"}],
    home_address={"province": "Battambang"},
    family_contact={"name": "Chan Dara", "relationship": "brother"},
    vulnerabilities=["debt bondage"],
)


def _as_drf(serializer_class, case, context, monkeypatch) -> str:
    with monkeypatch.context() as patched:
        patched.setattr(
            PlannedRepresentation, "to_representation", serializers.Serializer.to_representation
        )
        return json.dumps(serializer_class(case, context=context).data, sort_keys=True)


@pytest.mark.parametrize(
    ("serializer_class", "make", "states"),
    [
        (ReferralSerializer, new_referral, REFERRAL_PATHS),
        (RedactedReferralSerializer, new_referral, REFERRAL_PATHS),
        (ReturnSerializer, new_return, RETURN_PATHS),
        (RedactedReturnSerializer, new_return, RETURN_PATHS),
    ],
)
def test_planned_output_equals_drf_output_in_every_state(
    world, monkeypatch, serializer_class, make, states
):
    user = member(world.th_sender, Role.OFFICER)
    context = {"caller": Caller(user=user, membership=user.membership)}
    for state in states:
        case = make(world, state, subject=SUBJECT)
        planned = json.dumps(serializer_class(case, context=context).data, sort_keys=True)
        assert planned == _as_drf(serializer_class, case, context, monkeypatch), state


@pytest.mark.parametrize(
    "serializer_class",
    [ReferralSerializer, RedactedReferralSerializer, ReturnSerializer, RedactedReturnSerializer],
)
def test_fields_are_those_drf_builds(monkeypatch, serializer_class):
    planned = repr(serializer_class())
    with monkeypatch.context() as patched:
        patched.delattr(PlannedRepresentation, "get_fields")
        assert planned == repr(serializer_class())


def test_each_serializer_has_fields_of_its_own():
    first, second = ReferralSerializer(), ReferralSerializer()
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other and field.parent is first and other.parent is second
    actions, other_actions = first.fields["exploitation_types"], second.fields["exploitation_types"]
    assert actions.child is not other_actions.child and actions.child.parent is actions
    documents = first.fields["subject"].fields["identity_documents"]
    assert documents.child.parent is documents
    assert documents.child is not second.fields["subject"].fields["identity_documents"].child


def test_a_redacted_serializer_builds_its_own_fields():
    assert "subject" in ReferralSerializer().fields
    assert not {"subject", "summary"} & set(RedactedReferralSerializer().fields)
