"""Set which exchanges an agency's auditors oversee (platform operators only)."""

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency, AuditScope
from agencies.services import agency_update


class Command(BaseCommand):
    help = "Set an agency's audit scope: agency (its own exchanges), country, or all."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="agency code, e.g. KH-NCCT")
        parser.add_argument("--scope", required=True, choices=AuditScope.values)

    def handle(self, *args, **options):
        agency = Agency.objects.filter(code=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency has the code {options['agency']}.")
        if agency.audit_scope != options["scope"]:
            agency_update(actor=None, agency=agency, audit_scope=options["scope"])
        self.stdout.write(f"{agency.code}: audit scope {agency.audit_scope}")
