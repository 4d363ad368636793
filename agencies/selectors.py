"""Reads about agencies that follow a rule, and the one SQL path for object permissions."""

from django.db import models
from django.db.models import Exists, OuterRef
from guardian.utils import get_group_obj_perms_model

from .models import Agency, ApiClient, Checkpoint, Membership
from .roles import Role


def agency_holds(model: type[models.Model], *, agency: Agency, perm: str) -> Exists:
    """An ``Exists`` that is true for rows on which the agency's group holds ``perm``.

    It reads guardian's direct-FK table for the model through its unique
    (group, permission, object) index: one subquery, never a Python loop.
    """
    perm_model = get_group_obj_perms_model(model)
    return Exists(
        perm_model.objects.filter(
            content_object=OuterRef("pk"),
            group_id=agency.group_id,
            permission__codename=f"{perm}_{model._meta.model_name}",
        )
    )


def restrict_to_agency(queryset: models.QuerySet, *, agency: Agency, perm: str = "view"):
    """Only the rows on which the agency holds ``perm``."""
    return queryset.filter(agency_holds(queryset.model, agency=agency, perm=perm))


def agencies_directory(*, include_inactive: bool = False) -> models.QuerySet[Agency]:
    agencies = Agency.objects.all()
    return agencies if include_inactive else agencies.filter(is_active=True)


def checkpoints_active() -> models.QuerySet[Checkpoint]:
    return Checkpoint.objects.filter(is_active=True)


def members_of(agency: Agency) -> models.QuerySet[Membership]:
    """The people of an agency (service accounts of API clients are listed as clients)."""
    return Membership.objects.filter(agency=agency, is_service_account=False).select_related(
        "user", "agency"
    )


def api_clients_of(agency: Agency) -> models.QuerySet[ApiClient]:
    return ApiClient.objects.filter(agency=agency).select_related(
        "application", "service_user__membership", "agency"
    )


def admin_emails_of(agency: Agency) -> list[str]:
    """The addresses of the agency's active admins (people, not API clients)."""
    return sorted(
        members_of(agency)
        .filter(role=Role.ADMIN, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
