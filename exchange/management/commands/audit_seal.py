"""Seal committed audit rows into the Merkle tree, once or in a loop (a dedicated sealer)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from exchange.audit_sealer import audit_seal_pending
from exchange.audit_tree import tree_head_latest


class Command(BaseCommand):
    help = "Seal committed audit rows into the Merkle tree under a signed head."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="keep sealing (instead of Celery beat)"
        )
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between runs")

    def handle(self, *args, **options):
        total = 0
        while True:
            sealed = audit_seal_pending()
            total += sealed
            if not options["loop"] and not sealed:
                head = tree_head_latest()
                self.stdout.write(
                    f"Sealed {total} rows; head {head.tree_size}:{head.root_hash}."
                    if head
                    else "Nothing sealed: the audit trail is empty."
                )
                return
            # A pass that sealed less than a batch caught up: the next rows wait for the next run.
            if options["loop"] and sealed < settings.AUDIT_SEAL_BATCH:
                time.sleep(options["interval"])
