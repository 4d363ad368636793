"""The audit trail: appending rows without a shared lock, their canonical form, who reads them."""

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from agencies.authentication import Caller, caller_of
from agencies.models import Agency
from agencies.selectors import audit_reach, parties_in_reach
from protocol.context import current_request_id

from .models import AuditEvent, AuditEventAgency

# The counter that numbered the hash chain, which now marks its last row.
AUDIT_SEQUENCE = "audit"
GENESIS_HASH = "0" * 64
TREE_HEAD_EVENT = "audit.tree_head"

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


ROW_FORM = "mekong-audit-row/2"


def _canonical_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical form in the audit trail.")


# What json.dumps(..., default=_canonical_value, sort_keys=True, separators=(",", ":")) gives,
# without building an encoder for every row.
_CANONICAL = json.JSONEncoder(default=_canonical_value, sort_keys=True, separators=(",", ":"))


def row_canonical(values: Sequence, parties: Iterable[tuple[str, str]], prev_hash: str) -> str:
    """The text a row's hash covers, from its ``HASHED_FIELDS`` values and (agency id, country)
    pairs. A chained row covers its sequence and the previous row's hash; a later row covers
    its content, and its leaf in the tree binds the sequence."""
    pairs = sorted([str(agency), country] for agency, country in parties)
    body = [*values, pairs, prev_hash] if prev_hash else [ROW_FORM, *values[1:], pairs]
    return _CANONICAL.encode(body)


def row_hash(values: Sequence, parties: Iterable[tuple[str, str]], prev_hash: str) -> str:
    """SHA-256 over ``row_canonical``, in hex."""
    return hashlib.sha256(row_canonical(values, parties, prev_hash).encode()).hexdigest()


def audit_leaf(sequence: int, digest: str) -> bytes:
    """A row's leaf in the Merkle tree: its sequence (8 bytes, big-endian) and its hash."""
    return sequence.to_bytes(8, "big") + bytes.fromhex(digest)


def audit_row_digest(row: dict, parties: Iterable[tuple]) -> str:
    """Set ``hash`` (and an empty ``prev_hash``) in ``row``, which holds the ``HASHED_FIELDS``
    values but the sequence, and return the hash: bulk appends (the benchmark seeders) hash
    through it as a request's append does through ``row_hash``."""
    row["prev_hash"] = ""
    row["hash"] = row_hash([None, *(row[field] for field in HASHED_FIELDS[1:])], parties, "")
    return row["hash"]


# HASHED_FIELDS name columns; the sequence comes from the database.
_INSERT = (
    f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join(HASHED_FIELDS[1:])}, prev_hash, hash) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * (len(HASHED_FIELDS) - 1))}, '', %s) RETURNING sequence"
)
_INSERT_WITH_PARTIES: dict[int, str] = {}


def _insert_sql(parties: int) -> str:
    """One statement on PostgreSQL: the row, its agencies, and the sequence it was given."""
    sql = _INSERT_WITH_PARTIES.get(parties)
    if sql is None:
        rows = ", ".join(["(%s::uuid, %s)"] * parties)
        sql = _INSERT_WITH_PARTIES[parties] = (
            f"WITH event AS ({_INSERT}), parties AS (INSERT INTO "  # noqa: S608
            f"{AuditEventAgency._meta.db_table} (audit_event_id, agency_id, country) "
            f"SELECT event.sequence, party.agency, party.country FROM event, "
            f"(VALUES {rows}) AS party (agency, country)) SELECT sequence FROM event"
        )
    return sql


def _who(caller: Caller | None) -> tuple:
    """The row's actor id, agency, API client id and on-behalf-of, from the caller."""
    if caller is None:
        return None, None, None, ""
    client = caller.api_client
    return (
        caller.user.pk if caller.user is not None else None,
        caller.agency,
        client.pk if client is not None else None,
        caller.on_behalf_of or "",
    )


def _append(
    who: tuple,
    agencies: Iterable[Agency],
    *,
    action: str,
    outcome: str,
    status_code: int | None,
    object_type: str = "",
    object_id: str = "",
    reference: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Hash and insert one row: ``who`` as ``_who`` gives it, then its other columns."""
    actor_id, agency, api_client_id, on_behalf_of = who
    parties = {party.pk: party for party in agencies}
    if agency is not None:
        parties[agency.pk] = agency
    # Stored exactly as hashed: what JSON cannot hold natively is turned into strings first.
    detail_text = json.dumps(detail, cls=DjangoJSONEncoder) if detail else "{}"
    values = [
        None,
        timezone.now(),
        actor_id,
        agency.pk if agency is not None else None,
        api_client_id,
        on_behalf_of,
        action,
        object_type,
        object_id,
        reference,
        outcome,
        status_code,
        current_request_id() or "",
        json.loads(detail_text) if detail else {},
    ]
    digest = row_hash(values, [(party.pk, party.country) for party in parties.values()], "")
    event = AuditEvent(*values, "", digest)
    # No lock shared with other requests: the database hands out the sequence.
    if connection.vendor == "postgresql":
        # One statement writes the row and its agencies: atomic without a transaction of its own.
        params = [*values[1:-1], detail_text, digest]
        params += [value for party in parties.values() for value in (party.pk, party.country)]
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(len(parties)) if parties else _INSERT, params)
            event.sequence = cursor.fetchone()[0]
        return event
    with transaction.atomic(savepoint=False):
        event.save(force_insert=True)
        AuditEventAgency.objects.bulk_create(
            AuditEventAgency(audit_event=event, agency=party, country=party.country)
            for party in parties.values()
        )
    return event


@transaction.atomic(savepoint=False)
def audit_bulk_append(rows: list[tuple[AuditEvent, list[Agency]]]) -> None:
    """Append many rows at once, in order, as ``_append`` appends one (benchmark seeding)."""
    for event, agencies in rows:
        event.occurred_at = event.occurred_at or timezone.now()
        event.detail = json.loads(json.dumps(event.detail, cls=DjangoJSONEncoder))
        hashed = {field: getattr(event, field) for field in HASHED_FIELDS[1:]}
        audit_row_digest(hashed, [(agency.pk, agency.country) for agency in agencies])
        event.prev_hash, event.hash = hashed["prev_hash"], hashed["hash"]
    # The database hands out the sequences, in order, and returns them.
    AuditEvent.objects.bulk_create([event for event, _ in rows])
    AuditEventAgency.objects.bulk_create(
        AuditEventAgency(audit_event=event, agency=agency, country=agency.country)
        for event, agencies in rows
        for agency in agencies
    )


def audit_sequence_last() -> int:
    """The last sequence handed out (or written), for a bulk loader that writes rows itself."""
    last = AuditEvent.objects.aggregate(last=models.Max("sequence"))["last"] or 0
    if connection.vendor != "postgresql":
        return last
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'sequence')::regclass)",
            [AuditEvent._meta.db_table],
        )
        return max(last, cursor.fetchone()[0] or 0)


def audit_sequence_resume() -> None:
    """After a bulk load with its own sequences: the database hands out the next ones after it
    (SQLite's AUTOINCREMENT follows by itself)."""
    last = audit_sequence_last()
    if connection.vendor == "postgresql" and last:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'sequence'), %s)",
                [AuditEvent._meta.db_table, last],
            )


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
    ids and codes only, never personal data or secrets. It takes no lock: the sealer makes the
    row a leaf of the Merkle tree once its transaction has committed.
    """
    return _append(
        _who(actor),
        agencies,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        reference=reference,
        outcome=outcome,
        status_code=status_code,
        detail=detail,
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
    who = _who(caller)
    if caller is None:
        # No one is signed in, but a refused token (expired, agency inactive) names its client.
        client = getattr(request, "presented_api_client", None)
        who = (
            None,
            # The service user's membership was read with the token: the client's own agency.
            client.service_user.membership.agency if client else None,
            client.pk if client else None,
            getattr(request, "on_behalf_of", None) or "",
        )
    return _append(
        who,
        agencies,
        action="request.denied",
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        outcome=AuditEvent.Outcome.DENIED,
        status_code=status_code,
        detail={"method": request.method, "path": request.path},
    )


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
        _who(caller),
        (),
        action="admin.login",
        outcome=AuditEvent.Outcome.ALLOWED if succeeded else AuditEvent.Outcome.DENIED,
        status_code=status_code,
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
