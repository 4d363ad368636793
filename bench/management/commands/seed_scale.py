"""Seed benchmark volume: N cases among M agencies over several years (PostgreSQL only)."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.seed import seed_scale
from referrals.models import ReferralNotice, ReturnRequest


class Progress:
    """A one-line progress bar on stderr: done, rate and time left."""

    def __init__(self, stream=sys.stderr, width: int = 30):
        self.stream = stream
        self.width = width
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed else 0
        left = (total - done) / rate if rate else 0
        filled = int(self.width * done / total)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done:,}/{total:,} cases  {rate:,.0f}/s  {left:,.0f} s left ")
        if done == total:
            self.stream.write(f"\nWritten in {elapsed:,.1f} s; analysing the tables...\n")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Fill an empty database with realistic case volume for benchmarks: referrals and "
        "returns with their subjects, permission rows, shares, messages and events."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True, help="referrals and returns")
        parser.add_argument("--agencies", type=int, default=60, help="spread over KH, TH, VN")
        parser.add_argument("--years", type=int, default=5, help="history the cases span")
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1, help="random seed (same data)")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale writes with COPY and needs PostgreSQL.")
        if options["cases"] < 1 or options["agencies"] < 6:
            raise CommandError("Seed at least 1 case among at least 6 agencies.")
        existing = ReferralNotice.objects.count() + ReturnRequest.objects.count()
        if existing:
            raise CommandError(
                f"The database already holds {existing:,} cases; seed_scale fills an empty "
                "database only. Point DATABASE_URL at a new one (migrated) and run it again."
            )
        counts = seed_scale(
            cases=options["cases"],
            agencies=options["agencies"],
            years=options["years"],
            batch_size=options["batch_size"],
            seed=options["seed"],
            progress=Progress(self.stderr),
        )
        for label, count in counts.items():
            self.stdout.write(f"{label:<50} {count:>12,}")
