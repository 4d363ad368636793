"""The access matrix: every case endpoint x method x kind of caller x case state.

The expected status of every cell comes from the one table below (ENDPOINTS, with the
contract's workflow tables LEGAL and the callers in CALLERS), written from DESIGN.md
independently of the code under test. Each request runs in a savepoint that is rolled back, so
every cell starts from the same case.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.roles import Role
from protocol.etags import etag_of
from referrals import services
from referrals.demo import REFERRAL_PATHS, RETURN_PATHS, drive, referral_steps, return_steps

from .conftest import caller, draft_referral, draft_return, partner

pytestmark = pytest.mark.django_db

SENDER, RECIPIENT, EITHER = "sender", "recipient", "either"

# The contract's workflow tables (DESIGN.md section 3): action -> (legal states, side).
LEGAL = {
    "referral": {
        "send": ({"draft"}, SENDER),
        "acknowledge": ({"sent"}, RECIPIENT),
        "accept": ({"sent", "acknowledged"}, RECIPIENT),
        "reject": ({"sent", "acknowledged"}, RECIPIENT),
        "withdraw": ({"draft", "sent", "acknowledged"}, SENDER),
        "close": ({"accepted"}, EITHER),
    },
    "return": {
        "send": ({"draft"}, SENDER),
        "acknowledge": ({"requested"}, RECIPIENT),
        "verify": ({"requested", "acknowledged"}, RECIPIENT),
        "reject": ({"requested", "acknowledged"}, RECIPIENT),
        "schedule": ({"verified", "scheduled"}, EITHER),
        "confirm_handover": ({"scheduled"}, RECIPIENT),
        "cancel": ({"draft", "requested", "acknowledged", "verified", "scheduled"}, SENDER),
    },
}
FINAL = {
    "referral": {"rejected", "withdrawn", "closed"},
    "return": {"rejected", "handed_over", "cancelled"},
}

# Who calls: agency (a World attribute), role, and where they stand. "party" callers see the
# case as sender or recipient; "shared" sees it once shared; "auditor" sees sent cases of its
# country, redacted; "outsider" never sees it.
CALLERS = {
    "sender officer": ("th_sender", Role.OFFICER, SENDER),
    "sender viewer": ("th_sender", Role.VIEWER, None),
    "recipient officer": ("kh_recipient", Role.OFFICER, RECIPIENT),
    "recipient viewer": ("kh_recipient", Role.VIEWER, None),
    "shared third agency": ("kh_ngo", Role.OFFICER, None),
    "other agency, sender's country": ("th_other", Role.OFFICER, None),
    "agency of the third country": ("vn_agency", Role.OFFICER, None),
    "auditor of a party's country": ("kh_oversight", Role.AUDITOR, None),
    "auditor of another country": ("vn_oversight", Role.AUDITOR, None),
    "anonymous": (None, None, None),
}
SEES_DRAFT = {"sender officer", "sender viewer"}
SEES_SENT = SEES_DRAFT | {
    "recipient officer",
    "recipient viewer",
    "shared third agency",
    "auditor of a party's country",
}


def _payloads(kind):
    verification = {
        "identity_confirmed": True,
        "nationality_confirmed": True,
        "family_traced": True,
    }
    today = timezone.localdate()
    return {
        "acknowledge": {"focal_point": "Ms Dara, case desk"},
        "reject": {"reason": "Not a national"},
        "withdraw": {"reason": "Entered in error"},
        "close": {"outcome": "Reunified"},
        "verify": {"verification": verification},
        "schedule": {"date": str(today + timedelta(days=3)), "checkpoint": "KH-TH-POIPET"},
        "confirm_handover": {
            "handover": {"at": timezone.now().isoformat(), "received_by": "Mr Vuthy"}
        },
        "cancel": {"reason": "Chose to stay"},
    }


def _create_payload(kind, recipient):
    subject = {"given_name": "Srey", "sex": "female", "age_estimate": 24}
    if kind == "referral":
        return {
            "recipient_agency": recipient,
            "category": "presumed_victim",
            "subject": subject,
            "identified_on": str(timezone.localdate()),
        }
    return {"recipient_agency": recipient, "basis": "voluntary_return", "subject": subject}


# The one table: (endpoint, method, path, rule). Paths: {case} is the case's detail URL.
def endpoints(kind):
    rows = [
        ("list", "GET", "", "list"),
        ("create", "POST", "", "create"),
        ("detail", "GET", "{case}", "read"),
        ("edit draft", "PATCH", "{case}", "edit"),
        ("replace", "PUT", "{case}", "no such method"),
        ("delete", "DELETE", "{case}", "no such method"),
        ("post to detail", "POST", "{case}", "no such method"),
        ("messages", "GET", "{case}messages/", "read"),
        ("post message", "POST", "{case}messages/", "message"),
        ("shares", "GET", "{case}shares/", "read"),
        ("share", "POST", "{case}shares/", "share"),
        ("revoke share", "DELETE", "{case}shares/{share}/", "revoke share"),
        ("consent history", "GET", "{case}consent/", "consent history"),
        ("change consent", "POST", "{case}consent/", "change consent"),
        ("person's record", "GET", "{case}record/", "record"),
    ]
    for action in LEGAL[kind]:
        rows.append((action, "POST", f"{{case}}{action}/", f"act:{action}"))
        rows.append((f"{action} (GET)", "GET", f"{{case}}{action}/", "no such method"))
    return rows


def expected(kind, rule, method, who, state) -> int:
    """The status the contract promises for one cell."""
    agency, role, side = CALLERS[who]
    if agency is None:
        return 401
    if method != "GET" and role != Role.OFFICER:
        return 403  # the token lacks referrals:write: refused before anything is looked up
    if rule == "no such method":
        return 405
    if rule == "list":
        return 200
    if rule == "create":
        return 201
    visible = who in (SEES_DRAFT if state == "draft" else SEES_SENT)
    if not visible:
        return 404
    if rule == "read":
        return 200
    if rule == "consent history":
        return 403 if role == Role.AUDITOR else 200
    if rule == "record":  # the controllers: the parties' officers (and admins)
        return 200 if side else 403
    if rule == "change consent":
        return 201 if side == SENDER else 403
    final = state in FINAL[kind]
    if rule == "edit":
        return (200 if state == "draft" else 409) if side == SENDER else 403
    if rule == "message":
        return (409 if state == "draft" or final else 201) if side else 403
    if rule == "share":
        return (409 if state == "draft" or final else 201) if side == SENDER else 403
    if rule == "revoke share":
        if state == "draft":
            return 404  # no share exists before the case is sent
        return 204 if side == SENDER else 403
    action = rule.removeprefix("act:")
    legal_states, acting_side = LEGAL[kind][action]
    if side is None or (acting_side != EITHER and side != acting_side):
        return 403
    return 200 if state in legal_states else 409


def _case_in_state(world, kind, state):
    """A TH -> KH case in ``state``, shared with KH-NGO right after it was sent."""
    sender, recipient = caller(world.th_sender), caller(world.kh_recipient)
    if kind == "referral":
        case = draft_referral(world, sender=sender)
        steps, path = (
            referral_steps(case, sender=sender, recipient=recipient),
            REFERRAL_PATHS[state],
        )
    else:
        case = draft_return(world, sender=sender)
        steps, path = return_steps(case, sender=sender, recipient=recipient), RETURN_PATHS[state]
    share = None
    if path:
        drive(case, steps, path[:1])
        share = services.case_share(case=case, actor=sender, agency=world.kh_ngo)
        drive(case, steps, path[1:])
    return case, share


def _clients(world):
    clients = {}
    for who, (agency, role, _side) in CALLERS.items():
        clients[who] = partner(getattr(world, agency), role) if agency else APIClient()
    return clients


def _body(kind, rule, who, world):
    """A valid body for the cell's request, so that only access and state decide the answer."""
    if rule == "create":
        agency = CALLERS[who][0]
        country = getattr(world, agency).country if agency else "TH"
        return _create_payload(
            kind, {"KH": "TH-MSDHS", "TH": "KH-MOSVY", "VN": "KH-MOSVY"}[country]
        )
    fixed = {
        "share": {"agency": "IOM-KH"},
        "message": {"body": "The family has been located in Battambang."},
        "edit": {"urgency": "urgent"},
        "change consent": {"status": "given", "scope": ["ngo", "social_welfare"]},
    }
    return fixed.get(rule) or _payloads(kind).get(rule.removeprefix("act:"), {})


def _surprises(response, want, rule, method, who, state, case) -> list:
    """What differs from the contract in one answer: its status, a list's content, redaction."""
    if response.status_code != want:
        return [response.status_code]
    if rule == "list" and want == 200:
        listed = {item["id"] for item in response.json()["results"]}
        should_see = who in (SEES_DRAFT if state == "draft" else SEES_SENT)
        if (str(case.id) in listed) != should_see or len(listed) > 1:
            return [f"listed {listed}"]
    if want == 200 and who.startswith("auditor") and method == "GET":
        body = response.json()
        if "subject" in body or "summary" in body:
            return ["personal data shown to an auditor"]
    return []


CASES = [("referral", s) for s in REFERRAL_PATHS] + [("return", s) for s in RETURN_PATHS]


@pytest.mark.parametrize(("kind", "state"), CASES)
def test_access_matrix(world, kind, state):
    case, share = _case_in_state(world, kind, state)
    base = f"/api/v1/{'referrals' if kind == 'referral' else 'returns'}/"
    share_id = share.id if share else "00000000-0000-4000-8000-000000000000"
    clients = _clients(world)
    unexpected, cells = [], 0
    for name, method, path, rule in endpoints(kind):
        url = base + path.format(case=f"{case.id}/", share=share_id)
        for who, client in clients.items():
            headers = {"HTTP_IF_MATCH": etag_of(case)} if rule == "edit" else {}
            with transaction.atomic():
                body = _body(kind, rule, who, world)
                response = getattr(client, method.lower())(url, body, format="json", **headers)
                transaction.set_rollback(True)
            want = expected(kind, rule, method, who, state)
            cells += 1
            for surprise in _surprises(response, want, rule, method, who, state, case):
                unexpected.append((name, method, who, want, surprise))
    print(f"\naccess matrix {kind}/{state}: {cells} cells, {len(unexpected)} unexpected")
    assert unexpected == [], "\n".join(map(str, unexpected))
