"""Verify the audit trail: rows, the first hash chain, the Merkle tree and its signed heads."""

import argparse
import time

from django.core.management.base import BaseCommand, CommandError

from exchange.audit_verify import KeptHead, audit_verify


def _kept_head(text: str) -> KeptHead:
    try:
        return KeptHead.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


class Command(BaseCommand):
    help = (
        "Verify the audit trail (rows, hash chain, Merkle tree, signed heads); exits non-zero "
        "and names the first row, leaf, node or head that does not hold."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--against",
            type=_kept_head,
            metavar="SIZE:ROOT",
            help="a tree head a partner kept (from an audit.tree_head event)",
        )
        parser.add_argument("--chunk-size", type=int, default=5000)

    def handle(self, *args, **options):
        started = time.monotonic()
        report = audit_verify(against=options["against"], chunk_size=options["chunk_size"])
        elapsed = time.monotonic() - started
        if not report.intact:
            raise CommandError(
                f"The audit trail is broken at {report.broken}: {report.problem} "
                f"({report.rows} rows, {report.leaves} leaves and {report.heads} heads "
                "checked before it hold)."
            )
        latest = report.latest
        head = f"{latest.tree_size}:{latest.root_hash}" if latest else "none yet"
        unsealed = report.rows - report.leaves
        self.stdout.write(
            f"The audit trail holds: {report.rows} rows ({unsealed} not sealed yet), "
            f"{report.heads} signed heads, latest head {head}, {elapsed:.1f} s."
        )
        if options["against"]:
            self.stdout.write(f"The latest head extends the head kept, {options['against']}.")
