"""Who takes part: countries, agencies, memberships, agreements, checkpoints, API clients."""

import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Country(models.TextChoices):
    """ISO 3166 alpha-2 codes of the countries that may take part (the COMMIT region)."""

    KH = "KH", _("Cambodia")
    TH = "TH", _("Thailand")
    VN = "VN", _("Vietnam")
    LA = "LA", _("Laos")
    MM = "MM", _("Myanmar")
    CN = "CN", _("China")


COUNTRY_TIMEZONES = {
    Country.KH: ZoneInfo("Asia/Phnom_Penh"),
    Country.TH: ZoneInfo("Asia/Bangkok"),
    Country.VN: ZoneInfo("Asia/Ho_Chi_Minh"),
    Country.LA: ZoneInfo("Asia/Vientiane"),
    Country.MM: ZoneInfo("Asia/Yangon"),
    Country.CN: ZoneInfo("Asia/Shanghai"),
}


class AgencyKind(models.TextChoices):
    SOCIAL_WELFARE = "social_welfare", _("Social welfare")
    POLICE = "police", _("Police")
    IMMIGRATION = "immigration", _("Immigration")
    LABOUR = "labour", _("Labour")
    FOREIGN_AFFAIRS = "foreign_affairs", _("Foreign affairs")
    OVERSIGHT = "oversight", _("Oversight")
    NGO = "ngo", _("Non-governmental organisation")
    INTERNATIONAL_ORG = "international_org", _("International organisation")


class AuditScope(models.TextChoices):
    """Which exchanges an agency's auditors oversee; only platform operators set it."""

    AGENCY = "agency", _("Exchanges in which the agency itself takes part")
    COUNTRY = "country", _("Exchanges in which an agency of its country takes part")
    ALL = "all", _("Every exchange (international oversight)")


class Language(models.TextChoices):
    EN = "en", "English"
    KM = "km", "ខ្មែរ"
    TH = "th", "ไทย"
    VI = "vi", "Tiếng Việt"


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


agency_code_validator = RegexValidator(
    r"^[A-Z]{2,3}-[A-Z0-9]+(-[A-Z0-9]+)*$",
    _("An agency code is a country or organisation prefix and a name, e.g. KH-MOSVY."),
)


class Agency(models.Model):
    """A ministry, police force, NGO or international organisation that exchanges cases."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32, unique=True, validators=[agency_code_validator])
    name = models.CharField(max_length=200)
    name_local = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, choices=Country.choices)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    notification_email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    audit_scope = models.CharField(
        max_length=8, choices=AuditScope.choices, default=AuditScope.AGENCY
    )
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="agency", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"

    def __str__(self):
        return self.code

    @property
    def timezone(self) -> ZoneInfo:
        return COUNTRY_TIMEZONES[Country(self.country)]


class Membership(models.Model):
    """A user's one agency and role; service accounts of API clients are members too."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    # The person's own choice of language for pages and emails; empty: their agency's.
    language = models.CharField(max_length=2, choices=Language.choices, blank=True, default="")
    is_service_account = models.BooleanField(default=False, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agency__code", "user__username"]
        indexes = [models.Index(fields=["agency", "role"])]

    def __str__(self):
        return f"{self.user} ({self.agency.code}, {self.role})"

    @property
    def page_language(self) -> str:
        """The language of the person's pages and emails: their own choice, else their agency's."""
        return self.language or self.agency.language


class Agreement(models.Model):
    """The bilateral deadline profile between two countries."""

    country_a = models.CharField(max_length=2, choices=Country.choices)
    country_b = models.CharField(max_length=2, choices=Country.choices)
    acknowledge_hours_routine = models.PositiveIntegerField(default=48)
    acknowledge_hours_urgent = models.PositiveIntegerField(default=24)
    acknowledge_hours_emergency = models.PositiveIntegerField(default=4)
    respond_working_days_routine = models.PositiveIntegerField(default=14)
    respond_working_days_urgent = models.PositiveIntegerField(default=5)
    respond_working_days_emergency = models.PositiveIntegerField(default=2)
    verify_return_working_days_routine = models.PositiveIntegerField(default=30)
    verify_return_working_days_urgent = models.PositiveIntegerField(default=10)
    verify_return_working_days_emergency = models.PositiveIntegerField(default=5)
    reminder_hours_before = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Hours before a deadline at which to remind, e.g. [24]."),
    )
    overdue_reminder_every_hours = models.PositiveIntegerField(
        default=24, validators=[MinValueValidator(1)]
    )
    escalate_after_overdue_hours = models.PositiveIntegerField(default=48)
    retention_years = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Years the personal data of a case is kept after the case ends; then it is "
            "pseudonymised."
        ),
    )
    signed_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["country_a", "country_b"]
        constraints = [
            models.UniqueConstraint(
                fields=["country_a", "country_b"], name="agreement_unique_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(country_a__lt=models.F("country_b")),
                name="agreement_pair_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.country_a}-{self.country_b}"

    def acknowledge_hours(self, urgency: str) -> int:
        return getattr(self, f"acknowledge_hours_{urgency}")

    def respond_working_days(self, urgency: str) -> int:
        return getattr(self, f"respond_working_days_{urgency}")

    def verify_return_working_days(self, urgency: str) -> int:
        return getattr(self, f"verify_return_working_days_{urgency}")


class CheckpointKind(models.TextChoices):
    LAND = "land", _("Land border")
    AIR = "air", _("Airport")
    SEA = "sea", _("Seaport")


class Checkpoint(models.Model):
    """A border crossing or airport where a handover can take place."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    name_local = models.CharField(max_length=200, blank=True)
    country_a = models.CharField(max_length=2, choices=Country.choices)
    country_b = models.CharField(max_length=2, choices=Country.choices)
    kind = models.CharField(
        max_length=8, choices=CheckpointKind.choices, default=CheckpointKind.LAND
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country_a__lt=models.F("country_b")),
                name="checkpoint_pair_ordered",
            ),
        ]

    def __str__(self):
        return self.code

    def serves(self, country_1: str, country_2: str) -> bool:
        return {self.country_a, self.country_b} == {country_1, country_2}


class ApiClient(models.Model):
    """A partner system: an OAuth2 application acting through a service user of one agency."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="api_clients")
    name = models.CharField(max_length=100)
    application = models.OneToOneField(
        "oauth2_provider.Application", on_delete=models.PROTECT, related_name="api_client"
    )
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client"
    )
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agency__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="api_client_unique_name"),
        ]

    def __str__(self):
        return f"{self.agency.code}: {self.name}"

    @property
    def client_id(self) -> str:
        return self.application.client_id

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
