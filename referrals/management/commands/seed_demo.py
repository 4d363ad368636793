"""Seed the demo directory, logins and cases; idempotent."""

from django.core.management.base import BaseCommand

from agencies.demo import DEMO_PASSWORD, demo_logins, seed_directory
from referrals.demo import seed_cases


class Command(BaseCommand):
    help = "Create the demo agencies, agreements, checkpoints, logins and cases (idempotent)."

    def handle(self, *args, **options):
        created = seed_directory()
        created["cases"] = seed_cases()
        summary = ", ".join(f"{count} {what}" for what, count in created.items())
        self.stdout.write(f"Created: {summary}.")
        self.stdout.write(f"Demo logins (development password '{DEMO_PASSWORD}'):")
        for agency, role, username in demo_logins():
            self.stdout.write(f"  {agency:<10} {role:<8} {username}")
