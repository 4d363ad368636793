"""The domain: subjects, referral notices, return requests, messages and shares."""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from agencies.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)
from agencies.models import Agency, Checkpoint, Urgency

from . import deadlines
from .case_links import one_case_constraint, per_case_indexes
from .document_model import Document, DocumentKind  # noqa: F401  (registered with the app)
from .reminder_model import REMINDER_KEY, Reminder, ReminderSchedule  # noqa: F401  (as above)
from .workflows import REFERRAL_WORKFLOW, RETURN_WORKFLOW, ReferralStatus, ReturnStatus

ADULT_AGE = 18


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class ConsentStatus(models.TextChoices):
    GIVEN = "given", _("Given")
    GUARDIAN_GIVEN = "guardian_given", _("Given by a guardian")
    REFUSED = "refused", _("Refused")
    NOT_ASKED = "not_asked", _("Not asked")


class Subject(models.Model):
    """The person a case is about; it exists only inside its case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    given_name = EncryptedCharField(max_length=120)
    family_name = EncryptedCharField(max_length=120, blank=True)
    name_native = EncryptedCharField(max_length=200, blank=True)
    aliases = EncryptedJSONField(default=list, blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = EncryptedDateField(null=True, blank=True)
    # What retention keeps of the birth date once the person's data is pseudonymised.
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    age_estimate = models.PositiveSmallIntegerField(null=True, blank=True)
    is_minor = models.BooleanField(default=False, editable=False)
    nationality_claimed = models.CharField(max_length=2, blank=True)
    identity_documents = EncryptedJSONField(default=list, blank=True)
    languages = EncryptedJSONField(default=list, blank=True)
    home_address = EncryptedJSONField(default=dict, blank=True)
    family_contact = EncryptedJSONField(default=dict, blank=True)
    vulnerabilities = EncryptedJSONField(default=list, blank=True)
    consent_status = models.CharField(
        max_length=16, choices=ConsentStatus.choices, default=ConsentStatus.NOT_ASKED
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_scope = models.JSONField(
        default=list, blank=True, help_text=_("Agency kinds that may receive the data.")
    )

    def __str__(self):
        return str(self.id)

    def save(self, *args, **kwargs):
        self.note_minor()
        super().save(*args, **kwargs)

    def note_minor(self) -> None:
        """Set ``is_minor`` from the age today, as every save does."""
        age = self.age_on(timezone.localdate())
        self.is_minor = age is not None and age < ADULT_AGE

    def age_on(self, day: date) -> int | None:
        if self.birth_date:
            before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
            return day.year - self.birth_date.year - before_birthday
        if self.birth_year:
            return day.year - self.birth_year
        return self.age_estimate


def case_permissions(model_name: str, noun: str) -> list[tuple[str, str]]:
    """The object permissions of a kind of case beyond Django's own (see ``access``)."""
    return [
        (f"respond_{model_name}", f"Can act as the receiving side of a {noun}"),
        (f"message_{model_name}", f"Can post messages on a {noun}"),
    ]


def case_indexes(kind: str) -> list[models.Index]:
    """The lists' orderings, each party's cases, the running clocks and the retention sweep."""
    return [
        models.Index(fields=["-created_at", "-id"], name=f"{kind}_created_idx"),
        # With each case's status and id: a party's counts by status (the portal's inbox) read
        # the index alone, not every case's row.
        models.Index(
            fields=["sender_agency", "-created_at"],
            include=["status", "id"],
            name=f"{kind}_sender_idx",
        ),
        models.Index(
            fields=["recipient_agency", "-created_at"],
            include=["status", "id"],
            name=f"{kind}_recipient_idx",
        ),
        *(rule.index() for rule in deadlines.CLOCK_RULES[kind]),
        # The retention sweep reads only ended cases not yet pseudonymised.
        models.Index(
            fields=["ended_at"],
            name=f"{kind}_retention_idx",
            condition=models.Q(ended_at__isnull=False, redacted_at__isnull=True),
        ),
    ]


def case_constraints(kind: str) -> list[models.UniqueConstraint]:
    """A reference names one case of its kind."""
    return [models.UniqueConstraint(fields=["reference"], name=f"{kind}_reference_unique")]


class Case(models.Model):
    """What referral notices and return requests share: parties, subject, clocks, version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Unique by a constraint of each kind (``case_constraints``), with no pattern index beside;
    # null until sent, as a unique constraint lets many nulls be.
    reference = models.CharField(max_length=40, null=True, blank=True)  # noqa: DJ001
    # Found through the parties' indexes (``case_indexes``), which lead with them.
    sender_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    recipient_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    subject = models.OneToOneField(Subject, on_delete=models.PROTECT, related_name="+")
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # When the case reached a final state: the retention period runs from here.
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When retention pseudonymised the person's data (None: not yet).
    redacted_at = models.DateTimeField(null=True, blank=True, editable=False)

    # What each kind declares: its name in events and audit rows, its reference prefix, its
    # API path, the foreign key name of its messages and shares, its due fields and workflow.
    kind: str
    reference_prefix: str
    api_path: str
    case_field: str
    due_fields: tuple[str, ...]
    workflow: object

    class Meta:
        abstract = True

    def __str__(self):
        return self.reference or f"draft {self.id}"

    @property
    def is_overdue(self) -> bool:
        return deadlines.is_overdue(self)


class ReferralCategory(models.TextChoices):
    TRAFFICKING_VICTIM = "trafficking_victim", _("Trafficking victim")
    PRESUMED_VICTIM = "presumed_victim", _("Presumed victim")
    IRREGULAR_MIGRANT = "irregular_migrant", _("Irregular migrant")
    UNACCOMPANIED_CHILD = "unaccompanied_child", _("Unaccompanied child")
    OTHER = "other", _("Other")


class ExploitationType(models.TextChoices):
    SEXUAL = "sexual", _("Sexual exploitation")
    FORCED_LABOUR = "forced_labour", _("Forced labour")
    FORCED_CRIMINALITY = "forced_criminality", _("Forced criminality (e.g. scam compounds)")
    FISHING = "fishing", _("Forced labour at sea")
    DOMESTIC_SERVITUDE = "domestic_servitude", _("Domestic servitude")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    BEGGING = "begging", _("Forced begging")
    ORGAN_REMOVAL = "organ_removal", _("Organ removal")
    OTHER = "other", _("Other")


class RequestedAction(models.TextChoices):
    IDENTITY_VERIFICATION = "identity_verification", _("Identity verification")
    FAMILY_TRACING = "family_tracing", _("Family tracing")
    PROTECTION = "protection", _("Protection")
    REPATRIATION = "repatriation", _("Repatriation")
    LEGAL_ASSISTANCE = "legal_assistance", _("Legal assistance")
    MEDICAL_CARE = "medical_care", _("Medical care")


class ReferralNotice(Case):
    """A person identified in one country, referred to a counterpart agency in another."""

    kind = "referral"
    reference_prefix = "REF"
    api_path = "/api/v1/referrals/{}/"
    case_field = "referral"
    due_fields = deadlines.due_fields("referral")
    workflow = REFERRAL_WORKFLOW

    category = models.CharField(max_length=32, choices=ReferralCategory.choices)
    exploitation_types = models.JSONField(default=list, blank=True)
    summary = EncryptedTextField(blank=True)
    requested_actions = models.JSONField(default=list, blank=True)
    identified_on = models.DateField()
    identified_place = EncryptedCharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    acknowledge_due_at = models.DateTimeField(null=True, blank=True)
    respond_due_at = models.DateTimeField(null=True, blank=True)
    focal_point = EncryptedCharField(max_length=200, blank=True)
    rejection_reason = EncryptedTextField(blank=True)
    withdrawal_reason = EncryptedTextField(blank=True)
    outcome = EncryptedTextField(blank=True)

    class Meta:
        permissions = case_permissions("referralnotice", "referral notice")
        indexes = case_indexes("referral")
        constraints = case_constraints("referral")


class ReturnBasis(models.TextChoices):
    VICTIM_REPATRIATION = "victim_repatriation", _("Repatriation of a victim")
    VOLUNTARY_RETURN = "voluntary_return", _("Voluntary return")
    READMISSION = "readmission", _("Readmission")


class ReturnRequest(Case):
    """Verification, scheduling and handover of a person's return to their country of origin."""

    kind = "return"
    reference_prefix = "RET"
    api_path = "/api/v1/returns/{}/"
    case_field = "return_request"
    due_fields = deadlines.due_fields("return")
    workflow = RETURN_WORKFLOW

    referral = models.ForeignKey(
        ReferralNotice, on_delete=models.PROTECT, null=True, blank=True, related_name="returns"
    )
    basis = models.CharField(max_length=32, choices=ReturnBasis.choices)
    proposed_checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=ReturnStatus.choices, default=ReturnStatus.DRAFT
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    verification_due_at = models.DateTimeField(null=True, blank=True)
    verification = EncryptedJSONField(default=dict, blank=True)
    scheduled_date = models.DateField(null=True, blank=True)
    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handover = EncryptedJSONField(default=dict, blank=True)
    rejection_reason = EncryptedTextField(blank=True)
    cancellation_reason = EncryptedTextField(blank=True)

    class Meta:
        permissions = case_permissions("returnrequest", "return request")
        indexes = case_indexes("return")
        constraints = case_constraints("return")


class ReferralNoticeUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ReferralNotice, on_delete=models.CASCADE)


class ReferralNoticeGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ReferralNotice, on_delete=models.CASCADE)


class ReturnRequestUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE)


class ReturnRequestGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE)


class CaseMessage(models.Model):
    """A message in a case's thread between the agencies taking part."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        ReferralNotice, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    author_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_on_behalf_of = models.CharField(max_length=128, blank=True)
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [one_case_constraint("message")]
        indexes = per_case_indexes("message")

    def __str__(self):
        return f"{self.author_agency_id} {self.created_at:%Y-%m-%d %H:%M}"


class Share(models.Model):
    """Read access to a case for a third agency, granted by the sender within the consent scope."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        ReferralNotice, on_delete=models.CASCADE, null=True, blank=True, related_name="shares"
    )
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="shares"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            one_case_constraint("share"),
            models.UniqueConstraint(
                fields=["referral", "agency"],
                condition=models.Q(revoked_at__isnull=True),
                name="share_referral_active_unique",
            ),
            models.UniqueConstraint(
                fields=["return_request", "agency"],
                condition=models.Q(revoked_at__isnull=True),
                name="share_return_active_unique",
            ),
        ]

    def __str__(self):
        return f"{self.agency_id} ({'revoked' if self.revoked_at else 'active'})"


class ConsentChange(models.Model):
    """One change of a subject's consent, as the sending agency recorded it: the history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="consent_changes")
    previous_status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    previous_scope = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    scope = models.JSONField(default=list, blank=True)
    recorded_at = models.DateTimeField(help_text=_("When the person (or guardian) said so."))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["subject", "created_at"], name="consent_change_subject_idx")
        ]

    def __str__(self):
        return f"{self.previous_status} -> {self.status}"
