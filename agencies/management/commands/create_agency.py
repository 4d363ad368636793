"""Create an agency (and its permission group)."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency, AgencyKind, AuditScope, Country, Language
from agencies.services import agency_create


class Command(BaseCommand):
    help = "Create an agency with its permission group."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="e.g. KH-MOSVY")
        parser.add_argument("--country", required=True, choices=Country.values)
        parser.add_argument("--kind", required=True, choices=AgencyKind.values)
        parser.add_argument("--name", required=True)
        parser.add_argument("--name-local", default="")
        parser.add_argument("--language", default="en", choices=Language.values)
        parser.add_argument("--email", default="", help="notification address")
        parser.add_argument(
            "--audit-scope",
            default=AuditScope.AGENCY,
            choices=AuditScope.values,
            help="what its auditors oversee: its own exchanges, its country's, or all",
        )

    def handle(self, *args, **options):
        if Agency.objects.filter(code=options["code"]).exists():
            raise CommandError(f"An agency with the code {options['code']} exists already.")
        try:
            agency = agency_create(
                actor=None,
                code=options["code"],
                country=options["country"],
                kind=options["kind"],
                name=options["name"],
                name_local=options["name_local"],
                language=options["language"],
                notification_email=options["email"],
                audit_scope=options["audit_scope"],
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from exc
        self.stdout.write(json.dumps({"id": str(agency.id), "code": agency.code}))
