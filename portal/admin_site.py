"""The Django admin, for platform operators only; its sign-in attempts are audited."""

import functools

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from exchange.audit import audit_admin_login

from .access import forbidden


def is_operator(user) -> bool:
    """A platform operator: an active superuser. Agency staff work in the portal instead."""
    return user.is_active and user.is_superuser


class OperatorSignInForm(AdminAuthenticationForm):
    """The admin's sign-in form; it admits operators only, with one answer for every refusal."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Enter the username and password of a platform operator. Agency staff sign in "
            "on the portal's sign-in page."
        ),
    }

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)
        if not is_operator(user):
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class AuditedAdminSite(admin.AdminSite):
    """Django's admin site for operators; anyone else signed in gets the portal's refusal."""

    login_form = OperatorSignInForm

    def has_permission(self, request):
        return is_operator(request.user)

    def _refuses(self, request) -> bool:
        return request.user.is_authenticated and not self.has_permission(request)

    def admin_view(self, view, cacheable=False):
        admitted = super().admin_view(view, cacheable)

        @functools.wraps(admitted)
        def refusing(request, *args, **kwargs):
            if self._refuses(request):
                return forbidden(request)
            return admitted(request, *args, **kwargs)

        return refusing

    def get_urls(self):
        # No view-on-site shortcut (/admin/r/<type>/<id>/): no admin object has a page of its own.
        for model_admin in self._registry.values():
            model_admin.view_on_site = False
        return [url for url in super().get_urls() if getattr(url, "name", "") != "view_on_site"]

    def login(self, request, extra_context=None):
        if self._refuses(request):
            return forbidden(request)
        response = super().login(request, extra_context)
        if request.method == "POST":
            # The login view redirects on success and shows the form again on failure.
            succeeded = response.status_code == 302 and request.user.is_authenticated
            audit_admin_login(request, succeeded=succeeded, status_code=response.status_code)
        return response
