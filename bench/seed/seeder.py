"""Cases generated in time order, each walking its workflow as the services would have."""

import random
import uuid
from collections import Counter as Tally
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import accumulate

from django.db import connection

from agencies.models import Agreement, Checkpoint
from exchange.audit import audit_sequence_last, audit_sequence_resume
from exchange.services import EVENT_SEQUENCE
from protocol.models import Counter
from referrals.access import RECIPIENT_GRANT, SENDER_GRANT
from referrals.deadlines import due_dates, next_reminder_at
from referrals.models import ReferralNotice, ReminderSchedule, ReturnRequest
from referrals.workflows import SENDER

from . import vocabulary as v
from .copy import Batch
from .directory import Party
from .rows import RowWriter

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

RETURN_SHARE = 0.25
RETURN_FROM_REFERRAL = 0.5
SHARED = 0.05
SHARE_REVOKED = 0.1
WITH_MESSAGES = 0.3
# How often a step misses its deadline: about 1% of the open cases are overdue now.
LATE = 0.006
# The steps that answer a case are timed from the send, where their deadline runs from.
ANSWERS = {"accept": "accepted_at", "reject": "rejected_at", "verify": "verified_at"}


def _windows(agreement: Agreement, urgency: str) -> tuple[timedelta, timedelta, timedelta]:
    """How long each step may take, to time the simulated steps (the due dates stored are the
    services' own, from ``due_dates``); a working day is taken as 7/5 days."""

    def working(days: int) -> timedelta:
        return timedelta(days=days * 7 / 5 + 1)

    return (
        timedelta(hours=agreement.acknowledge_hours(urgency)),
        working(agreement.respond_working_days(urgency)),
        working(agreement.verify_return_working_days(urgency)),
    )


class Seeder(RowWriter):
    """Turns case numbers into rows: one method per kind of row, one walk per case."""

    def __init__(self, *, parties: list[Party], years: int, seed: int, now: datetime):
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - timedelta(days=365 * years)
        self.by_id = {p.id: p for p in parties}
        active = [p for p in parties if v.KIND_VOLUME[p.kind]]
        weights = [v.KIND_VOLUME[p.kind] * self.rng.lognormvariate(0, 0.6) for p in active]
        self.senders = (active, list(accumulate(weights)))
        self.counterparts = {}
        for country in v.COUNTRIES:
            others = [(p, w) for p, w in zip(active, weights, strict=True) if p.country != country]
            self.counterparts[country] = v.weighted(others)
        self.third_parties = defaultdict(list)
        for party in active:
            self.third_parties[(party.country, party.kind)].append(party)
        counters = dict(Counter.objects.values_list("name", "value"))
        self.sequence = counters.pop(EVENT_SEQUENCE, 0)
        self.audit_sequence = audit_sequence_last()
        self.references = Tally(counters)
        self.agreements = {(a.country_a, a.country_b): a for a in Agreement.objects.all()}
        self.windows = {
            (pair, urgency): _windows(agreement, urgency)
            for pair, agreement in self.agreements.items()
            for urgency in v.URGENCIES[0]
        }
        self.checkpoints = defaultdict(list)
        for checkpoint in Checkpoint.objects.filter(is_active=True):
            self.checkpoints[(checkpoint.country_a, checkpoint.country_b)].append(checkpoint.pk)
        self.recent_referrals: list[dict] = []

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def pick(self, weighted: tuple[list, list[float]]):
        values, cumulative = weighted
        return self.rng.choices(values, cum_weights=cumulative)[0]

    def between(self, low: timedelta, high: timedelta) -> timedelta:
        return low + (high - low) * self.rng.random()

    def batch(self, first: int, count: int, total: int) -> Batch:
        """Cases ``first`` to ``first + count`` of ``total``, spread evenly from start to now."""
        batch = Batch()
        span = self.now - self.start
        for index in range(first, first + count):
            created_at = self.start + span * ((index + self.rng.random()) / total)
            if self.rng.random() < RETURN_SHARE:
                self.return_request(batch, created_at)
            else:
                self.referral(batch, created_at)
        return batch

    # One method per kind of row: audit rows and deliveries are written next to ``record``.

    def parties_for(self) -> tuple[Party, Party]:
        sender = self.pick(self.senders)
        return sender, self.pick(self.counterparts[sender.country])

    def pair(self, a: Party, b: Party) -> tuple[str, str]:
        return tuple(sorted((a.country, b.country)))

    def draft(
        self, parties: tuple[Party, Party], subject_id, urgency: str, created_at: datetime, **fields
    ) -> dict:
        """The row of a case as ``referral_create`` or ``return_create`` writes it."""
        sender, recipient = parties
        return {
            "id": self.uuid(),
            "reference": None,
            "sender_agency_id": sender.id,
            "recipient_agency_id": recipient.id,
            "subject_id": subject_id,
            "urgency": urgency,
            "created_by_id": sender.officer_id,
            "created_at": created_at,
            "status": "draft",
            **fields,
        }

    def referral(self, batch: Batch, created_at: datetime) -> None:
        rng = self.rng
        sender, recipient = self.parties_for()
        path = self.pick(v.REFERRAL_PATHS)
        category = self.pick(v.CATEGORIES)
        urgency = self.pick(v.URGENCIES)
        identified_on = (created_at - self.between(timedelta(0), 10 * DAY)).date()
        subject_id, scope = self.subject(
            batch, recipient.country, identified_on, minor=category == "unaccompanied_child"
        )
        case = self.draft(
            (sender, recipient),
            subject_id,
            urgency,
            created_at,
            category=category,
            exploitation_types=rng.choice(v.EXPLOITATION),
            summary=rng.choice(v.SUMMARIES),
            requested_actions=["family_tracing", "repatriation"],
            identified_on=identified_on,
            identified_place=rng.choice(v.PLACES[sender.country]),
        )
        ack_window, respond_window, _ = self.windows[(self.pair(sender, recipient), urgency)]
        # Without an acknowledgement, the acknowledge clock runs until the answer.
        answer_window = respond_window if "acknowledge" in path else ack_window
        delays = {
            "send": (5 * MINUTE, 2 * DAY),
            "acknowledge": self.in_time(ack_window),
            "accept": self.in_time(answer_window),
            "reject": self.in_time(answer_window),
            "withdraw": self.in_time(answer_window),
            "close": (14 * DAY, 400 * DAY),
        }
        self.walk(batch, ReferralNotice, case, path, (sender, recipient), scope, delays)
        if case["status"] in ("accepted", "closed"):
            self.recent_referrals = [*self.recent_referrals[-49:], case]

    def return_request(self, batch: Batch, created_at: datetime) -> None:
        rng = self.rng
        linked = None
        if self.recent_referrals and rng.random() < RETURN_FROM_REFERRAL:
            linked = rng.choice(self.recent_referrals)
            sender = self.by_id[linked["sender_agency_id"]]
            recipient = self.by_id[linked["recipient_agency_id"]]
        else:
            sender, recipient = self.parties_for()
        path = self.pick(v.RETURN_PATHS)
        urgency = self.pick(v.URGENCIES)
        subject_id, scope = self.subject(
            batch, recipient.country, created_at.date(), minor=rng.random() < 0.1
        )
        checkpoints = self.checkpoints.get(self.pair(sender, recipient), [None])
        case = self.draft(
            (sender, recipient),
            subject_id,
            urgency,
            created_at,
            referral_id=linked["id"] if linked else None,
            basis=self.pick(v.BASES),
            proposed_checkpoint_id=rng.choice(checkpoints),
            proposed_date=(created_at + self.between(14 * DAY, 60 * DAY)).date(),
        )
        verify_window = self.windows[(self.pair(sender, recipient), urgency)][2]
        delays = {
            "send": (5 * MINUTE, 2 * DAY),
            "acknowledge": (HOUR, 3 * DAY),
            "verify": self.in_time(verify_window),
            "reject": self.in_time(verify_window),
            "schedule": (DAY, 20 * DAY),
            "confirm_handover": (3 * DAY, 30 * DAY),
            "cancel": (DAY, 60 * DAY),
        }
        self.walk(batch, ReturnRequest, case, path, (sender, recipient), scope, delays)

    def in_time(self, window: timedelta) -> tuple[timedelta, timedelta]:
        """The range of delays before a step: mostly within its deadline, now and then past it."""
        if self.rng.random() < LATE:
            return window, window + 3 * DAY
        return window * 0.02, window * 0.9

    def walk(
        self,
        batch: Batch,
        model,
        case: dict,
        path: tuple[str, ...],
        parties: tuple[Party, Party],
        scope: list[str],
        delays: dict,
    ) -> None:
        """Take the steps of ``path`` that fall before now, with what happens in between."""
        sender, recipient = parties
        workflow = model.workflow
        audience = [sender]
        at = case["created_at"]
        sent_at = None
        taken = 0
        planned: list[tuple] = []
        self.grant(batch, model, case["id"], sender, SENDER_GRANT)
        self.record(batch, model, case, "created", at, sender, audience)
        for action in path:
            low, high = delays[action]
            base = sent_at if sent_at and action in ANSWERS else at
            step_at = max(at, base + self.between(low, high)) + SECOND
            if step_at >= self.now:
                break
            self.happen(batch, model, case, planned, step_at, audience)
            at, taken = step_at, taken + 1
            transition = workflow.transition(action)
            self.apply(model, case, action, at)
            case["status"] = transition.target
            if action == "send":
                sent_at = at
                audience.append(recipient)
                self.grant(batch, model, case["id"], recipient, RECIPIENT_GRANT)
            actor = sender if transition.side == SENDER else recipient
            self.record(batch, model, case, transition.target, at, actor, audience)
            if action == "send":
                planned = self.plan_while_open(sent_at, parties, scope)
            if case["status"] in workflow.final_states:
                planned = [p for p in planned if p[1] == "revoke"]
        self.happen(batch, model, case, planned, self.now, audience)
        case["version"] = 1 + taken
        case["updated_at"] = at
        batch.add(model, **case)
        next_at = self.next_reminder(model, case, parties)
        if next_at is not None:
            batch.add(ReminderSchedule, case_id=case["id"], case_type=model.kind, next_at=next_at)

    def next_reminder(self, model, case: dict, parties: tuple[Party, Party]) -> datetime | None:
        """When the deadline sweep should next look at the case, as the services set it."""
        clocks = model(status=case["status"], **{name: case.get(name) for name in model.due_fields})
        return next_reminder_at(clocks, self.agreements[self.pair(*parties)], self.now)

    def plan_while_open(
        self, sent_at: datetime, parties: tuple[Party, Party], scope: list[str]
    ) -> list[tuple]:
        """Messages between the parties and now and then a share, in time order."""
        rng = self.rng
        planned = []
        if scope and rng.random() < SHARED:
            recipient = parties[1]
            third = [
                p
                for kind in scope
                for p in self.third_parties[(recipient.country, kind)]
                if p.id != recipient.id
            ]
            if third:
                agency = rng.choice(third)
                shared_at = sent_at + self.between(HOUR, 5 * DAY)
                revoked_at = shared_at + self.between(DAY, 60 * DAY)
                revoked_at = (
                    revoked_at if rng.random() < SHARE_REVOKED and revoked_at < self.now else None
                )
                planned.append((shared_at, "share", agency, revoked_at))
                if revoked_at:
                    planned.append((revoked_at, "revoke", agency, None))
        if rng.random() < WITH_MESSAGES:
            for _ in range(rng.randint(1, 3)):
                planned.append(
                    (sent_at + self.between(HOUR, 20 * DAY), "message", rng.choice(parties), None)
                )
        planned.sort(key=lambda item: item[0])
        return planned

    def happen(
        self,
        batch: Batch,
        model,
        case: dict,
        planned: list[tuple],
        until: datetime,
        audience: list[Party],
    ) -> None:
        """What was planned before ``until``, in order; it leaves the rest in ``planned``."""
        while planned and planned[0][0] < until:
            at, what, agency, revoked_at = planned.pop(0)
            if what == "message":
                self.message(batch, model, case, at, agency, audience)
            elif what == "share":
                self.share(batch, model, case, at, agency, revoked_at, audience)
            elif agency in audience:
                self.revoke(batch, model, case, at, agency, audience)

    def apply(self, model, case: dict, action: str, at: datetime) -> None:
        """The fields a step sets, as the matching service sets them."""
        sender = self.by_id[case["sender_agency_id"]]
        recipient = self.by_id[case["recipient_agency_id"]]
        pair = self.pair(sender, recipient)
        if action == "send":
            key = f"{model.reference_prefix}-{sender.country}-{recipient.country}-{at.year}"
            self.references[key] += 1
            case["reference"] = f"{key}-{self.references[key]:06d}"
            case["sent_at" if model is ReferralNotice else "requested_at"] = at
            case |= due_dates(
                model.kind,
                urgency=case["urgency"],
                agreement=self.agreements[pair],
                sent_at=at,
                recipient_country=recipient.country,
            )
        elif action == "acknowledge":
            case["acknowledged_at"] = at
            if model is ReferralNotice:
                case["focal_point"] = v.FOCAL_POINT
        elif action in ANSWERS:
            case["acknowledged_at"] = case.get("acknowledged_at") or at
            case[ANSWERS[action]] = at
            if action == "reject":
                case["rejection_reason"] = v.REJECTION
            elif action == "verify":
                case["verification"] = v.VERIFIED
        elif action == "withdraw":
            case["withdrawn_at"] = at
            case["withdrawal_reason"] = v.WITHDRAWAL
        elif action == "close":
            case["closed_at"] = at
            case["outcome"] = v.OUTCOME
        elif action == "schedule":
            case["scheduled_at"] = at
            case["scheduled_date"] = (at + self.between(3 * DAY, 30 * DAY)).date()
            case["checkpoint_id"] = self.rng.choice(self.checkpoints.get(pair, [None]))
        elif action == "confirm_handover":
            case["handed_over_at"] = at
            case["handover"] = {"at": at.isoformat(), "received_by": v.RECEIVED_BY, "notes": ""}
        elif action == "cancel":
            case["cancelled_at"] = at
            case["cancellation_reason"] = v.CANCELLATION

    def save_counters(self) -> None:
        """Move the reference and event counters and the audit sequence past what was seeded,
        so later sends go on."""
        table = connection.ops.quote_name(Counter._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (name, value) VALUES (%s, %s) "  # noqa: S608
                f"ON CONFLICT (name) DO UPDATE SET value = GREATEST({table}.value, EXCLUDED.value)",
                [
                    *self.references.items(),
                    (EVENT_SEQUENCE, self.sequence),
                ],
            )
        audit_sequence_resume()
