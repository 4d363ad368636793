"""The admin site, whose sign-in attempts are recorded in the audit trail; no view-on-site."""

from django.contrib import admin

from .audit import audit_admin_login


class AuditedAdminSite(admin.AdminSite):
    """Django's admin site; every sign-in attempt (a POST to its login page) is audited."""

    def get_urls(self):
        # No view-on-site shortcut (/admin/r/<type>/<id>/): it answers for any agency's objects.
        for model_admin in self._registry.values():
            model_admin.view_on_site = False
        return [url for url in super().get_urls() if getattr(url, "name", "") != "view_on_site"]

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        if request.method == "POST":
            # The login view redirects on success and shows the form again on failure.
            succeeded = response.status_code == 302 and request.user.is_authenticated
            audit_admin_login(request, succeeded=succeeded, status_code=response.status_code)
        return response
