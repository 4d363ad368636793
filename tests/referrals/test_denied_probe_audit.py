"""A refused access to an existing case is visible to the auditors of the case's parties."""

import pytest

from agencies.roles import Role

from ..factories import AgencyFactory
from .conftest import new_referral, new_return, partner

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/audit-events/"


def _denials_seen_by(agency, object_id) -> list[dict]:
    rows = partner(agency, Role.AUDITOR).get(AUDIT, {"limit": 200}).json()["results"]
    return [
        row
        for row in rows
        if row["action"] == "request.denied" and row["object_id"] == str(object_id)
    ]


@pytest.mark.parametrize(
    ("kind", "path"),
    [("referral", ""), ("referral", "messages/"), ("referral", "send/"), ("return", "")],
)
def test_a_foreign_probe_of_a_case_is_visible_to_the_auditors_of_its_parties(world, kind, path):
    case = new_referral(world, "sent") if kind == "referral" else new_return(world, "requested")
    vn = partner(world.vn_agency)
    url = f"/api/v1/{kind}s/{case.id}/{path}"
    probe = vn.post(url) if path == "send/" else vn.get(url)
    assert probe.status_code == 404
    kh_own = AgencyFactory(code="KH-MOSVY-AUD", country="KH", kind="oversight")
    assert kh_own.audit_scope == "agency"
    for overseer in (world.kh_oversight, world.vn_oversight, world.kh_recipient, world.th_sender):
        [row] = _denials_seen_by(overseer, case.id)
        assert (row["agency"], row["status_code"]) == ("VN-MOLISA", 404)
    assert _denials_seen_by(kh_own, case.id) == []


def test_a_probe_of_a_draft_is_not_shown_to_the_named_recipient(world):
    draft = new_referral(world, "draft")
    assert partner(world.vn_agency).get(f"/api/v1/referrals/{draft.id}/").status_code == 404
    assert len(_denials_seen_by(world.th_sender, draft.id)) == 1
    assert _denials_seen_by(world.kh_recipient, draft.id) == []


def test_a_probe_of_an_unknown_id_concerns_only_the_prober(world):
    unknown = "00000000-0000-4000-8000-000000000000"
    assert partner(world.vn_agency).get(f"/api/v1/referrals/{unknown}/").status_code == 404
    assert len(_denials_seen_by(world.vn_oversight, unknown)) == 1
    assert _denials_seen_by(world.kh_oversight, unknown) == []
