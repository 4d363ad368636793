"""The audit trail: appending hash-chained rows, verifying the chain, publishing its head."""

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from agencies.authentication import Caller, caller_of
from agencies.models import Agency
from agencies.selectors import audit_reach, parties_in_reach
from protocol.context import current_request_id
from protocol.counters import counter_next
from protocol.models import Counter

from .models import AuditEvent, AuditEventAgency

AUDIT_SEQUENCE = "audit"
GENESIS_HASH = "0" * 64
CHECKPOINT_EVENT = "audit.checkpoint"

# The columns a row's hash covers, in this order; its agencies and prev_hash follow them.
HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "agency_id",
    "api_client_id",
    "on_behalf_of",
    "action",
    "object_type",
    "object_id",
    "reference",
    "outcome",
    "status_code",
    "request_id",
    "detail",
)


def _canonical_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical form in the audit chain.")


def row_hash(values: Sequence, parties: Iterable[tuple[str, str]], prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of a row's ``HASHED_FIELDS`` values, its
    (agency id, country) pairs and the previous row's hash."""
    canonical = json.dumps(
        [*values, sorted([str(agency), country] for agency, country in parties), prev_hash],
        default=_canonical_value,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def audit_row_seal(row: dict, parties: Iterable[tuple], prev_hash: str) -> str:
    """Chain one row (its ``HASHED_FIELDS`` values in ``row``) to the previous row's hash.

    Sets ``prev_hash`` and ``hash`` in ``row`` and returns the new head. Every append goes
    through it: requests one at a time, the benchmark seeders in bulk.
    """
    row["prev_hash"] = prev_hash
    row["hash"] = row_hash([row[field] for field in HASHED_FIELDS], parties, prev_hash)
    return row["hash"]


def _unsaved(caller: Caller | None, **fields) -> AuditEvent:
    return AuditEvent(
        actor=caller.user if caller else None,
        agency=caller.agency if caller else None,
        api_client=caller.api_client if caller else None,
        on_behalf_of=(caller.on_behalf_of or "") if caller else "",
        **fields,
    )


@transaction.atomic(savepoint=False)
def _append(event: AuditEvent, agencies: Iterable[Agency]) -> AuditEvent:
    parties = {agency.pk: agency for agency in agencies}
    if event.agency is not None:
        parties[event.agency.pk] = event.agency
    # Stored exactly as hashed: what JSON cannot hold natively is turned into strings first.
    event.detail = json.loads(json.dumps(event.detail, cls=DjangoJSONEncoder))
    event.request_id = current_request_id() or ""
    # The chain's head is locked from here until the transaction ends: one chain, no forks.
    event.sequence = counter_next(AUDIT_SEQUENCE)
    event.occurred_at = timezone.now()
    sealed = {field: getattr(event, field) for field in HASHED_FIELDS}
    audit_row_seal(
        sealed,
        [(agency.pk, agency.country) for agency in parties.values()],
        _hash_of(event.sequence - 1),
    )
    event.prev_hash, event.hash = sealed["prev_hash"], sealed["hash"]
    event.save(force_insert=True)
    AuditEventAgency.objects.bulk_create(
        AuditEventAgency(audit_event=event, agency=agency, country=agency.country)
        for agency in parties.values()
    )
    return event


@transaction.atomic(savepoint=False)
def audit_bulk_append(rows: list[tuple[AuditEvent, list[Agency]]]) -> None:
    """Append many rows at once, in order, as ``_append`` appends one (benchmark seeding)."""
    if not rows:
        return
    last = counter_next(AUDIT_SEQUENCE, len(rows))
    head = _hash_of(last - len(rows))
    parties = []
    for sequence, (event, agencies) in enumerate(rows, start=last - len(rows) + 1):
        event.sequence = sequence
        event.occurred_at = event.occurred_at or timezone.now()
        event.detail = json.loads(json.dumps(event.detail, cls=DjangoJSONEncoder))
        sealed = {field: getattr(event, field) for field in HASHED_FIELDS}
        head = audit_row_seal(sealed, [(a.pk, a.country) for a in agencies], head)
        event.prev_hash, event.hash = sealed["prev_hash"], sealed["hash"]
        parties += [
            AuditEventAgency(audit_event=event, agency=a, country=a.country) for a in agencies
        ]
    AuditEvent.objects.bulk_create([event for event, _ in rows])
    AuditEventAgency.objects.bulk_create(parties)


def _hash_of(sequence: int) -> str:
    # A statement of its own, after the head's lock is held: its snapshot sees the previous
    # row even when that row committed while this transaction waited for the lock.
    if sequence == 0:
        return GENESIS_HASH
    found = AuditEvent.objects.filter(sequence=sequence).values_list("hash", flat=True).first()
    if found is None:
        raise RuntimeError(f"Audit row {sequence} is missing: run verify_audit.")
    return found


def audit_record(
    *,
    actor: Caller | None,
    action: str,
    object_type: str = "",
    object_id=None,
    reference: str = "",
    outcome: str = AuditEvent.Outcome.ALLOWED,
    status_code: int | None = None,
    agencies: Iterable[Agency] = (),
    detail: dict | None = None,
) -> AuditEvent:
    """Append one audit row for an act, in the caller's transaction.

    ``actor`` is the caller (None for the system); the row also names the caller's agency, API
    client and on-behalf-of, and concerns ``agencies`` plus the caller's agency. ``detail`` holds
    ids and codes only, never personal data or secrets. Call it last in a write service: the
    chain's head stays locked from here until the transaction commits.
    """
    return _append(
        _unsaved(
            actor,
            action=action,
            object_type=object_type,
            object_id="" if object_id is None else str(object_id),
            reference=reference,
            outcome=outcome,
            status_code=status_code,
            detail=detail or {},
        ),
        agencies,
    )


def audit_request_denied(
    request,
    *,
    status_code: int,
    object_type: str = "",
    object_id=None,
    agencies: Iterable[Agency] = (),
) -> AuditEvent:
    """Record a refused request (401, 403, 404): who asked, as far as known, and what for.

    ``agencies`` are those the named object concerns (a case's parties), so that their
    auditors see the refused access too, not only the auditors of the agency that asked.
    """
    caller = None if status_code == 401 else caller_of(request)
    event = _unsaved(
        caller,
        action="request.denied",
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        outcome=AuditEvent.Outcome.DENIED,
        status_code=status_code,
        detail={"method": request.method, "path": request.path},
    )
    if caller is None:
        # No one is signed in, but a refused token (expired, agency inactive) names its client.
        client = getattr(request, "presented_api_client", None)
        event.api_client = client
        # The service user's membership was read with the token: the client's own agency.
        event.agency = client.service_user.membership.agency if client else None
        event.on_behalf_of = getattr(request, "on_behalf_of", None) or ""
    return _append(event, agencies)


def audit_admin_login(request, *, succeeded: bool, status_code: int) -> AuditEvent:
    """Record a sign-in at the admin site; a refused one names the account it tried, if any."""
    if succeeded:
        caller = caller_of(request)
    else:
        User = get_user_model()
        username = request.POST.get("username", "")
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        caller = Caller(user=user, membership=getattr(user, "membership", None)) if user else None
    return _append(
        _unsaved(
            caller,
            action="admin.login",
            outcome=AuditEvent.Outcome.ALLOWED if succeeded else AuditEvent.Outcome.DENIED,
            status_code=status_code,
        ),
        (),
    )


def audit_events_visible_to(caller: Caller) -> models.QuerySet[AuditEvent]:
    """An auditor's rows: those of exchanges in which an agency within its reach takes part."""
    events = AuditEvent.objects.select_related("actor", "agency", "api_client").prefetch_related(
        "agencies"
    )
    if not caller.is_auditor:
        return events.none()
    reach = audit_reach(caller.agency)
    if reach is None:
        return events
    return events.filter(
        sequence__in=AuditEventAgency.objects.filter(parties_in_reach(reach, "agency")).values(
            "audit_event_id"
        )
    )


def audit_sequences_concerning(**party) -> models.QuerySet:
    """The sequences of rows whose exchange concerns a matching agency (by ``country``, ...)."""
    return AuditEventAgency.objects.filter(**party).values("audit_event_id")


@dataclass(frozen=True)
class ChainHead:
    """A row of the chain named by sequence and hash, as a checkpoint publishes it."""

    sequence: int
    hash: str

    def __str__(self):
        return f"{self.sequence}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> "ChainHead":
        match = re.fullmatch(r"(\d+):([0-9a-fA-F]{64})", text.strip())
        if match is None:
            raise ValueError("A chain head is <sequence>:<the 64 hex digits of its hash>.")
        return cls(int(match[1]), match[2].lower())


@dataclass(frozen=True)
class ChainReport:
    """What a verification found: the rows checked, the head, and the first broken row."""

    rows: int
    head: ChainHead | None
    broken_at: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


class AuditChainBroken(Exception):
    def __init__(self, report: ChainReport):
        super().__init__(f"Audit row {report.broken_at}: {report.problem}")
        self.report = report


def _parties_by_sequence(first: int, last: int, chunk_size: int) -> Iterator[tuple[int, list]]:
    parties = (
        AuditEventAgency.objects.filter(audit_event__gte=first, audit_event__lte=last)
        .order_by("audit_event_id")
        .values_list("audit_event_id", "agency_id", "country")
        .iterator(chunk_size=chunk_size)
    )
    for sequence, group in itertools.groupby(parties, key=lambda party: party[0]):
        yield sequence, [(agency, country) for _, agency, country in group]


def audit_chain_verify(
    *, since: ChainHead | None = None, against: ChainHead | None = None, chunk_size: int = 5000
) -> ChainReport:
    """Recompute the chain in sequence order and name the first row that does not hold.

    ``since`` starts at an earlier verified head instead of the first row; ``against`` is a
    head a partner kept, which must still be in the chain unchanged.
    """
    # Read before the last row: every sequence the counter has handed out is committed.
    counted = Counter.objects.filter(name=AUDIT_SEQUENCE).values_list("value", flat=True).first()
    last = AuditEvent.objects.aggregate(last=models.Max("sequence"))["last"] or 0
    first = since.sequence if since else 1
    rows = (
        AuditEvent.objects.filter(sequence__range=(first, last))
        .order_by("sequence")
        .values_list(*HASHED_FIELDS, "prev_hash", "hash")
        .iterator(chunk_size=chunk_size)
    )
    parties = _parties_by_sequence(first, last, chunk_size)
    pending = next(parties, None)
    expected, prev, checked, head = first, None if since else GENESIS_HASH, 0, None

    def broken(sequence: int, problem: str) -> ChainReport:
        return ChainReport(rows=checked, head=head, broken_at=sequence, problem=problem)

    for row in rows:
        sequence, prev_hash, digest = row[0], row[-2], row[-1]
        row_parties = []
        while pending is not None and pending[0] <= sequence:
            if pending[0] == sequence:
                row_parties = pending[1]
            pending = next(parties, None)
        if sequence != expected:
            return broken(expected, f"row {expected} is missing (the next row is {sequence}).")
        if prev is not None and prev_hash != prev:
            return broken(sequence, f"it does not link to row {sequence - 1}.")
        if since is not None and sequence == since.sequence and digest != since.hash:
            return broken(sequence, "it differs from the head verified before.")
        if row_hash(row[:-2], row_parties, prev_hash) != digest:
            return broken(sequence, "its content does not match its hash.")
        if against is not None and sequence == against.sequence and digest != against.hash:
            return broken(sequence, "it differs from the checkpoint.")
        checked, prev, expected = checked + 1, digest, expected + 1
        head = ChainHead(sequence, digest)
    if since is not None and head is None:
        return broken(since.sequence, "the head verified before is missing.")
    if counted and counted > last:
        return broken(last + 1, f"rows {last + 1} to {counted} are missing.")
    if against is not None and against.sequence > last:
        return broken(against.sequence, f"the checkpoint names it, but the chain ends at {last}.")
    return ChainReport(rows=checked, head=head)
