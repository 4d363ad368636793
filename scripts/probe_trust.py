#!/usr/bin/env python
"""Replay issue 10's trust probes on the seeded demo and print one figure per finding.

Run after `manage.py seed_demo` on the database of DATABASE_URL (the embedded SQLite by
default). Every probe runs in one transaction that is rolled back: the demo is left as it was.
"""

import json
import os
import sys
import uuid
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup()

from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from agencies import services  # noqa: E402
from agencies.models import Agency  # noqa: E402
from agencies.roles import Role  # noqa: E402
from protocol.models import IdempotencyKey  # noqa: E402

PASSWORD = "pw-Probe-Secret-4711"  # noqa: S105  (a login of the rolled-back probe)


def bearer(client_id: str, secret: str) -> APIClient:
    token = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    client = APIClient()
    if token.status_code == 200:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}")
    return client


def partner(code: str, role: str, scopes: list[str]) -> APIClient:
    client, secret = services.api_client_create(
        actor=None,
        agency=Agency.objects.get(code=code),
        name=f"probe-{role}-{uuid.uuid4().hex[:8]}",
        role=role,
        scopes=scopes,
    )
    return bearer(client.client_id, secret)


def officer(code: str) -> APIClient:
    return partner(code, Role.OFFICER, ["referrals:read", "referrals:write"])


def admin(code: str) -> APIClient:
    return partner(code, Role.ADMIN, ["agency:admin"])


def self_made_auditor() -> dict:
    """1. A KH-MOI admin registers an auditor client and reads what it can."""
    created = (
        admin("KH-MOI")
        .post(
            "/api/v1/agency/clients/",
            {"name": "self-audit", "role": "auditor", "scopes": ["referrals:read", "audit:read"]},
            format="json",
        )
        .json()
    )
    auditor = bearer(created["client_id"], created["client_secret"])
    rows = auditor.get("/api/v1/audit-events/", {"limit": 200}).json()["results"]
    cases = auditor.get("/api/v1/referrals/", {"limit": 200}).json()["results"]
    return {
        "audit_rows_naming_KH-MOSVY": sum("KH-MOSVY" in row["agencies"] for row in rows),
        "referrals_seen": len(cases),
    }


def consent_bypass() -> dict:
    """2. A referral whose subject refused consent, cited by a return to a third country."""
    th, kh = officer("TH-MSDHS"), officer("KH-MOSVY")
    referral = th.post(
        "/api/v1/referrals/",
        {
            "recipient_agency": "KH-MOSVY",
            "category": "trafficking_victim",
            "subject": {"given_name": "Probe", "consent": {"status": "refused", "scope": []}},
            "identified_on": "2026-11-20",
        },
        format="json",
    ).json()
    th.post(f"/api/v1/referrals/{referral['id']}/send/")
    share = th.post(
        f"/api/v1/referrals/{referral['id']}/shares/", {"agency": "IOM-KH"}, format="json"
    )
    cited = kh.post(
        "/api/v1/returns/",
        {"recipient_agency": "VN-MOLISA", "referral": referral["id"], "basis": "voluntary_return"},
        format="json",
    )
    return {"share_to_IOM-KH": share.status_code, "return_citing_it_to_VN": cited.status_code}


def secrets_in_store() -> dict:
    """3. Client and webhook creates repeated with one Idempotency-Key; the store grepped."""
    kh_admin = admin("KH-MOSVY")
    body = {"name": "replayed", "role": "viewer", "scopes": ["referrals:read"]}
    first, again = (
        kh_admin.post("/api/v1/agency/clients/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
        for _ in range(2)
    )
    secret = first.json()["client_secret"]
    stored = json.dumps(list(IdempotencyKey.objects.values()), default=str)
    return {
        "replay_status": again.status_code,
        "replayed_header": again.get("Idempotent-Replayed"),
        "secret_in_replay": secret in again.content.decode(),
        "idempotency_rows_holding_a_secret": int(secret in stored),
    }


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def deactivated_agency() -> dict:
    """4. An agency is deactivated, then reactivated."""
    agency = services.agency_create(
        actor=None, code="KH-PROBE", name="Probe", country="KH", kind="ngo"
    )
    services.member_create(
        actor=None, agency=agency, username="kh-probe-admin", role=Role.ADMIN, password=PASSWORD
    )
    browser = Client()
    browser.login(username="kh-probe-admin", password=PASSWORD)
    client, secret = services.api_client_create(
        actor=None, agency=agency, name="cms", role=Role.VIEWER, scopes=["referrals:read"]
    )
    old = bearer(client.client_id, secret)
    services.agency_update(actor=None, agency=agency, is_active=False)
    admin_pages = browser.get("/agency/members/").status_code
    signed_in = Client().login(username="kh-probe-admin", password=PASSWORD)
    services.agency_update(actor=None, agency=agency, is_active=True)
    return {
        "admin_pages_after_deactivation": admin_pages,
        "sign_in_while_inactive": signed_in,
        "old_token_after_reactivation": old.get("/api/v1/me/").status_code,
        "new_token_after_reactivation": bearer(client.client_id, secret)
        .get("/api/v1/me/")
        .status_code,
    }


def foreign_probe() -> dict:
    """10. A VN officer probes a TH-KH case; which oversight bodies see the refusal."""
    th = officer("TH-MSDHS")
    case = th.post(
        "/api/v1/referrals/",
        {
            "recipient_agency": "KH-MOSVY",
            "category": "trafficking_victim",
            "subject": {"given_name": "Probe"},
            "identified_on": "2026-11-20",
        },
        format="json",
    ).json()
    th.post(f"/api/v1/referrals/{case['id']}/send/")
    officer("VN-MPS").get(f"/api/v1/referrals/{case['id']}/")
    seen_by = []
    for code in ("KH-NCCT", "KH-MOSVY", "TH-MSDHS", "VN-MPS"):
        rows = partner(code, Role.AUDITOR, ["audit:read"]).get(
            "/api/v1/audit-events/", {"action": "request.denied", "limit": 200}
        )
        if any(row["object_id"] == case["id"] for row in rows.json()["results"]):
            seen_by.append(code)
    return {"auditors_who_see_the_probe": seen_by}


def leftovers() -> dict:
    """11. Member creation with another agency's username; counterpart of an inactive agency."""
    created = admin("KH-MOI").post(
        "/api/v1/agency/members/",
        {"username": "th-msdhs-officer", "role": "officer"},
        format="json",
    )
    services.agency_update(actor=None, agency=Agency.objects.get(code="TH-IMM"), is_active=False)
    counterpart = officer("KH-MOSVY").get("/api/v1/referrals/", {"counterpart": "TH-IMM"})
    return {
        "member_create_with_a_foreign_username": created.status_code,
        "username_given": created.json().get("username"),
        "counterpart_inactive_agency": counterpart.status_code,
    }


def main() -> None:
    figures = {}
    with override_settings(ALLOWED_HOSTS=["*"]), transaction.atomic():
        for probe in (
            self_made_auditor,
            consent_bypass,
            secrets_in_store,
            deactivated_agency,
            foreign_probe,
            leftovers,
        ):
            figures[probe.__name__] = probe()
        transaction.set_rollback(True)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
