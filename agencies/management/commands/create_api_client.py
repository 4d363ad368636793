"""Register a partner system for an agency and print its credentials once."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from agencies.roles import Role
from agencies.services import api_client_create


class Command(BaseCommand):
    help = "Create an API client (OAuth2 client credentials); the secret is shown once."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="agency code, e.g. TH-MSDHS")
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--scopes", required=True, help='space-separated, e.g. "referrals:read"'
        )
        parser.add_argument("--json", action="store_true", help="print only a JSON line")

    def handle(self, *args, **options):
        agency = Agency.objects.filter(code=options["agency"], is_active=True).first()
        if agency is None:
            raise CommandError(f"No active agency has the code {options['agency']}.")
        try:
            client, secret = api_client_create(
                actor=None,
                agency=agency,
                name=options["name"],
                role=options["role"],
                scopes=options["scopes"].replace(",", " ").split(),
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        credentials = {"client_id": client.client_id, "client_secret": secret}
        if not options["json"]:
            self.stdout.write(
                f"Created client '{client.name}' for {agency.code} ({options['role']}, "
                f"{' '.join(client.scopes)}). The secret is shown only now:"
            )
        self.stdout.write(json.dumps(credentials))
