from django.db import migrations, models


def narrow_to_own_agency(apps, schema_editor):
    """Only oversight bodies keep the country reach every agency had by default."""
    Agency = apps.get_model("agencies", "Agency")
    Agency.objects.filter(audit_scope="country").exclude(kind="oversight").update(
        audit_scope="agency"
    )


class Migration(migrations.Migration):

    dependencies = [
        ("agencies", "0003_agreement_retention_years"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agency",
            name="audit_scope",
            field=models.CharField(
                choices=[
                    ("agency", "Exchanges in which the agency itself takes part"),
                    ("country", "Exchanges in which an agency of its country takes part"),
                    ("all", "Every exchange (international oversight)"),
                ],
                default="agency",
                max_length=8,
            ),
        ),
        migrations.RunPython(narrow_to_own_agency, migrations.RunPython.noop),
    ]
