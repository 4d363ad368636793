"""Who may do what to a case: visibility, the side a caller acts as, roles, allowed actions.

An action is allowed when the caller's role carries the model permission (and a token its
write scope) and the caller's agency holds the object permission of the action's side:
``SIDE_PERMISSIONS`` names which. Grants at create, send and share use the same map.
"""

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, OuterRef, QuerySet, Value
from django.utils.translation import gettext_lazy
from guardian.utils import get_group_obj_perms_model

from agencies.authentication import Caller
from agencies.permissions import role_refusal
from agencies.roles import Role
from agencies.selectors import (
    agency_holds_flag,
    audit_reach,
    parties_in_reach,
    permission_id,
    restrict_to_agency,
    role_permissions,
)

from .models import ReferralNotice, ReturnRequest
from .workflows import EITHER, RECIPIENT, SENDER

# The object permission an agency needs to act as each side; ``view`` is needed to see a case.
SIDE_PERMISSIONS = {SENDER: "change", RECIPIENT: "respond"}
SENDER_GRANT = ["view", SIDE_PERMISSIONS[SENDER]]
RECIPIENT_GRANT = ["view", SIDE_PERMISSIONS[RECIPIENT]]
SHARE_GRANT = ["view"]
DRAFT = "draft"

ONLY_SIDE = {
    SENDER: gettext_lazy("Only the sending agency can take this action."),
    RECIPIENT: gettext_lazy("Only the receiving agency can take this action."),
    EITHER: gettext_lazy("Only the sending or the receiving agency can take this action."),
}


def _with_relations(model) -> QuerySet:
    related = ["sender_agency", "recipient_agency", "subject"]
    if model is ReturnRequest:
        related += ["proposed_checkpoint", "checkpoint", "referral"]
    return model.objects.select_related(*related)


def side_flags(model, caller: Caller) -> dict:
    """Annotations ``can_change`` and ``can_respond``: the agency's object permission per side."""
    agency = caller.agency
    return {
        f"can_{perm}": agency_holds_flag(model, agency=agency, perm=perm)
        for perm in SIDE_PERMISSIONS.values()
    }


def side_grants(model, caller: Caller) -> dict:
    """Annotations from which ``note_sides`` sets ``can_change`` and ``can_respond`` on a row.

    On PostgreSQL, one array of the side permissions the agency holds where ``side_flags`` has
    a subquery per side: cheaper to build and to plan for the one row a write locks.
    """
    if connection.vendor != "postgresql":
        return side_flags(model, caller)
    held = get_group_obj_perms_model(model).objects.filter(
        content_object=OuterRef("pk"),
        group_id=caller.agency.group_id,
        permission_id__in=[permission_id(model, perm) for perm in SIDE_PERMISSIONS.values()],
    )
    return {"side_grants": ArraySubquery(held.values("permission_id"))}


def note_sides(case) -> None:
    """Set ``can_change`` and ``can_respond`` from a ``side_grants`` array, if annotated."""
    held = getattr(case, "side_grants", None)
    if held is not None:
        for perm in SIDE_PERMISSIONS.values():
            setattr(case, f"can_{perm}", permission_id(type(case), perm) in held)


def note_granted_sides(case, perms: list[str]) -> None:
    """Set ``can_change`` and ``can_respond`` from ``perms``, the grant this transaction has just
    written for the caller's agency on a case it created: nothing to read back."""
    for perm in SIDE_PERMISSIONS.values():
        setattr(case, f"can_{perm}", perm in perms)


def cases_visible_to(model, caller: Caller) -> QuerySet:
    """The cases of ``model`` the caller may read, filtered in SQL.

    Parties and shared agencies see what their agency group holds ``view`` on (guardian's
    direct-FK table); auditors see the sent cases within their agency's audit reach (their
    views redact personal data); superusers see everything, read-only.
    """
    cases = _with_relations(model)
    if caller.user.is_superuser or caller.is_auditor:
        if caller.is_auditor:
            reach = audit_reach(caller.agency)
            cases = cases.exclude(status=DRAFT).filter(
                parties_in_reach(reach, "sender_agency", "recipient_agency")
            )
        return cases.annotate(
            **{
                f"can_{perm}": Value(False, output_field=BooleanField())
                for perm in SIDE_PERMISSIONS.values()
            }
        )
    return restrict_to_agency(cases, agency=caller.agency, perm="view").annotate(
        **side_flags(model, caller)
    )


def referrals_visible_to(caller: Caller) -> QuerySet[ReferralNotice]:
    return cases_visible_to(ReferralNotice, caller)


def returns_visible_to(caller: Caller) -> QuerySet[ReturnRequest]:
    return cases_visible_to(ReturnRequest, caller)


def role_allows(caller: Caller, model, perm: str) -> bool:
    """Whether the caller's role carries the model permission, as its role group does."""
    if caller.user.is_superuser:
        return True
    label = f"referrals.{perm}_{model._meta.model_name}"
    return caller.role is not None and label in role_permissions(caller.role)


def roles_allowed(model, perm: str) -> list[str]:
    """The roles that carry the model permission (named when a caller's role does not)."""
    label = f"referrals.{perm}_{model._meta.model_name}"
    return [role for role in Role.values if label in role_permissions(role)]


def require_role(actor: Caller, model, perm: str) -> None:
    """A 403 naming the caller's role and the roles that may, unless the role carries it."""
    if actor.agency is None or not role_allows(actor, model, perm):
        raise PermissionDenied(role_refusal(actor.role, roles_allowed(model, perm)))


def caller_sides(caller: Caller, case) -> set[str]:
    """The sides (sender, recipient) the caller may act as on ``case``.

    Acting needs the role's model permission, the write scope on a token, and the agency's
    object permission (annotated on the case by ``cases_visible_to``, ``side_flags`` or
    ``side_grants``).
    """
    if caller.scopes is not None and not caller.has_scope("referrals:write"):
        return set()
    model = type(case)
    return {
        side
        for side, perm in SIDE_PERMISSIONS.items()
        if getattr(case, f"can_{perm}", False) and role_allows(caller, model, perm)
    }


def side_allows(side: str, sides: set[str]) -> bool:
    """A transition's side is one the caller acts as (``either``: any of them)."""
    return side in sides or (side == EITHER and bool(sides))


def allowed_actions(caller: Caller, case) -> list[str]:
    return case.workflow.allowed_actions(case.status, caller_sides(caller, case))
