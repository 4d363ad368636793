"""Every legal transition and every illegal one, for both workflows, through the API."""

import pytest

from exchange.models import Event
from referrals.demo import REFERRAL_PATHS, RETURN_PATHS

from .conftest import new_referral, new_return, partner
from .test_access_matrix import FINAL, LEGAL, RECIPIENT, SENDER, _payloads

pytestmark = pytest.mark.django_db

TARGET = {
    "referral": {
        "send": "sent",
        "acknowledge": "acknowledged",
        "accept": "accepted",
        "reject": "rejected",
        "withdraw": "withdrawn",
        "close": "closed",
    },
    "return": {
        "send": "requested",
        "acknowledge": "acknowledged",
        "verify": "verified",
        "reject": "rejected",
        "schedule": "scheduled",
        "confirm_handover": "handed_over",
        "cancel": "cancelled",
    },
}
CELLS = [
    (kind, action, state)
    for kind, states in (("referral", REFERRAL_PATHS), ("return", RETURN_PATHS))
    for action in LEGAL[kind]
    for state in states
]


def _allowed_for(kind, state, side):
    return sorted(
        action
        for action, (states, acting) in LEGAL[kind].items()
        if state in states and acting in (side, "either")
    )


@pytest.mark.parametrize(("kind", "action", "state"), CELLS)
def test_transition(world, kind, action, state):
    case = (new_referral if kind == "referral" else new_return)(world, state)
    legal_states, side = LEGAL[kind][action]
    agency = world.kh_recipient if side == RECIPIENT else world.th_sender
    client = partner(agency)
    base = "referrals" if kind == "referral" else "returns"
    events_before = Event.objects.count()

    response = client.post(
        f"/api/v1/{base}/{case.id}/{action}/", _payloads(kind).get(action, {}), format="json"
    )

    if state == "draft" and side == RECIPIENT:
        assert response.status_code == 404  # the recipient sees nothing of a draft
    elif state in legal_states:
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["status"] == TARGET[kind][action]
        assert sorted(body["allowed_actions"]) == _allowed_for(
            kind, body["status"], side if side != "either" else SENDER
        )
        assert Event.objects.filter(object_id=case.id, type=f"{kind}.{body['status']}").exists()
        assert Event.objects.count() == events_before + 1
    else:
        assert response.status_code == 409
        problem = response.json()
        assert problem["type"].endswith("illegal-transition")
        assert sorted(problem["allowed_actions"]) == _allowed_for(
            kind, state, side if side != "either" else SENDER
        )
        case.refresh_from_db()
        assert case.status == state
        assert Event.objects.count() == events_before


FINAL_CASES = [(kind, state) for kind in ("referral", "return") for state in sorted(FINAL[kind])]


@pytest.mark.parametrize(("kind", "state"), FINAL_CASES)
def test_final_cases_take_no_action_from_anyone(world, kind, state):
    case = (new_referral if kind == "referral" else new_return)(world, state)
    base = "referrals" if kind == "referral" else "returns"
    for agency in (world.th_sender, world.kh_recipient):
        response = partner(agency).get(f"/api/v1/{base}/{case.id}/")
        assert response.json()["allowed_actions"] == []
