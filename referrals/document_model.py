"""Documents on cases: the file's metadata and its wrapped data key (the bytes are in storage)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.fields import EncryptedCharField, EncryptedTextField
from agencies.models import Agency

from .case_links import one_case_constraint, per_case_indexes


class DocumentKind(models.TextChoices):
    IDENTITY_DOCUMENT = "identity_document", _("Identity document")
    PHOTO = "photo", _("Photo")
    CONSENT_FORM = "consent_form", _("Consent form")
    MEDICAL_REPORT = "medical_report", _("Medical report")
    SOCIAL_REPORT = "social_report", _("Social report")
    TRAVEL_DOCUMENT = "travel_document", _("Travel document")
    OTHER = "other", _("Other")


class Document(models.Model):
    """A file on a case, sealed with its own data key; the key is wrapped by the key ring."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        "referrals.ReferralNotice",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
    )
    return_request = models.ForeignKey(
        "referrals.ReturnRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
    )
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    description = EncryptedTextField(blank=True)
    file_name = EncryptedCharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    storage_name = models.CharField(max_length=200, unique=True)
    wrapped_key = models.TextField()
    key_id = models.CharField(max_length=32)
    uploaded_by_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_on_behalf_of = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [one_case_constraint("document")]
        indexes = [
            *per_case_indexes("document"),
            models.Index(fields=["key_id"], name="document_key_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.id}"
