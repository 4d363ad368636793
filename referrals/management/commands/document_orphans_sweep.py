"""Delete stored document files that no document names (an upload that died), or list them."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from referrals.services.documents import document_orphans, document_orphans_sweep


class Command(BaseCommand):
    help = (
        "Delete the stored document files that no document names, stored longer ago than "
        "the grace period (beat runs this hourly). --dry-run lists them and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would go.")

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        if not dry_run:
            count = document_orphans_sweep(now=now)
            self.stdout.write(f"Deleted {count} orphaned file(s).")
            return
        found = 0
        for name, stored_at in document_orphans(now=now):
            found += 1
            self.stdout.write(f"{name}\tstored {stored_at:%Y-%m-%d %H:%M:%S}")
        self.stdout.write(f"{found} orphaned file(s) would be deleted (dry run: nothing changed).")
