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
