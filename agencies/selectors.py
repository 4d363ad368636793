"""Reads about agencies that follow a rule, and the one SQL path for object permissions."""

import functools

from django.apps import apps
from django.contrib.auth.models import Permission
from django.db import models
from django.db.models import BooleanField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from guardian.utils import get_group_obj_perms_model

from .models import Agency, ApiClient, AuditScope, Checkpoint, Membership
from .roles import Role

# Permission rows change only when migrations run; post_migrate clears this (see apps.py).
_permission_ids: dict[tuple[str, str, str], int] = {}


def permission_id(model: type[models.Model], perm: str) -> int:
    """The id of ``perm`` on ``model``, read once per process for all of the model's app."""
    opts = model._meta
    key = (opts.app_label, opts.model_name, f"{perm}_{opts.model_name}")
    if key not in _permission_ids:
        rows = Permission.objects.filter(content_type__app_label=opts.app_label).values_list(
            "content_type__app_label", "content_type__model", "codename", "pk"
        )
        _permission_ids.update({(app, name, codename): pk for app, name, codename, pk in rows})
        if key not in _permission_ids:
            raise LookupError(f"Unknown permission {key[2]} on {opts.label}.")
    return _permission_ids[key]


def forget_permission_ids(**kwargs) -> None:
    _permission_ids.clear()


@functools.cache
def role_permissions(role: str) -> frozenset[str]:
    """The model permissions (``app.codename``) the apps declare for ``role``.

    The role groups are synced from these declarations on every migrate; reading them here
    answers "may this role..." without two permission queries per request.
    """
    return frozenset(
        label
        for config in apps.get_app_configs()
        for label in getattr(config, "role_permissions", {}).get(role, [])
    )


def _grants(model: type[models.Model], *, agency: Agency, perm: str) -> models.QuerySet:
    """The agency group's rows of ``perm`` in the model's direct-FK table, for the outer row."""
    return get_group_obj_perms_model(model).objects.filter(
        content_object=OuterRef("pk"),
        group_id=agency.group_id,
        permission_id=permission_id(model, perm),
    )


def agency_holds(model: type[models.Model], *, agency: Agency, perm: str) -> Exists:
    """An ``Exists`` that is true for rows on which the agency's group holds ``perm``.

    It probes guardian's direct-FK table for the model through its unique
    (group, permission, object) index with three equalities: one subquery, never a Python loop.
    The permission is a literal id, not a join on its codename: the join hid from the planner
    how many rows an agency holds, and it read them all rather than walk the newest cases.
    """
    return Exists(_grants(model, agency=agency, perm=perm))


def agency_holds_flag(model: type[models.Model], *, agency: Agency, perm: str) -> Coalesce:
    """True or false on each row: whether the agency's group holds ``perm`` on it.

    For annotations. As an ``Exists`` in the select list, PostgreSQL may read every row the
    agency holds into a hash to answer for a page of 50 (5 ms of the 8 of a list page at a
    million cases); a scalar subquery is answered by one index probe per row.
    """
    probe = _grants(model, agency=agency, perm=perm).values(held=Value(True))[:1]
    return Coalesce(Subquery(probe, output_field=BooleanField()), Value(False))


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


def audit_reach(agency: Agency) -> dict | None:
    """The parties an auditor of ``agency`` oversees, as lookups on an agency; None: every one.

    The one auditor-scope rule: case lists, the audit trail and the SLA report all read it.
    Only platform operators set an agency's audit scope.
    """
    if agency.audit_scope == AuditScope.ALL:
        return None
    if agency.audit_scope == AuditScope.COUNTRY:
        return {"country": agency.country}
    return {"pk": agency.pk}  # the default, and any scope not known: its own exchanges only


def parties_in_reach(reach: dict | None, *parties: str) -> Q:
    """Rows one of whose ``parties`` (agency relations) is within an auditor's reach."""
    if reach is None:
        return Q()
    condition = Q()
    for party in parties:
        condition |= Q(**{f"{party}__{lookup}": value for lookup, value in reach.items()})
    return condition
