"""factory-boy factories that build through the services, as the application does."""

import secrets
from datetime import timedelta

import factory
from django.utils import timezone
from oauth2_provider.models import AccessToken

from agencies import services
from agencies.models import Agency, Agreement, Checkpoint
from agencies.roles import Role


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    code = factory.Sequence(lambda n: f"KH-AG{n}")
    name = factory.Sequence(lambda n: f"Agency {n}")
    name_local = ""
    country = "KH"
    kind = "social_welfare"
    language = "en"
    notification_email = factory.LazyAttribute(lambda o: f"{o.code.lower()}@example.org")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.agency_create(actor=None, **kwargs)


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement
        django_get_or_create = ("country_a", "country_b")

    country_a = "KH"
    country_b = "TH"
    reminder_hours_before = [24]


class CheckpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Checkpoint
        django_get_or_create = ("code",)

    code = "KH-TH-POIPET"
    name = "Poipet - Aranyaprathet"
    country_a = "KH"
    country_b = "TH"


def member(agency: Agency, role: str = Role.OFFICER, username: str | None = None):
    """A person of ``agency`` with ``role``; returns the user."""
    username = username or f"{agency.code.lower()}-{role}-{secrets.token_hex(3)}"
    return services.member_create(
        actor=None,
        agency=agency,
        username=username,
        role=role,
        email=f"{username}@example.org",
        password="pw-Secret-123",
    ).user


def api_client_with_token(agency: Agency, role: str = Role.OFFICER, scopes=None, expires_in=3600):
    """A registered API client and a bearer token issued to it."""
    scopes = scopes or sorted(services.ROLE_SCOPES[Role(role)])
    client, _secret = services.api_client_create(
        actor=None, agency=agency, name=f"client-{secrets.token_hex(4)}", role=role, scopes=scopes
    )
    raw = secrets.token_urlsafe(24)
    token = AccessToken(
        application=client.application,
        scope=" ".join(scopes),
        expires=timezone.now() + timedelta(seconds=expires_in),
    )
    token._raw_token = raw
    token.token = ""
    token.save()
    return client, raw


def sign_in(client, username: str, password: str) -> bool:
    """Sign in through the sign-in page, as a person does (lockout and audit included)."""
    client.post("/accounts/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session
