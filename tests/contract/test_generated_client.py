"""A client generated from openapi.yaml, as a partner would generate it, runs every action."""

import importlib
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from config.wsgi import application

PACKAGE = "mekong_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The client package, generated at test time; generation must not warn."""
    out = tmp_path_factory.mktemp("client")
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(Path(settings.BASE_DIR) / "openapi.yaml"),
            "--output-path",
            str(out / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        cwd=out,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(out))
    try:
        package = importlib.import_module(PACKAGE)
        importlib.import_module(f"{PACKAGE}.models")
        yield package
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
            del sys.modules[name]


class Partner:
    """One partner system: the generated client over the WSGI app, with its bearer token."""

    def __init__(self, package, token: str):
        self.package = package
        self.client = package.AuthenticatedClient(
            base_url="http://testserver",
            token=token,
            raise_on_unexpected_status=True,
            httpx_args={"transport": httpx.WSGITransport(app=application)},
        )

    def call(self, operation: str, expected: int = 200, **kwargs):
        """Call ``api.<tag>.<operation>``; the parsed body of the expected status."""
        tag = operation.split("_")[0]
        module = importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")
        response = module.sync_detailed(client=self.client, **kwargs)
        assert response.status_code == expected, response.content
        return response

    def body(self, name: str, data: dict):
        return getattr(self.package.models, name).from_dict(data)


def _subject() -> dict:
    return {
        "given_name": "Sokha",
        "family_name": "Chan",
        "sex": "female",
        "birth_date": "1999-03-14",
        "nationality_claimed": "KH",
        "consent": {"status": "given", "scope": ["social_welfare", "oversight"]},
    }


def _referral(sender: Partner, key: str):
    created = sender.call(
        "referrals_create",
        201,
        body=sender.body(
            "ReferralWriteRequest",
            {
                "recipient_agency": "KH-MOSVY",
                "category": "trafficking_victim",
                "exploitation_types": ["forced_labour"],
                "requested_actions": ["family_tracing"],
                "subject": _subject(),
                "identified_on": "2026-11-20",
            },
        ),
        idempotency_key=key,
    )
    return created.parsed


@pytest.mark.django_db
def test_generated_client_drives_a_referral_through_every_action(generated, parties):
    models = generated.models
    th, kh = Partner(generated, parties.th_officer), Partner(generated, parties.kh_officer)
    auditor = Partner(generated, parties.kh_auditor)

    draft = th.call(
        "referrals_create",
        201,
        body=th.body(
            "ReferralWriteRequest",
            {
                "recipient_agency": "KH-MOSVY",
                "category": "trafficking_victim",
                "exploitation_types": ["forced_labour"],
                "requested_actions": ["family_tracing", "repatriation"],
                "subject": _subject(),
                "identified_on": "2026-11-20",
            },
        ),
        idempotency_key="referral-1",
    )
    referral = draft.parsed
    assert isinstance(referral, models.Referral)
    assert referral.allowed_actions == [
        models.ReferralActionEnum.SEND,
        models.ReferralActionEnum.WITHDRAW,
    ]
    edited = th.call(
        "referrals_partial_update",
        id=referral.id,
        body=th.body("PatchedReferralWriteRequest", {"summary": "Found in Sa Kaeo."}),
        if_match=draft.headers["etag"],
    )
    assert edited.parsed.summary == "Found in Sa Kaeo."
    th.call("referrals_send_create", id=referral.id)
    acknowledged = kh.call(
        "referrals_acknowledge_create",
        id=referral.id,
        body=kh.body("FocalPointRequest", {"focal_point": "Ms Dara, MOSVY"}),
    ).parsed
    assert acknowledged.status == models.ReferralStatusEnum.ACKNOWLEDGED
    kh.call("referrals_accept_create", id=referral.id)
    thread = th.body("MessageRequest", {"body": "The family is in Battambang."})
    th.call("referrals_messages_create", 201, id=referral.id, body=thread)
    closed = th.call(
        "referrals_close_create",
        id=referral.id,
        body=th.body("OutcomeRequest", {"outcome": "Reunited with her family."}),
    ).parsed
    assert closed.status == models.ReferralStatusEnum.CLOSED

    rejected, withdrawn = _referral(th, "referral-2"), _referral(th, "referral-3")
    for case in (rejected, withdrawn):
        th.call("referrals_send_create", id=case.id)
    reason = th.body("ReasonRequest", {"reason": "Not within our mandate."})
    kh.call("referrals_reject_create", id=rejected.id, body=reason)
    th.call("referrals_withdraw_create", id=withdrawn.id, body=reason)

    as_recipient = kh.call("referrals_retrieve", id=referral.id).parsed
    assert isinstance(as_recipient, models.Referral)
    assert as_recipient.subject.given_name == "Sokha"
    as_auditor = auditor.call("referrals_retrieve", id=referral.id).parsed
    assert isinstance(as_auditor, models.RedactedReferral)
    assert not hasattr(as_auditor, "subject")
    listed = auditor.call("referrals_list").parsed
    assert {type(r) for r in listed.results} == {models.RedactedReferral}
    messages = auditor.call("referrals_messages_list", id=referral.id).parsed
    assert [type(m) for m in messages.results] == [models.RedactedMessage]


@pytest.mark.django_db
def test_generated_client_drives_a_return_through_every_action(generated, parties):
    models = generated.models
    th, kh = Partner(generated, parties.th_officer), Partner(generated, parties.kh_officer)
    auditor = Partner(generated, parties.kh_auditor)

    def new_return(key: str):
        return th.call(
            "returns_create",
            201,
            body=th.body(
                "ReturnWriteRequest",
                {
                    "recipient_agency": "KH-MOSVY",
                    "basis": "victim_repatriation",
                    "subject": _subject(),
                    "proposed_checkpoint": "KH-TH-POIPET",
                },
            ),
            idempotency_key=key,
        ).parsed

    handed, rejected, cancelled = new_return("r-1"), new_return("r-2"), new_return("r-3")
    assert isinstance(handed, models.Return)
    for case in (handed, rejected):
        th.call("returns_send_create", id=case.id)
    kh.call("returns_acknowledge_create", id=handed.id)
    kh.call(
        "returns_verify_create",
        id=handed.id,
        body=kh.body(
            "VerifyRequest",
            {
                "verification": {
                    "identity_confirmed": True,
                    "nationality_confirmed": True,
                    "family_traced": True,
                }
            },
        ),
    )
    on = (date.today() + timedelta(days=7)).isoformat()
    th.call(
        "returns_schedule_create",
        id=handed.id,
        body=th.body("ScheduleRequest", {"date": on, "checkpoint": "KH-TH-POIPET"}),
    )
    at = timezone.now().isoformat()
    done = kh.call(
        "returns_confirm_handover_create",
        id=handed.id,
        body=kh.body(
            "ConfirmHandoverRequest", {"handover": {"at": at, "received_by": "Mr Vannak"}}
        ),
    ).parsed
    assert done.status == models.ReturnStatusEnum.HANDED_OVER
    assert done.handover.received_by == "Mr Vannak"
    assert done.verification.family_traced is True
    reason = th.body("ReasonRequest", {"reason": "Not a national of Cambodia."})
    kh.call("returns_reject_create", id=rejected.id, body=reason)
    cancelled_now = th.call("returns_cancel_create", id=cancelled.id, body=reason).parsed
    assert cancelled_now.checkpoint is None

    as_recipient = kh.call("returns_retrieve", id=handed.id).parsed
    assert isinstance(as_recipient, models.Return)
    assert as_recipient.checkpoint == "KH-TH-POIPET"
    as_auditor = auditor.call("returns_retrieve", id=handed.id).parsed
    assert isinstance(as_auditor, models.RedactedReturn)
    listed = auditor.call("returns_list").parsed
    assert {type(r) for r in listed.results} == {models.RedactedReturn}


@pytest.mark.django_db
def test_generated_client_follows_the_feed(generated, parties):
    kh = Partner(generated, parties.kh_officer)
    seen, after = [], 0
    while True:
        page = kh.call("events_list", after=after, limit=2).parsed
        seen += page.results
        if page.next_ is None:
            break
        after = page.results[-1].sequence
    sequences = [event.sequence for event in seen]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    types = {event.type_ for event in seen}
    assert generated.models.EventTypeEnum.REFERRAL_SENT in types
    assert all(event.data.path.startswith("/api/v1/") for event in seen)
