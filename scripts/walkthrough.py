#!/usr/bin/env python
"""Drive a Thai-to-Cambodian referral and a return over HTTP, as two partner systems would.

Run it against a running server (`make run`, then `make walkthrough`). The partner clients are
registered with `manage.py create_api_client`, as an operator would on onboarding. The
Cambodian side also receives its events on a webhook receiver this script starts, and the
notification email is looked for in the server's mail folder.
"""

import argparse
import email
import email.header
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from standardwebhooks import Webhook, WebhookVerificationError

ROOT = Path(__file__).resolve().parent.parent


class Receiver:
    """A partner's webhook endpoint on 127.0.0.1 that verifies every signature."""

    def __init__(self):
        self.secret = None
        self.events = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers))
                except WebhookVerificationError:
                    self.send_response(401)
                else:
                    receiver.events.append(payload)
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/mekong"

    def wait_for(self, event_type: str, reference: str, timeout: float = 60) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for payload in self.events:
                if payload["type"] == event_type and payload["data"].get("reference") == reference:
                    return payload
            time.sleep(0.5)
        return None


def wait_for_mail(reference: str, timeout: float = 60) -> Path | None:
    """The first email file under the server's mail folder that names the reference."""
    folder = Path(os.environ.get("VAR_DIR", ROOT / "var")) / "mail"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.log")) if folder.exists() else []:
            if reference in path.read_text(errors="replace"):
                return path
        time.sleep(0.5)
    return None


class Partner:
    """One agency's case-management system: its token and its calls."""

    def __init__(self, base_url: str, agency: str, role: str = "officer", scopes: str = ""):
        self.agency = agency
        self.http = httpx.Client(base_url=base_url, timeout=30)
        credentials = self._register(role, scopes or "referrals:read referrals:write")
        token = self.http.post(
            "/o/token/",
            data={"grant_type": "client_credentials"},
            auth=(credentials["client_id"], credentials["client_secret"]),
        )
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        step(
            agency, "POST /o/token/ (client credentials)", token.status_code, token.json()["scope"]
        )

    def _register(self, role: str, scopes: str) -> dict:
        output = subprocess.run(  # noqa: S603
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "create_api_client",
                "--agency",
                self.agency,
                "--name",
                f"walkthrough-{uuid.uuid4().hex[:8]}",
                "--role",
                role,
                "--scopes",
                scopes,
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
        return json.loads(output.strip().splitlines()[-1])

    def call(self, method: str, path: str, expect: int, body: dict | None = None, note: str = ""):
        headers = {"X-On-Behalf-Of": f"{self.agency.lower()}-officer-7"}
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        response = self.http.request(method, path, json=body, headers=headers)
        data = response.json() if response.content else {}
        detail = note or data.get("status") or data.get("detail", "")
        step(self.agency, f"{method} {path}", response.status_code, detail)
        if response.status_code != expect:
            print(json.dumps(data, indent=2, ensure_ascii=False))
            raise SystemExit(f"Expected {expect}, got {response.status_code}")
        return data


def step(agency: str, what: str, status: int, detail) -> None:
    print(f"  {agency:<9} {what:<70} {status}  {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    args = parser.parse_args()

    print("Partner systems sign in")
    thailand = Partner(args.base_url, "TH-MSDHS")
    cambodia = Partner(args.base_url, "KH-MOSVY")
    cambodia_admin = Partner(args.base_url, "KH-MOSVY", "admin", "referrals:read agency:admin")

    print("\nCambodia's system subscribes to its events on a webhook")
    receiver = Receiver()
    webhook = cambodia_admin.call(
        "POST",
        "/api/v1/webhooks/",
        201,
        {"url": receiver.url, "event_types": ["referral.*", "return.*", "message.posted"]},
        note="webhook registered",
    )
    receiver.secret = webhook["secret"]

    print("\nA referral notice from Thailand to Cambodia")
    referral = thailand.call(
        "POST",
        "/api/v1/referrals/",
        201,
        {
            "recipient_agency": "KH-MOSVY",
            "category": "trafficking_victim",
            "exploitation_types": ["forced_criminality"],
            "urgency": "urgent",
            "subject": {
                "given_name": "Sokha",
                "family_name": "Chan",
                "name_native": "ចាន់ សុខា",
                "sex": "female",
                "birth_date": "1999-03-14",
                "nationality_claimed": "KH",
                "languages": ["km"],
                "home_address": {"province": "Banteay Meanchey", "district": "Poipet"},
                "consent": {"status": "given", "scope": ["social_welfare", "international_org"]},
            },
            "summary": "Identified after a raid on a scam compound; wishes to go home.",
            "requested_actions": ["family_tracing", "repatriation"],
            "identified_on": str(date.today() - timedelta(days=2)),
            "identified_place": "Sa Kaeo",
        },
    )
    path = f"/api/v1/referrals/{referral['id']}/"
    sent = thailand.call("POST", f"{path}send/", 200)
    print(f"  -> {sent['reference']}: acknowledge by {sent['acknowledge_due_at']},")
    print(f"     answer by {sent['respond_due_at']}")
    arrived = receiver.wait_for("referral.sent", sent["reference"])
    if arrived is None:
        raise SystemExit("The referral.sent webhook did not arrive.")
    print(f"  -> webhook received at {receiver.url}: referral.sent, signature verified")
    mail = wait_for_mail(sent["reference"])
    if mail is None:
        raise SystemExit("No notification email was written for the referral.")
    message = email.message_from_string(mail.read_text(errors="replace"))
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    print(f"  -> email to {message['To']} written to {mail.name}: {subject}")
    incoming = cambodia.call(
        "GET", "/api/v1/referrals/?direction=incoming&status=sent", 200, note="incoming"
    )
    assert any(r["id"] == referral["id"] for r in incoming["results"])
    cambodia.call("POST", f"{path}acknowledge/", 200, {"focal_point": "Ms Dara, MOSVY case desk"})
    cambodia.call("POST", f"{path}accept/", 200)
    cambodia.call(
        "POST", f"{path}messages/", 201, {"body": "Family traced in Poipet."}, note="message"
    )
    thailand.call("GET", f"{path}messages/", 200, note="thread read")

    print("\nA return request at the Poipet - Aranyaprathet checkpoint")
    returned = thailand.call(
        "POST",
        "/api/v1/returns/",
        201,
        {
            "recipient_agency": "KH-MOSVY",
            "referral": referral["id"],
            "basis": "victim_repatriation",
            "urgency": "urgent",
            "proposed_checkpoint": "KH-TH-POIPET",
            "proposed_date": str(date.today() + timedelta(days=10)),
        },
    )
    path = f"/api/v1/returns/{returned['id']}/"
    requested = thailand.call("POST", f"{path}send/", 200)
    print(f"  -> {requested['reference']}: verify by {requested['verification_due_at']}")
    cambodia.call(
        "POST",
        f"{path}verify/",
        200,
        {
            "verification": {
                "identity_confirmed": True,
                "nationality_confirmed": True,
                "family_traced": True,
            }
        },
    )
    thailand.call(
        "POST",
        f"{path}schedule/",
        200,
        {"date": str(date.today() + timedelta(days=7)), "checkpoint": "KH-TH-POIPET"},
    )
    cambodia.call(
        "POST",
        f"{path}confirm_handover/",
        200,
        {
            "handover": {
                "at": datetime.now(UTC).isoformat(),
                "received_by": "Poipet social affairs office",
            }
        },
    )
    final = thailand.call("GET", path, 200)
    print(f"\nDone: {sent['reference']} accepted, {final['reference']} {final['status']}.")


if __name__ == "__main__":
    main()
