from django.db import migrations, models


def forget_stored_answers(apps, schema_editor):
    """The stored answers held secrets and personal data: the keys (24 hours) go with them."""
    apps.get_model("protocol", "IdempotencyKey").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("protocol", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forget_stored_answers, migrations.RunPython.noop),
        migrations.RemoveField(model_name="idempotencykey", name="response_body"),
        migrations.RemoveField(model_name="idempotencykey", name="response_headers"),
        migrations.AddField(
            model_name="idempotencykey",
            name="resource_id",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
