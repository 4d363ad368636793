"""Tree heads and proofs for auditors, checked as a partner checks them: with the standalone
verifier, against saved heads and its own rows, through a real HTTP server."""

import importlib.util
import io
import json
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core.management import call_command

from agencies.authentication import Caller
from agencies.roles import Role
from exchange import audit, audit_signing
from exchange.audit import audit_record
from exchange.audit_sealer import audit_seal
from exchange.audit_signing import public_key_pem
from exchange.models import AuditEvent, Event

from ..factories import AgencyFactory, api_client_with_token, member
from ..processes import PROJECT

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit/tree-heads/"
SCRIPT = PROJECT / "scripts" / "verify_audit_log.py"


def _verifier():
    spec = importlib.util.spec_from_file_location("verify_audit_log", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verifier = _verifier()


def test_the_standalone_verifier_hashes_the_rows_and_heads_the_server_writes():
    """The verifier copies the row and head forms on purpose (it imports nothing of the
    project): a change on the server's side that it does not follow fails here."""
    assert verifier.ROW_FIELDS == audit.HASHED_FIELDS
    assert verifier.ROW_FORM == audit.ROW_FORM
    assert verifier.HEAD_FORM == audit_signing.HEAD_FORM


@pytest.fixture
def public_key():
    return load_pem_public_key(public_key_pem().encode())


@pytest.fixture
def rows(kh_agency, th_agency):
    """Reads of a KH-only case and of a TH-only case, then a KH-TH one, sealed in two heads."""
    vn = AgencyFactory(code="VN-MOLISA", country="VN")
    officer = member(kh_agency, Role.OFFICER)
    caller = Caller(user=officer, membership=officer.membership)
    kh = audit_record(actor=caller, action="referral.read", reference="REF-KH-KH-2026-000001")
    audit_seal()
    vn_officer = member(vn, Role.OFFICER)
    vn_only = audit_record(
        actor=Caller(user=vn_officer, membership=vn_officer.membership),
        action="referral.read",
        reference="REF-VN-VN-2026-000002",
    )
    shared = audit_record(actor=caller, action="referral.read", agencies=[th_agency])
    audit_seal()
    return {"kh": kh, "vn": vn_only, "shared": shared}


@pytest.fixture
def kh_auditor(kh_agency, as_partner):
    national = AgencyFactory(code="KH-NCCT", country="KH", kind="oversight", audit_scope="country")
    return as_partner(national, Role.AUDITOR, scopes=["audit:read"])


def test_the_latest_head_is_signed_and_is_published_to_every_agency(rows, kh_auditor, public_key):
    response = kh_auditor.get(f"{URL}latest/")
    assert response.status_code == 200
    head = response.json()
    assert head["tree_size"] == AuditEvent.objects.filter(sequence__lte=rows["shared"].pk).count()
    verifier.check_signature(head, public_key)
    assert head["sealed_at"].endswith("Z")
    published = Event.objects.filter(type="audit.tree_head").first()
    assert published.data["signature"]
    verifier.check_signature(published.data, public_key)
    assert set(published.audience.values_list("agency__code", flat=True)) >= {
        "KH-MOSVY",
        "TH-MSDHS",
        "VN-MOLISA",
    }


def test_heads_by_size_and_listed_largest_first(rows, kh_auditor):
    listed = kh_auditor.get(URL).json()["results"]
    sizes = [head["tree_size"] for head in listed]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) == 2
    assert kh_auditor.get(f"{URL}{sizes[1]}/").json() == listed[1]
    missing = kh_auditor.get(f"{URL}{sizes[0] + 1}/")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"


def test_an_inclusion_proof_of_a_row_within_reach_verifies(rows, kh_auditor):
    head = kh_auditor.get(f"{URL}latest/").json()
    response = kh_auditor.get(f"{URL}{head['tree_size']}/inclusion/?sequence={rows['kh'].pk}")
    assert response.status_code == 200
    proof = response.json()
    own = {"sequence": rows["kh"].pk, "hash": rows["kh"].hash, "action": "referral.read"}
    verifier.check_row(own, proof, head)
    with pytest.raises(verifier.Failure, match="action differs"):
        verifier.check_row({**own, "action": "referral.updated"}, proof, head)
    forged = {**proof, "audit_path": list(reversed(proof["audit_path"]))}
    with pytest.raises(verifier.Failure, match="not in the head"):
        verifier.check_row(own, forged, head)
    assert AuditEvent.objects.filter(action="audit_tree.inclusion").exists()


def test_a_row_outside_the_auditors_reach_is_404(rows, kh_auditor):
    size = kh_auditor.get(f"{URL}latest/").json()["tree_size"]
    response = kh_auditor.get(f"{URL}{size}/inclusion/?sequence={rows['vn'].pk}")
    assert response.status_code == 404


def test_a_row_not_in_an_earlier_head_is_refused(rows, kh_auditor):
    first = kh_auditor.get(URL).json()["results"][-1]["tree_size"]
    response = kh_auditor.get(f"{URL}{first}/inclusion/?sequence={rows['shared'].pk}")
    assert response.status_code == 400
    assert "sequence" in response.json()["errors"]


def test_a_consistency_proof_between_two_heads_verifies(rows, kh_auditor):
    older, newer = reversed(kh_auditor.get(URL).json()["results"])
    response = kh_auditor.get(f"{URL}{newer['tree_size']}/consistency/?first={older['tree_size']}")
    assert response.status_code == 200
    path = [bytes.fromhex(h) for h in response.json()["consistency_path"]]
    roots = bytes.fromhex(older["root_hash"]), bytes.fromhex(newer["root_hash"])
    assert verifier.consistency_holds(older["tree_size"], newer["tree_size"], *roots, path)
    assert not verifier.consistency_holds(
        older["tree_size"], newer["tree_size"], roots[1], roots[1], path
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("?first=0", "first"), ("?first=999999", "first"), ("?frist=1", "frist"), ("", "first")],
)
def test_bad_consistency_queries_are_problems(rows, kh_auditor, query, field):
    size = kh_auditor.get(f"{URL}latest/").json()["tree_size"]
    response = kh_auditor.get(f"{URL}{size}/consistency/{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_only_auditors_read_the_tree(rows, kh_agency, as_partner, role):
    assert as_partner(kh_agency, role).get(f"{URL}latest/").status_code == 403


def test_an_auditor_without_audit_read_is_refused(rows, kh_agency, as_partner):
    client = as_partner(kh_agency, Role.AUDITOR, scopes=["referrals:read"])
    assert client.get(f"{URL}latest/").status_code == 403


# The standalone verifier, as a partner runs it -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_standalone_verifier_checks_saved_heads_and_own_rows(
    live_server, kh_agency, th_agency, tmp_path
):
    officer = member(kh_agency, Role.OFFICER)
    caller = Caller(user=officer, membership=officer.membership)
    own = [audit_record(actor=caller, action="referral.read", agencies=[th_agency])]
    saved = [audit_seal()]
    own.append(audit_record(actor=caller, action="referral.sent", agencies=[th_agency]))
    saved.append(audit_seal())
    audit_record(actor=None, action="test.more")
    audit_seal()
    key = tmp_path / "audit-key.pem"
    with key.open("w") as pem:
        call_command("audit_public_key", stdout=pem, stderr=io.StringIO())
    heads = tmp_path / "heads.json"
    heads.write_text(
        json.dumps(
            [
                {f: getattr(h, f) for f in ("tree_size", "root_hash", "timestamp", "key_id")}
                | {"signature": h.signature}
                for h in saved
            ]
        )
    )
    kept_rows = tmp_path / "rows.json"
    kept_rows.write_text(
        json.dumps(
            [
                {"sequence": e.pk, "hash": e.hash, "action": e.action, "outcome": "allowed"}
                for e in own
            ]
        )
    )
    _, token = api_client_with_token(kh_agency, Role.AUDITOR, ["audit:read"])

    partner = ["--base-url", live_server.url, "--token", token, "--public-key", str(key)]

    def run(*extra):
        return subprocess.run(
            [sys.executable, str(SCRIPT), *partner, "--heads", str(heads), *extra],
            capture_output=True,
            text=True,
            timeout=120,
        )

    result = run("--rows", str(kept_rows), "--keep")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"latest head extends saved head {saved[0].tree_size}" in result.stdout
    assert f"row {own[0].pk} (leaf" in result.stdout
    assert len(json.loads(heads.read_text())) == 3
    # A head the operator never signed: the partner's check fails.
    forged = json.loads(heads.read_text())
    forged[0]["root_hash"] = "00" * 32
    heads.write_text(json.dumps(forged))
    refused = run()
    assert refused.returncode == 1
    assert "FAIL head" in refused.stdout


def test_an_empty_cursor_is_400_not_the_first_page(rows, kh_auditor):
    """The contract gives the cursor a length; the first page is asked for without one."""
    response = kh_auditor.get(f"{URL}?cursor=")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "cursor" in response.json()["errors"]
