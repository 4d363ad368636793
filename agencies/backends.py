"""Model permissions come from role groups only: nothing is ever granted to a single user."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleGroupBackend(ModelBackend):
    """Django's model backend without per-user grants, which this project never makes.

    It saves a query on every request that checks a role's permissions.
    """

    def _get_user_permissions(self, user_obj):
        return Permission.objects.none()
