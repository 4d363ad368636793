"""DRF permission classes: membership, role and token scope. Object rules live in selectors."""

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .authentication import caller_of
from .roles import Role


def _role_name(role) -> str:
    return str(Role(role).label) if role in Role.values else _("none")


def role_refusal(role, allowed) -> str:
    """A 403's detail naming the caller's role and the roles that may do this."""
    return _("Your role (%(role)s) does not allow this; it takes the role %(allowed)s.") % {
        "role": _role_name(role),
        "allowed": _(" or ").join(_role_name(r) for r in sorted(allowed)),
    }


def scope_refusal(scope: str) -> str:
    """A 403's detail naming the scope the token lacks."""
    return _("The access token lacks the scope %(scope)s, which this request needs.") % {
        "scope": scope
    }


class IsAgencyMember(BasePermission):
    """An authenticated member of an active agency (superusers may read everything)."""

    def has_permission(self, request, view):
        caller = caller_of(request)
        if caller is None:
            return False
        if caller.user.is_superuser:
            return True
        return caller.membership is not None and caller.agency.is_active


class HasRole(BasePermission):
    """The caller's role is one of the view's ``allowed_roles``; a refusal names both."""

    def has_permission(self, request, view):
        allowed = getattr(view, "allowed_roles", None)
        caller = caller_of(request)
        if allowed is None or caller is None or caller.role in allowed:
            return True
        self.message = role_refusal(caller.role, allowed)
        return False


class HasScope(BasePermission):
    """A token caller holds the view's ``read_scope`` (safe methods) or ``write_scope``; a
    refusal names the scope."""

    def has_permission(self, request, view):
        caller = caller_of(request)
        if caller is None:
            return True
        scope = view.read_scope if request.method in SAFE_METHODS else view.write_scope
        if scope is None or caller.has_scope(scope):
            return True
        self.message = scope_refusal(scope)
        return False
