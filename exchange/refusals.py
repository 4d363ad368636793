"""Refused unauthenticated requests in the audit trail, bounded per source and minute: the first
refusal at once, the count of them all once the minute is over."""

import logging
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from agencies.authentication import Caller
from protocol import ratelimit
from protocol.sources import source_of

from .audit import audit_record, audit_request_denied
from .models import AuditEvent, RefusalWindow

logger = logging.getLogger(__name__)

REFUSAL_PERIOD = 60
# A window's count stays readable this long, for the sweep that seals it (see seal_refusal_windows).
REFUSAL_KEEP = 24 * 3600


def _counter(source: str) -> str:
    return f"refused:{source}"


def refusal_record(
    request, *, status_code: int, object_type: str = "", object_id=None, api_client=None
) -> None:
    """Record a request refused before anyone was authenticated (401, 429, a failed token
    request). Only the first of its source's minute gets a row of its own, naming the method,
    path and any API client the request presented; the others are counted for the sweep."""
    source = source_of(request)
    try:
        window = ratelimit.hit(_counter(source), period=REFUSAL_PERIOD, keep=REFUSAL_KEEP)
    except ratelimit.CountersUnavailable:
        logger.warning("Refusals not counted: the counters are unreachable", exc_info=True)
        window = None  # every refusal gets its row until the counters are back
    if window is not None and window.count > 1:
        return
    client = api_client or getattr(request, "presented_api_client", None)
    presented = Caller(
        user=None,
        membership=client.service_user.membership if client else None,
        api_client=client,
        on_behalf_of=getattr(request, "on_behalf_of", None),
    )
    with transaction.atomic():
        audit_record(
            actor=presented,
            action="request.denied",
            object_type=object_type,
            object_id=object_id,
            outcome=AuditEvent.Outcome.DENIED,
            status_code=status_code,
            detail={"method": request.method, "path": request.path, "source": source},
        )
        if window is not None:
            RefusalWindow.objects.get_or_create(
                source=source, window_start=datetime.fromtimestamp(window.start, UTC)
            )


def request_denied_record(
    request, *, status_code: int, object_type: str = "", object_id=None, agencies=()
):
    """The recorder of refused requests the protocol layer calls: a refusal before anyone was
    authenticated (401, 429) is bounded per source and minute, a caller's refusal gets its row,
    which also concerns ``agencies`` (the parties of the case it named)."""
    if status_code in (401, 429):
        refusal_record(
            request, status_code=status_code, object_type=object_type, object_id=object_id
        )
    else:
        audit_request_denied(
            request,
            status_code=status_code,
            object_type=object_type,
            object_id=object_id,
            agencies=agencies,
        )


def seal_refusal_windows(*, now: datetime | None = None) -> int:
    """Write one audit row per source and finished minute counting its refusals (when there
    was more than the first); returns the rows written."""
    now = now or timezone.now()
    closed = RefusalWindow.objects.filter(
        window_start__lte=now - timedelta(seconds=REFUSAL_PERIOD)
    ).values_list("pk", flat=True)
    written = 0
    for pk in list(closed[:1000]):
        with transaction.atomic():
            window = RefusalWindow.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if window is None:
                continue  # another sweep has it
            try:
                refused = ratelimit.count_in(
                    _counter(window.source), int(window.window_start.timestamp())
                )
            except ratelimit.CountersUnavailable:
                logger.warning("Refusal counts unreachable; sealing later", exc_info=True)
                return written
            if refused > 1:
                audit_record(
                    actor=None,
                    action="request.denied.tally",
                    outcome=AuditEvent.Outcome.DENIED,
                    detail={
                        "source": window.source,
                        "window_start": window.window_start.astimezone(UTC).isoformat(),
                        "refused": refused,
                    },
                )
                written += 1
            window.delete()
    store = ratelimit.counters()
    if isinstance(store, ratelimit.FileCounters):
        store.purge(older_than=REFUSAL_KEEP)
    return written
