"""Recompute the audit trail's hash chain and name the first broken row."""

import argparse
import time

from django.core.management.base import BaseCommand, CommandError

from exchange.audit import ChainHead, audit_chain_verify


def _chain_head(text: str) -> ChainHead:
    try:
        return ChainHead.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero and names the first broken row."

    def add_arguments(self, parser):
        parser.add_argument(
            "--against",
            type=_chain_head,
            metavar="SEQUENCE:HASH",
            help="a chain head a partner kept (from an audit.checkpoint event)",
        )
        parser.add_argument("--chunk-size", type=int, default=5000)

    def handle(self, *args, **options):
        started = time.monotonic()
        report = audit_chain_verify(against=options["against"], chunk_size=options["chunk_size"])
        elapsed = time.monotonic() - started
        if not report.intact:
            raise CommandError(
                f"The audit trail is broken at row {report.broken_at}: {report.problem} "
                f"({report.rows} rows before it hold)."
            )
        head = report.head or "none (empty)"
        self.stdout.write(
            f"The audit trail holds: {report.rows} rows, head {head}, {elapsed:.1f} s."
        )
