"""Pseudonymise the personal data of cases past their retention period, or list them."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from referrals.services.retention import CASE_MODELS, retention_due, retention_sweep


class Command(BaseCommand):
    help = (
        "Pseudonymise the personal data of cases that ended longer ago than their agreement "
        "keeps it (beat runs this daily). --dry-run lists them and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would go.")

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        if not dry_run:
            count = retention_sweep(now=now)
            self.stdout.write(f"Pseudonymised {count} case(s).")
            return
        due = 0
        for model in CASE_MODELS:
            rows = (
                retention_due(model, now=now)
                .order_by("ended_at")
                .values_list("reference", "id", "status", "ended_at")
            )
            for reference, case_id, status, ended_at in rows.iterator():
                due += 1
                self.stdout.write(
                    f"{reference or f'draft {case_id}'}\t{status}\tended {ended_at:%Y-%m-%d}"
                )
        self.stdout.write(f"{due} case(s) would be pseudonymised (dry run: nothing changed).")
