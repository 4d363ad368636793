"""The admin app, wired to the audited admin site in place of Django's default one."""

from django.contrib.admin.apps import AdminConfig


class AdminSiteConfig(AdminConfig):
    default_site = "portal.admin_site.AuditedAdminSite"
