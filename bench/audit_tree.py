"""Benchmarks of the lock-free audit trail and its Merkle tree (not run by the test suite).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/mekong_auditbench \
        DEBUG=0 SECRET_KEY=bench API_RATE_LIMIT=1000000/min
    createdb -h 127.0.0.1 -U postgres mekong_auditbench
    .venv/bin/python manage.py migrate -v 0
    .venv/bin/python bench/audit_tree.py append --writers 16 --seconds 8
    .venv/bin/python bench/audit_tree.py seal --rows 100000
    .venv/bin/python bench/audit_tree.py reads --workers 2 4 --seconds 15
    .venv/bin/python bench/audit_tree.py proofs --leaves 5000000

append: appends per second by N writer processes (a transaction each, as a request's row is
written) against plain inserts of the same rows into a table of the same shape, interleaved;
the dedicated sealer (`manage.py audit_seal --loop`) runs meanwhile: sealing lag p50 and p99
of the appended rows (on a shared host, give each run a database of its own). seal: leaves
per second sealing a backlog. reads: audited referral reads per second through gunicorn with
2 and 4 workers.
proofs: builds a tree of N leaves in bulk SQL, then times inclusion and consistency proofs.
Figures are merged into bench/results.json.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.audit_append import _agency, _officer, _sent_referral  # noqa: E402
from exchange.audit import audit_bulk_append, audit_record  # noqa: E402
from exchange.audit_sealer import audit_seal_pending  # noqa: E402
from exchange.models import AuditEvent  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
PLAIN = "bench_plain_auditevent"


def _save(figures: dict) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(figures)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


def _plain_tables() -> None:
    with connection.cursor() as cursor:
        for table in (PLAIN, f"{PLAIN}agency"):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TABLE {PLAIN} (LIKE exchange_auditevent INCLUDING DEFAULTS INCLUDING "
            "IDENTITY INCLUDING INDEXES)"
        )
        cursor.execute(
            f"CREATE TABLE {PLAIN}agency (LIKE exchange_auditeventagency INCLUDING DEFAULTS "
            "INCLUDING IDENTITY INCLUDING INDEXES)"
        )


def _plain_insert(caller, concerned, n: int) -> None:
    """The same row and agencies as audit_record writes, in one statement, nothing else: each
    value passed as a parameter, as an application passes a row it did not make up in SQL."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"WITH event AS (INSERT INTO {PLAIN} (occurred_at, actor_id, agency_id, "  # noqa: S608
            "api_client_id, on_behalf_of, action, object_type, object_id, reference, outcome, "
            "status_code, request_id, detail, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, '', %s) RETURNING sequence), parties AS (INSERT INTO "
            f"{PLAIN}agency (audit_event_id, agency_id, country) SELECT event.sequence, "
            "party.agency, party.country FROM event, (VALUES (%s::uuid, %s), (%s::uuid, %s)) "
            "AS party (agency, country)) SELECT sequence FROM event",
            [
                timezone.now(),
                caller.user.pk,
                caller.agency.pk,
                None,
                "",
                "referral.read",
                "referral",
                str(n),
                "REF-TH-KH-2026-000001",
                "allowed",
                None,
                "",
                "{}",
                "0" * 64,
                caller.agency.pk,
                caller.agency.country,
                concerned.pk,
                concerned.country,
            ],
        )


def _audited_insert(caller, concerned, n: int) -> None:
    with transaction.atomic():
        audit_record(
            actor=caller,
            action="referral.read",
            object_type="referral",
            object_id=n,
            reference="REF-TH-KH-2026-000001",
            agencies=[concerned],
        )


def _writer(kind: str, caller, concerned, seconds: float, start, counts) -> None:
    write = _plain_insert if kind == "plain" else _audited_insert
    start.wait()
    deadline, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        write(caller, concerned, n)
        n += 1
    counts.put(n)


def _phase(kind: str, writers: int, seconds: float, caller, concerned) -> float:
    connection.close()
    context = multiprocessing.get_context("fork")
    start, counts = context.Barrier(writers + 1), context.Queue()
    processes = [
        context.Process(target=_writer, args=(kind, caller, concerned, seconds, start, counts))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    start.wait()
    started = time.perf_counter()
    total = sum(counts.get() for _ in processes)
    for process in processes:
        process.join()
    return total / (time.perf_counter() - started)


def _lag(since: int) -> tuple[float, float, int]:
    """Each row's wait, from its time to that of the first head holding it: p50, p99, rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch "
            "FROM to_timestamp(head.timestamp / 1000.0) - event.occurred_at)), count(*) "
            "FROM exchange_auditevent event JOIN exchange_auditleaf leaf "
            "ON leaf.sequence = event.sequence CROSS JOIN LATERAL (SELECT timestamp FROM "
            "exchange_audittreehead WHERE tree_size > leaf.index ORDER BY tree_size LIMIT 1) "
            "head WHERE event.sequence > %s",
            [since],
        )
        (p50, p99), rows = cursor.fetchone()
        return p50, p99, rows


def _sealed_through(sequence: int, timeout: float = 120) -> None:
    """Wait for the sealer process to seal this row (it takes a while to start on a busy host)."""
    from exchange.models import AuditLeaf

    deadline = time.monotonic() + timeout
    while not AuditLeaf.objects.filter(sequence=sequence).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"Row {sequence} not sealed in {timeout} s.")
        time.sleep(0.2)


def append(writers: int, seconds: float, rounds: int, sealing: bool = True) -> None:
    kh, th = _agency("KH-BENCH", "KH"), _agency("TH-BENCH", "TH")
    caller = _officer(kh)
    _plain_tables()
    audit_seal_pending(budget_seconds=600)
    since = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    # The dedicated sealer as production runs it (its default interval); without sealing: the
    # appends alone (the sealer runs on another machine in production).
    command = [sys.executable, str(ROOT / "manage.py"), "audit_seal", "--loop"]
    sealer = subprocess.Popen(command if sealing else [*command, "--interval", "3600"])  # noqa: S603
    try:
        _sealed_through(audit_record(actor=None, action="bench.start").sequence)
        plain, audited = [], []
        for _ in range(rounds):
            plain.append(_phase("plain", writers, seconds, caller, th))
            audited.append(_phase("audited", writers, seconds, caller, th))
            print(f"plain {plain[-1]:.0f}/s, audited {audited[-1]:.0f}/s")
        if sealing:
            _sealed_through(AuditEvent.objects.order_by("-sequence").first().sequence)
    finally:
        sealer.terminate()
        sealer.wait()
    # 16 writers give the figures of issue 14; other counts are kept under their own keys.
    key = ("" if sealing else "_unsealed") + ("" if writers == 16 else f"_{writers}w")
    figures = {
        f"audit_append{key}_plain_per_s": round(statistics.median(plain)),
        f"audit_append{key}_per_s": round(statistics.median(audited)),
        f"audit_append{key}_ratio": round(statistics.median(audited) / statistics.median(plain), 2),
    }
    if not sealing:
        _save(figures)
        return
    p50, p99, sealed = _lag(since or 0)
    lag = "audit_seal_lag" + ("" if writers == 16 else f"_{writers}w")
    _save(
        {
            **figures,
            f"{lag}_p50_s": round(p50, 3),
            f"{lag}_p99_s": round(p99, 3),
            f"{lag}_rows": sealed,
        }
    )


def seal(rows: int) -> None:
    audit_seal_pending(budget_seconds=600)
    for first in range(0, rows, 5000):
        audit_bulk_append(
            [
                (AuditEvent(action="referral.read", object_id=str(n), outcome="allowed"), [])
                for n in range(first, min(first + 5000, rows))
            ]
        )
    started = time.perf_counter()
    sealed = audit_seal_pending(budget_seconds=3600)
    elapsed = time.perf_counter() - started
    _save({"audit_seal_leaves": sealed, "audit_seal_leaves_per_s": round(sealed / elapsed)})


def _reader(url: str, token: str, seconds: float, start, counts) -> None:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    start.wait()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    deadline, done, failed = time.perf_counter() + seconds, 0, 0
    while time.perf_counter() < deadline:
        conn.request("GET", parts.path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        done, failed = done + 1, failed + (response.status != 200)
    counts.put((done, failed))


def _answering(url: str, timeout: float = 180) -> None:
    """Wait until every worker has booted (slow on a busy host): a few answers in a row."""
    import urllib.request

    deadline, answered = time.monotonic() + timeout, 0
    while answered < 10:
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} does not answer.")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (a local URL)
                answered += 1
        except OSError:
            time.sleep(0.5)


def reads(workers: list[int], seconds: float, clients: int) -> None:
    from tests.factories import api_client_with_token

    kh, th = _agency("KH-BENCH", "KH"), _agency("TH-BENCH", "TH")
    referral = _sent_referral(th, kh)
    _, token = api_client_with_token(kh, "officer")
    figures = {}
    for count in workers:
        port = 18700 + count
        server = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi",
                f"--workers={count}",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
            ],
            cwd=ROOT,
        )
        try:
            _answering(f"http://127.0.0.1:{port}/healthz")
            url = f"http://127.0.0.1:{port}/api/v1/referrals/{referral.pk}/"
            connection.close()
            context = multiprocessing.get_context("fork")
            start, counts = context.Barrier(clients + 1), context.Queue()
            processes = [
                context.Process(target=_reader, args=(url, token, seconds, start, counts))
                for _ in range(clients)
            ]
            for process in processes:
                process.start()
            start.wait()
            results = [counts.get() for _ in processes]
            for process in processes:
                process.join()
        finally:
            server.terminate()
            server.wait()
        done, failed = sum(r[0] for r in results), sum(r[1] for r in results)
        figures[f"audited_reads_rps_{count}w"] = round(done / seconds, 1)
        figures[f"audited_reads_failures_{count}w"] = failed
    _save(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_append = commands.add_parser("append")
    run_append.add_argument("--writers", type=int, default=16)
    run_append.add_argument("--seconds", type=float, default=8)
    run_append.add_argument("--rounds", type=int, default=2)
    run_append.add_argument("--without-sealer", action="store_true")
    commands.add_parser("seal").add_argument("--rows", type=int, default=100000)
    run_reads = commands.add_parser("reads")
    run_reads.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    run_reads.add_argument("--seconds", type=float, default=15)
    run_reads.add_argument("--clients", type=int, default=8)
    run_proofs = commands.add_parser("proofs")
    run_proofs.add_argument("--leaves", type=int, default=5000000)
    run_proofs.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    if args.command == "append":
        append(args.writers, args.seconds, args.rounds, sealing=not args.without_sealer)
    elif args.command == "seal":
        seal(args.rows)
    elif args.command == "reads":
        reads(args.workers, args.seconds, args.clients)
    else:
        from bench.audit_proofs import proofs

        proofs(args.leaves, args.samples)


if __name__ == "__main__":
    main()
