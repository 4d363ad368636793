"""Case volume for benchmarks: years of referrals and returns, written with COPY in batches.

Every case walks its workflow through time as the services would have taken it and leaves the
rows they leave: the case and its subject, the agency groups' object permissions, shares,
messages, an event with its audience and a chained audit row per change. Each kind of row has
one method on the ``Seeder``. Deliveries are not seeded: no bench reads them.
"""

from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from exchange.models import AuditEvent, AuditEventAgency, Event, EventAudience
from referrals.models import (
    CaseMessage,
    ReferralNotice,
    ReferralNoticeGroupObjectPermission,
    ReminderSchedule,
    ReturnRequest,
    ReturnRequestGroupObjectPermission,
    Share,
    Subject,
)

from .copy import write_batch
from .directory import scale_agency, scale_directory
from .seeder import Seeder

__all__ = ["SEEDED_TABLES", "analyze_seeded_tables", "scale_agency", "seed_scale"]

SEEDED_TABLES = [
    Subject,
    ReferralNotice,
    ReturnRequest,
    ReminderSchedule,
    ReferralNoticeGroupObjectPermission,
    ReturnRequestGroupObjectPermission,
    Share,
    CaseMessage,
    Event,
    EventAudience,
    AuditEvent,
    AuditEventAgency,
]


def seed_scale(
    *,
    cases: int,
    agencies: int,
    years: int = 5,
    batch_size: int = 10_000,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Seed ``cases`` cases among ``agencies`` agencies over ``years`` years, in one transaction.

    The caller checks that the database holds no case yet. Returns the row count per table.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        seeder = Seeder(
            parties=scale_directory(agencies), years=years, seed=seed, now=timezone.now()
        )
        writers = {}
        for first in range(0, cases, batch_size):
            count = min(batch_size, cases - first)
            write_batch(seeder.batch(first, count, cases), writers)
            if progress:
                progress(first + count, cases)
        seeder.save_counters()
    analyze_seeded_tables()
    return {model._meta.label: model.objects.count() for model in SEEDED_TABLES}


def analyze_seeded_tables() -> None:
    """Fresh planner statistics and, outside a transaction, a fresh visibility map."""
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in SEEDED_TABLES:
            cursor.execute(f"{verb} {connection.ops.quote_name(model._meta.db_table)}")
