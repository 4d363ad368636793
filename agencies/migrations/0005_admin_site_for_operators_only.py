"""The Django admin is for platform operators: agency admins lose the staff flag they had."""

from django.conf import settings
from django.db import migrations


def clear_staff_of_non_operators(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    User.objects.filter(is_staff=True, is_superuser=False).update(is_staff=False)


def restore_staff_of_agency_admins(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    User.objects.filter(membership__role="admin", is_superuser=False).update(is_staff=True)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0004_audit_scope_agency_default"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(clear_staff_of_non_operators, restore_staff_of_agency_admins),
    ]
