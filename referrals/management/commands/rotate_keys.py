"""Re-seal every sealed value and re-wrap every document key with the key ring's active key."""

from django.apps import apps
from django.core.management.base import BaseCommand

from agencies.fields import reseal_rows, sealed_fields
from agencies.keyring import keyring
from referrals.services.documents import documents_rewrap


class Command(BaseCommand):
    help = (
        "After a new key is put first in ENCRYPTION_KEYS (the old one kept after it): re-seal "
        "personal data and secrets and re-wrap document keys with the new key, in small locked "
        "batches while the service runs. Then the old key may be removed."
    )

    def handle(self, *args, **options):
        active = keyring().active_id
        for model in apps.get_models():
            if sealed_fields(model):
                rows = reseal_rows(model)
                self.stdout.write(f"{model._meta.label}: {rows} rows re-sealed with {active}")
        wrapped = documents_rewrap()
        self.stdout.write(f"referrals.Document: {wrapped} data keys re-wrapped with {active}")
