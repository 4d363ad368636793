"""Benchmarks of the audit trail against a real database (not run by the test suite).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/mekong_auditbench \
        DEBUG=0 SECRET_KEY=bench API_RATE_LIMIT=100000/min
    createdb -h 127.0.0.1 -U postgres mekong_auditbench
    .venv/bin/python manage.py migrate -v 0
    .venv/bin/python bench/audit_append.py append --writers 1 2 4 8 --appends 400
    .venv/bin/python bench/audit_append.py seed --rows 100000
    time .venv/bin/python manage.py verify_audit
    .venv/bin/python bench/audit_append.py detail --requests 400

append: appends per second with concurrent writer processes, one transaction per append (as a
read's row is written).
seed: N more rows, inserted in bulk (as the writers would have left them), not yet sealed.
detail: a referral detail GET with and without its audit row, interleaved, median of each.
"""

import argparse
import multiprocessing
import os
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import AccessToken  # noqa: E402

from agencies import services  # noqa: E402
from agencies.authentication import Caller  # noqa: E402
from agencies.models import Agency  # noqa: E402
from agencies.roles import Role  # noqa: E402
from exchange.audit import audit_bulk_append, audit_record  # noqa: E402
from exchange.audit_sealer import audit_seal_pending  # noqa: E402
from exchange.audit_verify import audit_verify  # noqa: E402
from exchange.models import AuditEvent  # noqa: E402


def _agency(code: str, country: str) -> Agency:
    return Agency.objects.filter(code=code).first() or services.agency_create(
        actor=None, code=code, name=code, country=country, kind="social_welfare"
    )


def _officer(agency: Agency) -> Caller:
    membership = services.member_create(
        actor=None,
        agency=agency,
        username=f"bench-{secrets.token_hex(4)}",
        role=Role.OFFICER,
    )
    return Caller(user=membership.user, membership=membership)


def _write(caller: Caller, concerned: Agency, appends: int, start) -> None:
    start.wait()
    for n in range(appends):
        audit_record(
            actor=caller,
            action="referral.read",
            object_type="referral",
            object_id=n,
            reference="REF-TH-KH-2026-000001",
            agencies=[concerned],
        )


def append(writers: list[int], appends: int) -> None:
    """Each writer is a process with its own connection, as web workers are."""
    kh, th = _agency("KH-BENCH", "KH"), _agency("TH-BENCH", "TH")
    caller = _officer(kh)
    connection.close()
    context = multiprocessing.get_context("fork")
    for count in writers:
        start = context.Barrier(count + 1)
        processes = [
            context.Process(target=_write, args=(caller, th, appends, start)) for _ in range(count)
        ]
        for process in processes:
            process.start()
        start.wait()
        started = time.perf_counter()
        for process in processes:
            process.join()
        elapsed = time.perf_counter() - started
        total = count * appends
        print(f"{count} writers: {total} appends in {elapsed:.2f} s = {total / elapsed:.0f}/s")
    audit_seal_pending(budget_seconds=600)
    report = audit_verify()
    print(f"trail intact: {report.intact}, {report.rows} rows, {report.leaves} sealed")


def seed(rows: int, batch: int = 5000) -> None:
    kh, th, vn = _agency("KH-BENCH", "KH"), _agency("TH-BENCH", "TH"), _agency("VN-BENCH", "VN")
    actor = _officer(kh)
    pairs = [[kh, th], [th, vn], [kh, vn], [kh]]
    started = time.perf_counter()
    for first in range(0, rows, batch):
        audit_bulk_append(
            [
                (
                    AuditEvent(
                        actor=actor.user,
                        agency=kh,
                        action="referral.read",
                        object_type="referral",
                        object_id=str(n),
                        reference=f"REF-KH-TH-2026-{n:06d}",
                        outcome="allowed",
                        request_id=secrets.token_hex(8),
                        detail={"ids": [n]},
                    ),
                    pairs[n % len(pairs)],
                )
                for n in range(first, min(first + batch, rows))
            ]
        )
    last = AuditEvent.objects.aggregate(last=Max("sequence"))["last"]
    print(f"seeded {rows} rows in {time.perf_counter() - started:.1f} s; head {last}")


def _sent_referral(sender: Agency, recipient: Agency):
    """A referral from ``sender`` to ``recipient``, sent, as a partner would read it."""
    from agencies.models import Agreement
    from referrals import services as cases

    Agreement.objects.get_or_create(country_a="KH", country_b="TH")
    actor = _officer(sender)
    referral = cases.referral_create(
        actor=actor,
        recipient_agency=recipient,
        subject={"given_name": "Bench", "age_estimate": 30},
        category="presumed_victim",
        identified_on=timezone.localdate(),
    )
    return cases.referral_send(referral=referral, actor=actor)


def detail(requests: int) -> None:
    from referrals.views import ReferralViewSet

    recipient, sender = _agency("KH-BENCH", "KH"), _agency("TH-BENCH", "TH")
    referral = _sent_referral(sender, recipient)
    client, _ = services.api_client_create(
        actor=None,
        agency=recipient,
        name=f"bench-{secrets.token_hex(4)}",
        role=Role.OFFICER,
        scopes=["referrals:read"],
    )
    raw = secrets.token_urlsafe(24)
    token = AccessToken(
        application=client.application,
        scope="referrals:read",
        expires=timezone.now() + timedelta(hours=1),
    )
    token._raw_token, token.token = raw, ""
    token.save()
    browser = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = f"/api/v1/referrals/{referral.pk}/"

    def timed() -> float:
        started = time.perf_counter()
        response = browser.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content
        return elapsed * 1000

    for _ in range(20):  # warm up connections and caches
        timed()
    audited, unaudited = [], []
    for _ in range(requests):
        audited.append(timed())
        with mock.patch.object(
            ReferralViewSet, "audit_read", lambda self, obj, action="read": None
        ):
            unaudited.append(timed())
    with_audit, without = statistics.median(audited), statistics.median(unaudited)
    print(f"referral detail GET, {requests} each, interleaved:")
    print(f"  median with audit row    {with_audit:.2f} ms (p90 {_p90(audited):.2f})")
    print(f"  median without audit row {without:.2f} ms (p90 {_p90(unaudited):.2f})")
    print(f"  cost of the audit row    {with_audit - without:.2f} ms")


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    appending = commands.add_parser("append")
    appending.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4, 8])
    appending.add_argument("--appends", type=int, default=400, help="per writer")
    seeding = commands.add_parser("seed")
    seeding.add_argument("--rows", type=int, default=100_000)
    reading = commands.add_parser("detail")
    reading.add_argument("--requests", type=int, default=400)
    options = parser.parse_args()
    if options.command == "append":
        append(options.writers, options.appends)
    elif options.command == "seed":
        seed(options.rows)
    else:
        detail(options.requests)


if __name__ == "__main__":
    main()
