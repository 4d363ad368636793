"""What every row that belongs to one case (a message, a share, a document) declares alike."""

from django.db import models


def one_case_constraint(prefix: str) -> models.CheckConstraint:
    """The row names a referral or a return: never both, never neither."""
    return models.CheckConstraint(
        condition=models.Q(referral__isnull=False, return_request__isnull=True)
        | models.Q(referral__isnull=True, return_request__isnull=False),
        name=f"{prefix}_belongs_to_one_case",
    )


def per_case_indexes(prefix: str) -> list[models.Index]:
    """Each case's rows in the order they came."""
    return [
        models.Index(fields=["referral", "created_at"], name=f"{prefix}_referral_idx"),
        models.Index(fields=["return_request", "created_at"], name=f"{prefix}_return_idx"),
    ]
