"""Seed the demo directory, logins and cases; idempotent."""

from django.conf import settings
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
        self.stdout.write(
            f"Sign in at {settings.PUBLIC_BASE_URL}/accounts/login/ with one of these logins "
            f"(development password '{DEMO_PASSWORD}'):"
        )
        for agency, role, username in demo_logins():
            self.stdout.write(f"  {agency:<10} {role:<8} {username}")
        if settings.PORTAL_TWO_FACTOR_ROLES:
            roles = ", ".join(settings.PORTAL_TWO_FACTOR_ROLES)
            self.stdout.write(
                f"Two-factor sign-in is required for: {roles}. At the first sign-in the page "
                "shows a QR code for an authenticator app, then ten backup codes."
            )
        else:
            self.stdout.write(
                "Two-factor sign-in is optional here (the embedded default); production "
                "settings require it for admins and auditors, set up at their first sign-in."
            )
