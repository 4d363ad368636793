"""Dispatcher throughput: signed webhook deliveries per second to a local receiver.

Starts its own redis-server on a free loopback port and ``--workers`` Celery worker processes,
emits ``--deliveries`` events for an agency whose one webhook endpoint is a receiver in this
process (which verifies every signature and deduplicates on webhook-id), and measures from
the commit that queues them to the last one received. The database is flushed first, so it
must be a bench database (its name contains "bench").

    .venv/bin/python bench/delivery_throughput.py --deliveries 2000 --workers 2
"""

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _environment(database_url: str, redis_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",
            "LOG_LEVEL": "WARNING",
        }
    )


def _create_database(database_url: str) -> None:
    import environ
    import psycopg

    config = environ.Env.db_url_config(database_url)
    if "bench" not in config["NAME"]:
        raise SystemExit(f"Refusing to flush {config['NAME']!r}: use a database named *bench*.")
    if config["ENGINE"] != "django.db.backends.postgresql":
        return
    admin = psycopg.connect(
        host=config["HOST"], port=config["PORT"] or 5432, user=config["USER"], dbname="postgres"
    )
    admin.autocommit = True
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
    if exists.fetchone() is None:
        admin.execute(f'CREATE DATABASE "{config["NAME"]}"')
    admin.close()


def run(*, deliveries: int, workers: int, database_url: str) -> dict:
    from tests.exchange.receiver import WebhookReceiver
    from tests.processes import CeleryWorker, RedisServer, wait_until

    workdir = Path(tempfile.mkdtemp(prefix="mekong-bench-"))
    redis = RedisServer(workdir).start()
    _environment(database_url, redis.url)
    _create_database(database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from agencies import services as agency_services
    from exchange import services
    from exchange.models import Delivery

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    sender = agency_services.agency_create(
        code="TH-BENCH", name="Bench sender", country="TH", kind="police"
    )
    recipient = agency_services.agency_create(
        code="KH-BENCH", name="Bench recipient", country="KH", kind="social_welfare"
    )

    started_workers = []
    with WebhookReceiver() as receiver:
        _, receiver.secret = services.webhook_endpoint_create(agency=recipient, url=receiver.url)
        try:
            for n in range(workers):
                worker = CeleryWorker(
                    name=f"bench-{n}",
                    database_url=database_url,
                    broker_url=redis.url,
                    workdir=workdir,
                    settings_module="config.settings.base",
                )
                started_workers.append(worker.start())
            with transaction.atomic():
                for n in range(deliveries):
                    services.event_emit(
                        type="referral.sent",
                        object_type="referral",
                        object_id=None,
                        reference=f"REF-TH-KH-2026-{n:06d}",
                        agencies=[sender, recipient],
                        actor_agency=sender,
                        data={"status": "sent", "sender": "TH-BENCH", "recipient": "KH-BENCH"},
                    )
                committing = time.monotonic()
            received_all = receiver.wait_for(
                lambda r: len(r.effects) >= deliveries, timeout=max(60, deliveries / 10)
            )
            last = max((r.at for r in receiver.received), default=committing)
            wait_until(
                lambda: Delivery.objects.filter(state="delivered").count() == deliveries,
                timeout=30,
            )
        finally:
            for worker in started_workers:
                worker.stop()
            redis.stop()
    figures = receiver.figures()
    seconds = last - committing
    return {
        "deliveries": deliveries,
        "workers": workers,
        "all_received": received_all,
        "seconds": round(seconds, 2),
        "deliveries_per_second": round(len(receiver.effects) / seconds, 1) if seconds else None,
        "delivered_in_database": Delivery.objects.filter(state="delivered").count(),
        "signatures_verified": sum(1 for r in receiver.received if r.verified),
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mekong_bench"
        ),
    )
    args = parser.parse_args()
    if not 1 <= args.deliveries <= 20000 or not 1 <= args.workers <= 8:
        raise SystemExit("Keep it bounded: 1 to 20000 deliveries, 1 to 8 workers.")
    result = run(deliveries=args.deliveries, workers=args.workers, database_url=args.database_url)
    print(json.dumps(result, indent=2))
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"delivery-throughput-{int(time.time())}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
