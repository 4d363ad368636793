"""Who may sign in, and whose model permissions come from role groups only."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


def may_sign_in(user) -> bool:
    """An active user whose agency, if any, is active: a deactivated agency's people are out."""
    if not user.is_active:
        return False
    membership = getattr(user, "membership", None)
    return user.is_superuser or membership is None or membership.agency.is_active


class RoleGroupBackend(ModelBackend):
    """Django's model backend without per-user grants, which this project never makes.

    It saves a query on every request that checks a role's permissions. Sign-in and every
    request of a session check ``may_sign_in``, so an agency's deactivation ends its sessions.
    """

    def user_can_authenticate(self, user):
        return may_sign_in(user)

    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.select_related("membership__agency")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

    def _get_user_permissions(self, user_obj):
        return Permission.objects.none()
