"""The shape of agencies, checkpoints, the caller, members and API clients in the API."""

from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from protocol.serializers import StrictSerializer

from .models import Agency, ApiClient, Checkpoint, Membership
from .roles import Role


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["code", "name", "name_local", "country", "kind", "language", "is_active"]


class CodeField(serializers.SlugRelatedField):
    """A row named by its code; a code with a NUL character names none (PostgreSQL refuses it)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class AgencyCodeField(CodeField):
    """An agency named by its code; unknown or inactive codes are a validation error."""

    default_error_messages = {
        "does_not_exist": _("No active agency has the code {value}."),
        "invalid": _("An agency code is a string such as KH-MOSVY."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Agency.objects.filter(is_active=True))
        super().__init__(slug_field="code", **kwargs)


class CheckpointSerializer(serializers.ModelSerializer):
    countries = serializers.SerializerMethodField()

    class Meta:
        model = Checkpoint
        fields = ["code", "name", "name_local", "countries", "kind", "is_active"]

    def get_countries(self, obj) -> list[str]:
        return [obj.country_a, obj.country_b]


class OwnAgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["code", "name", "name_local", "country", "kind", "language", "notification_email"]


class ApiClientRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    """The caller: who, which agency, which role, which scopes."""

    username = serializers.CharField()
    display_name = serializers.CharField()
    agency = OwnAgencySerializer(allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())
    api_client = ApiClientRefSerializer(allow_null=True)
    on_behalf_of = serializers.CharField(allow_null=True)


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    is_active = serializers.BooleanField(source="user.is_active", read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "role",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MemberCreateSerializer(StrictSerializer):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}, max_length=128
    )

    def validate_password(self, value):
        password_validation.validate_password(value)
        return value


class MemberUpdateSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices)


class ApiClientSerializer(serializers.ModelSerializer):
    client_id = serializers.CharField(source="application.client_id", read_only=True)
    role = serializers.CharField(source="service_user.membership.role", read_only=True)
    is_revoked = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiClient
        fields = [
            "id",
            "name",
            "client_id",
            "role",
            "scopes",
            "created_at",
            "secret_rotated_at",
            "revoked_at",
            "is_revoked",
        ]
        read_only_fields = fields


class ApiClientCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=list(settings.API_SCOPES)), allow_empty=False
    )


SECRET_SHOWN_ONCE = _(
    "The secret was shown once, in the answer to the first request; rotate it for a new one."
)


def secret_note(secret: str | None) -> str | None:
    """What a repeated request is told instead of the secret it does not see again."""
    return None if secret else str(SECRET_SHOWN_ONCE)


class ApiClientWithSecretSerializer(ApiClientSerializer):
    """A client as created or rotated: the only time its secret is shown (null on a replay)."""

    client_secret = serializers.SerializerMethodField()
    secret_note = serializers.SerializerMethodField()

    class Meta(ApiClientSerializer.Meta):
        fields = [*ApiClientSerializer.Meta.fields, "client_secret", "secret_note"]
        read_only_fields = fields

    def get_client_secret(self, obj) -> str | None:
        return self.context.get("client_secret")

    def get_secret_note(self, obj) -> str | None:
        return secret_note(self.context.get("client_secret"))
