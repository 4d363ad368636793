"""DRF permission classes: membership, role and token scope. Object rules live in selectors."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .authentication import caller_of


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
    """The caller's role is one of the view's ``allowed_roles``."""

    message = "Your role does not allow this."

    def has_permission(self, request, view):
        allowed = getattr(view, "allowed_roles", None)
        caller = caller_of(request)
        if allowed is None or caller is None:
            return True
        return caller.role in allowed


class HasScope(BasePermission):
    """A token caller holds the view's ``read_scope`` (safe methods) or ``write_scope``."""

    message = "The access token does not carry the scope this request needs."

    def has_permission(self, request, view):
        caller = caller_of(request)
        if caller is None:
            return True
        scope = view.read_scope if request.method in SAFE_METHODS else view.write_scope
        return scope is None or caller.has_scope(scope)
