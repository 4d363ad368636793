"""Publish the audit trail's chain head to every active agency."""

from django.core.management.base import BaseCommand, CommandError

from exchange.audit import AuditChainBroken
from exchange.services import audit_checkpoint_publish


class Command(BaseCommand):
    help = "Publish the audit chain head (sequence and hash) as an audit.checkpoint event."

    def handle(self, *args, **options):
        try:
            event = audit_checkpoint_publish()
        except AuditChainBroken as exc:
            raise CommandError(f"Not published: {exc}") from exc
        if event is None:
            self.stdout.write("Nothing to publish: the chain head has not moved.")
            return
        self.stdout.write(
            f"Published audit checkpoint {event.data['sequence']}:{event.data['hash']} "
            f"to {event.audience.count()} agencies."
        )
