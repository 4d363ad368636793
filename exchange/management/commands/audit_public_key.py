"""Print the public key that verifies audit tree heads, for partners to keep."""

from django.core.management.base import BaseCommand

from exchange.audit_signing import key_id_of, public_key_pem, signing_key


class Command(BaseCommand):
    help = "Print the Ed25519 public key (PEM) that verifies the audit trail's tree heads."

    def handle(self, *args, **options):
        self.stderr.write(f"Key id {key_id_of(signing_key().public_key())}")
        self.stdout.write(public_key_pem(), ending="")
