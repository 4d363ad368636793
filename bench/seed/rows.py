"""The rows each change of a seeded case leaves, written as the services would write them."""

from datetime import UTC, date, datetime, timedelta

from agencies.selectors import permission_id
from exchange.audit import audit_row_digest
from exchange.models import AuditEvent, AuditEventAgency, Event, EventAudience
from referrals.access import SHARE_GRANT
from referrals.models import (
    ADULT_AGE,
    CaseMessage,
    ReferralNotice,
    ReferralNoticeGroupObjectPermission,
    ReturnRequest,
    ReturnRequestGroupObjectPermission,
    Share,
    Subject,
)

from . import vocabulary as v
from .copy import Batch
from .directory import Party

PERMISSION_MODELS = {
    ReferralNotice: ReferralNoticeGroupObjectPermission,
    ReturnRequest: ReturnRequestGroupObjectPermission,
}


def data_type(verb: str, kind: str) -> str:
    """The event type (and audit action) of a change, as the services name it."""
    return verb if "." in verb else f"{kind}.{verb}"


class RowWriter:
    """One method per kind of row; the seeder walking a case calls them in time order."""

    def subject(self, batch: Batch, nationality: str, on: date, *, minor: bool) -> tuple:
        """A person of ``nationality`` identified ``on``; returns the id and the consent scope."""
        rng = self.rng
        given, family, native, languages, provinces = v.PEOPLE[nationality]
        age = rng.randint(12, ADULT_AGE - 1) if minor else rng.randint(ADULT_AGE, 45)
        birth = on - timedelta(days=age * 365 + rng.randint(0, 364)) if rng.random() < 0.8 else None
        consent = "guardian_given" if minor else self.pick(v.ADULT_CONSENT)
        scope = (
            rng.choice(v.CONSENT_SCOPES) if consent != "refused" and consent != "not_asked" else []
        )
        age_now = (
            ((self.now.date() - birth).days // 365) if birth else age + self.now.year - on.year
        )
        documents = (
            [
                {
                    "type": "national_id",
                    "number": str(rng.randrange(10**8, 10**9)),
                    "issuing_country": nationality,
                }
            ]
            if rng.random() < 0.4
            else []
        )
        subject_id = self.uuid()
        batch.add(
            Subject,
            id=subject_id,
            given_name=rng.choice(given),
            family_name=rng.choice(family),
            name_native=rng.choice(native),
            sex=rng.choice(v.SEXES),
            birth_date=birth,
            age_estimate=None if birth else age,
            is_minor=age_now < ADULT_AGE,
            nationality_claimed=nationality,
            identity_documents=documents,
            languages=languages,
            home_address={"province": rng.choice(provinces)},
            vulnerabilities=["debt bondage"] if rng.random() < 0.2 else [],
            consent_status=consent,
            consent_recorded_at=(
                datetime.combine(on, datetime.min.time(), tzinfo=UTC) if scope else None
            ),
            consent_scope=scope,
        )
        return subject_id, scope

    def grant(self, batch: Batch, model, case_id, agency: Party, perms: list[str]) -> None:
        """The agency group's object permissions, as ``agency_grant`` writes them."""
        for perm in perms:
            batch.add(
                PERMISSION_MODELS[model],
                group_id=agency.group_id,
                permission_id=permission_id(model, perm),
                content_object_id=case_id,
            )

    def record(
        self,
        batch: Batch,
        model,
        case: dict,
        verb: str,
        at: datetime,
        actor: Party,
        audience: list[Party],
    ) -> None:
        """The event of one change and its audience, as ``record_change`` writes them."""
        self.sequence += 1
        kind = model.kind
        data = {
            "path": model.api_path.format(case["id"]),
            "status": case["status"],
            "urgency": case["urgency"],
            "sender": self.by_id[case["sender_agency_id"]].code,
            "recipient": self.by_id[case["recipient_agency_id"]].code,
        }
        for name in model.due_fields:
            due = case.get(name)
            data[name] = due.isoformat() if due else None
        event_id = self.uuid()
        batch.add(
            Event,
            id=event_id,
            sequence=self.sequence,
            type=data_type(verb, kind),
            object_type=kind,
            object_id=case["id"],
            reference=case.get("reference") or "",
            actor_agency_id=actor.id,
            data=data,
            created_at=at,
        )
        for agency_id in dict.fromkeys(party.id for party in audience):
            batch.add(EventAudience, event_id=event_id, agency_id=agency_id, sequence=self.sequence)
        self.audit(
            batch,
            action=data_type(verb, kind),
            case=case,
            kind=kind,
            at=at,
            actor=actor,
            audience=audience,
        )

    def audit(self, batch: Batch, *, action, case, kind, at, actor: Party, audience) -> None:
        """The change's audit row, as ``audit_record`` writes it; the sealer seals it later."""
        self.audit_sequence += 1
        row = {
            "sequence": self.audit_sequence,
            "occurred_at": at,
            "actor_id": actor.officer_id,
            "agency_id": actor.id,
            "api_client_id": None,
            "on_behalf_of": "",
            "action": action,
            "object_type": kind,
            "object_id": str(case["id"]),
            "reference": case.get("reference") or "",
            "outcome": AuditEvent.Outcome.ALLOWED,
            "status_code": None,
            "request_id": "",
            "detail": {},
        }
        parties = {party.id: party for party in [*audience, actor]}
        audit_row_digest(row, [(party.id, party.country) for party in parties.values()])
        batch.add(AuditEvent, **row)
        for party in parties.values():
            batch.add(
                AuditEventAgency,
                audit_event_id=self.audit_sequence,
                agency_id=party.id,
                country=party.country,
            )

    def message(
        self, batch: Batch, model, case: dict, at: datetime, author: Party, audience: list[Party]
    ) -> None:
        batch.add(
            CaseMessage,
            id=self.uuid(),
            referral_id=case["id"] if model is ReferralNotice else None,
            return_request_id=case["id"] if model is ReturnRequest else None,
            author_agency_id=author.id,
            author_id=author.officer_id,
            body=self.rng.choice(v.MESSAGES),
            created_at=at,
        )
        self.record(batch, model, case, "message.posted", at, author, audience)

    def share(
        self,
        batch: Batch,
        model,
        case: dict,
        at: datetime,
        agency: Party,
        revoked_at: datetime | None,
        audience: list[Party],
    ) -> None:
        sender = self.by_id[case["sender_agency_id"]]
        batch.add(
            Share,
            id=self.uuid(),
            referral_id=case["id"] if model is ReferralNotice else None,
            return_request_id=case["id"] if model is ReturnRequest else None,
            agency_id=agency.id,
            shared_by_id=sender.officer_id,
            created_at=at,
            revoked_at=revoked_at,
        )
        if revoked_at is None:
            self.grant(batch, model, case["id"], agency, SHARE_GRANT)
        audience.append(agency)
        self.record(batch, model, case, "case.shared", at, sender, audience)

    def revoke(
        self, batch: Batch, model, case: dict, at: datetime, agency: Party, audience: list[Party]
    ) -> None:
        audience.remove(agency)
        sender = self.by_id[case["sender_agency_id"]]
        self.record(batch, model, case, "case.share_revoked", at, sender, [*audience, agency])

    # The two kinds of case.
